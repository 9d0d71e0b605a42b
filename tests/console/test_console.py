"""End-to-end tests of the web console in real headless Chromium (Debian's package) over
WebDriver.

The server (`modelarts-iam serve`, fresh data directory) is started once. The set-up is done
with signed API calls as the account's root user (huaweicloudsdkcore's signer, as the official
SDKs sign): an IAM user `alice` with a password and a bound virtual MFA device, in the account's
`admin` group (the tenant administrator, who may configure ModelArts authorizations) with a
policy allowing everything; `bob` and `carol` without policies. The browser then signs in as
alice and works like a person would. The tests run in file order and share one browser
session: sign-in first, sign-out last. Screenshots of the main pages go to docs/console/.
"""

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import pyotp
import pytest
import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "sdk"))
from fake_modelarts import start_iam_server, stop  # noqa: E402

BINARY = Path(os.environ.get("MODELARTS_IAM_BIN", REPO / "target" / "debug" / "modelarts-iam"))
# Screenshots of each main page: under target/ (untracked) unless CONSOLE_SCREENSHOTS names a
# directory; `CONSOLE_SCREENSHOTS=docs/console bash tests/console/run.sh` refreshes the docs' ones.
SHOTS = Path(os.environ.get("CONSOLE_SCREENSHOTS") or REPO / "target" / "console-screenshots")
if not SHOTS.is_absolute():
    SHOTS = REPO / SHOTS
PASSWORD = "Console-Passw0rd!2026"
WAIT = 20


class Api:
    """Signed calls as the root user."""

    def __init__(self, endpoint: str, key: dict):
        self.endpoint = endpoint
        self.key = key

    def call(self, method: str, path: str, body=None, query=None) -> requests.Response:
        host = self.endpoint.split("://", 1)[1]
        data = json.dumps(body).encode() if body is not None else b""
        pairs = list((query or {}).items())
        req = SdkRequest(method=method, schema="http", host=host, resource_path=path, uri=path,
                         query_params=pairs, header_params={"Content-Type": "application/json"},
                         body=data)
        Signer(BasicCredentials(self.key["access_key_id"], self.key["secret_access_key"])).sign(req)
        return requests.request(method, self.endpoint + path, params=pairs,
                                headers=req.header_params, data=data, timeout=30)

    def ok(self, method: str, path: str, body=None, query=None) -> dict:
        r = self.call(method, path, body, query)
        assert r.status_code in (200, 201, 204), f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.text else {}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    assert BINARY.exists(), f"{BINARY} is missing: run `cargo build -p iam-cli` first"
    proc, endpoint, key = start_iam_server(BINARY, tmp_path_factory.mktemp("console-data"))
    try:
        port = endpoint.rsplit(":", 1)[1]
        yield {"api": Api(endpoint, key), "key": key, "base": f"http://localhost:{port}"}
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def world(server):
    """The users, MFA device and policies of the browser tests."""
    api, key = server["api"], server["key"]
    users = {}
    for name in ("alice", "bob", "carol"):
        users[name] = api.ok("POST", "/v5/users", {"name": name, "description": ""})["user"]
    alice = users["alice"]["user_id"]
    api.ok("POST", f"/v5/users/{alice}/login-profile",
           {"password": PASSWORD, "password_reset_required": False})
    device = api.ok("POST", "/v5/virtual-mfa-devices",
                    {"virtual_mfa_device_name": "alice-phone", "user_id": alice})
    device = device["virtual_mfa_device"]
    totp = pyotp.TOTP(device["base32_string_seed"])
    # two successive codes, the second the previous step's (the server accepts a step of skew):
    # a code is good once, so this step's stays free for the sign-in
    now = time.time()
    api.ok("POST", "/v5/mfa-devices/enable", {
        "user_id": alice, "serial_number": device["serial_number"],
        "authentication_code_first": totp.at(now - 60),
        "authentication_code_second": totp.at(now - 30)})
    admin = [g for g in api.ok("GET", "/v5/groups")["groups"] if g["group_name"] == "admin"]
    assert admin, "the account has no admin group"
    api.ok("POST", f"/v5/groups/{admin[0]['group_id']}/add-user", {"user_id": alice})
    everything = api.ok("POST", "/v5/policies", {
        "policy_name": "console-administrator",
        "policy_document": json.dumps({"Version": "5.0", "Statement": [
            {"Effect": "Allow", "Action": ["*"], "Resource": ["*"]}]})})["policy"]
    api.ok("POST", f"/v5/policies/{everything['policy_id']}/attach-user", {"user_id": alice})
    api.ok("POST", "/v1/organizations", {})
    root = api.ok("GET", "/v1/organizations/roots")["roots"][0]["id"]
    api.ok("POST", "/v1/organizations/organizational-units", {"name": "research", "parent_id": root})
    return {
        "api": api, "key": key, "users": users, "totp": totp,
        "base": server["base"], "account": key["account_name"],
    }


@pytest.fixture(scope="module")
def driver():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    profile = tempfile.mkdtemp(prefix="console-chromium-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", "--window-size=1280,800"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
    d.set_window_size(1280, 800)
    try:
        yield d
    finally:
        d.quit()


def wait(driver, condition, timeout=WAIT):
    # a page re-renders what it shows: an element found an instant before may be replaced
    return WebDriverWait(driver, timeout,
                         ignored_exceptions=(StaleElementReferenceException,)).until(condition)


def by_testid(driver, name, timeout=WAIT):
    return wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, f'[data-testid="{name}"]')), timeout)


def shot(driver, page, focus=None):
    """A screenshot of the page, scrolled to `focus` (an element) when given."""
    if focus is not None:
        driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", focus)
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"{page}.png"))


def go(driver, world, route, ready):
    """Opens a route and waits for `ready` (a data-testid) to show."""
    url = f"{world['base']}/console#/{route}"
    if driver.current_url == url:
        driver.refresh()  # the same URL with a fragment does not load the page again
    else:
        driver.get(url)
    return by_testid(driver, ready)


def browser_fetch(driver, method, path, headers=None, body=None):
    """A fetch from the console's page: (status, body text)."""
    return driver.execute_async_script("""
        const [method, path, headers, body, done] = arguments;
        fetch(path, {method, credentials: "same-origin", headers: headers || {},
                     body: body === null ? undefined : body})
          .then(async r => done([r.status, await r.text()]))
          .catch(e => done([0, String(e)]));
    """, method, path, headers, body)


def type_into(el, text):
    el.send_keys(Keys.CONTROL, "a")
    el.send_keys(Keys.DELETE)
    el.send_keys(text)


def no_csp_violations(driver):
    errors = [e for e in driver.get_log("browser")
              if "Content Security Policy" in e.get("message", "")]
    assert not errors, errors


def unlabelled(driver):
    """The visible form controls of the page without a label."""
    return driver.execute_script("""
        return [...document.querySelectorAll('input, select, textarea')]
          .filter(e => e.type !== 'hidden' && e.offsetParent !== null
                  && !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
          .map(e => e.outerHTML.slice(0, 160));""")


def test_served_with_a_strict_policy_and_fast(server):
    world = server
    r = requests.get(world["base"] + "/console", timeout=10)
    assert r.status_code == 200
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Cache-Control"] == "no-store"
    # every page is the same HTML and modules (their server time is measured by
    # `cargo bench -p iam-server --bench console`, docs/benchmarks.md, not by a timed test)
    for path in ["/console", "/console/assets/app.js", "/console/assets/editor.js"]:
        assert requests.get(world["base"] + path, timeout=10).status_code == 200


def test_sign_in_page_is_labelled_and_keyboard_usable(server, driver):
    driver.get(f"{server['base']}/console")
    form = wait(driver, EC.visibility_of_element_located((By.ID, "signin-form")), 30)
    assert driver.switch_to.active_element == form.find_element(By.ID, "signin-account")
    assert unlabelled(driver) == []
    driver.switch_to.active_element.send_keys(Keys.TAB)
    assert driver.switch_to.active_element.get_attribute("id") == "signin-user"
    no_csp_violations(driver)


def test_sign_in_with_mfa(world, driver):
    driver.get(f"{world['base']}/console")
    form = wait(driver, EC.visibility_of_element_located((By.ID, "signin-form")), 30)
    assert form.find_element(By.ID, "signin-account") == driver.switch_to.active_element
    shot(driver, "signin")
    driver.find_element(By.ID, "signin-account").send_keys(world["account"])
    driver.find_element(By.ID, "signin-user").send_keys("alice")
    driver.find_element(By.ID, "signin-password").send_keys("wrong password")
    driver.find_element(By.ID, "signin-submit").click()
    wait(driver, EC.text_to_be_present_in_element((By.ID, "signin-error"), "wrong"))

    password = driver.find_element(By.ID, "signin-password")
    type_into(password, PASSWORD)
    driver.find_element(By.ID, "signin-submit").click()
    # the user has an MFA device: the code is asked for
    wait(driver, EC.text_to_be_present_in_element((By.ID, "signin-error"), "MFA"))

    for attempt in range(2):
        type_into(driver.find_element(By.ID, "signin-password"), PASSWORD)
        type_into(driver.find_element(By.ID, "signin-mfa"), world["totp"].now())
        driver.find_element(By.ID, "signin-submit").click()
        try:
            wait(driver, EC.text_to_be_present_in_element(
                (By.CSS_SELECTOR, '[data-testid="signed-in-user"]'), "alice"), 10)
            break
        except Exception:
            # a code is good once: the enable call used this step's; take the next step's
            if attempt == 1:
                raise
            step_left = 30 - time.time() % 30
            time.sleep(step_left + 0.5)
    assert world["account"] in driver.find_element(By.ID, "signed-in-user").text
    cookie = driver.get_cookie("__Host-modelarts_iam_session")
    assert cookie and cookie["httpOnly"] and cookie["secure"] and cookie.get("sameSite") == "Strict"
    world["cookie"] = cookie["value"]
    by_testid(driver, "users-table")
    assert unlabelled(driver) == []
    shot(driver, "users")
    no_csp_violations(driver)


BROKEN = """{
  "Version": "5.0",
  "Statement": [{
    "Effect": "Alow",
    "Action": ["modelarts:notebook:create"],
    "Resource": ["*"]
  }]
}"""

FIXED = BROKEN.replace('"Alow"', '"Allow"')


def test_policy_editor_marks_fixes_and_attaches(world, driver):
    go(driver, world, "editor", "policy-json")
    text = driver.find_element(By.ID, "policy-json")
    type_into(text, BROKEN)
    finding = wait(driver, EC.visibility_of_element_located(
        (By.CSS_SELECTOR, '[data-testid="finding"][data-type="error"]')))
    assert finding.get_attribute("data-line") == "4", finding.text
    assert "Line 4" in finding.text
    mark = driver.find_element(By.CSS_SELECTOR, '#editor-gutter [data-line="4"]')
    assert mark.get_attribute("data-mark") == "error"
    assert driver.find_element(By.CSS_SELECTOR, '#editor-gutter [data-line="3"]').get_attribute("data-mark") is None
    assert unlabelled(driver) == []
    shot(driver, "editor")
    # activating the finding with the keyboard puts the caret on its line
    finding.send_keys(Keys.ENTER)
    caret_line = driver.execute_script(
        "const t = document.getElementById('policy-json');"
        "return t.value.slice(0, t.selectionStart).split('\\n').length;")
    assert caret_line == 4

    type_into(text, FIXED)
    wait(driver, lambda d: d.find_element(By.ID, "findings-summary").text.startswith(("No findings", "1", "2"))
         and not d.find_elements(By.CSS_SELECTOR, '[data-testid="finding"][data-type="error"]')
         and not d.find_elements(By.CSS_SELECTOR, '#editor-gutter [data-mark="error"]'))
    # the page shows how long the round trip took (the server's part is benchmarked)
    assert int(driver.find_element(By.ID, "findings-summary").get_attribute("data-validate-ms")) >= 0

    # the visual mode shows the same document, and switching back keeps it
    driver.find_element(By.ID, "mode-visual").click()
    box = wait(driver, EC.presence_of_element_located(
        (By.CSS_SELECTOR, 'input[data-action="modelarts:notebook:create"]')))
    assert box.is_selected()
    assert Select(driver.find_element(By.ID, "st0-effect")).first_selected_option.text == "Allow"
    assert unlabelled(driver) == []
    shot(driver, "editor-visual")
    driver.find_element(By.ID, "mode-json").click()
    assert json.loads(driver.find_element(By.ID, "policy-json").get_attribute("value")) == json.loads(FIXED)

    driver.find_element(By.ID, "policy-name").send_keys("console-notebooks")
    driver.find_element(By.ID, "save-policy").click()
    created = by_testid(driver, "created-policy")
    policy_id = created.get_attribute("data-policy-id")
    Select(by_testid(driver, "attach-target")).select_by_visible_text("user bob")
    driver.find_element(By.ID, "attach-button").click()
    wait(driver, EC.text_to_be_present_in_element((By.ID, "status"), "Attached to user bob"))
    bob = world["users"]["bob"]["user_id"]
    attached = world["api"].ok("GET", f"/v5/users/{bob}/attached-policies")["attached_policies"]
    assert [p["policy_id"] for p in attached] == [policy_id]
    world["policy_id"] = policy_id


def simulate(driver, world, user, action):
    go(driver, world, "simulator", "sim-run")
    Select(driver.find_element(By.ID, "sim-user")).select_by_visible_text(user)
    type_into(driver.find_element(By.ID, "sim-action"), action)
    driver.find_element(By.ID, "sim-run").click()
    return wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, '[data-testid="sim-table"] tbody tr')))


def test_simulator_allows_and_denies_with_the_explanation(world, driver):
    row = simulate(driver, world, "bob", "modelarts:notebook:create")
    assert row.find_element(By.CSS_SELECTOR, '[data-testid="decision"]').text == "allow"
    determining = row.find_element(By.CSS_SELECTOR, '[data-testid="determining"]').text
    assert "Allow statement #0" in determining and "identity" in determining, determining
    assert unlabelled(driver) == []
    shot(driver, "simulator", driver.find_element(By.ID, "sim-form"))

    row = simulate(driver, world, "bob", "modelarts:notebook:delete")
    assert row.find_element(By.CSS_SELECTOR, '[data-testid="decision"]').text == "implicit_deny"
    reason = row.find_element(By.CSS_SELECTOR, '[data-testid="reason"]').text
    assert "no matching Allow in identity policies" in reason, reason

    # every action of a scenario: one decision per action
    go(driver, world, "simulator", "sim-run")
    Select(driver.find_element(By.ID, "sim-user")).select_by_visible_text("bob")
    Select(driver.find_element(By.ID, "sim-actions-mode")).select_by_value("scenario")
    scenario = Select(driver.find_element(By.ID, "sim-scenario"))
    count = int(scenario.first_selected_option.text.rsplit("(", 1)[1].split()[0])
    driver.find_element(By.ID, "sim-run").click()
    summary = by_testid(driver, "sim-summary")
    assert summary.text.endswith(f"of {count} allowed."), summary.text
    assert len(driver.find_elements(By.CSS_SELECTOR, '[data-testid="sim-table"] tbody tr')) == count


def test_one_click_authorization_completes_coverage(world, driver):
    carol = world["users"]["carol"]
    go(driver, world, f"modelarts?user={carol['user_id']}", "coverage-summary")
    summary = driver.find_element(By.CSS_SELECTOR, '[data-testid="coverage-summary"]')
    assert summary.get_attribute("data-complete") == "false", summary.text
    assert "carol" in summary.text
    Select(driver.find_element(By.ID, "auth-user")).select_by_visible_text("carol")
    Select(driver.find_element(By.ID, "auth-agency")).select_by_value("new")
    assert driver.find_element(By.ID, "auth-grant").is_selected()
    driver.find_element(By.ID, "one-click").click()
    wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid="coverage-summary"]')
         .get_attribute("data-complete") == "true", 60)
    assert "carol" in driver.find_element(By.CSS_SELECTOR, '[data-testid="coverage-summary"]').text
    table = driver.find_element(By.CSS_SELECTOR, '[data-testid="authorizations-table"]').text
    assert "carol" in table and "modelarts_agency" in table
    assert unlabelled(driver) == []
    shot(driver, "modelarts", driver.find_element(By.CSS_SELECTOR, '[data-testid="authorizations"]'))
    # the server agrees: the authorization is stored and the coverage is complete
    auth = world["api"].ok("GET", f"/v2/{world['key']['project_id']}/authorizations")["auth"]
    assert [a["content"] for a in auth if a["user_id"] == carol["user_id"]] == ["modelarts_agency"]
    report = world["api"].ok("POST", "/v1/assistant/coverage",
                             {"scenarios": ["all"], "principal": carol["urn"]})
    assert report["covered"] is True


def test_scp_from_the_organization_page_shows_in_the_simulator(world, driver):
    """SCPs enabled, an SCP written and attached to the account on the Organization page: the
    simulator's explanation names its deny statement and SCP level."""
    api = world["api"]
    tree = go(driver, world, "org", "org-tree")
    assert unlabelled(driver) == []
    assert "organizational_unit research" in tree.text, tree.text
    driver.find_element(By.ID, "toggle-scps").click()
    wait(driver, EC.text_to_be_present_in_element((By.CSS_SELECTOR, '[data-testid="org-tree"]'), "SCPs are enabled"))
    # SCPs do not apply to the management account: a member account, made on the page
    driver.find_element(By.ID, "new-account-name").send_keys("research-1")
    driver.find_element(By.ID, "create-account").click()
    wait(driver, EC.text_to_be_present_in_element((By.ID, "status"), "Created member account research-1"))
    member = [a for a in api.ok("GET", "/v1/organizations/accounts")["accounts"] if a["name"] == "research-1"][0]["id"]
    driver.find_element(By.ID, "new-scp-name").send_keys("no-notebooks")
    # every SCP level needs an Allow: this one allows everything but creating notebooks
    type_into(driver.find_element(By.ID, "new-scp-content"), json.dumps({"Version": "5.0", "Statement": [
        {"Effect": "Allow", "Action": ["*"], "Resource": ["*"]},
        {"Effect": "Deny", "Action": ["modelarts:notebook:create"], "Resource": ["*"]}]}))
    driver.find_element(By.ID, "create-scp").click()
    wait(driver, EC.element_to_be_clickable((By.CSS_SELECTOR, '[data-testid="scp-no-notebooks"]'))).click()
    target = Select(by_testid(driver, "scp-attach-target"))
    target.select_by_value(member)
    driver.find_element(By.ID, "scp-attach").click()
    wait(driver, EC.text_to_be_present_in_element((By.CSS_SELECTOR, '[data-testid="org-tree"]'), "no-notebooks"))
    shot(driver, "org", driver.find_element(By.TAG_NAME, "h1"))
    scp_id = [p["id"] for p in api.ok("GET", "/v1/organizations/policies")["policies"] if p["name"] == "no-notebooks"][0]
    try:
        # the member account's root user, by URN
        go(driver, world, "simulator", "sim-run")
        Select(driver.find_element(By.ID, "sim-principal-kind")).select_by_value("urn")
        driver.find_element(By.ID, "sim-urn").send_keys(f"iam::{member}:user:research-1")
        type_into(driver.find_element(By.ID, "sim-action"), "modelarts:notebook:create")
        driver.find_element(By.ID, "sim-run").click()
        row = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, '[data-testid="sim-table"] tbody tr')))
        assert row.find_element(By.CSS_SELECTOR, '[data-testid="decision"]').text == "explicit_deny"
        determining = row.find_element(By.CSS_SELECTOR, '[data-testid="determining"]').text
        assert "Deny statement #1" in determining and "SCP level" in determining, determining
        reason = row.find_element(By.CSS_SELECTOR, '[data-testid="reason"]').text
        assert "explicit Deny" in reason and "SCP level" in reason, reason
    finally:
        api.ok("POST", f"/v1/organizations/policies/{scp_id}/detach", {"entity_id": member})


@pytest.mark.parametrize("route,ready", [
    ("groups", "groups-table"), ("policies", "policies-table"), ("agencies", "agencies-table"),
])
def test_page_renders(world, driver, route, ready):
    go(driver, world, route, ready)
    assert unlabelled(driver) == []
    shot(driver, route)
    no_csp_violations(driver)


def test_decision_log_with_filters(world, driver):
    """A request bob makes through the gateway (nginx's auth_request endpoint) is decided and
    logged; the log page finds it by principal and decision."""
    api = world["api"]
    bob = world["users"]["bob"]
    key = api.ok("POST", f"/v5/users/{bob['user_id']}/access-keys")["access_key"]
    path = f"/v1/{world['key']['project_id']}/notebooks"
    host = api.endpoint.split("://", 1)[1]
    req = SdkRequest(method="GET", schema="http", host=host, resource_path=path, uri=path,
                     query_params=[], header_params={}, body=b"")
    Signer(BasicCredentials(key["access_key_id"], key["secret_access_key"])).sign(req)
    headers = dict(req.header_params, **{"X-Original-Method": "GET", "X-Original-URI": path})
    r = requests.get(api.endpoint + "/v1/gateway/authorize", headers=headers, timeout=10)
    assert r.status_code == 403, r.text  # bob may create notebooks, not list them

    go(driver, world, "log", "log-table")
    assert unlabelled(driver) == []
    driver.find_element(By.ID, "log-principal").send_keys(bob["urn"])
    Select(driver.find_element(By.ID, "log-decision")).select_by_value("implicit_deny")

    def found(d):
        # the log is written in batches: search until the entry is there
        d.find_element(By.ID, "log-search").click()
        rows = [r.text for r in d.find_elements(By.CSS_SELECTOR, '[data-testid="log-table"] tbody tr')]
        return rows if rows and "modelarts:notebook:list" in rows[0] else None
    rows = wait(driver, found)
    assert all(bob["urn"] in r and "implicit_deny" in r for r in rows), rows
    shot(driver, "log")
    # another decision filter finds none of bob's
    Select(driver.find_element(By.ID, "log-decision")).select_by_value("allow")
    driver.find_element(By.ID, "log-search").click()
    wait(driver, lambda d: "None." in d.find_element(By.CSS_SELECTOR, '[data-testid="log-table"]').text)


def test_a_request_without_the_csrf_header_is_refused(world, driver):
    go(driver, world, "users", "users-table")
    status, body = browser_fetch(driver, "POST", "/v5/users", {"Content-Type": "application/json"},
                                 json.dumps({"name": "csrf-fetch-victim"}))
    assert status == 403, body
    assert json.loads(body)["error_code"] == "CONSOLE.0005"
    # a plain HTML form posted to the API: the cookie goes along, the CSRF header cannot
    driver.execute_script("""
        const f = document.createElement('form');
        f.method = 'post'; f.action = '/v5/users'; f.enctype = 'text/plain';
        const i = document.createElement('input');
        i.name = '{"name":"csrf-form-victim","description":"'; i.value = '"}';
        f.appendChild(i); document.body.appendChild(f); f.submit();
    """)
    wait(driver, EC.url_contains("/v5/users"))
    assert "CONSOLE.0005" in driver.find_element(By.TAG_NAME, "body").text
    names = [u["user_name"] for u in world["api"].ok("GET", "/v5/users")["users"]]
    assert "csrf-fetch-victim" not in names and "csrf-form-victim" not in names
    # with the header, the same session may create users
    driver.get(f"{world['base']}/console#/users")
    by_testid(driver, "users-table")


def test_a_lost_session_returns_to_sign_in(world, driver):
    go(driver, world, "users", "users-table")
    cookie = driver.get_cookie("__Host-modelarts_iam_session")
    # the browser loses the cookie (as when the session expires): the next call answers 401 and
    # the console goes back to the sign-in page and says why
    driver.delete_cookie("__Host-modelarts_iam_session")
    driver.find_element(By.CSS_SELECTOR, 'nav a[data-route="groups"]').click()
    wait(driver, EC.text_to_be_present_in_element((By.ID, "signin-info"), "session ended"))
    # the session itself is still valid on the server: with the cookie back, the console is too
    driver.add_cookie({k: cookie[k] for k in ("name", "value", "path", "secure", "httpOnly", "sameSite")})
    go(driver, world, "groups", "groups-table")


def test_sign_out_ends_the_session(world, driver):
    go(driver, world, "users", "users-table")
    driver.find_element(By.ID, "sign-out").click()
    by_testid(driver, "signin-info")
    assert "signed out" in driver.find_element(By.ID, "signin-info").text
    status, _ = browser_fetch(driver, "GET", "/console/api/session")
    assert status == 401
    # the old cookie is dead on the server, not only forgotten by the browser
    r = requests.get(world["base"] + "/console/api/session",
                     cookies={"__Host-modelarts_iam_session": world["cookie"]}, timeout=10)
    assert r.status_code == 401
    assert r.json()["error_code"] == "CONSOLE.0006"
