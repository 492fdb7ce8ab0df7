// One config property as an input that suits its type, with its problem shown inline.
import { numberRange, propertyProblem } from "../properties.js";

export default {
  name: "ConfigField",
  props: {
    property: { type: Object, required: true },
    modelValue: { default: null },
    file: { type: String, required: true },
    serverProblem: { type: String, default: "" },
  },
  emits: ["update:modelValue"],
  computed: {
    id() {
      return `config-${this.file}-${this.property.name}`.replace(/[^A-Za-z0-9_-]/g, "-");
    },
    range() {
      return numberRange(this.property);
    },
    problem() {
      return propertyProblem(this.property, this.modelValue) || this.serverProblem;
    },
    value: {
      get() {
        return this.modelValue;
      },
      set(value) {
        this.$emit("update:modelValue", value);
      },
    },
  },
  template: `
    <div class="field" :class="{ invalid: problem }" :data-property="property.name">
      <label :for="id">{{ property.name }} <span class="type">{{ property.type }}</span></label>
      <input v-if="property.type === 'int' || property.type === 'port'" :id="id" type="number" step="1"
             :min="range.low ?? undefined" :max="range.high ?? undefined" v-model="value" :aria-invalid="!!problem">
      <input v-else-if="property.type === 'bool'" :id="id" type="checkbox" v-model="value">
      <select v-else-if="property.type === 'enum'" :id="id" v-model="value">
        <option v-for="choice in property.choices" :key="choice" :value="choice">{{ choice }}</option>
      </select>
      <input v-else-if="property.type === 'password'" :id="id" type="password" autocomplete="new-password"
             v-model="value" placeholder="unchanged">
      <textarea v-else-if="property.type === 'longtext'" :id="id" rows="6" v-model="value"></textarea>
      <input v-else :id="id" type="text" v-model="value" :aria-invalid="!!problem">
      <p class="hint">{{ property.description }}<template v-if="range.low !== null || range.high !== null"> Range: {{ range.low ?? "…" }} to {{ range.high ?? "…" }}.</template></p>
      <p v-if="problem" class="field-error">{{ property.name }} {{ problem }}</p>
    </div>`,
};
