"""Real nginx (Debian's /usr/sbin/nginx) in front of a ModelArts-compatible upstream, enforcing
modelarts-iam through `auth_request` (tests/nginx/nginx.conf.template, the configuration of
docs/gateway.md), driven by the official `huaweicloudsdkmodelarts` unchanged: allowed calls reach
the upstream with the caller's identity set by nginx; policy denials answer 403 and bad
credentials 401 with Huawei's error body; requests with a body go through the modelarts-iam
proxy (nginx cannot hand a body to an auth subrequest). The `finding_*` tests send exact request
lines and headers (http.client, no normalisation): every spelling of a path reaches the upstream
only as the canonical, authorized request (or is refused with 400, by nginx or by modelarts-iam),
and the upstream sees none of the client's identity, override or forwarding headers."""

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "sdk"))

from huaweicloudsdkcore.auth.credentials import BasicCredentials, GlobalCredentials  # noqa: E402
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException  # noqa: E402
from huaweicloudsdkcore.http.http_config import HttpConfig  # noqa: E402
from huaweicloudsdkiam.v5 import (  # noqa: E402
    AttachAgencyPolicyReqBody, AttachAgencyPolicyV5Request, AttachUserPolicyReqBody,
    AttachUserPolicyV5Request, CreateAccessKeyV5Request, CreateAgencyReqBody, CreateAgencyV5Request,
    CreatePolicyReqBody, CreatePolicyV5Request, CreateUserReqBody, CreateUserV5Request, IamClient,
)
from huaweicloudsdkmodelarts.v1 import (  # noqa: E402
    JobSearches, ListNotebooksRequest, ListTrainingJobsRequest, ModelArtsClient,
    ShowTrainingJobDetailsRequest,
)
from huaweicloudsdksts.v1 import AssumeAgencyReqBody, AssumeAgencyRequest, StsClient  # noqa: E402

from fake_modelarts import FakeModelArts, start_iam_server, stop  # noqa: E402

BINARY = Path(os.environ.get("MODELARTS_IAM_BIN", REPO / "target" / "debug" / "modelarts-iam"))
NGINX = os.environ.get("NGINX", shutil.which("nginx") or "/usr/sbin/nginx")

ML_DEV = {"Version": "5.0", "Statement": [
    {"Effect": "Allow", "Action": ["modelarts:notebook:list", "modelarts:trainJob:list",
                                   "modelarts:trainJob:get"]}]}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_config():
    cfg = HttpConfig.get_default_config()
    cfg.timeout = (5, 30)
    return cfg


class Stack:
    def __init__(self, nginx_endpoint, iam_endpoint, key, data_dir, fake):
        self.endpoint, self.iam_endpoint = nginx_endpoint, iam_endpoint
        self.key, self.data_dir, self.fake = key, data_dir, fake
        self.account_id, self.project_id = key["account_id"], key["project_id"]

    def iam(self):
        cred = GlobalCredentials(self.key["access_key_id"], self.key["secret_access_key"], self.account_id)
        return (IamClient.new_builder().with_http_config(http_config()).with_credentials(cred)
                .with_endpoint(self.iam_endpoint).build())

    def modelarts(self, ak, sk, token=None):
        cred = BasicCredentials(ak, sk, self.project_id)
        if token:
            cred = cred.with_security_token(token)
        return (ModelArtsClient.new_builder().with_http_config(http_config()).with_credentials(cred)
                .with_endpoint(self.endpoint).build())

    def user(self, prefix, doc=None):
        iam = self.iam()
        u = iam.create_user_v5(CreateUserV5Request(body=CreateUserReqBody(
            name=f"{prefix}-{uuid.uuid4().hex[:6]}", enabled=True))).user
        if doc is not None:
            p = iam.create_policy_v5(CreatePolicyV5Request(body=CreatePolicyReqBody(
                policy_name=f"p-{u.user_name}", policy_document=json.dumps(doc)))).policy
            iam.attach_user_policy_v5(AttachUserPolicyV5Request(
                policy_id=p.policy_id, body=AttachUserPolicyReqBody(user_id=u.user_id)))
        k = iam.create_access_key_v5(CreateAccessKeyV5Request(user_id=u.user_id)).access_key
        return u, k.access_key_id, k.secret_access_key


def render_config(prefix: Path, listen: int, iam_port: int, upstream_port: int) -> Path:
    text = (HERE / "nginx.conf.template").read_text()
    text = (text.replace("@PREFIX@", str(prefix)).replace("@LISTEN@", f"127.0.0.1:{listen}")
            .replace("@IAM@", f"127.0.0.1:{iam_port}").replace("@UPSTREAM@", f"127.0.0.1:{upstream_port}")
            .replace("@USER@", "user root;" if os.geteuid() == 0 else ""))
    conf = prefix / "nginx.conf"
    conf.write_text(text)
    return conf


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if not Path(NGINX).exists():
        pytest.skip(f"nginx is not installed ({NGINX}); apt-get install nginx to run this suite")
    assert BINARY.exists(), f"{BINARY} is missing: run `cargo build -p iam-cli` first"
    fake = FakeModelArts().start()
    data_dir = tmp_path_factory.mktemp("nginx-iam-data")
    iam_port = free_port()
    proc, iam_endpoint, key = start_iam_server(BINARY, data_dir, "--upstream", fake.url, port=iam_port)
    prefix = tmp_path_factory.mktemp("nginx")
    listen = free_port()
    conf = render_config(prefix, listen, iam_port, fake.port)
    check = subprocess.run([NGINX, "-t", "-p", str(prefix), "-c", str(conf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    nginx = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{listen}"
    deadline = time.time() + 20
    while True:
        try:
            requests.get(endpoint + "/", timeout=1)
            break
        except requests.RequestException:
            if nginx.poll() is not None or time.time() > deadline:
                stop(proc)
                fake.stop()
                raise RuntimeError("nginx did not start: " + (prefix / "error.log").read_text())
            time.sleep(0.1)
    try:
        yield Stack(endpoint, iam_endpoint, key, data_dir, fake)
    finally:
        nginx.terminate()
        try:
            nginx.wait(timeout=10)
        except subprocess.TimeoutExpired:
            nginx.kill()
        stop(proc)
        fake.stop()


def test_allowed_calls_pass_nginx_with_the_identity_set_by_nginx(stack):
    u, ak, sk = stack.user("ngx-alice", ML_DEV)
    client = stack.modelarts(ak, sk)
    before = stack.fake.count()
    notebooks = client.list_notebooks(ListNotebooksRequest(limit=10, offset=0))
    assert notebooks.total == 2
    h = stack.fake.last()["headers"]
    assert h["x-iam-principal-urn"] == u.urn
    assert h["x-iam-action"] == "modelarts:notebook:list"
    assert "authorization" not in h and "x-security-token" not in h
    job = client.show_training_job_details(ShowTrainingJobDetailsRequest(training_job_id="job-9"))
    assert job.metadata.id == "job-9"
    assert stack.fake.last()["headers"]["x-iam-resource"].endswith(":trainJob:job-9")
    # a request with a body: nginx -> modelarts-iam proxy -> upstream
    jobs = client.list_training_jobs(ListTrainingJobsRequest(body=JobSearches(offset=0, limit=10)))
    assert jobs.total == 1
    assert stack.fake.last()["headers"]["x-iam-action"] == "modelarts:trainJob:list"
    assert stack.fake.count() == before + 3


def test_a_revision_token_is_honoured_by_auth_request_and_not_forwarded(stack, users):
    """X-IAM-Min-Revision (docs/server.md, "Revision tokens") is for modelarts-iam: the
    auth_request subrequest honours it (a revision the store has: allowed; one it has not: the
    precise 400), and nginx does not pass it to the backend."""
    target = f"/v1/{stack.project_id}/notebooks"
    ready = requests.get(stack.iam_endpoint + "/readyz", timeout=5).json()
    current = str(ready["revision"])
    status, _, body = send_raw(stack, "GET", target, signed(
        stack, *users["alice"], "GET", target, extra=[("X-IAM-Min-Revision", current)]))
    assert status == 200, body
    lines = [(k.lower(), v) for k, v in stack.fake.last()["header_list"]]
    assert [v for k, v in lines if k == "x-iam-min-revision"] == []
    status, _, body = send_raw(stack, "GET", target, signed(
        stack, *users["alice"], "GET", target,
        extra=[("X-IAM-Min-Revision", str(ready["revision"] + 10_000))]))
    assert status != 200, body


def test_a_forged_identity_header_is_overwritten(stack):
    u, ak, sk = stack.user("ngx-forger", ML_DEV)
    client = stack.modelarts(ak, sk)
    # the SDK signs custom headers too; nginx replaces the value before the upstream sees it
    req = ListNotebooksRequest(limit=1)
    http_info = client._list_notebooks_http_info(req)
    http_info["header_params"]["X-Iam-Principal-Urn"] = "iam::0:user:admin"
    client._call_api(**http_info)
    assert stack.fake.last()["headers"]["x-iam-principal-urn"] == u.urn


def test_denials_through_nginx_answer_huawei_bodies(stack):
    _, ak, sk = stack.user("ngx-bob")
    client = stack.modelarts(ak, sk)
    before = stack.fake.count()
    calls = [lambda: client.list_notebooks(ListNotebooksRequest(limit=1)),
             lambda: client.show_training_job_details(ShowTrainingJobDetailsRequest(training_job_id="j")),
             lambda: client.list_training_jobs(ListTrainingJobsRequest(body=JobSearches(limit=1)))]
    for call in calls:
        with pytest.raises(ClientRequestException) as e:
            call()
        assert e.value.status_code == 403 and e.value.error_code == "IAM.0003", e.value
        assert "because no identity-based policy allows" in e.value.error_msg
        assert e.value.request_id
    _, ak, sk = stack.user("ngx-wrong", ML_DEV)
    wrong = stack.modelarts(ak, "y" * len(sk))
    for call in (lambda: wrong.list_notebooks(ListNotebooksRequest(limit=1)),
                 lambda: wrong.list_training_jobs(ListTrainingJobsRequest(body=JobSearches(limit=1)))):
        with pytest.raises(ClientRequestException) as e:
            call()
        assert e.value.status_code == 401 and e.value.error_code == "APIGW.0301"
    assert stack.fake.count() == before


def test_agency_sessions_and_expired_tokens_through_nginx(stack):
    iam = stack.iam()
    u, ak, sk = stack.user("ngx-assumer")
    tag = uuid.uuid4().hex[:6]
    trust = {"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["sts:agencies:assume"],
                                              "Principal": {"IAM": [stack.account_id]}}]}
    agency = iam.create_agency_v5(CreateAgencyV5Request(body=CreateAgencyReqBody(
        agency_name=f"ngx-{tag}", trust_policy=json.dumps(trust)))).agency
    p = iam.create_policy_v5(CreatePolicyV5Request(body=CreatePolicyReqBody(
        policy_name=f"assume-{tag}", policy_document=json.dumps({"Version": "5.0", "Statement": [
            {"Effect": "Allow", "Action": ["sts:agencies:assume"], "Resource": [agency.urn]}]})))).policy
    iam.attach_user_policy_v5(AttachUserPolicyV5Request(
        policy_id=p.policy_id, body=AttachUserPolicyReqBody(user_id=u.user_id)))
    ap = iam.create_policy_v5(CreatePolicyV5Request(body=CreatePolicyReqBody(
        policy_name=f"agency-{tag}", policy_document=json.dumps(ML_DEV)))).policy
    iam.attach_agency_policy_v5(AttachAgencyPolicyV5Request(
        policy_id=ap.policy_id, body=AttachAgencyPolicyReqBody(agency_id=agency.agency_id)))
    sts = (StsClient.new_builder().with_http_config(http_config())
           .with_credentials(BasicCredentials(ak, sk)).with_endpoint(stack.iam_endpoint).build())

    def assume(name, **kw):
        return sts.assume_agency(AssumeAgencyRequest(body=AssumeAgencyReqBody(
            agency_urn=agency.urn, agency_session_name=name, **kw))).credentials

    c = assume("ngx-session")
    client = stack.modelarts(c.access_key_id, c.secret_access_key, c.security_token)
    assert client.list_notebooks(ListNotebooksRequest(limit=1)).total == 2
    h = stack.fake.last()["headers"]
    assert h["x-iam-agency-id"] == agency.agency_id and h["x-iam-session-name"] == "ngx-session"

    c2 = assume("ngx-expired", duration_seconds=900)
    db = sqlite3.connect(stack.data_dir / "iam.db", timeout=10)
    with db:
        db.execute("UPDATE session_credentials SET expires_at = '2020-01-01T00:00:00Z' "
                   "WHERE access_key_id = ?", (c2.access_key_id,))
    db.close()
    expired = stack.modelarts(c2.access_key_id, c2.secret_access_key, c2.security_token)
    with pytest.raises(ClientRequestException) as e:
        expired.list_notebooks(ListNotebooksRequest(limit=1))
    assert e.value.status_code == 401 and e.value.error_code == "APIGW.0301"


def test_nginx_decisions_are_in_the_decision_log(stack):
    u, ak, sk = stack.user("ngx-audit", ML_DEV)
    stack.modelarts(ak, sk).list_notebooks(ListNotebooksRequest(limit=1))
    db_path = stack.data_dir / "iam.db"
    deadline = time.time() + 5
    rows = []
    while time.time() < deadline and not rows:
        db = sqlite3.connect(db_path, timeout=10)
        rows = db.execute("SELECT action, decision, extra FROM decision_log WHERE principal_urn = ?",
                          (u.urn,)).fetchall()
        db.close()
        time.sleep(0.05)
    assert rows, "logged"
    action, decision, extra = rows[0]
    assert action == "modelarts:notebook:list" and decision == "allow"
    assert json.loads(extra)["mode"] == "auth_request"


# --- one reading of a request through real nginx (findings 2, 5, 9, 10) -----------------------
# nginx passes the raw `$request_uri` to modelarts-iam as X-Original-URI; modelarts-iam decides on
# its canonical form and answers it in X-Iam-Canonical-Uri, which nginx forwards byte for byte.
# Some spellings nginx refuses itself (its own 400, HTML) before the auth subrequest; whatever
# happens, the upstream gets a request only as the canonical, authorized one.

import http.client  # noqa: E402
from urllib.parse import unquote  # noqa: E402

from huaweicloudsdkcore.sdk_request import SdkRequest  # noqa: E402
from huaweicloudsdkcore.signer.signer import Signer  # noqa: E402

DENY_SECRET_JOB = {"Version": "5.0", "Statement": [
    {"Effect": "Allow", "Action": ["modelarts:notebook:list", "modelarts:trainJob:get"]},
    {"Effect": "Deny", "Action": ["modelarts:trainJob:get"],
     "Resource": ["modelarts:*:*:trainJob:secret-job"]}]}

# (spelling of /v2/{project}/training-jobs/<spelling>, expected reading): "secret-job" = one
# canonical request for the job secret-job; "refused" = no single reading, never forwarded
SPELLINGS = [
    ("secret-job", "secret-job"),
    ("secret%2Djob", "secret-job"),
    ("%73ecret-job", "secret-job"),
    ("%2573ecret-job", "refused"),
    ("..%2Fworkflows", "refused"),
    ("..%5Cworkflows", "refused"),
    ("..%252F", "refused"),
    ("secret-job.", "refused"),
    ("secret-job;x", "refused"),
    ("./secret-job", "refused"),
    ("../training-jobs/secret-job", "refused"),
    ("secret-job/", "refused"),
    ("/secret-job", "refused"),
]


def send_raw(stack, method, target, headers):
    """One request with exactly this method, request target and header lines (http.client sends
    the target as given; `requests` would normalise dot segments). Returns (status, headers with
    lower-case names, body bytes)."""
    host, port = stack.endpoint.split("://", 1)[1].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for k, v in headers:
            conn.putheader(k, v)
        conn.endheaders()
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def signed(stack, ak, sk, method, target, extra=()):
    """The header lines of `method target` signed by huaweicloudsdkcore's own Signer over the
    raw target (it decodes and re-encodes the path, as the verifier does), plus `extra` lines
    added after signing (unsigned)."""
    path, _, query = target.partition("?")
    pairs = [tuple(unquote(x) for x in (p.split("=", 1) + [""])[:2]) for p in query.split("&") if p]
    host = stack.endpoint.split("://", 1)[1]
    req = SdkRequest(method=method.upper(), schema="http", host=host, resource_path=path, uri=path,
                     query_params=pairs, header_params={"Content-Type": "application/json"}, body=b"")
    Signer(BasicCredentials(ak, sk)).sign(req)
    return list(req.header_params.items()) + list(extra)


def outcome(status, headers, body):
    """`nginx-400` (nginx refused it itself), `gateway-400` (modelarts-iam refused it: Huawei's
    body), or the status with the Huawei error code."""
    try:
        doc = json.loads(body)
    except ValueError:
        doc = None
    if status == 400 and not isinstance(doc, dict):
        return "nginx-400"
    if status == 400 and doc.get("error_code") == "IAM.0001":
        return "gateway-400"
    return f"{status} {doc.get('error_code') if isinstance(doc, dict) else ''}".strip()


@pytest.fixture(scope="module")
def users(stack):
    _, carol_ak, carol_sk = stack.user("ngx-carol", DENY_SECRET_JOB)
    alice, alice_ak, alice_sk = stack.user("ngx-alice2", ML_DEV)
    return {"carol": (carol_ak, carol_sk), "alice": (alice_ak, alice_sk), "alice_urn": alice.urn}


def test_finding_2_9_every_spelling_reaches_the_upstream_only_as_the_canonical_request(stack, users):
    canonical = f"/v2/{stack.project_id}/training-jobs/secret-job"
    seen = {}
    for spelling, expect in SPELLINGS:
        target = f"/v2/{stack.project_id}/training-jobs/{spelling}"
        for who in ("carol", "alice"):
            before = stack.fake.count()
            status, headers, body = send_raw(stack, "GET", target, signed(stack, *users[who], "GET", target))
            got = outcome(status, headers, body)
            seen[(spelling, who)] = got
            forwarded = stack.fake.count() - before
            case = f"{who} GET {target}: {got} {body[:200]!r}"
            if expect == "refused":
                # nginx's own 400, or modelarts-iam's 400 (403 + X-Iam-Status: 400) answered by
                # nginx with Huawei's body
                assert got in ("nginx-400", "gateway-400"), case
                assert forwarded == 0, case
            elif who == "carol":
                assert got == "403 IAM.0003", case
                assert ":trainJob:secret-job" in json.loads(body)["error_msg"], case
                assert forwarded == 0, case
            else:
                assert status == 200, case
                assert forwarded == 1, case
                last = stack.fake.last()
                assert last["method"] == "GET" and last["target"] == canonical, (case, last["target"])
                assert last["headers"]["x-iam-resource"].endswith(":trainJob:secret-job"), case
    # observed with Debian's nginx 1.22: nginx passes every one of these spellings to the auth
    # subrequest (it normalises only $uri); modelarts-iam refuses them on the raw $request_uri
    assert not any(o == "nginx-400" for o in seen.values()), seen


def test_finding_2_the_query_nginx_forwards_is_the_canonical_one(stack, users):
    path = f"/v1/{stack.project_id}/notebooks"
    target = f"{path}?limit=5&pool%5Fid=p%2D1"
    status, _, body = send_raw(stack, "GET", target, signed(stack, *users["alice"], "GET", target))
    assert status == 200, body
    assert stack.fake.last()["target"] == f"{path}?limit=5&pool_id=p-1"
    # a repeated key has two readings
    before = stack.fake.count()
    target = f"{path}?limit=1&limit=2"
    status, headers, body = send_raw(stack, "GET", target, signed(stack, *users["alice"], "GET", target))
    assert outcome(status, headers, body) == "gateway-400", body
    assert "more than once" in json.loads(body)["error_msg"]
    assert headers.get("x-request-id")
    assert stack.fake.count() == before


# Request lines beyond the spellings above, and what happens to each through Debian's nginx 1.22
# (observed): `nginx-400`/`nginx-405` nginx answers itself before the auth subrequest;
# `gateway-400` modelarts-iam refuses the raw $request_uri; `canonical` is forwarded as the
# canonical request. {p} is the project id, {host} nginx's address.
REQUEST_LINES = [
    ("get", "/v2/{p}/training-jobs/secret-job", "nginx-400"),
    ("Get", "/v2/{p}/training-jobs/secret-job", "nginx-400"),
    ("TRACE", "/v2/{p}/training-jobs/secret-job", "nginx-405"),
    ("PROPFIND", "/v2/{p}/training-jobs/secret-job", "gateway-400"),
    ("GET", "/v2/{p}/training-jobs/../../../../workflows", "nginx-400"),
    ("GET", "/v2/{p}/training-jobs/secret-job%00", "nginx-400"),
    ("GET", "/v2/{p}//training-jobs/secret-job", "gateway-400"),
    ("GET", "//v2/{p}/training-jobs/secret-job", "gateway-400"),
    ("GET", "/v2/{p}/training-jobs/..\\workflows", "gateway-400"),
    ("GET", "/v2/{p}/training-jobs/%2e%2e/workflows", "gateway-400"),
    ("GET", "/v2/{p}/training-jobs/secret-job%2e", "gateway-400"),
    ("GET", "/v2/{p}/training-jobs/secret-job%3Fx", "gateway-400"),
    ("GET", "/v2/{p}/training-jobs/secret-job#x", "gateway-400"),
    ("GET", "/v2/{p}/training-jobs/secret-job?%", "gateway-400"),
    # absolute form: $request_uri is the path and query only
    ("GET", "http://{host}/v2/{p}/training-jobs/secret-job", "canonical"),
]


def test_finding_9_request_lines_nginx_refuses_itself_or_passes_raw_to_the_gateway(stack, users):
    host = stack.endpoint.split("://", 1)[1]
    canonical = f"/v2/{stack.project_id}/training-jobs/secret-job"
    for method, line, expect in REQUEST_LINES:
        target = line.format(p=stack.project_id, host=host)
        signed_target = target.split(host, 1)[1] if target.startswith("http://") else target
        before = stack.fake.count()
        status, headers, body = send_raw(stack, method, target,
                                         signed(stack, *users["alice"], method, signed_target))
        got = outcome(status, headers, body)
        if got == "405" and b"nginx" in body:
            got = "nginx-405"
        if status == 200:
            got = "canonical"
        case = f"{method} {target}: {got} {status} {body[:200]!r}"
        assert got == expect, case
        if expect == "canonical":
            assert stack.fake.count() == before + 1, case
            assert stack.fake.last()["target"] == canonical, case
        else:
            assert stack.fake.count() == before, case


SPOOFED = [
    ("X_Iam_Principal_Urn", "iam::0:user:spoofed"),
    ("x-iam-principal-urn", "iam::0:user:spoofed"),
    ("X-IAM-ACCOUNT-ID", "spoofed-account"),
    ("X-Iam-Canonical-Uri", "/spoofed"),
    ("X_HTTP_Method_Override", "DELETE"),
    ("X-HTTP-Method-Override", "DELETE"),
    ("X-Method-Override", "DELETE"),
    ("X-HTTP-Method", "DELETE"),
    ("X-Original-URL", "/spoofed/workflows"),
    ("X-Rewrite-URL", "/spoofed/workflows"),
    ("X-Original-Method", "DELETE"),
    ("Forwarded", "for=1.2.3.4"),
    ("X-Forwarded-For", "6.6.6.6"),
    ("X_Forwarded_For", "6.6.6.6"),
    ("X-Real-IP", "6.6.6.6"),
    ("X-Forwarded-Host", "spoofed.example"),
    ("X-Forwarded-Proto", "https"),
    ("X-Client-IP", "6.6.6.6"),
    ("True-Client-IP", "6.6.6.6"),
]


def test_finding_5_9_10_the_upstream_sees_no_client_identity_override_or_forwarding_header(stack, users):
    target = f"/v1/{stack.project_id}/notebooks"
    status, _, body = send_raw(stack, "GET", target,
                               signed(stack, *users["alice"], "GET", target, extra=SPOOFED))
    assert status == 200, body
    last = stack.fake.last()
    assert last["method"] == "GET" and last["target"] == target
    lines = [(k.lower(), v) for k, v in last["header_list"]]
    for name, value in lines:
        assert "_" not in name, (name, value)
        for needle in ("spoofed", "6.6.6.6", "1.2.3.4", "DELETE", "https"):
            assert needle not in value, (name, value)

    def values(name):
        return [v for k, v in lines if k == name]

    assert values("x-forwarded-for") == ["127.0.0.1"]
    assert values("x-real-ip") == ["127.0.0.1"]
    assert values("x-forwarded-proto") == ["http"]
    assert values("x-iam-principal-urn") == [users["alice_urn"]]
    assert values("x-iam-account-id") == [stack.account_id]
    for name in ("forwarded", "x-http-method-override", "x-method-override", "x-http-method",
                 "x-original-url", "x-rewrite-url", "x-original-method", "x-original-uri",
                 "x-forwarded-host", "x-client-ip", "true-client-ip", "x-iam-canonical-uri",
                 "x-iam-status", "x-iam-error-body", "authorization"):
        assert values(name) == [], name


def test_finding_5_an_identity_header_nginx_does_not_overwrite_is_refused(stack, users):
    target = f"/v1/{stack.project_id}/notebooks"
    before = stack.fake.count()
    status, headers, body = send_raw(stack, "GET", target, signed(
        stack, *users["alice"], "GET", target, extra=[("X-Iam-Principal-Tag", "spoofed")]))
    assert outcome(status, headers, body) == "gateway-400", body
    assert "reserved" in json.loads(body)["error_msg"]
    assert stack.fake.count() == before
