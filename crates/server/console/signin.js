// Sign-in: account name, IAM user name, password, and the MFA code when the user has a device.

import { signIn, ApiError } from "./api.js";
import { h, field } from "./dom.js";

const MESSAGES = {
  "CONSOLE.0001": "The account name, user name or password is wrong.",
  "CONSOLE.0002": "This user signs in with a virtual MFA device: enter its current code.",
  "CONSOLE.0003": "The MFA code is wrong. Enter the code your device shows now.",
  "CONSOLE.0004": "Too many failed attempts: this user is locked out for a while.",
  "CONSOLE.0008": "The account's login policy does not allow sign-in from this address.",
};

export function signInPage(message, done) {
  const account = h("input", { id: "signin-account", name: "account", autocomplete: "organization", required: true });
  const user = h("input", { id: "signin-user", name: "user", autocomplete: "username", required: true });
  const password = h("input", { id: "signin-password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const mfa = h("input", { id: "signin-mfa", name: "mfa_code", inputmode: "numeric", autocomplete: "one-time-code", pattern: "[0-9]{6}", maxlength: "6" });
  const error = h("p", { id: "signin-error", class: "error-text", role: "alert", "data-testid": "signin-error" });
  const info = h("p", { id: "signin-info", class: "muted", "data-testid": "signin-info", text: message || "" });
  const submit = h("button", { type: "submit", class: "primary", id: "signin-submit" }, "Sign in");
  const form = h("form", { id: "signin-form", class: "signin card", novalidate: true },
    h("h1", {}, "Sign in as an IAM user"), info,
    field("Account name", account), field("IAM user name", user), field("Password", password),
    field("MFA code", mfa, "6 digits from your virtual MFA device, if you have one"),
    error, submit);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    submit.disabled = true;
    const body = { account: account.value.trim(), user: user.value.trim(), password: password.value };
    if (mfa.value.trim()) body.mfa_code = mfa.value.trim();
    try {
      await signIn(body);
      password.value = "";
      done();
    } catch (e) {
      const code = e instanceof ApiError ? e.code : "";
      error.textContent = MESSAGES[code] || (e.message || "Sign-in failed.");
      if (code === "CONSOLE.0002" || code === "CONSOLE.0003") mfa.focus();
    } finally {
      submit.disabled = false;
    }
  });
  setTimeout(() => account.focus(), 0);
  return form;
}
