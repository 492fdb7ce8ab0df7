// Every cluster with its health at a glance.
import { api } from "../api.js";
import { usePoll } from "../poll.js";
import { hasRole } from "../session.js";
import ErrorMessage from "../components/error-message.js";
import { ref } from "vue";

export default {
  name: "ClustersPage",
  components: { ErrorMessage },
  props: { params: { type: Object, default: () => ({}) } },
  setup() {
    const clusters = ref(null);
    const error = ref(null);
    usePoll(async () => {
      clusters.value = await api.get("/clusters");
      error.value = null;
    }, 5000, (problem) => (error.value = problem));
    return { clusters, error, hasRole };
  },
  methods: {
    healthClass(health) {
      if (health.hosts_connected < health.hosts || health.components_stopped > 0) {
        return "warn";
      }
      return "ok";
    },
  },
  template: `
    <section>
      <div class="page-head">
        <h1>Clusters</h1>
        <a v-if="hasRole('operator')" class="button" href="#/clusters/new">Create cluster</a>
      </div>
      <ErrorMessage :error="error" />
      <p v-if="clusters && !clusters.length" class="empty">No clusters yet. Create one to start adding services.</p>
      <table v-if="clusters && clusters.length" class="list">
        <thead><tr><th>Name</th><th>Stack</th><th>Services</th><th>Hosts connected</th><th>Components running</th><th>Jobs running</th></tr></thead>
        <tbody>
          <tr v-for="cluster in clusters" :key="cluster.id" :data-cluster="cluster.name">
            <td><a :href="'#/clusters/' + encodeURIComponent(cluster.name)">{{ cluster.name }}</a>
              <div class="description">{{ cluster.description }}</div></td>
            <td>{{ cluster.stack_name }} {{ cluster.stack_version }}</td>
            <td>{{ cluster.services.join(", ") || "—" }}</td>
            <td><span class="health" :class="healthClass(cluster.health)">{{ cluster.health.hosts_connected }} / {{ cluster.health.hosts }}</span></td>
            <td>{{ cluster.health.components_running }} running, {{ cluster.health.components_stopped }} stopped</td>
            <td>{{ cluster.health.jobs_running }}</td>
          </tr>
        </tbody>
      </table>
    </section>`,
};
