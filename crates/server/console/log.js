// The decision log (`GET /v1/decisions`) with its filters.

import { api, describe } from "./api.js";
import { h, field, replace, select, table, decision, button } from "./dom.js";

export async function logPage(root, params, { status }) {
  const principal = h("input", { id: "log-principal", size: "40", value: params.get("principal") || "" });
  const action = h("input", { id: "log-action", size: "30" });
  const dec = select({ id: "log-decision" }, [["", "any"], "allow", "deny", "explicit_deny", "implicit_deny", "unauthenticated", "rejected"]);
  const agency = h("input", { id: "log-agency", size: "20" });
  const since = h("input", { id: "log-since", type: "datetime-local" });
  const until = h("input", { id: "log-until", type: "datetime-local" });
  const out = h("div", { id: "log-results", "data-testid": "log-results" });
  const form = h("form", { class: "card row", id: "log-form" },
    field("Principal URN", principal), field("Action", action), field("Decision", dec), field("Agency id", agency),
    field("Since", since), field("Until", until), h("button", { type: "submit", class: "primary", id: "log-search" }, "Search"));
  let marker = null;
  let rows = [];

  function query() {
    const q = new URLSearchParams();
    q.set("limit", "100");
    if (principal.value.trim()) q.set("principal_urn", principal.value.trim());
    if (action.value.trim()) q.set("action", action.value.trim());
    if (dec.value) q.set("decision", dec.value);
    if (agency.value.trim()) q.set("agency_id", agency.value.trim());
    if (since.value) q.set("since", new Date(since.value).toISOString());
    if (until.value) q.set("until", new Date(until.value).toISOString());
    if (marker) q.set("marker", marker);
    return q.toString().replace(/\+/g, "%20");
  }

  async function load(more) {
    if (!more) { marker = null; rows = []; }
    try {
      const r = await api("GET", `/v1/decisions?${query()}`);
      rows = rows.concat(r.decisions);
      marker = r.page_info && r.page_info.next_marker;
      replace(out, table([
        { title: "Time", cell: (d) => d.at },
        { title: "Principal", cell: (d) => h("code", {}, d.principal_urn || d.access_key_id || "") },
        { title: "Action", cell: (d) => h("code", {}, d.action) },
        { title: "Resource", cell: (d) => h("code", {}, d.resource || "") },
        { title: "Decision", cell: (d) => decision(d.decision) },
        { title: "Determining", cell: (d) => [d.layer, d.determining_policy, d.determining_statement].filter((x) => x).join(" / ") },
      ], rows, { "data-testid": "log-table" }), marker ? button("More", () => load(true), { id: "log-more" }) : null);
    } catch (e) { status(describe(e), true); }
  }

  form.addEventListener("submit", (ev) => { ev.preventDefault(); load(false); });
  replace(root, h("h1", {}, "Decision log"), form, out);
  await load(false);
}
