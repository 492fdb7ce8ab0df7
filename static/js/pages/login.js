// Log in with a user name and password; the token is kept for this browser tab.
import { api } from "../api.js";
import { navigate } from "../router.js";
import { session, signIn } from "../session.js";
import ErrorMessage from "../components/error-message.js";

export default {
  name: "LoginPage",
  components: { ErrorMessage },
  props: { params: { type: Object, default: () => ({}) } },
  data() {
    return { username: "", password: "", error: null, busy: false, session };
  },
  methods: {
    async submit() {
      this.busy = true;
      try {
        const answer = await api.post("/auth/login", { username: this.username, password: this.password });
        signIn({ token: answer.token, username: answer.username, role: answer.role });
        navigate("/clusters");
      } catch (error) {
        this.error = error;
      } finally {
        this.busy = false;
      }
    },
  },
  template: `
    <section class="card login">
      <h1>Log in to Stackyard</h1>
      <p v-if="session.notice" class="notice" role="status">{{ session.notice }}</p>
      <form @submit.prevent="submit">
        <label for="login-username">User name</label>
        <input id="login-username" v-model="username" autocomplete="username" required autofocus>
        <label for="login-password">Password</label>
        <input id="login-password" v-model="password" type="password" autocomplete="current-password" required>
        <ErrorMessage :error="error" />
        <button type="submit" :disabled="busy">Log in</button>
      </form>
    </section>`,
};
