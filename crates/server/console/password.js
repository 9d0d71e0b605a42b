// Changing the signed-in user's own password (`POST /v5/caller-password`). A user whose password
// must be changed (expired, or reset by an administrator) can do nothing else until it is.

import { api, describe, getSession } from "./api.js";
import { h, field, replace } from "./dom.js";

export async function passwordPage(root, params, { status, signedOut }) {
  const old = h("input", { id: "password-old", type: "password", autocomplete: "current-password" });
  const next = h("input", { id: "password-new", type: "password", autocomplete: "new-password", minlength: "8", maxlength: "32" });
  const again = h("input", { id: "password-again", type: "password", autocomplete: "new-password" });
  const error = h("p", { class: "error-text", role: "alert", id: "password-error" });
  const form = h("form", { class: "card signin", id: "password-form" },
    h("h1", {}, "Change your password"),
    getSession() && getSession().password_reset_required
      ? h("p", {}, "Your password must be changed before you can use the console.") : null,
    field("Current password", old), field("New password", next), field("New password again", again),
    error, h("button", { type: "submit", class: "primary" }, "Change password"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    if (next.value !== again.value) {
      error.textContent = "The two new passwords differ.";
      return;
    }
    try {
      await api("POST", "/v5/caller-password", { old_password: old.value, new_password: next.value });
      signedOut("Your password was changed. Sign in with the new one.");
    } catch (e) {
      error.textContent = describe(e);
    }
  });
  replace(root, form);
  old.focus();
}
