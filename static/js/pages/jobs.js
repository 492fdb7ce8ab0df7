// Every job, newest first, with its progress and state.
import { ref } from "vue";
import { api } from "../api.js";
import { formatTime } from "../format.js";
import { usePoll } from "../poll.js";
import ErrorMessage from "../components/error-message.js";
import ProgressBar from "../components/progress-bar.js";
import StateBadge from "../components/state-badge.js";

const STATES = ["", "PENDING", "RUNNING", "SUCCESSFUL", "FAILED", "CANCELED"];

export default {
  name: "JobsPage",
  components: { ErrorMessage, ProgressBar, StateBadge },
  props: { params: { type: Object, default: () => ({}) } },
  setup() {
    const jobs = ref(null);
    const error = ref(null);
    const state = ref("");
    const poll = usePoll(async () => {
      const query = state.value ? `?state=${state.value}` : "";
      jobs.value = await api.get(`/jobs${query}`);
      error.value = null;
    }, 2000, (problem) => (error.value = problem));
    return { jobs, error, state, states: STATES, refresh: poll.refresh, formatTime };
  },
  template: `
    <section>
      <div class="page-head">
        <h1>Jobs</h1>
        <label for="job-state">State</label>
        <select id="job-state" v-model="state" @change="refresh">
          <option v-for="item in states" :key="item" :value="item">{{ item || "any" }}</option>
        </select>
      </div>
      <ErrorMessage :error="error" />
      <p v-if="jobs && !jobs.length" class="empty">No jobs.</p>
      <table v-if="jobs && jobs.length" class="list">
        <thead><tr><th>Job</th><th>Cluster</th><th>State</th><th>Progress</th><th>By</th><th>Created</th></tr></thead>
        <tbody>
          <tr v-for="job in jobs" :key="job.id" :data-job="job.id">
            <td><a :href="'#/jobs/' + job.id">{{ job.id }}: {{ job.name }}</a></td>
            <td>{{ job.cluster }}</td>
            <td><StateBadge :state="job.state" /></td>
            <td class="progress-cell"><ProgressBar :progress="job.progress" :state="job.state" /></td>
            <td>{{ job.created_by }}</td>
            <td>{{ formatTime(job.created_at) }}</td>
          </tr>
        </tbody>
      </table>
    </section>`,
};
