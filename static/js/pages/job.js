// One job: its stages, tasks and task logs.
import JobDetail from "../components/job-detail.js";

export default {
  name: "JobPage",
  components: { JobDetail },
  props: { params: { type: Object, required: true } },
  computed: {
    jobId() {
      return Number(this.params.job);
    },
  },
  template: `
    <section>
      <p><a href="#/jobs">← All jobs</a></p>
      <JobDetail :job-id="jobId" />
    </section>`,
};
