// The add-service wizard: choose a service, place its components on hosts, edit its
// configuration, review, install, then follow the job.
import { api, segment } from "../api.js";
import { cardinalityProblem, cardinalityRule } from "../format.js";
import { propertyProblem, valueToSend } from "../properties.js";
import ConfigField from "../components/config-field.js";
import ErrorMessage from "../components/error-message.js";
import JobDetail from "../components/job-detail.js";
import StateBadge from "../components/state-badge.js";

const STEPS = ["Service", "Placement", "Configuration", "Review", "Install"];

// Services to add for `name`: its required services that are not installed yet, each before
// the services that need it, then the service itself. Each entry says why it is added.
export function servicesToAdd(catalogue, installed, name) {
  const order = [];
  const visit = (serviceName, requiredBy) => {
    if (installed.includes(serviceName) || order.some((entry) => entry.name === serviceName)) {
      return;
    }
    const definition = catalogue.find((service) => service.name === serviceName);
    for (const required of definition.requires) {
      visit(required, definition.display_name);
    }
    order.push({ name: serviceName, definition, requiredBy });
  };
  visit(name, "");
  return order;
}

export default {
  name: "AddServicePage",
  components: { ConfigField, ErrorMessage, JobDetail, StateBadge },
  props: { params: { type: Object, required: true } },
  data() {
    return {
      steps: STEPS,
      step: 0,
      cluster: null,
      catalogue: [],
      hosts: [],
      chosen: "",
      placement: {},
      values: {},
      loadError: null,
      serverError: null,
      serverProblems: {},
      busy: false,
      jobs: [],
    };
  },
  async mounted() {
    const name = this.params.cluster;
    try {
      const [cluster, stacks, hosts] = await Promise.all([api.get(`/clusters/${segment(name)}`), api.get("/stacks"), api.get("/hosts")]);
      this.cluster = cluster;
      const stack = stacks.stacks.find((item) => item.name === cluster.stack_name && item.version === cluster.stack_version);
      if (!stack) {
        throw new Error(`stack ${cluster.stack_name} ${cluster.stack_version} of this cluster is not loaded on the server`);
      }
      this.catalogue = stack.services;
      this.hosts = hosts.filter((host) => host.cluster === cluster.name);
    } catch (error) {
      this.loadError = error;
    }
  },
  computed: {
    available() {
      return this.catalogue.filter((service) => !this.cluster.services.includes(service.name));
    },
    selection() {
      return this.chosen ? servicesToAdd(this.catalogue, this.cluster.services, this.chosen) : [];
    },
    placementProblems() {
      const problems = {};
      for (const { name, definition } of this.selection) {
        for (const component of definition.components) {
          const chosenHosts = this.placement[name]?.[component.name] || [];
          const problem = cardinalityProblem(component.cardinality, chosenHosts.length);
          if (problem) {
            problems[`${name}/${component.name}`] = problem;
          }
        }
      }
      return problems;
    },
    configProblems() {
      const problems = [];
      for (const { name, definition } of this.selection) {
        for (const file of definition.configs) {
          for (const property of file.properties) {
            const problem = propertyProblem(property, this.values[name]?.[file.file]?.[property.name]);
            if (problem) {
              problems.push(`${name} ${file.file} ${property.name} ${problem}`);
            }
          }
        }
      }
      return problems;
    },
    changes() {
      // Only values that differ from the stack's defaults are sent; passwords left empty are
      // not sent, so the server keeps its default.
      const changes = {};
      for (const { name, definition } of this.selection) {
        changes[name] = {};
        for (const file of definition.configs) {
          for (const property of file.properties) {
            const value = this.values[name][file.file][property.name];
            const unchangedPassword = property.type === "password" && !value;
            if (!unchangedPassword && String(value) !== String(property.default)) {
              changes[name][file.file] = changes[name][file.file] || {};
              changes[name][file.file][property.name] = valueToSend(property, value);
            }
          }
        }
      }
      return changes;
    },
  },
  methods: {
    segment,
    choose(name) {
      this.chosen = name;
      this.placement = {};
      this.values = {};
      for (const { name: serviceName, definition } of this.selection) {
        this.placement[serviceName] = {};
        for (const component of definition.components) {
          const { low } = cardinalityRule(component.cardinality);
          this.placement[serviceName][component.name] = this.hosts.slice(0, low).map((host) => host.hostname);
        }
        this.values[serviceName] = {};
        for (const file of definition.configs) {
          this.values[serviceName][file.file] = {};
          for (const property of file.properties) {
            this.values[serviceName][file.file][property.name] = property.default ?? (property.type === "bool" ? false : "");
          }
        }
      }
    },
    rule(component) {
      return cardinalityRule(component.cardinality).text;
    },
    placementText(name) {
      return Object.entries(this.placement[name]).map(([component, hosts]) => `${component} on ${hosts.join(", ") || "no host"}`);
    },
    async install() {
      this.busy = true;
      this.serverError = null;
      this.serverProblems = {};
      try {
        for (const { name } of this.selection) {
          if (this.jobs.some((job) => job.service === name)) {
            continue;
          }
          const job = await api.post(`/clusters/${segment(this.cluster.name)}/services`, {
            name,
            components: this.placement[name],
            configs: this.changes[name],
          });
          this.jobs.push({ service: name, id: job.id });
        }
        this.step = 4;
      } catch (error) {
        this.showServerError(error);
      } finally {
        this.busy = false;
      }
    },
    showServerError(error) {
      this.serverError = error;
      if (error.field === "configs") {
        // The server names the property: "property tickTime: value ... is invalid: ...".
        const match = /property (\S+): (.*)$/.exec(error.message);
        if (match) {
          this.serverProblems = { [match[1]]: match[2] };
        }
        this.step = 2;
      } else if (error.field?.startsWith("components")) {
        this.step = 1;
      }
    },
  },
  template: `
    <section class="card wizard">
      <h1>Add a service to {{ params.cluster }}</h1>
      <ol class="steps">
        <li v-for="(label, index) in steps" :key="label" :class="{ current: step === index, done: step > index }">{{ label }}</li>
      </ol>
      <ErrorMessage :error="loadError" />

      <div v-if="cluster && step === 0">
        <p v-if="!available.length" class="empty">Every service of this stack is installed.</p>
        <div class="service-choices">
          <label v-for="service in available" :key="service.name" class="choice" :class="{ selected: chosen === service.name }">
            <input type="radio" name="service" :value="service.name" :checked="chosen === service.name" @change="choose(service.name)">
            <strong>{{ service.display_name }}</strong> {{ service.version }}
            <span class="description">{{ service.description }}</span>
          </label>
        </div>
        <div v-if="selection.length > 1" class="notice" data-testid="required-services">
          <p>These services are added too:</p>
          <ul>
            <li v-for="entry in selection.filter((e) => e.requiredBy)" :key="entry.name">{{ entry.definition.display_name }}, because {{ entry.requiredBy }} requires it</li>
          </ul>
        </div>
        <div class="buttons">
          <a class="button secondary" :href="'#/clusters/' + segment(params.cluster)">Cancel</a>
          <button type="button" :disabled="!chosen" @click="step = 1">Next</button>
        </div>
      </div>

      <div v-else-if="step === 1">
        <p v-if="!hosts.length" class="error">Cluster {{ cluster.name }} has no hosts; attach hosts before adding a service.</p>
        <ErrorMessage :error="serverError" />
        <div v-for="entry in selection" :key="entry.name">
          <h2>{{ entry.definition.display_name }}</h2>
          <table class="list placement">
            <thead><tr><th>Component</th><th>Rule</th><th v-for="host in hosts" :key="host.hostname">{{ host.hostname }} <StateBadge :state="host.agent_state" /></th></tr></thead>
            <tbody>
              <tr v-for="component in entry.definition.components" :key="component.name" :data-component="component.name"
                  :class="{ invalid: placementProblems[entry.name + '/' + component.name] }">
                <td>{{ component.display_name }} <span class="type">{{ component.category }}</span></td>
                <td>{{ rule(component) }}
                  <p v-if="placementProblems[entry.name + '/' + component.name]" class="field-error">{{ placementProblems[entry.name + '/' + component.name] }}</p></td>
                <td v-for="host in hosts" :key="host.hostname">
                  <input type="checkbox" :value="host.hostname" v-model="placement[entry.name][component.name]"
                         :aria-label="component.name + ' on ' + host.hostname">
                </td>
              </tr>
            </tbody>
          </table>
        </div>
        <div class="buttons">
          <button type="button" class="secondary" @click="step = 0">Back</button>
          <button type="button" :disabled="Object.keys(placementProblems).length > 0 || !hosts.length" @click="step = 2">Next</button>
        </div>
      </div>

      <div v-else-if="step === 2">
        <ErrorMessage :error="serverError" />
        <div v-for="entry in selection" :key="entry.name">
          <h2>{{ entry.definition.display_name }}</h2>
          <fieldset v-for="file in entry.definition.configs" :key="file.file">
            <legend>{{ file.file }}</legend>
            <ConfigField v-for="property in file.properties" :key="property.name" :property="property" :file="file.file"
                         v-model="values[entry.name][file.file][property.name]" :server-problem="serverProblems[property.name] || ''" />
          </fieldset>
        </div>
        <div class="buttons">
          <button type="button" class="secondary" @click="step = 1">Back</button>
          <button type="button" @click="step = 3">Next</button>
        </div>
      </div>

      <div v-else-if="step === 3">
        <div v-for="entry in selection" :key="entry.name" class="review-service">
          <h2>{{ entry.definition.display_name }}</h2>
          <ul><li v-for="line in placementText(entry.name)" :key="line">{{ line }}</li></ul>
          <p v-if="!Object.keys(changes[entry.name]).length">Configuration: the stack's defaults.</p>
          <ul v-else>
            <template v-for="(properties, file) in changes[entry.name]" :key="file">
              <li v-for="(value, property) in properties" :key="property">{{ file }}: {{ property }} = {{ entry.definition.configs.find((f) => f.file === file).properties.find((p) => p.name === property).type === 'password' ? '••••' : value }}</li>
            </template>
          </ul>
        </div>
        <div v-if="configProblems.length" class="warning" data-testid="config-warnings">
          <p>{{ configProblems.length }} value(s) look invalid; the server checks them when you install:</p>
          <ul><li v-for="problem in configProblems" :key="problem">{{ problem }}</li></ul>
        </div>
        <ErrorMessage :error="serverError" />
        <div class="buttons">
          <button type="button" class="secondary" @click="step = 2">Back</button>
          <button type="button" :disabled="busy" @click="install">Install</button>
        </div>
      </div>

      <div v-else-if="step === 4">
        <p v-if="jobs.length > 1">Jobs: <a v-for="job in jobs" :key="job.id" :href="'#/jobs/' + job.id">{{ job.service }} (job {{ job.id }}) </a></p>
        <JobDetail :job-id="jobs[jobs.length - 1].id" />
        <p><a :href="'#/clusters/' + segment(params.cluster) + '/services/' + segment(chosen)">Go to the service</a></p>
      </div>
    </section>`,
};
