// The application shell: header with the signed-in user, navigation and the current page.
import { createApp } from "vue";
import { api } from "./api.js";
import { defineRoute, navigate, route, startRouter } from "./router.js";
import { session, signOut } from "./session.js";
import AddServicePage from "./pages/add-service.js";
import ClusterCreatePage from "./pages/cluster-create.js";
import ClusterPage from "./pages/cluster.js";
import ClustersPage from "./pages/clusters.js";
import HostsPage from "./pages/hosts.js";
import JobPage from "./pages/job.js";
import JobsPage from "./pages/jobs.js";
import LoginPage from "./pages/login.js";
import ServicePage from "./pages/service.js";

defineRoute("/login", LoginPage);
defineRoute("/", ClustersPage);
defineRoute("/clusters", ClustersPage);
defineRoute("/clusters/new", ClusterCreatePage);
defineRoute("/clusters/:cluster", ClusterPage);
defineRoute("/clusters/:cluster/add-service", AddServicePage);
defineRoute("/clusters/:cluster/services/:service", ServicePage);
defineRoute("/hosts", HostsPage);
defineRoute("/jobs", JobsPage);
defineRoute("/jobs/:job", JobPage);

const App = {
  name: "StackyardApp",
  setup() {
    return { route, session };
  },
  computed: {
    page() {
      if (!session.token) {
        return LoginPage;
      }
      return route.page;
    },
    // Remount the page when its parameters change, so each page loads its own data once.
    pageKey() {
      return session.token ? route.path : "login";
    },
  },
  watch: {
    "session.token"(token) {
      if (token && route.page === LoginPage) {
        navigate("/clusters");
      }
    },
  },
  methods: {
    async logout() {
      try {
        await api.post("/auth/logout");
      } catch {
        // The token is dropped in the browser even when the server cannot revoke it.
      }
      signOut("You are logged out.");
      navigate("/login");
    },
    active(prefix) {
      return route.path === prefix || route.path.startsWith(`${prefix}/`);
    },
  },
  template: `
    <header class="topbar">
      <a class="brand" href="#/clusters">Stackyard</a>
      <nav v-if="session.token">
        <a href="#/clusters" :class="{ active: active('/clusters') || route.path === '/' }">Clusters</a>
        <a href="#/hosts" :class="{ active: active('/hosts') }">Hosts</a>
        <a href="#/jobs" :class="{ active: active('/jobs') }">Jobs</a>
        <a href="/api/v1/docs" target="_blank" rel="noopener">API</a>
      </nav>
      <div v-if="session.token" class="user">
        <span data-testid="user-name">{{ session.username }}</span>
        <span class="role" data-testid="user-role">{{ session.role }}</span>
        <button type="button" class="secondary" @click="logout">Log out</button>
      </div>
    </header>
    <main>
      <component v-if="page" :is="page" :key="pageKey" :params="route.params" />
      <section v-else class="card">
        <h1>Page not found</h1>
        <p>No page is at {{ route.path }}. <a href="#/clusters">Go to the clusters.</a></p>
      </section>
    </main>`,
};

startRouter();
createApp(App).mount("#app");
