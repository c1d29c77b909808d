// The API client: the key the user signed in with (sessionStorage, never in a URL) goes in `X-API-Key`.

const KEY = "flotilla.key";
const ROLE = "flotilla.role";
const TIMEOUT_MS = 15000;

export const session = {
  get key() { return sessionStorage.getItem(KEY); },
  set key(value) { value ? sessionStorage.setItem(KEY, value) : sessionStorage.removeItem(KEY); },
  /** The key's role once the server told it (a 403 names it); null until then. */
  get role() { return sessionStorage.getItem(ROLE); },
  set role(value) { value ? sessionStorage.setItem(ROLE, value) : sessionStorage.removeItem(ROLE); },
  signOut() { sessionStorage.removeItem(KEY); sessionStorage.removeItem(ROLE); },
};

/** An error answer of any surface, with the server's code, message and details. */
export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details ?? {};
  }
}

/** Listeners told about a 401 (back to sign-in). */
const unauthorized = new Set();
export function onUnauthorized(listener) { unauthorized.add(listener); }

/** Parses an error body: `{error: {code, message, details}}` (surfaces A, D) or `{code, error, message}` (B). */
function errorOf(status, body, text) {
  if (body && typeof body.error === "object" && body.error) {
    return new ApiError(status, body.error.code, body.error.message, body.error.details);
  }
  if (body && typeof body.message === "string") {
    return new ApiError(status, typeof body.error === "string" ? body.error : String(status), body.message, body.details);
  }
  return new ApiError(status, String(status), text?.slice(0, 200) || `HTTP ${status}`);
}

/**
 * Calls the API: JSON in, JSON out (or text when `text: true`). Throws ApiError on a non-2xx answer, and on
 * 401 tells the listeners. Every call has a deadline.
 */
export async function api(method, path, { body, text = false, signal } = {}) {
  const headers = { "X-API-Key": session.key ?? "", Accept: text ? "text/plain" : "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const deadline = AbortSignal.timeout(TIMEOUT_MS);
  const response = await fetch(path, {
    method, headers, cache: "no-store", body: body === undefined ? undefined : JSON.stringify(body),
    signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
  });
  const raw = await response.text();
  let parsed = null;
  if (!text || !response.ok) { try { parsed = raw ? JSON.parse(raw) : null; } catch { parsed = null; } }
  if (!response.ok) {
    const error = errorOf(response.status, parsed, raw);
    if (response.status === 401) for (const listener of unauthorized) listener(error);
    if (response.status === 403) learnRole(error);
    throw error;
  }
  return text ? raw : parsed;
}

/** A 403 names the key's role (`details.role`, or "The reader role may not ..." on surface B). */
function learnRole(error) {
  const role = error.details?.role ?? /The (\w+) role/.exec(error.message ?? "")?.[1];
  if (role) session.role = role;
}

/** The role an action needs, as the server's permissions say. */
export const needs = { instances: "operator", workers: "operator" };
const rank = { reader: 0, operator: 1, admin: 2 };

/** Whether the key may do what needs `role`, as far as the dashboard knows (unknown role: it may try). */
export function mayDo(role) {
  const mine = session.role;
  return mine == null || (rank[mine] ?? 0) >= (rank[role] ?? 0);
}

/** The sentence shown for a failed call. */
export function describe(error, action) {
  if (error instanceof ApiError) {
    if (error.status === 403) {
      const role = error.details?.role ?? session.role ?? "unknown";
      const required = error.details?.requiredRole ? ` (needs ${error.details.requiredRole})` : "";
      return `Your key (role ${role}) may not ${action}${required}.`;
    }
    if (error.status === 429) return `Too many requests for this key: try again in a few seconds (${action}).`;
    return `Could not ${action}: ${error.message} (${error.code}, HTTP ${error.status}).`;
  }
  if (error?.name === "TimeoutError") return `Could not ${action}: the server did not answer in time.`;
  return `Could not ${action}: ${error?.message ?? error}.`;
}
