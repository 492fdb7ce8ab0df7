// One service: components by host with live status, actions, and its configuration.
import { api, segment } from "../api.js";
import { hasRole } from "../session.js";
import ConfigEditor from "../components/config-editor.js";
import ConfirmDialog from "../components/confirm-dialog.js";
import ErrorMessage from "../components/error-message.js";
import StateBadge from "../components/state-badge.js";

const POLL_MS = 2000;
const SERVICE_ACTIONS = ["start", "stop", "restart", "check"];

export default {
  name: "ServicePage",
  components: { ConfigEditor, ConfirmDialog, ErrorMessage, StateBadge },
  props: { params: { type: Object, required: true } },
  data() {
    return { cluster: null, service: null, error: null, actionError: null, pending: null, started: [], actions: SERVICE_ACTIONS };
  },
  computed: {
    base() {
      return `/clusters/${segment(this.params.cluster)}/services/${segment(this.params.service)}`;
    },
    canOperate() {
      return hasRole("operator");
    },
  },
  async mounted() {
    try {
      this.cluster = await api.get(`/clusters/${segment(this.params.cluster)}`);
    } catch (error) {
      this.error = error;
      return;
    }
    this.poll();
  },
  beforeUnmount() {
    clearTimeout(this.timer);
  },
  methods: {
    async poll() {
      try {
        await this.load();
      } catch (error) {
        this.error = error;
      }
      this.timer = setTimeout(this.poll, POLL_MS);
    },
    async load() {
      this.service = await api.get(this.base);
      this.error = null;
    },
    ask(action, component = null) {
      const target = component ? `${component} of ${this.service.display_name}` : `every component of ${this.service.display_name}`;
      this.pending = { action, component, title: `${action[0].toUpperCase()}${action.slice(1)} ${target}?` };
    },
    async run() {
      const { action, component } = this.pending;
      this.pending = null;
      const path = component ? `${this.base}/components/${segment(component)}/actions` : `${this.base}/actions`;
      await this.startJob(() => api.post(path, { action }));
    },
    askApply() {
      this.pending = { action: "apply", title: `Apply configuration version ${this.service.config_version}?`, message: "The configuration is written to every host, then the servers restart one by one." };
    },
    async confirm() {
      if (this.pending.action === "apply") {
        this.pending = null;
        await this.startJob(() => api.post(`${this.base}/configs/apply`, { batch_size: 1 }));
      } else {
        await this.run();
      }
    },
    async startJob(send) {
      try {
        const job = await send();
        this.actionError = null;
        this.started.unshift(job);
      } catch (error) {
        this.actionError = error;
      }
    },
  },
  template: `
    <section>
      <ErrorMessage :error="error" />
      <template v-if="service">
        <div class="page-head">
          <h1>{{ service.display_name }} on <a :href="'#/clusters/' + encodeURIComponent(service.cluster)">{{ service.cluster }}</a></h1>
          <StateBadge :state="service.state" />
          <span v-if="service.restart_required" class="badge state-warn" data-testid="restart-required">restart required</span>
        </div>

        <div v-if="canOperate" class="actions">
          <button v-for="action in actions" :key="action" type="button" :class="{ danger: action === 'stop' }" @click="ask(action)">{{ action[0].toUpperCase() + action.slice(1) }}</button>
          <button v-for="command in service.custom_commands" :key="command.component + command.name" type="button" class="secondary"
                  :title="command.description" @click="ask(command.name, command.component)">{{ command.name }} ({{ command.component }})</button>
          <button v-if="service.restart_required" type="button" @click="askApply">Apply configuration</button>
        </div>
        <ErrorMessage :error="actionError" />
        <ul v-if="started.length" class="started-jobs">
          <li v-for="job in started" :key="job.id">Started <a :href="'#/jobs/' + job.id">job {{ job.id }}: {{ job.name }}</a></li>
        </ul>

        <h2>Components</h2>
        <table class="list components">
          <thead><tr><th>Component</th><th>Host</th><th>State</th><th>Live status</th><th>Config version</th><th v-if="canOperate"></th></tr></thead>
          <tbody>
            <tr v-for="item in service.components" :key="item.component + '@' + item.host" :data-component="item.component" :data-host="item.host">
              <td>{{ item.component }} <span class="type">{{ item.category }}</span></td>
              <td>{{ item.host }}</td>
              <td><StateBadge :state="item.state" /></td>
              <td><StateBadge :state="item.live_status" data-testid="live-status" /></td>
              <td>{{ item.config_version }} <span v-if="item.restart_required" class="badge state-warn">restart required</span></td>
              <td v-if="canOperate">
                <template v-if="item.category === 'server'">
                  <button type="button" class="small secondary" @click="ask('start', item.component)">Start</button>
                  <button type="button" class="small secondary" @click="ask('stop', item.component)">Stop</button>
                  <button type="button" class="small secondary" @click="ask('restart', item.component)">Restart</button>
                </template>
              </td>
            </tr>
          </tbody>
        </table>

        <ConfigEditor v-if="cluster" :cluster="cluster" :service-name="service.name" @changed="load" />
      </template>
      <ConfirmDialog v-if="pending" :title="pending.title" :message="pending.message || 'A job runs the command on the hosts.'"
                     confirm-label="Run" @confirm="confirm" @cancel="pending = null" />
    </section>`,
};
