// Run a loader now and then every interval while the component is mounted. A failed load
// is reported through onError and the polling goes on, unless the session ended.
import { onBeforeUnmount, onMounted } from "vue";
import { session } from "./session.js";

export function usePoll(load, intervalMs, onError = () => {}) {
  let timer = null;
  let stopped = false;

  async function tick() {
    try {
      await load();
    } catch (error) {
      onError(error);
    }
    if (!stopped && session.token) {
      timer = setTimeout(tick, intervalMs);
    }
  }

  onMounted(tick);
  onBeforeUnmount(() => {
    stopped = true;
    clearTimeout(timer);
  });

  return {
    refresh: () => load().catch(onError),
  };
}
