// A job's progress as a bar coloured by its state.
import { percent } from "../format.js";

export default {
  name: "ProgressBar",
  props: { progress: { type: Number, default: 0 }, state: { type: String, default: "PENDING" } },
  computed: {
    label() {
      return percent(this.progress);
    },
  },
  template: `
    <div class="progress" role="progressbar" :aria-valuenow="Math.round(progress * 100)" aria-valuemin="0" aria-valuemax="100">
      <div class="progress-fill" :class="'state-' + state.toLowerCase()" :style="{ width: label }"></div>
      <span class="progress-label">{{ label }}</span>
    </div>`,
};
