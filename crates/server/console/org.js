// The organization tree (root, OUs, accounts, with the SCPs attached to each) and the SCPs.

import { api, listAll, describe } from "./api.js";
import { h, field, table, button, pre, replace, select, prettyJson } from "./dom.js";

const enc = encodeURIComponent;

const FULL_ACCESS = JSON.stringify({ Version: "5.0", Statement: [{ Effect: "Allow", Action: ["*"], Resource: ["*"] }] }, null, 2);

export async function orgPage(root, params, { status }) {
  let org;
  try {
    org = (await api("GET", "/v1/organizations")).organization;
  } catch (e) {
    replace(root, h("h1", {}, "Organization"), h("p", { "data-testid": "no-org" },
      "This account manages no organization, or you may not read it: ", describe(e)));
    return;
  }
  const tree = h("div", { class: "tree", "data-testid": "org-tree" });
  const scps = h("div");
  const details = h("div");
  replace(root, h("h1", {}, "Organization"),
    h("p", {}, "Organization ", h("code", {}, org.id), " managed by ", h("strong", {}, org.management_account_name)),
    h("h2", {}, "Tree"), tree, h("h2", {}, "Service control policies"), scps, details);

  async function attachedScps(entityId) {
    const list = await listAll(`/v1/organizations/policies?attached_entity_id=${enc(entityId)}`, "policies");
    return h("span", { class: "muted" }, list.length ? ` SCPs: ${list.map((p) => p.name).join(", ")}` : "");
  }

  async function node(raw) {
    const entity = { ...raw, entity_type: raw.entity_type || raw.type };
    const li = h("li", {}, h("strong", {}, `${entity.entity_type} `), entity.name, " ", h("code", {}, entity.id), await attachedScps(entity.id));
    if (entity.entity_type !== "account") {
      const children = await listAll(`/v1/organizations/entities?parent_id=${enc(entity.id)}`, "entities");
      if (children.length) li.appendChild(h("ul", {}, await Promise.all(children.map(node))));
    }
    return li;
  }

  async function drawTree() {
    const roots = await listAll("/v1/organizations/roots", "roots");
    const toggles = roots.map((r) => {
      const scp = (r.policy_types || []).find((t) => t.type === "service_control_policy");
      const enabled = scp && scp.status === "enabled";
      return h("p", {}, `SCPs are ${enabled ? "enabled" : "disabled"} at root ${r.name}. `,
        button(enabled ? "Disable SCPs" : "Enable SCPs", async () => {
          try {
            await api("POST", `/v1/organizations/policies/${enabled ? "disable" : "enable"}`, { policy_type: "service_control_policy", root_id: r.id });
            await Promise.all([drawTree(), drawScps()]);
          } catch (e) { status(describe(e), true); }
        }, { id: "toggle-scps" }));
    });
    const accountName = h("input", { id: "new-account-name" });
    const accountForm = h("form", { class: "row", id: "create-account-form" }, field("New member account", accountName),
      h("button", { type: "submit", id: "create-account" }, "Create account"));
    accountForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        const r = await api("POST", "/v1/organizations/accounts", { name: accountName.value.trim(), description: "" });
        status(`Created member account ${r.create_account_status.account_name} (${r.create_account_status.account_id}).`);
        await Promise.all([drawTree(), scpDetails ? show(scpDetails) : null]);
      } catch (e) { status(describe(e), true); }
    });
    replace(tree, toggles, accountForm, h("ul", {}, await Promise.all(roots.map((r) => node({ id: r.id, name: r.name, entity_type: "root" })))));
  }

  async function drawScps() {
    const list = await listAll("/v1/organizations/policies", "policies");
    const name = h("input", { id: "new-scp-name" });
    const content = h("textarea", { id: "new-scp-content", rows: "8", cols: "70", class: "mono", value: FULL_ACCESS });
    const form = h("form", { class: "card" }, field("SCP name", name), field("Content", content),
      h("button", { type: "submit", class: "primary", id: "create-scp" }, "Create SCP"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        await api("POST", "/v1/organizations/policies", { name: name.value.trim(), type: "service_control_policy", content: content.value, description: "", tags: [] });
        status(`Created SCP ${name.value.trim()}.`);
        await drawScps();
      } catch (e) { status(describe(e), true); }
    });
    replace(scps, table([
      { title: "Name", cell: (p) => button(p.name, () => show(p.id), { "data-testid": `scp-${p.name}` }) },
      { title: "Built in", cell: (p) => (p.is_builtin ? "yes" : "") },
      { title: "Description", cell: (p) => p.description },
    ], list, { "data-testid": "scps-table" }), form);
  }

  let scpDetails = null;

  async function show(id) {
    scpDetails = id;
    const p = (await api("GET", `/v1/organizations/policies/${enc(id)}`)).policy;
    const attached = await listAll(`/v1/organizations/policies/${enc(id)}/attached-entities`, "attached_entities");
    const entities = await listAll("/v1/organizations/entities", "entities").catch(() => []);
    const roots = await listAll("/v1/organizations/roots", "roots");
    const targets = [...roots.map((r) => [r.id, `root ${r.name}`]), ...entities.map((e) => [e.id, `${e.type} ${e.name}`])];
    const pick = select({ id: "scp-attach-target", "data-testid": "scp-attach-target" }, targets);
    replace(details, h("div", { class: "card" }, h("h2", {}, `SCP ${p.policy_summary.name}`),
      pre(prettyJson(p.content)),
      h("h3", {}, "Attached to"), table([
        { title: "Entity", cell: (e) => `${e.type} ${e.name}` },
        { title: "Id", cell: (e) => h("code", {}, e.id) },
        { title: "", cell: (e) => button("Detach", async () => {
          try {
            await api("POST", `/v1/organizations/policies/${enc(id)}/detach`, { entity_id: e.id });
            await show(id);
            await drawTree();
          } catch (err) { status(describe(err), true); }
        }) },
      ], attached),
      h("div", { class: "row" }, field("Attach to", pick), button("Attach", async () => {
        try {
          await api("POST", `/v1/organizations/policies/${enc(id)}/attach`, { entity_id: pick.value });
          await show(id);
          await drawTree();
        } catch (err) { status(describe(err), true); }
      }, { id: "scp-attach" }))));
  }

  await Promise.all([drawTree(), drawScps()]);
}
