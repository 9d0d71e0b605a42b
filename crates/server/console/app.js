// The console's shell: session check, hash routes, header, status line, idle timeout.

import { getSession, loadSession, onSessionLost, signOut } from "./api.js";
import { replace } from "./dom.js";
import { signInPage } from "./signin.js";
import { usersPage, groupsPage, agenciesPage } from "./identity.js";
import { policiesPage } from "./policies.js";
import { orgPage } from "./org.js";
import { editorPage } from "./editor.js";
import { simulatorPage } from "./simulator.js";
import { modelartsPage } from "./modelarts.js";
import { logPage } from "./log.js";
import { passwordPage } from "./password.js";

const ROUTES = {
  users: usersPage,
  groups: groupsPage,
  policies: policiesPage,
  agencies: agenciesPage,
  org: orgPage,
  editor: editorPage,
  simulator: simulatorPage,
  modelarts: modelartsPage,
  log: logPage,
  password: passwordPage,
};

const view = document.getElementById("view");
const statusEl = document.getElementById("status");
let idleTimer = null;
let signInMessage = "";

/** Shows a message in the status line (`error`: styled as an error). */
export function status(text, error) {
  statusEl.textContent = text || "";
  statusEl.classList.toggle("error", Boolean(error && text));
  statusEl.setAttribute("data-testid", error ? "status-error" : "status");
}

function parseRoute() {
  const hash = location.hash.replace(/^#\/?/, "");
  const [path, query] = hash.split("?");
  const params = new URLSearchParams(query || "");
  return { name: path.split("/")[0] || "users", params };
}

function resetIdle() {
  const s = getSession();
  if (idleTimer) clearTimeout(idleTimer);
  if (!s || !s.idle_timeout_seconds) return;
  idleTimer = setTimeout(() => {
    lost("You were signed out after " + Math.round(s.idle_timeout_seconds / 60) +
      " minutes without activity.");
  }, s.idle_timeout_seconds * 1000);
}

function lost(message) {
  signInMessage = message;
  if (idleTimer) clearTimeout(idleTimer);
  showSignedOut();
}

function showSignedOut() {
  document.getElementById("nav").hidden = true;
  document.getElementById("who").hidden = true;
  status("");
  replace(view, signInPage(signInMessage, () => {
    signInMessage = "";
    route();
  }));
}

async function route() {
  const s = getSession() || (await loadSession());
  if (!s) {
    showSignedOut();
    return;
  }
  resetIdle();
  document.getElementById("nav").hidden = false;
  document.getElementById("who").hidden = false;
  document.getElementById("signed-in-user").textContent =
    `${s.user_name} @ ${s.account_name}`;
  const parsed = parseRoute();
  // a password that must be changed comes before anything else
  const name = s.password_reset_required ? "password" : parsed.name;
  const params = parsed.params;
  const page = ROUTES[name] || ROUTES.users;
  for (const a of document.querySelectorAll("nav a")) {
    if (a.dataset.route === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  status("");
  const started = performance.now();
  const container = document.createElement("section");
  container.setAttribute("data-testid", `page-${name}`);
  replace(view, container);
  try {
    await page(container, params, { status, signedOut: lost });
  } catch (e) {
    // a lost session has already gone back to the sign-in page
    if (getSession()) status(String(e && e.message ? e.message : e), true);
  }
  view.dataset.renderMs = String(Math.round(performance.now() - started));
}

onSessionLost((message) => lost(message));
window.addEventListener("hashchange", () => route());
for (const ev of ["keydown", "pointerdown"]) {
  document.addEventListener(ev, () => { if (getSession()) resetIdle(); }, { passive: true });
}
document.getElementById("sign-out").addEventListener("click", async () => {
  try {
    await signOut();
  } catch {
    // the session is gone either way
  }
  lost("You signed out.");
});

route();
