// An API error's message, or nothing when there is none.
export default {
  name: "ErrorMessage",
  props: { error: { type: [Object, String, null], default: null } },
  computed: {
    text() {
      if (!this.error) {
        return "";
      }
      return typeof this.error === "string" ? this.error : this.error.message;
    },
  },
  template: `<p v-if="text" class="error" role="alert">{{ text }}</p>`,
};
