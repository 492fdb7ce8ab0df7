// A job with its stages and tasks, polled while it runs, with cancel, retry and a log pane.
import { api } from "../api.js";
import { hasRole } from "../session.js";
import { formatTime } from "../format.js";
import ConfirmDialog from "./confirm-dialog.js";
import ErrorMessage from "./error-message.js";
import ProgressBar from "./progress-bar.js";
import StateBadge from "./state-badge.js";
import TaskLog from "./task-log.js";

const FINISHED = ["SUCCESSFUL", "FAILED", "CANCELED"];
const POLL_MS = 1000;

export default {
  name: "JobDetail",
  components: { ConfirmDialog, ErrorMessage, ProgressBar, StateBadge, TaskLog },
  props: { jobId: { type: Number, required: true } },
  emits: ["finished"],
  data() {
    return { job: null, error: null, actionError: null, selectedTaskId: null, chosenByUser: false, confirming: false };
  },
  computed: {
    tasks() {
      return this.job ? this.job.stages.flatMap((stage) => stage.tasks) : [];
    },
    selectedTask() {
      return this.tasks.find((task) => task.id === this.selectedTaskId) || null;
    },
    canCancel() {
      return this.job && !FINISHED.includes(this.job.state) && hasRole("operator");
    },
    canRetry() {
      return this.job && ["FAILED", "CANCELED"].includes(this.job.state) && hasRole("operator");
    },
  },
  watch: {
    jobId() {
      this.job = null;
      this.selectedTaskId = null;
      this.chosenByUser = false;
      this.load();
    },
  },
  mounted() {
    this.load();
  },
  beforeUnmount() {
    clearTimeout(this.timer);
  },
  methods: {
    async load() {
      clearTimeout(this.timer);
      try {
        this.job = await api.get(`/jobs/${this.jobId}`);
        this.error = null;
        this.pickTask();
      } catch (error) {
        this.error = error;
      }
      if (this.job && FINISHED.includes(this.job.state)) {
        this.$emit("finished", this.job);
      } else {
        this.timer = setTimeout(this.load, POLL_MS);
      }
    },
    pickTask() {
      // Until the user picks a task, the pane follows the task that runs now, or else the
      // last task that ran.
      if (this.chosenByUser) {
        return;
      }
      const running = this.tasks.find((task) => task.state === "RUNNING");
      const started = this.tasks.filter((task) => task.started_at);
      const task = running || started[started.length - 1];
      if (task && task.id !== this.selectedTaskId) {
        this.selectedTaskId = task.id;
      }
    },
    choose(task) {
      this.chosenByUser = true;
      this.selectedTaskId = task.id;
    },
    async cancel() {
      this.confirming = false;
      try {
        this.job = await api.post(`/jobs/${this.jobId}/cancel`);
        this.actionError = null;
      } catch (error) {
        this.actionError = error;
      }
      this.load();
    },
    async retry() {
      try {
        this.job = await api.post(`/jobs/${this.jobId}/retry`);
        this.actionError = null;
        this.chosenByUser = false;
      } catch (error) {
        this.actionError = error;
      }
      this.load();
    },
    formatTime,
  },
  template: `
    <div class="job-detail">
      <ErrorMessage :error="error" />
      <template v-if="job">
        <div class="job-summary">
          <h2>Job {{ job.id }}: {{ job.name }}</h2>
          <StateBadge :state="job.state" data-testid="job-state" />
          <ProgressBar :progress="job.progress" :state="job.state" />
          <p class="meta">Cluster {{ job.cluster }} · by {{ job.created_by }} · created {{ formatTime(job.created_at) }}
            <template v-if="job.queue_position"> · position {{ job.queue_position }} in the queue</template></p>
          <p v-if="job.message" class="job-message">{{ job.message }}</p>
          <div class="buttons">
            <button v-if="canCancel" type="button" class="danger" @click="confirming = true">Cancel job</button>
            <button v-if="canRetry" type="button" @click="retry">Retry job</button>
          </div>
          <ErrorMessage :error="actionError" />
        </div>
        <table class="stages">
          <thead><tr><th>#</th><th>Stage</th><th>State</th><th>Tasks (click one to see its log)</th></tr></thead>
          <tbody>
            <tr v-for="stage in job.stages" :key="stage.id" :data-stage="stage.name">
              <td>{{ stage.position }}</td>
              <td>{{ stage.name }}</td>
              <td><StateBadge :state="stage.state" /></td>
              <td>
                <button v-for="task in stage.tasks" :key="task.id" type="button" class="task"
                        :class="{ selected: task.id === selectedTaskId }" @click="choose(task)">
                  {{ task.host }} <StateBadge :state="task.state" />
                  <span v-if="task.message" class="task-message">{{ task.message }}</span>
                </button>
              </td>
            </tr>
          </tbody>
        </table>
        <TaskLog v-if="selectedTask" :key="selectedTask.id + ':' + selectedTask.attempt" :job-id="job.id" :task="selectedTask" />
        <p v-else class="empty">No task has started yet.</p>
      </template>
      <ConfirmDialog v-if="confirming" title="Cancel this job?"
                     :message="'Pending stages of job ' + jobId + ' are dropped and its running tasks are killed.'"
                     confirm-label="Cancel job" @confirm="cancel" @cancel="confirming = false" />
    </div>`,
};
