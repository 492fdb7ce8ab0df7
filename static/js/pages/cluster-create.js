// The create-cluster wizard: details and stack, then hosts, then review and create.
import { api } from "../api.js";
import { expandHostText } from "../hostnames.js";
import { navigate } from "../router.js";
import ErrorMessage from "../components/error-message.js";
import StateBadge from "../components/state-badge.js";

const NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;
const ROOT_DIR_PATTERN = /^\/[A-Za-z0-9._/-]{0,254}$/;
const GROUP_PATTERN = /^[a-z_][a-z0-9_-]{0,31}$/;

export default {
  name: "ClusterCreatePage",
  components: { ErrorMessage, StateBadge },
  props: { params: { type: Object, default: () => ({}) } },
  data() {
    return {
      step: 1,
      name: "",
      description: "",
      rootDir: "/var/lib/stackyard",
      userGroup: "hadoop",
      stack: "",
      stacks: [],
      hostText: "",
      registered: [],
      loadError: null,
      error: null,
      busy: false,
    };
  },
  async mounted() {
    try {
      const [catalogue, hosts] = await Promise.all([api.get("/stacks"), api.get("/hosts")]);
      this.stacks = catalogue.stacks;
      this.stack = this.stacks.length ? `${this.stacks[0].name}/${this.stacks[0].version}` : "";
      this.registered = hosts;
    } catch (error) {
      this.loadError = error;
    }
  },
  computed: {
    detailProblems() {
      const problems = {};
      if (!NAME_PATTERN.test(this.name)) {
        problems.name = "must start with a lowercase letter and hold only lowercase letters, digits, '-' and '_' (at most 63 characters)";
      }
      if (!ROOT_DIR_PATTERN.test(this.rootDir)) {
        problems.rootDir = "must be an absolute path of letters, digits, '.', '_', '-' and '/'";
      }
      if (!GROUP_PATTERN.test(this.userGroup)) {
        problems.userGroup = "must be a valid group name";
      }
      if (!this.stack) {
        problems.stack = "choose a stack";
      }
      return problems;
    },
    expansion() {
      return expandHostText(this.hostText);
    },
    hostRows() {
      const byName = new Map(this.registered.map((host) => [host.hostname.toLowerCase(), host]));
      return this.expansion.hosts.map((entry) => {
        const host = byName.get(entry.name.toLowerCase());
        let problem = entry.problem;
        if (!problem && !host) {
          problem = "no agent has registered with this name";
        } else if (!problem && host.cluster && host.cluster !== this.name) {
          problem = `already in cluster ${host.cluster}`;
        }
        return { name: entry.name, problem, agentState: host ? host.agent_state : "NOT REGISTERED" };
      });
    },
    hostsValid() {
      return !this.expansion.error && this.hostRows.every((row) => !row.problem);
    },
  },
  methods: {
    useHost(hostname) {
      this.hostText = (this.hostText.trim() ? `${this.hostText.trim()}\n` : "") + hostname;
    },
    async create() {
      const [stackName, stackVersion] = this.stack.split("/");
      this.busy = true;
      try {
        const cluster = await api.post("/clusters", {
          name: this.name,
          description: this.description,
          root_dir: this.rootDir,
          user_group: this.userGroup,
          stack_name: stackName,
          stack_version: stackVersion,
          hosts: this.hostRows.map((row) => row.name),
        });
        navigate(`/clusters/${encodeURIComponent(cluster.name)}`);
      } catch (error) {
        this.error = error;
      } finally {
        this.busy = false;
      }
    },
  },
  template: `
    <section class="card wizard">
      <h1>Create a cluster</h1>
      <ol class="steps">
        <li :class="{ current: step === 1 }">Details</li>
        <li :class="{ current: step === 2 }">Hosts</li>
        <li :class="{ current: step === 3 }">Review</li>
      </ol>
      <ErrorMessage :error="loadError" />

      <form v-if="step === 1" @submit.prevent="step = 2">
        <div class="field" :class="{ invalid: name && detailProblems.name }">
          <label for="cluster-name">Name</label>
          <input id="cluster-name" v-model.trim="name" required>
          <p v-if="name && detailProblems.name" class="field-error">name {{ detailProblems.name }}</p>
        </div>
        <div class="field">
          <label for="cluster-description">Description</label>
          <input id="cluster-description" v-model="description" maxlength="2000">
        </div>
        <div class="field" :class="{ invalid: detailProblems.rootDir }">
          <label for="cluster-root-dir">Root directory</label>
          <input id="cluster-root-dir" v-model.trim="rootDir">
          <p class="hint">Folder under which services keep their config, data, logs and pid files.</p>
          <p v-if="detailProblems.rootDir" class="field-error">root directory {{ detailProblems.rootDir }}</p>
        </div>
        <div class="field" :class="{ invalid: detailProblems.userGroup }">
          <label for="cluster-group">Service user group</label>
          <input id="cluster-group" v-model.trim="userGroup">
          <p v-if="detailProblems.userGroup" class="field-error">group {{ detailProblems.userGroup }}</p>
        </div>
        <div class="field">
          <label for="cluster-stack">Stack</label>
          <select id="cluster-stack" v-model="stack">
            <option v-for="item in stacks" :key="item.name + '/' + item.version" :value="item.name + '/' + item.version">
              {{ item.name }} {{ item.version }} ({{ item.services.map((s) => s.display_name).join(", ") }})
            </option>
          </select>
        </div>
        <div class="buttons">
          <a class="button secondary" href="#/clusters">Cancel</a>
          <button type="submit" :disabled="Object.keys(detailProblems).length > 0">Next</button>
        </div>
      </form>

      <form v-else-if="step === 2" @submit.prevent="step = 3">
        <div class="field">
          <label for="cluster-hosts">Hosts</label>
          <textarea id="cluster-hosts" v-model="hostText" rows="4" placeholder="node-01, node-0[2-5].example.org"></textarea>
          <p class="hint">Names or patterns separated by commas, spaces or lines; node-0[1-3] is node-01, node-02 and node-03. You may leave this empty and attach hosts later.</p>
          <p v-if="expansion.error" class="field-error">{{ expansion.error }}</p>
        </div>
        <table v-if="hostRows.length" class="list hosts-preview">
          <thead><tr><th>Host</th><th>Agent</th><th>Problem</th></tr></thead>
          <tbody>
            <tr v-for="(row, index) in hostRows" :key="index" :class="{ invalid: row.problem }" :data-host="row.name">
              <td>{{ row.name }}</td>
              <td><StateBadge :state="row.agentState" /></td>
              <td class="problem">{{ row.problem }}</td>
            </tr>
          </tbody>
        </table>
        <div v-if="registered.length" class="registered">
          <p class="hint">Registered hosts not in a cluster:</p>
          <button v-for="host in registered.filter((h) => !h.cluster)" :key="host.hostname" type="button" class="chip" @click="useHost(host.hostname)">
            + {{ host.hostname }} <StateBadge :state="host.agent_state" />
          </button>
        </div>
        <div class="buttons">
          <button type="button" class="secondary" @click="step = 1">Back</button>
          <button type="submit" :disabled="!hostsValid">Next</button>
        </div>
      </form>

      <div v-else>
        <dl class="review">
          <dt>Name</dt><dd>{{ name }}</dd>
          <dt>Description</dt><dd>{{ description || "—" }}</dd>
          <dt>Root directory</dt><dd>{{ rootDir }}</dd>
          <dt>Service user group</dt><dd>{{ userGroup }}</dd>
          <dt>Stack</dt><dd>{{ stack }}</dd>
          <dt>Hosts</dt><dd>{{ hostRows.map((row) => row.name).join(", ") || "none yet" }}</dd>
        </dl>
        <ErrorMessage :error="error" />
        <div class="buttons">
          <button type="button" class="secondary" @click="step = 2">Back</button>
          <button type="button" :disabled="busy" @click="create">Create cluster</button>
        </div>
      </div>
    </section>`,
};
