// Every registered host: its cluster, agent state, last heartbeat and components.
import { ref } from "vue";
import { api } from "../api.js";
import { timeAgo } from "../format.js";
import { usePoll } from "../poll.js";
import ErrorMessage from "../components/error-message.js";
import StateBadge from "../components/state-badge.js";

export default {
  name: "HostsPage",
  components: { ErrorMessage, StateBadge },
  props: { params: { type: Object, default: () => ({}) } },
  setup() {
    const hosts = ref(null);
    const error = ref(null);
    usePoll(async () => {
      hosts.value = await api.get("/hosts");
      error.value = null;
    }, 3000, (problem) => (error.value = problem));
    return { hosts, error, timeAgo };
  },
  methods: {
    memory(bytes) {
      return bytes ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : "—";
    },
  },
  template: `
    <section>
      <h1>Hosts</h1>
      <ErrorMessage :error="error" />
      <p v-if="hosts && !hosts.length" class="empty">No host has registered. Start a Stackyard agent on a host with a registration token.</p>
      <table v-if="hosts && hosts.length" class="list">
        <thead><tr><th>Host</th><th>Cluster</th><th>Agent</th><th>Last heartbeat</th><th>System</th><th>Components</th></tr></thead>
        <tbody>
          <tr v-for="host in hosts" :key="host.id" :data-host="host.hostname">
            <td>{{ host.hostname }}<div class="description">{{ host.ip_address }}</div></td>
            <td><a v-if="host.cluster" :href="'#/clusters/' + encodeURIComponent(host.cluster)">{{ host.cluster }}</a><span v-else>—</span></td>
            <td><StateBadge :state="host.agent_state" /> <span class="description">{{ host.agent_version }}</span></td>
            <td>{{ timeAgo(host.last_heartbeat_at) }}</td>
            <td>{{ host.os_family }} {{ host.os_release }} · {{ host.cpu_count }} CPUs · {{ memory(host.memory_bytes) }}</td>
            <td>
              <div v-for="item in host.components" :key="item.service + item.component">
                {{ item.service }}/{{ item.component }} <StateBadge :state="item.live_status || item.state" />
              </div>
              <span v-if="!host.components.length">—</span>
            </td>
          </tr>
        </tbody>
      </table>
    </section>`,
};
