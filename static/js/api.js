// The REST client of the UI: every request goes to /api/v1 with the session's bearer token.
import { session, signOut } from "./session.js";
import { navigate } from "./router.js";

export const API_ROOT = "/api/v1";
export const SESSION_EXPIRED = "Your session expired, log in again.";

export class ApiError extends Error {
  constructor(status, body) {
    super(describe(status, body));
    this.status = status;
    this.field = body?.field ?? "";
  }
}

function describe(status, body) {
  if (body && typeof body.message === "string" && body.message) {
    return body.message;
  }
  return `the server answered HTTP ${status} without a message`;
}

async function readBody(response) {
  const type = response.headers.get("Content-Type") || "";
  if (type.startsWith("application/json")) {
    return response.json();
  }
  return response.text();
}

export async function request(method, path, body) {
  const headers = { Accept: "application/json" };
  if (session.token) {
    headers.Authorization = `Bearer ${session.token}`;
  }
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
  }

  let response;
  try {
    response = await fetch(API_ROOT + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new ApiError(0, { message: `cannot reach the Stackyard server (${error.message}); check that it is running` });
  }

  const content = response.status === 204 ? null : await readBody(response);
  if (response.status === 401 && session.token) {
    signOut(SESSION_EXPIRED);
    navigate("/login");
  }
  if (!response.ok) {
    throw new ApiError(response.status, typeof content === "object" ? content : { message: content });
  }
  return content;
}

export const api = {
  get: (path) => request("GET", path),
  post: (path, body = {}) => request("POST", path, body),
  put: (path, body) => request("PUT", path, body),
  patch: (path, body) => request("PATCH", path, body),
  delete: (path) => request("DELETE", path),
};

// Path segment for a name in a URL, for example a cluster or host name.
export function segment(name) {
  return encodeURIComponent(name);
}

// URL of a task's log as server-sent events; EventSource cannot send headers, so the token
// goes in the query string, which the server accepts for log routes only.
export function logStreamUrl(jobId, taskId) {
  return `${API_ROOT}/jobs/${jobId}/tasks/${taskId}/log?follow=true&access_token=${encodeURIComponent(session.token)}`;
}
