"""Real nginx (Debian's /usr/sbin/nginx) in front of a ModelArts-compatible upstream, enforcing
modelarts-iam through `auth_request` (tests/nginx/nginx.conf.template, the configuration of
docs/gateway.md), driven by the official `huaweicloudsdkmodelarts` unchanged: allowed calls reach
the upstream with the caller's identity set by nginx; policy denials answer 403 and bad
credentials 401 with Huawei's error body; requests with a body go through the modelarts-iam
proxy (nginx cannot hand a body to an auth subrequest)."""

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
