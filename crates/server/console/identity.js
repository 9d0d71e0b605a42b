// Users (enable/disable, access keys, groups, attached policies), groups with members, and
// agencies with their trust policies.

import { api, listAll, describe } from "./api.js";
import { h, field, table, button, pre, replace, select, prettyJson } from "./dom.js";

const enc = encodeURIComponent;

/** A "Detach" list of a principal's attached policies. */
async function attachedPolicies(kind, id, container, status) {
  const path = { user: "users", group: "groups", agency: "agencies" }[kind];
  const member = { user: "user_id", group: "group_id", agency: "agency_id" }[kind];
  const list = await listAll(`/v5/${path}/${enc(id)}/attached-policies`, "attached_policies");
  replace(container, h("h3", {}, "Attached policies"), table([
    { title: "Policy", cell: (p) => h("a", { href: `#/policies?id=${enc(p.policy_id)}`, text: p.policy_name }) },
    { title: "Attached", cell: (p) => p.attached_at },
    { title: "", cell: (p) => button("Detach", async () => {
      try {
        await api("POST", `/v5/policies/${enc(p.policy_id)}/detach-${kind}`, { [member]: id });
        status(`Detached ${p.policy_name}.`);
        await attachedPolicies(kind, id, container, status);
      } catch (e) { status(describe(e), true); }
    }, { "aria-label": `Detach ${p.policy_name}` }) },
  ], list, { "data-testid": `${kind}-attached-policies` }));
}

export async function usersPage(root, params, { status }) {
  const name = h("input", { id: "new-user-name", required: true });
  const desc = h("input", { id: "new-user-description" });
  const list = h("div", { id: "users-list" });
  const details = h("div", { id: "user-details" });
  const form = h("form", { class: "row card", id: "create-user-form" },
    field("User name", name), field("Description", desc),
    h("button", { type: "submit", class: "primary" }, "Create user"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("POST", "/v5/users", { name: name.value.trim(), description: desc.value, enabled: true });
      status(`Created user ${name.value.trim()}.`);
      name.value = "";
      await refresh();
    } catch (e) { status(describe(e), true); }
  });
  replace(root, h("h1", {}, "IAM users"), form, list, details);

  async function refresh() {
    const users = await listAll("/v5/users", "users");
    replace(list, table([
      { title: "Name", cell: (u) => button(u.user_name, () => showUser(u), { class: "linkish", "data-testid": `user-${u.user_name}` }) },
      { title: "Status", cell: (u) => h("span", { class: u.enabled ? "ok" : "bad", text: u.enabled ? "enabled" : "disabled" }) },
      { title: "URN", cell: (u) => h("code", {}, u.urn) },
      { title: "Created", cell: (u) => u.created_at },
      { title: "", cell: (u) => u.is_root_user ? h("span", { class: "muted", text: "root user" }) : h("span", { class: "inline" },
        button(u.enabled ? "Disable" : "Enable", async () => {
          try {
            await api("PUT", `/v5/users/${enc(u.user_id)}`, { enabled: !u.enabled });
            status(`${u.enabled ? "Disabled" : "Enabled"} ${u.user_name}.`);
            await refresh();
          } catch (e) { status(describe(e), true); }
        }, { "aria-label": `${u.enabled ? "Disable" : "Enable"} ${u.user_name}` }),
        button("Delete", async () => {
          if (!confirm(`Delete user ${u.user_name}?`)) return;
          try {
            await api("DELETE", `/v5/users/${enc(u.user_id)}`);
            status(`Deleted ${u.user_name}.`);
            replace(details);
            await refresh();
          } catch (e) { status(describe(e), true); }
        }, { class: "danger", "aria-label": `Delete ${u.user_name}` })) },
    ], users, { "data-testid": "users-table" }));
  }

  async function showUser(u) {
    const keys = h("div");
    const groups = h("div");
    const attached = h("div");
    replace(details, h("div", { class: "card", "data-testid": "user-details" },
      h("h2", {}, `User ${u.user_name}`), h("p", {}, h("code", {}, u.urn)), keys, groups, attached));
    await Promise.all([showKeys(u, keys), showGroups(u, groups), attachedPolicies("user", u.user_id, attached, status)]);
    details.querySelector("h2").focus?.();
  }

  async function showKeys(u, container) {
    const ks = await listAll(`/v5/users/${enc(u.user_id)}/access-keys`, "access_keys");
    const secret = h("div");
    replace(container, h("h3", {}, "Access keys"), table([
      { title: "Access key id", cell: (k) => h("code", {}, k.access_key_id) },
      { title: "Status", cell: (k) => k.status },
      { title: "Created", cell: (k) => k.created_at },
      { title: "", cell: (k) => h("span", { class: "inline" },
        button(k.status === "active" ? "Deactivate" : "Activate", async () => {
          try {
            await api("PUT", `/v5/users/${enc(u.user_id)}/access-keys/${enc(k.access_key_id)}`,
              { status: k.status === "active" ? "inactive" : "active" });
            await showKeys(u, container);
          } catch (e) { status(describe(e), true); }
        }),
        button("Delete", async () => {
          if (!confirm(`Delete access key ${k.access_key_id}?`)) return;
          try {
            await api("DELETE", `/v5/users/${enc(u.user_id)}/access-keys/${enc(k.access_key_id)}`);
            await showKeys(u, container);
          } catch (e) { status(describe(e), true); }
        }, { class: "danger" })) },
    ], ks), button("Create access key", async () => {
      try {
        const r = await api("POST", `/v5/users/${enc(u.user_id)}/access-keys`);
        await showKeys(u, container);
        container.appendChild(h("div", { class: "card", role: "alert" },
          h("p", {}, "The secret is shown once: store it now."),
          h("p", {}, "Access key id: ", h("code", {}, r.access_key.access_key_id)),
          h("p", {}, "Secret access key: ", h("code", {}, r.access_key.secret_access_key))));
      } catch (e) { status(describe(e), true); }
    }), secret);
  }

  async function showGroups(u, container) {
    const [mine, all] = await Promise.all([
      listAll(`/v5/groups?user_id=${enc(u.user_id)}`, "groups"),
      listAll("/v5/groups", "groups"),
    ]);
    const others = all.filter((g) => !mine.some((m) => m.group_id === g.group_id));
    const pick = select({ id: "user-add-group" }, others.map((g) => [g.group_id, g.group_name]));
    replace(container, h("h3", {}, "Groups"), table([
      { title: "Group", cell: (g) => g.group_name },
      { title: "", cell: (g) => button("Remove from group", async () => {
        try {
          await api("POST", `/v5/groups/${enc(g.group_id)}/remove-user`, { user_id: u.user_id });
          await showGroups(u, container);
        } catch (e) { status(describe(e), true); }
      }) },
    ], mine), others.length ? h("div", { class: "row" }, field("Add to group", pick), button("Add", async () => {
      try {
        await api("POST", `/v5/groups/${enc(pick.value)}/add-user`, { user_id: u.user_id });
        await showGroups(u, container);
      } catch (e) { status(describe(e), true); }
    })) : null);
  }

  await refresh();
}

export async function groupsPage(root, params, { status }) {
  const name = h("input", { id: "new-group-name", required: true });
  const desc = h("input", { id: "new-group-description" });
  const list = h("div");
  const details = h("div");
  const form = h("form", { class: "row card" }, field("Group name", name), field("Description", desc),
    h("button", { type: "submit", class: "primary" }, "Create group"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("POST", "/v5/groups", { group_name: name.value.trim(), description: desc.value });
      status(`Created group ${name.value.trim()}.`);
      name.value = "";
      await refresh();
    } catch (e) { status(describe(e), true); }
  });
  replace(root, h("h1", {}, "User groups"), form, list, details);

  async function refresh() {
    const groups = await listAll("/v5/groups", "groups");
    replace(list, table([
      { title: "Name", cell: (g) => button(g.group_name, () => show(g)) },
      { title: "Description", cell: (g) => g.description },
      { title: "Created", cell: (g) => g.created_at },
      { title: "", cell: (g) => button("Delete", async () => {
        if (!confirm(`Delete group ${g.group_name}?`)) return;
        try {
          await api("DELETE", `/v5/groups/${enc(g.group_id)}`);
          replace(details);
          await refresh();
        } catch (e) { status(describe(e), true); }
      }, { class: "danger", "aria-label": `Delete ${g.group_name}` }) },
    ], groups, { "data-testid": "groups-table" }));
  }

  async function show(g) {
    const members = h("div");
    const attached = h("div");
    replace(details, h("div", { class: "card" }, h("h2", {}, `Group ${g.group_name}`), members, attached));
    await Promise.all([showMembers(g, members), attachedPolicies("group", g.group_id, attached, status)]);
  }

  async function showMembers(g, container) {
    const [members, users] = await Promise.all([
      listAll(`/v5/users?group_id=${enc(g.group_id)}`, "users"),
      listAll("/v5/users", "users"),
    ]);
    const others = users.filter((u) => !members.some((m) => m.user_id === u.user_id));
    const pick = select({}, others.map((u) => [u.user_id, u.user_name]));
    replace(container, h("h3", {}, "Members"), table([
      { title: "User", cell: (u) => u.user_name },
      { title: "", cell: (u) => button("Remove", async () => {
        try {
          await api("POST", `/v5/groups/${enc(g.group_id)}/remove-user`, { user_id: u.user_id });
          await showMembers(g, container);
        } catch (e) { status(describe(e), true); }
      }, { "aria-label": `Remove ${u.user_name}` }) },
    ], members), others.length ? h("div", { class: "row" }, field("Add member", pick), button("Add", async () => {
      try {
        await api("POST", `/v5/groups/${enc(g.group_id)}/add-user`, { user_id: pick.value });
        await showMembers(g, container);
      } catch (e) { status(describe(e), true); }
    })) : null);
  }

  await refresh();
}

const MODELARTS_TRUST = JSON.stringify({
  Version: "5.0",
  Statement: [{ Effect: "Allow", Principal: { Service: ["service.ModelArts"] }, Action: ["sts:agencies:assume"] }],
}, null, 2);

export async function agenciesPage(root, params, { status }) {
  const name = h("input", { id: "new-agency-name", required: true });
  const desc = h("input", { id: "new-agency-description" });
  const trust = h("textarea", { id: "new-agency-trust", rows: "8", cols: "70", class: "mono", value: MODELARTS_TRUST });
  const list = h("div");
  const details = h("div");
  const form = h("form", { class: "card" }, h("div", { class: "row" }, field("Agency name", name), field("Description", desc)),
    field("Trust policy", trust, "Who may assume the agency (JSON)"),
    h("button", { type: "submit", class: "primary" }, "Create agency"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("POST", "/v5/agencies", { agency_name: name.value.trim(), trust_policy: trust.value, description: desc.value });
      status(`Created agency ${name.value.trim()}.`);
      await refresh();
    } catch (e) { status(describe(e), true); }
  });
  replace(root, h("h1", {}, "Agencies"), list, details, h("h2", {}, "New agency"), form);

  async function refresh() {
    const agencies = await listAll("/v5/agencies", "agencies");
    replace(list, table([
      { title: "Name", cell: (a) => button(a.agency_name, () => show(a)) },
      { title: "URN", cell: (a) => h("code", {}, a.urn) },
      { title: "Description", cell: (a) => a.description },
      { title: "", cell: (a) => button("Delete", async () => {
        if (!confirm(`Delete agency ${a.agency_name}?`)) return;
        try {
          await api("DELETE", `/v5/agencies/${enc(a.agency_id)}`);
          replace(details);
          await refresh();
        } catch (e) { status(describe(e), true); }
      }, { class: "danger", "aria-label": `Delete ${a.agency_name}` }) },
    ], agencies, { "data-testid": "agencies-table" }));
  }

  async function show(a) {
    const attached = h("div");
    const text = h("textarea", { rows: "10", cols: "80", class: "mono", value: prettyJson(a.trust_policy) });
    replace(details, h("div", { class: "card" }, h("h2", {}, `Agency ${a.agency_name}`),
      field("Trust policy", text),
      button("Save trust policy", async () => {
        try {
          await api("PUT", `/v5/agencies/${enc(a.agency_id)}/trust-policy`, { trust_policy: text.value });
          status("Trust policy saved.");
        } catch (e) { status(describe(e), true); }
      }), h("a", { href: `#/editor?type=trust&agency=${enc(a.agency_id)}` }, " Open in the policy editor"), attached));
    await attachedPolicies("agency", a.agency_id, attached, status);
  }

  await refresh();
  if (params.get("id")) {
    const a = (await listAll("/v5/agencies", "agencies")).find((x) => x.agency_id === params.get("id"));
    if (a) await show(a);
  }
}

export { pre };
