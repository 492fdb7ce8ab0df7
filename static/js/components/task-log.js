// The log of one task: followed live over server-sent events while the task runs, read
// whole once it has finished.
import { api, logStreamUrl } from "../api.js";
import ErrorMessage from "./error-message.js";

const FINISHED = ["SUCCESSFUL", "FAILED", "CANCELED"];

export default {
  name: "TaskLog",
  components: { ErrorMessage },
  props: {
    jobId: { type: Number, required: true },
    task: { type: Object, required: true },
  },
  data() {
    return { lines: [], following: false, endState: "", error: null, lastLine: 0 };
  },
  watch: {
    "task.id": { handler: "open", immediate: true },
  },
  beforeUnmount() {
    this.close();
  },
  methods: {
    open() {
      this.close();
      this.lines = [];
      this.lastLine = 0;
      this.endState = "";
      this.error = null;
      if (FINISHED.includes(this.task.state)) {
        this.readWhole();
      } else {
        this.follow();
      }
    },
    close() {
      if (this.source) {
        this.source.close();
        this.source = null;
      }
      this.following = false;
    },
    async readWhole() {
      try {
        const text = await api.get(`/jobs/${this.jobId}/tasks/${this.task.id}/log`);
        this.lines = text ? text.replace(/\n$/, "").split("\n") : [];
        this.endState = this.task.state;
      } catch (error) {
        this.error = error;
      }
    },
    follow() {
      const source = new EventSource(logStreamUrl(this.jobId, this.task.id));
      this.source = source;
      this.following = true;
      source.onmessage = (event) => {
        // After a reconnect the server sends the log from its first line again; each line's
        // event id is its line number, so lines already shown are skipped.
        const number = Number(event.lastEventId) || 0;
        if (number && number <= this.lastLine) {
          return;
        }
        this.lastLine = number || this.lastLine;
        this.lines.push(event.data);
        this.$nextTick(this.scrollToEnd);
      };
      source.addEventListener("end", (event) => {
        this.endState = JSON.parse(event.data).state;
        this.close();
      });
      source.onerror = () => {
        if (source.readyState === EventSource.CLOSED) {
          // The server rejected the stream (for example an expired token): read the log
          // once, which shows the server's message or signs out on 401.
          this.close();
          this.readWhole();
        }
      };
    },
    scrollToEnd() {
      const pane = this.$refs.pane;
      if (pane) {
        pane.scrollTop = pane.scrollHeight;
      }
    },
  },
  template: `
    <section class="log-pane">
      <header>
        <h3>Log of task {{ task.id }} on {{ task.host }}</h3>
        <span v-if="following" class="following">following live…</span>
        <span v-else-if="endState" class="ended">task {{ endState }}</span>
      </header>
      <ErrorMessage :error="error" />
      <pre ref="pane" class="log" data-testid="task-log">{{ lines.join("\\n") }}</pre>
    </section>`,
};
