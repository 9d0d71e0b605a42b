// The policy simulator: a principal (an IAM user, or an agency session named by its temporary
// access key), actions (one, or every action of a ModelArts scenario), a resource and context
// -> the decision per action with its explanation (`POST /v1/authorize`, in batches).

import { api, catalog, describe, listAll } from "./api.js";
import { h, field, button, replace, select, table, decision } from "./dom.js";

function statementText(s) {
  const where = s.layer === "scp" ? `SCP level ${s.level}` : s.layer;
  return `${s.effect} statement #${s.statement_index}${s.sid ? ` (Sid ${s.sid})` : ""} of policy ${s.policy_id} in ${where}`;
}

/** The explanation of one decision, for people. */
export function explanationNode(r) {
  const x = r.explanation || {};
  const parts = [];
  if (x.statements && x.statements.length) {
    parts.push(h("div", { "data-testid": "determining" }, h("strong", {}, r.decision === "allow" ? "Allowed by: " : "Denied by: "),
      x.statements.map(statementText).join("; ")));
  }
  if (x.reason) parts.push(h("div", { "data-testid": "reason" }, h("strong", {}, "Why: "), x.reason));
  for (const l of x.failing_layers || []) {
    if (l.layer === "scp") parts.push(h("div", { "data-testid": "scp-level" }, `SCP level ${l.level} (0 = root) lacks an Allow or denies.`));
  }
  if (x.failed_conditions && x.failed_conditions.length) {
    parts.push(h("div", { "data-testid": "failed-conditions" }, h("strong", {}, "Failing conditions:"),
      h("ul", {}, x.failed_conditions.map((c) => h("li", {},
        `${c.operator} ${c.key}: policy ${JSON.stringify(c.policy_values)}, request ${JSON.stringify(c.request_values)}${c.error ? ` (${c.error})` : ""}`)))));
  }
  for (const n of x.notes || []) parts.push(h("div", { class: "muted" }, n));
  if (r.message) parts.push(h("div", { class: "muted" }, r.message));
  return h("div", { class: "explanation" }, parts);
}

export async function simulatorPage(root, params, { status }) {
  const [cat, users] = await Promise.all([catalog(), listAll("/v5/users", "users")]);
  const kind = select({ id: "sim-principal-kind" }, [["user", "IAM user"], ["urn", "Principal URN (a user of a member account)"], ["session", "Agency session (temporary access key id)"]]);
  const user = select({ id: "sim-user", "data-testid": "sim-user" }, users.map((u) => [u.urn, u.user_name]), params.get("principal"));
  const ak = h("input", { id: "sim-access-key", size: "30" });
  const userField = field("User", user);
  const akField = field("Temporary access key id of the agency session", ak);
  const urn = h("input", { id: "sim-urn", size: "60", placeholder: "iam::<account-id>:user:<name>" });
  const urnField = field("Principal URN", urn);
  akField.hidden = true;
  urnField.hidden = true;
  kind.addEventListener("change", () => {
    userField.hidden = kind.value !== "user";
    urnField.hidden = kind.value !== "urn";
    akField.hidden = kind.value !== "session";
  });

  const actionsMode = select({ id: "sim-actions-mode" }, [["single", "One action"], ["scenario", "Every action of a ModelArts scenario"]]);
  const allActions = cat.services.flatMap((s) => s.actions.map((a) => a.name));
  const actionList = h("datalist", { id: "sim-action-list" }, allActions.map((a) => h("option", { value: a })));
  const action = h("input", { id: "sim-action", list: "sim-action-list", size: "40", "data-testid": "sim-action", value: params.get("action") || "" });
  const scenario = select({ id: "sim-scenario", "data-testid": "sim-scenario" }, cat.scenarios.map((s) => [s.id, `Table ${s.table}: ${s.name} (${s.actions.length} actions)`]));
  const actionField = field("Action", action);
  const scenarioField = field("Scenario", scenario);
  scenarioField.hidden = true;
  actionsMode.addEventListener("change", () => { actionField.hidden = actionsMode.value !== "single"; scenarioField.hidden = actionsMode.value === "single"; });

  const resource = h("input", { id: "sim-resource", size: "60", value: "*", "data-testid": "sim-resource" });
  const ctxRows = h("div", { id: "sim-context" });
  const keyList = h("datalist", { id: "sim-keys" }, cat.global_condition_keys.map((k) => h("option", { value: k.name })));
  function addContextRow() {
    const n = ctxRows.children.length + 1;
    const k = h("input", { id: `sim-ctx-key-${n}`, list: "sim-keys", size: "26" });
    const v = h("input", { id: `sim-ctx-value-${n}`, size: "30" });
    ctxRows.appendChild(h("div", { class: "row" }, field(`Context key ${n}`, k), field(`Value(s) ${n}, comma-separated`, v)));
  }
  const results = h("div", { id: "sim-results", "data-testid": "sim-results", "aria-live": "polite" });
  const run = h("button", { type: "submit", class: "primary", id: "sim-run", "data-testid": "sim-run" }, "Simulate");
  const form = h("form", { class: "card", id: "sim-form" },
    h("div", { class: "row" }, field("Principal", kind), userField, urnField, akField),
    h("div", { class: "row" }, field("Actions", actionsMode), actionField, scenarioField), actionList,
    field("Resource URN", resource, "* for any; a URN such as modelarts:cn-north-4:<account>:notebook:nb-1"),
    h("h3", {}, "Request context"), keyList, ctxRows, button("Add context key", addContextRow), " ", run);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const actions = actionsMode.value === "single" ? [action.value.trim()]
      : (cat.scenarios.find((s) => s.id === scenario.value) || { actions: [] }).actions;
    const context = {};
    for (const row of ctxRows.children) {
      const [k, v] = row.querySelectorAll("input");
      if (k.value.trim()) context[k.value.trim()] = v.value.split(",").map((x) => x.trim()).filter((x) => x);
    }
    const who = kind.value === "user" ? { principal: user.value }
      : kind.value === "urn" ? { principal: urn.value.trim() } : { access_key_id: ak.value.trim() };
    const requests = actions.filter((a) => a).map((a) => ({ ...who, action: a, resource: resource.value.trim() || "*", context }));
    if (!requests.length) { status("Name an action.", true); return; }
    run.disabled = true;
    try {
      const out = [];
      for (let i = 0; i < requests.length; i += 100) {
        const r = await api("POST", "/v1/authorize", { requests: requests.slice(i, i + 100) });
        out.push(...r.results);
      }
      const allowed = out.filter((r) => r.allowed).length;
      replace(results, h("p", { "data-testid": "sim-summary" }, `${allowed} of ${out.length} allowed.`), table([
        { title: "Action", cell: (r) => h("code", {}, r.action) },
        { title: "Resource", cell: (r) => h("code", {}, r.resource) },
        { title: "Decision", cell: (r) => decision(r.decision) },
        { title: "Explanation", cell: (r) => explanationNode(r) },
      ], out, { "data-testid": "sim-table" }));
    } catch (e) {
      replace(results, h("p", { class: "error-text", "data-testid": "sim-error" }, describe(e)));
    } finally {
      run.disabled = false;
    }
  });
  addContextRow();
  replace(root, h("h1", {}, "Policy simulator"),
    h("p", { class: "muted" }, "Decides requests with the stored policies of the principal, its account's SCPs and, for an agency session, the session's policies; nothing is executed."),
    form, results);
}
