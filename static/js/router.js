// A hash router: "#/clusters/a1/services/zookeeper" selects a page and its parameters.
import { reactive } from "vue";

const routes = [];

export const route = reactive({ page: null, params: {}, path: "/" });

export function defineRoute(pattern, page) {
  const names = [];
  const source = pattern.replace(/:([a-zA-Z]+)/g, (_, name) => {
    names.push(name);
    return "([^/]+)";
  });
  routes.push({ regex: new RegExp(`^${source}$`), names, page });
}

export function navigate(path) {
  if (window.location.hash !== `#${path}`) {
    window.location.hash = path;
  } else {
    resolve();
  }
}

function resolve() {
  const path = window.location.hash.replace(/^#/, "") || "/";
  for (const { regex, names, page } of routes) {
    const match = regex.exec(path);
    if (match) {
      const params = {};
      names.forEach((name, index) => (params[name] = decodeURIComponent(match[index + 1])));
      Object.assign(route, { page, params, path });
      return;
    }
  }
  Object.assign(route, { page: null, params: {}, path });
}

export function startRouter() {
  window.addEventListener("hashchange", resolve);
  resolve();
}
