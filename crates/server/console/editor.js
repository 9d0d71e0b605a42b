// The policy editor: a visual mode (service -> actions with access levels, resources by
// resource type with URN templates, conditions with the catalog's keys and operators) and a
// JSON mode with live validation (`POST /v5/policies/validate`, debounced) whose findings are
// marked at their line in the gutter. Both modes edit one document: switching keeps it.

import { api, catalog, describe, listAll } from "./api.js";
import { h, field, button, replace, select, newId } from "./dom.js";
import { attachControl } from "./policies.js";

const enc = encodeURIComponent;

const TYPES = {
  identity: { label: "Identity policy", body: { policy_type: "identity_policy" } },
  scp: { label: "Service control policy (SCP)", body: { policy_type: "service_control_policy" } },
  trust: { label: "Agency trust policy", body: { policy_type: "resource_policy", validate_policy_resource_type: "iam:agency" } },
};

const STARTER = {
  Version: "5.0",
  Statement: [{ Effect: "Allow", Action: ["modelarts:notebook:list"], Resource: ["*"] }],
};

/** The UTF-16 index of a 1-based line and a 0-based column counted in code points. */
export function indexOf(text, line, column) {
  let i = 0;
  for (let l = 1; l < line; l += 1) {
    const nl = text.indexOf("\n", i);
    if (nl < 0) return text.length;
    i = nl + 1;
  }
  for (let c = 0; c < column && i < text.length; c += 1) {
    const code = text.codePointAt(i);
    if (text[i] === "\n") break;
    i += code > 0xffff ? 2 : 1;
  }
  return i;
}

function asList(v) {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

function templateToPattern(t) {
  return t.replace(/<[^>]*>/g, "*");
}

export async function editorPage(root, params, { status }) {
  const cat = await catalog();
  const policyId = params.get("policy");
  const agencyId = params.get("agency");
  let kind = agencyId ? "trust" : (params.get("type") in TYPES ? params.get("type") : "identity");
  let mode = "json";
  let doc = structuredClone(STARTER);
  let existing = null;
  if (policyId) {
    try {
      existing = (await api("GET", `/v5/policies/${enc(policyId)}`)).policy;
      const vs = await listAll(`/v5/policies/${enc(policyId)}/versions`, "versions");
      const def = vs.find((v) => v.is_default);
      if (def) doc = JSON.parse(def.document);
    } catch (e) { status(describe(e), true); }
  } else if (agencyId) {
    try {
      const a = (await api("GET", `/v5/agencies/${enc(agencyId)}`)).agency;
      existing = a;
      doc = JSON.parse(a.trust_policy);
    } catch (e) { status(describe(e), true); }
  }

  // ---- JSON mode ----------------------------------------------------------------------------
  const text = h("textarea", { id: "policy-json", "data-testid": "policy-json", spellcheck: "false",
    autocomplete: "off", "aria-describedby": "findings-summary", wrap: "off" });
  const gutter = h("div", { class: "gutter", "aria-hidden": "true", id: "editor-gutter" });
  const code = h("div", { class: "code" }, gutter, text);
  const findingsList = h("ul", { class: "findings", id: "findings", "data-testid": "findings" });
  const summary = h("p", { id: "findings-summary", role: "status", "data-testid": "findings-summary" });
  let findings = [];
  let timer = null;
  let seq = 0;

  function drawGutter() {
    const lines = text.value.split("\n").length;
    const marks = new Map();
    for (const f of findings) {
      for (const loc of f.locations || []) {
        const line = loc.span && loc.span.start ? loc.span.start.line : null;
        if (!line) continue;
        const sev = f.finding_type === "error" ? "error" : "warning";
        if (marks.get(line) !== "error") marks.set(line, sev);
      }
    }
    const rows = [];
    for (let l = 1; l <= lines; l += 1) {
      const m = marks.get(l);
      rows.push(h("div", { class: m ? `mark-${m}` : null, "data-line": l, "data-mark": m || null,
        title: m ? findings.filter((f) => (f.locations || []).some((x) => x.span.start.line === l)).map((f) => f.finding_details).join("\n") : null }, String(l)));
    }
    replace(gutter, rows);
    gutter.scrollTop = text.scrollTop;
  }

  function drawFindings(ms) {
    const errors = findings.filter((f) => f.finding_type === "error").length;
    summary.textContent = findings.length === 0 ? "No findings: the document is valid."
      : `${findings.length} finding(s), ${errors} error(s).`;
    summary.dataset.validateMs = String(ms);
    replace(findingsList, findings.map((f) => {
      const start = f.locations && f.locations[0] && f.locations[0].span ? f.locations[0].span.start : null;
      const end = f.locations && f.locations[0] && f.locations[0].span ? f.locations[0].span.end : null;
      const where = start ? `Line ${start.line}, column ${start.column + 1}` : "Document";
      return h("li", { class: `finding-${f.finding_type}` }, button(
        [h("strong", {}, `${where}: `), `${f.finding_type} ${f.issue_code}: `, f.finding_details],
        () => {
          if (mode !== "json") setMode("json");
          if (start) {
            const a = indexOf(text.value, start.line, start.column);
            const b = end ? indexOf(text.value, end.line, end.column) : a;
            text.focus();
            text.setSelectionRange(a, Math.max(a, b));
          }
        }, { "data-testid": "finding", "data-line": start ? start.line : "", "data-type": f.finding_type, "data-code": f.issue_code }));
    }));
    drawGutter();
  }

  async function validate() {
    const mine = ++seq;
    const started = performance.now();
    try {
      const r = await api("POST", "/v5/policies/validate?limit=200", { policy_document: text.value || " ", ...TYPES[kind].body });
      if (mine !== seq) return;
      findings = r.findings || [];
    } catch (e) {
      if (mine !== seq) return;
      findings = [];
      summary.textContent = describe(e);
    }
    drawFindings(Math.round(performance.now() - started));
  }

  function scheduleValidation() {
    if (timer) clearTimeout(timer);
    summary.textContent = "Validating...";
    timer = setTimeout(validate, 300);
  }

  text.addEventListener("input", () => { drawGutter(); scheduleValidation(); });
  text.addEventListener("scroll", () => { gutter.scrollTop = text.scrollTop; });

  // ---- visual mode --------------------------------------------------------------------------
  const visual = h("div", { id: "visual-editor", "data-testid": "visual-editor" });
  const services = cat.services;
  const globalKeys = cat.global_condition_keys;
  const keyList = h("datalist", { id: "condition-keys" });
  const opNames = cat.operators.map((o) => o.name);

  function serviceOf(action) {
    return String(action).split(":")[0].toLowerCase();
  }

  function changed() {
    text.value = JSON.stringify(doc, null, 2);
    drawGutter();
    scheduleValidation();
  }

  function drawVisual() {
    if (!doc || typeof doc !== "object" || !Array.isArray(doc.Statement)) {
      replace(visual, h("p", {}, "The visual mode edits documents with a Statement list; use the JSON mode."));
      return;
    }
    const cards = doc.Statement.map((st, i) => statementCard(st, i));
    replace(visual, keyList, cards, button("Add statement", () => {
      doc.Statement.push({ Effect: "Allow", Action: [], Resource: ["*"] });
      changed();
      drawVisual();
    }, { id: "add-statement" }));
  }

  function statementCard(st, i) {
    const card = h("fieldset", { class: "card", "data-testid": `statement-${i}` }, h("legend", {}, `Statement ${i + 1}${st.Sid ? ` (${st.Sid})` : ""}`));
    const effect = select({ id: `st${i}-effect` }, ["Allow", "Deny"], st.Effect);
    effect.addEventListener("change", () => { st.Effect = effect.value; changed(); });
    const actions = asList(st.Action);
    const first = actions.find((a) => services.some((s) => s.name === serviceOf(a)));
    let svcName = first ? serviceOf(first) : "modelarts";
    if (!services.some((s) => s.name === svcName)) svcName = services[0] ? services[0].name : "";
    const svc = select({ id: `st${i}-service`, "data-testid": "visual-service" }, services.map((s) => [s.name, `${s.display_name || s.name} (${s.name})`]), svcName);
    const filter = h("input", { id: `st${i}-filter`, type: "search", placeholder: "filter actions" });
    const list = h("div", { class: "actions-list", role: "group", "aria-label": "Actions" });
    const resources = h("div");
    const conditions = h("div");

    function drawActions() {
      const service = services.find((s) => s.name === svc.value);
      const q = filter.value.toLowerCase();
      const current = new Set(asList(st.Action));
      const boxes = [];
      const all = `${svc.value}:*:*`;
      const allId = newId("a");
      const allBox = h("input", { type: "checkbox", id: allId, checked: current.has(all) || current.has(`${svc.value}:*`) });
      allBox.addEventListener("change", () => {
        const rest = asList(st.Action).filter((a) => a !== all && a !== `${svc.value}:*`);
        st.Action = allBox.checked ? [...rest, all] : rest;
        changed();
        drawActions();
      });
      boxes.push(h("div", {}, allBox, h("label", { for: allId }, `Every ${svc.value} action (${all})`)));
      for (const a of service ? service.actions : []) {
        if (q && !a.name.toLowerCase().includes(q) && !a.access_level.toLowerCase().includes(q)) continue;
        const id = newId("a");
        const box = h("input", { type: "checkbox", id, value: a.name, checked: current.has(a.name), "data-action": a.name });
        box.addEventListener("change", () => {
          const rest = asList(st.Action).filter((x) => x !== a.name);
          st.Action = box.checked ? [...rest, a.name] : rest;
          changed();
          drawResources();
          drawConditions();
        });
        boxes.push(h("div", {}, box, h("label", { for: id, title: a.description }, a.name), h("span", { class: "level" }, a.access_level)));
      }
      const others = asList(st.Action).filter((a) => serviceOf(a) !== svc.value);
      replace(list, boxes, others.length ? h("p", { class: "muted" }, `Other services' actions kept: ${others.join(", ")}`) : null);
    }

    function selectedActions() {
      const names = new Set(asList(st.Action));
      return services.flatMap((s) => s.actions).filter((a) => names.has(a.name));
    }

    function drawResources() {
      const types = new Map();
      for (const a of selectedActions()) {
        for (const r of a.resource_types) if (r.urn_template) types.set(r.resource_type, r.urn_template);
      }
      const rows = asList(st.Resource).map((r, k) => {
        const input = h("input", { id: `st${i}-res${k}`, value: r, size: "60", class: "mono" });
        input.addEventListener("change", () => {
          const list2 = asList(st.Resource);
          list2[k] = input.value;
          st.Resource = list2;
          changed();
        });
        return h("div", { class: "row" }, field(`Resource ${k + 1}`, input), button("Remove", () => {
          st.Resource = asList(st.Resource).filter((_, j) => j !== k);
          changed();
          drawResources();
        }, { "aria-label": `Remove resource ${k + 1}` }));
      });
      const adders = [...types.entries()].map(([t, tpl]) => button(`Add ${t} (${tpl})`, () => {
        st.Resource = [...asList(st.Resource).filter((x) => x !== "*"), templateToPattern(tpl)];
        changed();
        drawResources();
      }, { "data-resource-type": t }));
      replace(resources, h("h4", {}, "Resources"), rows,
        h("div", { class: "row" }, button("Any resource (*)", () => { st.Resource = ["*"]; changed(); drawResources(); }), adders));
    }

    function drawConditions() {
      const keys = new Map();
      for (const k of globalKeys) keys.set(k.name, k);
      const service = services.find((s) => s.name === svc.value);
      for (const k of service ? service.condition_keys : []) keys.set(k.name, k);
      replace(keyList, [...keys.values()].map((k) => h("option", { value: k.name }, `${k.value_type}${k.multi_valued ? ", multi-valued" : ""}: ${k.description}`)));
      const rows = [];
      const cond = st.Condition && typeof st.Condition === "object" ? st.Condition : {};
      for (const [op, entries] of Object.entries(cond)) {
        for (const [key, values] of Object.entries(entries || {})) {
          rows.push(conditionRow(op, key, asList(values)));
        }
      }
      replace(conditions, h("h4", {}, "Conditions"), rows, button("Add condition", () => {
        st.Condition = { ...(st.Condition || {}) };
        const op = "StringEquals";
        st.Condition[op] = { ...(st.Condition[op] || {}), "g:RequestedRegion": [""] };
        changed();
        drawConditions();
      }, { id: `st${i}-add-condition` }));
    }

    function conditionRow(op, key, values) {
      const qualifier = cat.qualifiers.find((q) => op.startsWith(q)) || "";
      let base = op.slice(qualifier.length);
      const ifExists = base.endsWith("IfExists") && base !== "IfExists";
      if (ifExists) base = base.slice(0, -"IfExists".length);
      const q = select({}, [["", "(single value)"], ...cat.qualifiers.map((x) => [x, x])], qualifier);
      const o = select({}, opNames, base);
      const ie = h("input", { type: "checkbox", id: newId("ie"), checked: ifExists });
      const k = h("input", { list: "condition-keys", value: key, size: "28" });
      const v = h("input", { value: values.join(", "), size: "28" });
      const update = () => {
        delete st.Condition[op][key];
        if (Object.keys(st.Condition[op]).length === 0) delete st.Condition[op];
        const newOp = `${q.value}${o.value}${ie.checked ? "IfExists" : ""}`;
        st.Condition[newOp] = { ...(st.Condition[newOp] || {}), [k.value]: v.value.split(",").map((x) => x.trim()).filter((x) => x !== "") };
        changed();
        drawConditions();
      };
      for (const c of [q, o, ie, k, v]) c.addEventListener("change", update);
      return h("div", { class: "row" }, field("Qualifier", q), field("Operator", o),
        h("span", { class: "inline" }, ie, h("label", { for: ie.id }, "IfExists")),
        field("Key", k), field("Values (comma-separated)", v),
        button("Remove", () => {
          delete st.Condition[op][key];
          if (Object.keys(st.Condition[op]).length === 0) delete st.Condition[op];
          if (Object.keys(st.Condition).length === 0) delete st.Condition;
          changed();
          drawConditions();
        }, { "aria-label": "Remove condition" }));
    }

    svc.addEventListener("change", () => { drawActions(); drawConditions(); });
    filter.addEventListener("input", drawActions);
    drawActions();
    drawResources();
    drawConditions();
    card.append(h("div", { class: "row" }, field("Effect", effect), field("Service", svc), field("Filter actions", filter)),
      list, resources, conditions,
      button("Remove statement", () => { doc.Statement.splice(i, 1); changed(); drawVisual(); }, { class: "danger" }));
    return card;
  }

  // ---- modes ------------------------------------------------------------------------------
  const visualTab = button("Visual", () => setMode("visual"), { id: "mode-visual", "data-testid": "mode-visual", "aria-pressed": "false" });
  const jsonTab = button("JSON", () => setMode("json"), { id: "mode-json", "data-testid": "mode-json", "aria-pressed": "true" });
  const jsonPane = h("div", {}, h("label", { for: "policy-json" }, "Policy document (JSON)"), code);

  function setMode(m) {
    if (m === "visual") {
      try {
        doc = JSON.parse(text.value);
      } catch (e) {
        status(`The JSON does not parse, so the visual mode cannot show it: ${e.message}`, true);
        return;
      }
      drawVisual();
    } else {
      text.value = JSON.stringify(doc, null, 2);
      drawGutter();
      scheduleValidation();
    }
    mode = m;
    visual.hidden = m !== "visual";
    jsonPane.hidden = m !== "json";
    visualTab.setAttribute("aria-pressed", String(m === "visual"));
    jsonTab.setAttribute("aria-pressed", String(m === "json"));
  }

  // ---- saving -----------------------------------------------------------------------------
  const typeSel = select({ id: "policy-kind", "data-testid": "policy-kind" }, Object.entries(TYPES).map(([k, t]) => [k, t.label]), kind);
  typeSel.disabled = Boolean(existing);
  typeSel.addEventListener("change", () => { kind = typeSel.value; scheduleValidation(); drawSave(); });
  const save = h("div", { class: "card", id: "editor-save" });
  const after = h("div", { id: "editor-after" });

  function current() {
    return mode === "visual" ? JSON.stringify(doc, null, 2) : text.value;
  }

  function drawSave() {
    if (policyId && existing) {
      const def = h("input", { type: "checkbox", id: "set-default", checked: true });
      replace(save, h("h3", {}, `New version of ${existing.policy_name}`),
        h("span", { class: "inline" }, def, h("label", { for: "set-default" }, "Make it the default version")),
        button("Save version", async () => {
          try {
            await api("POST", `/v5/policies/${enc(policyId)}/versions`, { policy_document: current(), set_as_default: def.checked });
            status("Saved a new version.");
            replace(after, await attachControl(policyId, status));
          } catch (e) { showSaveError(e); }
        }, { class: "primary", id: "save-policy", "data-testid": "save-policy" }));
    } else if (agencyId && existing) {
      replace(save, h("h3", {}, `Trust policy of agency ${existing.agency_name}`), button("Save trust policy", async () => {
        try {
          await api("PUT", `/v5/agencies/${enc(agencyId)}/trust-policy`, { trust_policy: current() });
          status("Trust policy saved.");
        } catch (e) { showSaveError(e); }
      }, { class: "primary", id: "save-policy" }));
    } else if (kind === "identity") {
      const name = h("input", { id: "policy-name", "data-testid": "policy-name" });
      const desc = h("input", { id: "policy-description" });
      replace(save, h("h3", {}, "Create the identity policy"), h("div", { class: "row" }, field("Policy name", name), field("Description", desc)),
        button("Create policy", async () => {
          try {
            const r = await api("POST", "/v5/policies", { policy_name: name.value.trim(), policy_document: current(), description: desc.value });
            status(`Created policy ${r.policy.policy_name}.`);
            replace(after, h("p", { "data-testid": "created-policy", "data-policy-id": r.policy.policy_id }, `Created ${r.policy.policy_name}. Attach it:`),
              await attachControl(r.policy.policy_id, status));
          } catch (e) { showSaveError(e); }
        }, { class: "primary", id: "save-policy", "data-testid": "save-policy" }));
    } else if (kind === "scp") {
      const name = h("input", { id: "policy-name" });
      replace(save, h("h3", {}, "Create the SCP"), field("SCP name", name), button("Create SCP", async () => {
        try {
          await api("POST", "/v1/organizations/policies", { name: name.value.trim(), type: "service_control_policy", content: current(), description: "", tags: [] });
          status("Created the SCP: attach it on the Organization page.");
        } catch (e) { showSaveError(e); }
      }, { class: "primary", id: "save-policy" }));
    } else {
      replace(save, h("p", {}, "Trust policies are saved on an agency: open one from the Agencies page."));
    }
  }

  function showSaveError(e) {
    status(describe(e), true);
    if (e.body && Array.isArray(e.body.findings)) {
      findings = e.body.findings;
      drawFindings(0);
    }
  }

  replace(root,
    h("h1", {}, existing ? `Policy editor: ${existing.policy_name || existing.agency_name}` : "Policy editor"),
    h("div", { class: "row" }, field("Document type", typeSel),
      h("div", { class: "tabs", role: "group", "aria-label": "Editing mode" }, visualTab, jsonTab)),
    h("div", { class: "editor-grid" },
      h("div", {}, visual, jsonPane),
      h("div", {}, h("h2", {}, "Validation"), summary, findingsList)),
    save, after);
  visual.hidden = true;
  text.value = JSON.stringify(doc, null, 2);
  drawGutter();
  drawSave();
  await validate();
}
