// Identity policies with their versions: list, view, new version (in the editor), set default,
// delete, attach to and detach from users, groups and agencies.

import { api, listAll, describe } from "./api.js";
import { h, field, table, button, pre, replace, select, prettyJson } from "./dom.js";

const enc = encodeURIComponent;

/** An "attach to" control: principal kind and entity. */
export async function attachControl(policyId, status, after) {
  const [users, groups, agencies] = await Promise.all([
    listAll("/v5/users", "users"), listAll("/v5/groups", "groups"), listAll("/v5/agencies", "agencies"),
  ]);
  const options = [
    ...users.filter((u) => !u.is_root_user).map((u) => [`user:${u.user_id}`, `user ${u.user_name}`]),
    ...groups.map((g) => [`group:${g.group_id}`, `group ${g.group_name}`]),
    ...agencies.map((a) => [`agency:${a.agency_id}`, `agency ${a.agency_name}`]),
  ];
  const pick = select({ id: "attach-target", "data-testid": "attach-target" }, options);
  const go = button("Attach", async () => {
    const [kind, id] = pick.value.split(/:(.*)/s);
    try {
      await api("POST", `/v5/policies/${enc(policyId)}/attach-${kind}`, { [`${kind}_id`]: id });
      status(`Attached to ${pick.selectedOptions[0].textContent}.`);
      if (after) await after();
    } catch (e) { status(describe(e), true); }
  }, { id: "attach-button", "data-testid": "attach-button" });
  return h("div", { class: "row" }, field("Attach to", pick), go);
}

export async function policiesPage(root, params, { status }) {
  const kind = select({ id: "policy-type-filter" }, [["custom", "Custom policies"], ["system", "System policies"]], params.get("type") || "custom");
  const list = h("div");
  const details = h("div", { id: "policy-details" });
  kind.addEventListener("change", () => refresh());
  replace(root, h("h1", {}, "Identity policies"),
    h("div", { class: "row" }, field("Show", kind), h("a", { href: "#/editor", class: "button" }, "New policy in the editor")),
    list, details);

  async function refresh() {
    const policies = await listAll(`/v5/policies?policy_type=${kind.value}`, "policies");
    replace(list, table([
      { title: "Name", cell: (p) => button(p.policy_name, () => show(p.policy_id), { "data-testid": `policy-${p.policy_name}` }) },
      { title: "Default version", cell: (p) => p.default_version_id },
      { title: "Description", cell: (p) => p.description },
      { title: "Updated", cell: (p) => p.updated_at },
    ], policies, { "data-testid": "policies-table" }));
  }

  async function show(id) {
    let p;
    try {
      p = (await api("GET", `/v5/policies/${enc(id)}`)).policy;
    } catch (e) { status(describe(e), true); return; }
    const custom = p.policy_type === "custom";
    const versions = h("div");
    const entities = h("div");
    const doc = h("div");
    replace(details, h("div", { class: "card", "data-testid": "policy-view" },
      h("h2", {}, `Policy ${p.policy_name}`), h("p", {}, h("code", {}, p.urn)),
      p.description ? h("p", {}, p.description) : null,
      custom ? h("p", { class: "row" },
        h("a", { href: `#/editor?policy=${enc(p.policy_id)}` }, "New version in the editor"),
        button("Delete policy", async () => {
          if (!confirm(`Delete policy ${p.policy_name}?`)) return;
          try {
            await api("DELETE", `/v5/policies/${enc(p.policy_id)}`);
            status(`Deleted ${p.policy_name}.`);
            replace(details);
            await refresh();
          } catch (e) { status(describe(e), true); }
        }, { class: "danger" })) : null,
      doc, versions, entities));
    const showVersions = async () => {
      const vs = await listAll(`/v5/policies/${enc(p.policy_id)}/versions`, "versions");
      const def = vs.find((v) => v.is_default);
      replace(doc, h("h3", {}, "Default version document"), pre(prettyJson(def ? def.document : ""), { "data-testid": "policy-document" }));
      replace(versions, h("h3", {}, "Versions"), table([
        { title: "Version", cell: (v) => v.version_id },
        { title: "Default", cell: (v) => (v.is_default ? "yes" : "") },
        { title: "Created", cell: (v) => v.created_at },
        { title: "", cell: (v) => (custom && !v.is_default ? h("span", { class: "inline" },
          button("Set as default", async () => {
            try {
              await api("POST", `/v5/policies/${enc(p.policy_id)}/versions/${enc(v.version_id)}/set-default`);
              await showVersions();
            } catch (e) { status(describe(e), true); }
          }, { "aria-label": `Set ${v.version_id} as default` }),
          button("Delete", async () => {
            try {
              await api("DELETE", `/v5/policies/${enc(p.policy_id)}/versions/${enc(v.version_id)}`);
              await showVersions();
            } catch (e) { status(describe(e), true); }
          }, { class: "danger", "aria-label": `Delete ${v.version_id}` })) : "") },
      ], vs, { "data-testid": "policy-versions" }));
    };
    const showEntities = async () => {
      const r = await api("GET", `/v5/policies/${enc(p.policy_id)}/attached-entities?limit=200`);
      const rows = [
        ...r.policy_users.map((x) => ["user", x.user_id, x.attached_at]),
        ...r.policy_groups.map((x) => ["group", x.group_id, x.attached_at]),
        ...r.policy_agencies.map((x) => ["agency", x.agency_id, x.attached_at]),
      ];
      replace(entities, h("h3", {}, "Attached to"), table([
        { title: "Kind", cell: (x) => x[0] },
        { title: "Id", cell: (x) => h("code", {}, x[1]) },
        { title: "Attached", cell: (x) => x[2] },
        { title: "", cell: (x) => button("Detach", async () => {
          try {
            await api("POST", `/v5/policies/${enc(p.policy_id)}/detach-${x[0]}`, { [`${x[0]}_id`]: x[1] });
            await showEntities();
          } catch (e) { status(describe(e), true); }
        }) },
      ], rows), await attachControl(p.policy_id, status, showEntities));
    };
    await Promise.all([showVersions(), showEntities()]);
  }

  await refresh();
  if (params.get("id")) await show(params.get("id"));
}
