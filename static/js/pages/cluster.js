// One cluster: its services, hosts and recent jobs.
import { ref } from "vue";
import { api, segment } from "../api.js";
import { timeAgo } from "../format.js";
import { usePoll } from "../poll.js";
import { hasRole } from "../session.js";
import ErrorMessage from "../components/error-message.js";
import ProgressBar from "../components/progress-bar.js";
import StateBadge from "../components/state-badge.js";

export default {
  name: "ClusterPage",
  components: { ErrorMessage, ProgressBar, StateBadge },
  props: { params: { type: Object, required: true } },
  setup(props) {
    const cluster = ref(null);
    const services = ref([]);
    const hosts = ref([]);
    const jobs = ref([]);
    const error = ref(null);
    const name = props.params.cluster;
    usePoll(async () => {
      const [clusterView, serviceList, hostList, jobList] = await Promise.all([
        api.get(`/clusters/${segment(name)}`),
        api.get(`/clusters/${segment(name)}/services`),
        api.get("/hosts"),
        api.get(`/jobs?cluster=${encodeURIComponent(name)}&limit=10`),
      ]);
      cluster.value = clusterView;
      services.value = serviceList;
      hosts.value = hostList.filter((host) => host.cluster === name);
      jobs.value = jobList;
      error.value = null;
    }, 3000, (problem) => (error.value = problem));
    return { cluster, services, hosts, jobs, error, hasRole, timeAgo, segment };
  },
  template: `
    <section>
      <ErrorMessage :error="error" />
      <template v-if="cluster">
        <div class="page-head">
          <h1>Cluster {{ cluster.name }}</h1>
          <a v-if="hasRole('operator')" class="button" :href="'#/clusters/' + segment(cluster.name) + '/add-service'">Add service</a>
        </div>
        <p class="description">{{ cluster.description }}</p>
        <p class="meta">Stack {{ cluster.stack_name }} {{ cluster.stack_version }} · root directory {{ cluster.root_dir }} · group {{ cluster.user_group }}</p>

        <h2>Services</h2>
        <p v-if="!services.length" class="empty">No services yet.</p>
        <table v-else class="list">
          <thead><tr><th>Service</th><th>State</th><th>Components</th><th>Config version</th></tr></thead>
          <tbody>
            <tr v-for="service in services" :key="service.id" :data-service="service.name">
              <td><a :href="'#/clusters/' + segment(cluster.name) + '/services/' + segment(service.name)">{{ service.display_name }}</a>
                <span v-if="service.restart_required" class="badge state-warn">restart required</span></td>
              <td><StateBadge :state="service.state" /></td>
              <td>{{ service.components.filter((c) => c.live_status === 'RUNNING').length }} running of {{ service.components.length }}</td>
              <td>{{ service.config_version }}</td>
            </tr>
          </tbody>
        </table>

        <h2>Hosts</h2>
        <p v-if="!hosts.length" class="empty">No hosts in this cluster.</p>
        <table v-else class="list">
          <thead><tr><th>Host</th><th>Agent</th><th>Last heartbeat</th><th>Components</th></tr></thead>
          <tbody>
            <tr v-for="host in hosts" :key="host.id">
              <td>{{ host.hostname }}</td>
              <td><StateBadge :state="host.agent_state" /></td>
              <td>{{ timeAgo(host.last_heartbeat_at) }}</td>
              <td>{{ host.components.map((c) => c.component).join(", ") || "—" }}</td>
            </tr>
          </tbody>
        </table>

        <h2>Recent jobs</h2>
        <p v-if="!jobs.length" class="empty">No jobs yet.</p>
        <table v-else class="list">
          <tbody>
            <tr v-for="job in jobs" :key="job.id">
              <td><a :href="'#/jobs/' + job.id">{{ job.id }}: {{ job.name }}</a></td>
              <td><StateBadge :state="job.state" /></td>
              <td class="progress-cell"><ProgressBar :progress="job.progress" :state="job.state" /></td>
            </tr>
          </tbody>
        </table>
      </template>
    </section>`,
};
