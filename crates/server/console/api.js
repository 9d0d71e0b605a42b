// The console's one way to call the server: same-origin fetch with the session cookie and the
// CSRF header; errors keep Huawei's {error_code, error_msg}. A 401 means the session is gone.

let session = null;
let onLost = () => {};

export class ApiError extends Error {
  constructor(status, code, msg, body) {
    super(msg || `HTTP ${status}`);
    this.status = status;
    this.code = code || "";
    this.body = body;
  }
}

export function getSession() {
  return session;
}

export function setSession(s) {
  session = s;
}

/** What to do when a call answers 401 (the session expired or was signed out). */
export function onSessionLost(fn) {
  onLost = fn;
}

async function send(method, path, body, csrf) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (csrf && session) headers["X-CSRF-Token"] = session.csrf_token;
  const resp = await fetch(path, {
    method,
    credentials: "same-origin",
    cache: "no-store",
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await resp.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { error_msg: text };
    }
  }
  if (!resp.ok) {
    throw new ApiError(resp.status, data && data.error_code, data && data.error_msg, data);
  }
  return data;
}

/** An API call as the signed-in user. */
export async function api(method, path, body) {
  try {
    return await send(method, path, body, true);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401 && session) {
      session = null;
      onLost("Your session ended (signed out or idle for too long). Sign in again.");
    } else if (e instanceof ApiError && e.code === "CONSOLE.0007" && session && !session.password_reset_required) {
      // the password expired during the session: the password page comes first
      session.password_reset_required = true;
      location.hash = "#/password";
    }
    throw e;
  }
}

/** Every item of a marker-paged list (`page_info.next_marker`), up to `max`. */
export async function listAll(path, member, max = 1000) {
  const out = [];
  let marker = null;
  for (;;) {
    const sep = path.includes("?") ? "&" : "?";
    const url = marker ? `${path}${sep}limit=200&marker=${encodeURIComponent(marker)}`
      : `${path}${sep}limit=200`;
    const page = await api("GET", url);
    out.push(...(page[member] || []));
    marker = page.page_info && page.page_info.next_marker;
    if (!marker || out.length >= max) return out;
  }
}

export async function signIn(body) {
  const r = await send("POST", "/console/api/sign-in", body, false);
  session = r.session;
  return session;
}

export async function loadSession() {
  try {
    const r = await send("GET", "/console/api/session", undefined, false);
    session = r.session;
  } catch {
    session = null;
  }
  return session;
}

export async function signOut() {
  try {
    await send("POST", "/console/api/sign-out", undefined, true);
  } finally {
    session = null;
  }
}

let catalogPromise = null;

/** The service catalog (`GET /v1/catalog`), fetched once per page load. */
export function catalog() {
  if (!catalogPromise) {
    catalogPromise = api("GET", "/v1/catalog").catch((e) => {
      catalogPromise = null;
      throw e;
    });
  }
  return catalogPromise;
}

/** A message for an error, for people. */
export function describe(e) {
  if (e instanceof ApiError) return `${e.code ? e.code + ": " : ""}${e.message}`;
  return String(e && e.message ? e.message : e);
}
