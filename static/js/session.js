// The signed-in user and their bearer token. The token lives in sessionStorage, so it ends
// with the browser tab and is never shared with other tabs.
import { reactive } from "vue";

const STORAGE_KEY = "stackyard.session";

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(STORAGE_KEY)) || null;
  } catch {
    return null;
  }
}

const stored = load();

export const session = reactive({
  token: stored?.token ?? "",
  username: stored?.username ?? "",
  role: stored?.role ?? "",
  // A message the login page shows once, for example after the token expired.
  notice: "",
});

const ROLE_RANK = { viewer: 1, operator: 2, admin: 3 };

export function signIn({ token, username, role }) {
  Object.assign(session, { token, username, role, notice: "" });
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ token, username, role }));
}

export function signOut(notice = "") {
  Object.assign(session, { token: "", username: "", role: "", notice });
  sessionStorage.removeItem(STORAGE_KEY);
}

export function hasRole(role) {
  return (ROLE_RANK[session.role] ?? 0) >= ROLE_RANK[role];
}
