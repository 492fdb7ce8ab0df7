// A service's configuration: edit the current version, list versions, compare two of them
// and revert to an older one.
import { api, segment } from "../api.js";
import { formatTime } from "../format.js";
import { propertyProblem, valueToSend } from "../properties.js";
import { hasRole } from "../session.js";
import ConfigField from "./config-field.js";
import ConfirmDialog from "./confirm-dialog.js";
import ErrorMessage from "./error-message.js";

export default {
  name: "ConfigEditor",
  components: { ConfigField, ConfirmDialog, ErrorMessage },
  props: {
    cluster: { type: Object, required: true },
    serviceName: { type: String, required: true },
  },
  emits: ["changed"],
  data() {
    return {
      definition: null,
      versions: [],
      values: {},
      message: "",
      error: null,
      saved: "",
      diffFrom: null,
      diffTo: null,
      diff: null,
      diffError: null,
      reverting: null,
      busy: false,
    };
  },
  computed: {
    base() {
      return `/clusters/${segment(this.cluster.name)}/services/${segment(this.serviceName)}/configs`;
    },
    current() {
      return this.versions.find((version) => version.current) || null;
    },
    canEdit() {
      return hasRole("operator");
    },
    changes() {
      const changes = {};
      for (const file of this.definition?.configs || []) {
        for (const property of file.properties) {
          const value = this.values[file.file]?.[property.name];
          const before = this.current?.configs[file.file]?.[property.name];
          const changed = property.type === "password" ? Boolean(value) : String(value ?? "") !== String(before ?? "");
          if (changed) {
            changes[file.file] = changes[file.file] || {};
            changes[file.file][property.name] = valueToSend(property, value);
          }
        }
      }
      return changes;
    },
    problemCount() {
      let count = 0;
      for (const file of this.definition?.configs || []) {
        for (const property of file.properties) {
          if (property.type !== "password" && propertyProblem(property, this.values[file.file]?.[property.name])) {
            count += 1;
          }
        }
      }
      return count;
    },
  },
  async mounted() {
    try {
      const stack = await api.get(`/stacks/${segment(this.cluster.stack_name)}/${segment(this.cluster.stack_version)}`);
      this.definition = stack.services.find((service) => service.name === this.serviceName);
      await this.loadVersions();
    } catch (error) {
      this.error = error;
    }
  },
  methods: {
    async loadVersions() {
      this.versions = await api.get(this.base);
      this.resetValues();
      if (this.versions.length >= 2) {
        this.diffFrom = this.versions[1].version;
        this.diffTo = this.versions[0].version;
      }
    },
    resetValues() {
      const values = {};
      for (const file of this.definition.configs) {
        values[file.file] = {};
        for (const property of file.properties) {
          const value = this.current?.configs[file.file]?.[property.name];
          values[file.file][property.name] = property.type === "password" ? "" : value ?? "";
        }
      }
      this.values = values;
    },
    async save() {
      this.busy = true;
      this.saved = "";
      try {
        const version = await api.post(this.base, { configs: this.changes, message: this.message });
        this.error = null;
        this.message = "";
        this.saved = `Saved as version ${version.version}. Apply it to write it to the hosts and restart the components.`;
        await this.loadVersions();
        this.$emit("changed");
      } catch (error) {
        this.error = error;
      } finally {
        this.busy = false;
      }
    },
    async compare() {
      try {
        this.diff = await api.get(`${this.base}/diff?from=${this.diffFrom}&to=${this.diffTo}`);
        this.diffError = null;
      } catch (error) {
        this.diffError = error;
      }
    },
    async revert() {
      const version = this.reverting;
      this.reverting = null;
      try {
        const created = await api.post(`${this.base}/revert`, { version });
        this.error = null;
        this.saved = `Reverted to version ${version} as version ${created.version}. Apply it to write it to the hosts.`;
        await this.loadVersions();
        this.$emit("changed");
      } catch (error) {
        this.error = error;
      }
    },
    show(value) {
      return value === null || value === undefined ? "—" : String(value);
    },
    formatTime,
  },
  template: `
    <section class="config-editor">
      <h2>Configuration <span v-if="current" class="meta">version {{ current.version }}</span></h2>
      <ErrorMessage :error="error" />
      <p v-if="saved" class="notice" role="status">{{ saved }}</p>
      <form v-if="definition && current" @submit.prevent="save">
        <fieldset v-for="file in definition.configs" :key="file.file" :disabled="!canEdit">
          <legend>{{ file.file }}</legend>
          <ConfigField v-for="property in file.properties" :key="property.name" :property="property" :file="file.file"
                       v-model="values[file.file][property.name]" />
        </fieldset>
        <div v-if="canEdit" class="save-row">
          <label for="config-message">Change message</label>
          <input id="config-message" v-model="message" maxlength="2000" placeholder="why you change it">
          <button type="submit" :disabled="busy || !Object.keys(changes).length">Save new version</button>
          <button type="button" class="secondary" @click="resetValues">Discard edits</button>
          <span v-if="problemCount" class="field-error">{{ problemCount }} value(s) look invalid; the server checks them when you save.</span>
        </div>
      </form>

      <h3>Versions</h3>
      <table class="list versions">
        <thead><tr><th>Version</th><th>Author</th><th>Message</th><th>Created</th><th></th></tr></thead>
        <tbody>
          <tr v-for="version in versions" :key="version.version" :data-version="version.version">
            <td>{{ version.version }} <span v-if="version.current" class="badge state-successful">current</span></td>
            <td>{{ version.author }}</td>
            <td>{{ version.message }}</td>
            <td>{{ formatTime(version.created_at) }}</td>
            <td><button v-if="!version.current && canEdit" type="button" class="secondary" @click="reverting = version.version">Revert to this</button></td>
          </tr>
        </tbody>
      </table>

      <div v-if="versions.length >= 2" class="diff">
        <h3>Compare versions</h3>
        <label for="diff-from">From</label>
        <select id="diff-from" v-model.number="diffFrom"><option v-for="v in versions" :key="v.version" :value="v.version">{{ v.version }}</option></select>
        <label for="diff-to">to</label>
        <select id="diff-to" v-model.number="diffTo"><option v-for="v in versions" :key="v.version" :value="v.version">{{ v.version }}</option></select>
        <button type="button" class="secondary" @click="compare">Compare</button>
        <ErrorMessage :error="diffError" />
        <template v-if="diff">
          <p v-if="!diff.changes.length">Versions {{ diff.from_version }} and {{ diff.to_version }} are the same.</p>
          <table v-else class="list diff-table">
            <thead><tr><th>File</th><th>Property</th><th>Version {{ diff.from_version }}</th><th>Version {{ diff.to_version }}</th></tr></thead>
            <tbody>
              <tr v-for="change in diff.changes" :key="change.file + change.property">
                <td>{{ change.file }}</td><td>{{ change.property }}</td>
                <td class="removed">{{ show(change.from) }}</td><td class="added">{{ show(change.to) }}</td>
              </tr>
            </tbody>
          </table>
        </template>
      </div>

      <ConfirmDialog v-if="reverting" title="Revert the configuration?"
                     :message="'A new version equal to version ' + reverting + ' is created. Apply it afterwards to write it to the hosts.'"
                     confirm-label="Revert" @confirm="revert" @cancel="reverting = null" />
    </section>`,
};
