// A modal confirmation: shows a question and emits confirm or cancel.
export default {
  name: "ConfirmDialog",
  props: {
    title: { type: String, required: true },
    message: { type: String, default: "" },
    confirmLabel: { type: String, default: "Confirm" },
  },
  emits: ["confirm", "cancel"],
  mounted() {
    this.$refs.confirm.focus();
  },
  template: `
    <div class="dialog-backdrop" @keydown.esc="$emit('cancel')">
      <div class="dialog" role="dialog" aria-modal="true" :aria-label="title">
        <h2>{{ title }}</h2>
        <p v-if="message">{{ message }}</p>
        <div class="buttons">
          <button type="button" class="secondary" @click="$emit('cancel')">Cancel</button>
          <button type="button" ref="confirm" @click="$emit('confirm')">{{ confirmLabel }}</button>
        </div>
      </div>
    </div>`,
};
