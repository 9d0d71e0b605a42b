// DOM helpers. Text is always set with textContent (API data is hostile): no HTML is ever
// built from strings.

let uid = 0;

/** A fresh element id with a prefix. */
export function newId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** h(tag, attrs, ...children): attrs are attributes, `on<event>` listeners, or `dataset`. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") {
      el.addEventListener(k.slice(2), v);
    } else if (k === "value") {
      el.value = v;
    } else if (k === "checked") {
      el.checked = Boolean(v);
    } else if (k === "text") {
      el.textContent = String(v);
    } else {
      el.setAttribute(k, v === true ? "" : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A labelled control: `<div class=field><label for=id>label</label>control</div>`. */
export function field(label, control, hint) {
  if (!control.id) control.id = newId("f");
  return h("div", { class: "field" }, h("label", { for: control.id, text: label }), control,
    hint ? h("span", { class: "muted", text: hint }) : null);
}

/** A select with options [value, label] or strings. */
export function select(attrs, options, selected) {
  const s = h("select", attrs);
  for (const o of options) {
    const [value, label] = Array.isArray(o) ? o : [o, o];
    const opt = h("option", { value, text: label });
    if (value === selected) opt.selected = true;
    s.appendChild(opt);
  }
  return s;
}

/** A table: columns [{title, cell(row) -> node|string}], rows. */
export function table(columns, rows, attrs) {
  return h("table", attrs || {},
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", text: c.title })))),
    h("tbody", {}, rows.length === 0
      ? h("tr", {}, h("td", { colspan: columns.length, class: "muted", text: "None." }))
      : rows.map((r) => h("tr", {}, columns.map((c) => h("td", {}, c.cell(r)))))));
}

/** A button. */
export function button(text, onclick, attrs) {
  return h("button", { type: "button", ...(attrs || {}), onclick }, text);
}

/** Pretty JSON of a value in a <pre>. */
export function pre(value, attrs) {
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  return h("pre", attrs || {}, text);
}

/** A value as readable text (JSON text made pretty when it parses). */
export function prettyJson(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** A decision badge. */
export function decision(value) {
  return h("span", { class: value, "data-testid": "decision", text: value });
}
