// A state such as RUNNING, FAILED, CONNECTED or STARTED as a coloured badge.
export default {
  name: "StateBadge",
  props: { state: { type: String, default: "" } },
  template: `<span class="badge" :class="'state-' + (state || 'unknown').toLowerCase().replace(/\s+/g, '-')">{{ state || "UNKNOWN" }}</span>`,
};
