"""The enforcement gateway's reverse proxy (`modelarts-iam serve --upstream URL`) driven by the
official `huaweicloudsdkmodelarts` unchanged: `list_notebooks`, `list_training_jobs` and
`show_training_job_details` are allowed for a user whose policy allows them, answer 403 with
Huawei's error body for a user whose policy denies them, and 401 for a wrong secret key or an
expired security token; agency sessions work through the proxy; the decisions are in the
decision log and in /metrics."""

import json
import os
import sqlite3
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials, GlobalCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from huaweicloudsdkiam.v5 import (
    AttachAgencyPolicyReqBody, AttachAgencyPolicyV5Request, AttachUserPolicyReqBody,
    AttachUserPolicyV5Request, CreateAccessKeyV5Request, CreateAgencyReqBody, CreateAgencyV5Request,
    CreatePolicyReqBody, CreatePolicyV5Request, CreateUserReqBody, CreateUserV5Request, IamClient,
)
from huaweicloudsdkmodelarts.v1 import (
    JobSearches, ListNotebooksRequest, ListTrainingJobsRequest, ModelArtsClient,
    ShowTrainingJobDetailsRequest,
)
from huaweicloudsdksts.v1 import AssumeAgencyReqBody, AssumeAgencyRequest, StsClient

from fake_modelarts import FakeModelArts, start_iam_server, stop

REPO = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("MODELARTS_IAM_BIN", REPO / "target" / "debug" / "modelarts-iam"))

ML_DEV = {"Version": "5.0", "Statement": [
    {"Effect": "Allow", "Action": ["modelarts:notebook:list", "modelarts:trainJob:list",
                                   "modelarts:trainJob:get"]}]}
ML_NO_TRAINING = {"Version": "5.0", "Statement": [
    {"Effect": "Allow", "Action": ["modelarts:*:*"]},
    {"Effect": "Deny", "Action": ["modelarts:trainJob:*"]}]}


def http_config():
    cfg = HttpConfig.get_default_config()
    cfg.timeout = (5, 30)
    return cfg


class Gateway:
    def __init__(self, endpoint, key, data_dir, fake):
        self.endpoint, self.key, self.data_dir, self.fake = endpoint, key, data_dir, fake
        self.account_id, self.project_id = key["account_id"], key["project_id"]

    def iam(self) -> IamClient:
        cred = GlobalCredentials(self.key["access_key_id"], self.key["secret_access_key"], self.account_id)
        return (IamClient.new_builder().with_http_config(http_config())
                .with_credentials(cred).with_endpoint(self.endpoint).build())

    def modelarts(self, ak, sk, token=None, endpoint=None) -> ModelArtsClient:
        cred = BasicCredentials(ak, sk, self.project_id)
        if token:
            cred = cred.with_security_token(token)
        return (ModelArtsClient.new_builder().with_http_config(http_config())
                .with_credentials(cred).with_endpoint(endpoint or self.endpoint).build())

    def sts(self, ak, sk) -> StsClient:
        return (StsClient.new_builder().with_http_config(http_config())
                .with_credentials(BasicCredentials(ak, sk)).with_endpoint(self.endpoint).build())

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

    def signed(self, method, path, query=None):
        """A request signed with the SDK's own signer (for endpoints without an SDK)."""
        host = self.endpoint.split("://", 1)[1]
        query = sorted(query or [])
        uri = path + ("?" + "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in query)
                      if query else "")
        req = SdkRequest(method=method, schema="http", host=host, resource_path=path, uri=uri,
                         query_params=query, header_params={"Content-Type": "application/json"},
                         body=b"")
        Signer(BasicCredentials(self.key["access_key_id"], self.key["secret_access_key"])).sign(req)
        return requests.request(method, self.endpoint + uri, headers=req.header_params, timeout=30)


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    assert BINARY.exists(), f"{BINARY} is missing: run `cargo build -p iam-cli` first"
    fake = FakeModelArts().start()
    data_dir = tmp_path_factory.mktemp("gateway-data")
    proc, endpoint, key = start_iam_server(BINARY, data_dir, "--upstream", fake.url)
    try:
        yield Gateway(endpoint, key, data_dir, fake)
    finally:
        stop(proc)
        fake.stop()


def three_calls(client):
    notebooks = client.list_notebooks(ListNotebooksRequest(limit=10, offset=0))
    jobs = client.list_training_jobs(ListTrainingJobsRequest(body=JobSearches(offset=0, limit=10)))
    job = client.show_training_job_details(ShowTrainingJobDetailsRequest(training_job_id="job-1"))
    return notebooks, jobs, job


def test_an_allowed_user_reaches_the_upstream_through_the_proxy(gw):
    u, ak, sk = gw.user("ma-alice", ML_DEV)
    before = gw.fake.count()
    notebooks, jobs, job = three_calls(gw.modelarts(ak, sk))
    assert notebooks.total == 2 and [n.id for n in notebooks.data] == ["nb-1", "nb-2"]
    assert jobs.total == 1 and jobs.items[0].metadata.id == "job-1"
    assert job.metadata.id == "job-1" and job.status.phase == "Running"
    assert gw.fake.count() == before + 3
    last = gw.fake.last()
    assert last["path"] == f"/v2/{gw.project_id}/training-jobs/job-1"
    h = last["headers"]
    assert h["x-iam-principal-urn"] == u.urn
    assert h["x-iam-account-id"] == gw.account_id
    assert h["x-iam-action"] == "modelarts:trainJob:get"
    assert h["x-iam-resource"].endswith(f":{gw.account_id}:trainJob:job-1")
    assert "authorization" not in h, "the caller's signature is not forwarded"


def test_policy_denies_answer_403_with_huawei_bodies(gw):
    _, ak, sk = gw.user("ma-nobody")
    before = gw.fake.count()
    client = gw.modelarts(ak, sk)
    with pytest.raises(ClientRequestException) as e:
        client.list_notebooks(ListNotebooksRequest(limit=10, offset=0))
    assert e.value.status_code == 403 and e.value.error_code == "IAM.0003"
    assert "is not authorized to perform action modelarts:notebook:list" in e.value.error_msg
    assert "because no identity-based policy allows" in e.value.error_msg
    assert e.value.request_id and e.value.encoded_auth_msg

    _, ak, sk = gw.user("ma-notrain", ML_NO_TRAINING)
    client = gw.modelarts(ak, sk)
    assert client.list_notebooks(ListNotebooksRequest(limit=10, offset=0)).total == 2
    for call in (lambda: client.list_training_jobs(ListTrainingJobsRequest(body=JobSearches(limit=5))),
                 lambda: client.show_training_job_details(ShowTrainingJobDetailsRequest(training_job_id="j"))):
        with pytest.raises(ClientRequestException) as e:
            call()
        assert e.value.status_code == 403 and e.value.error_code == "IAM.0003"
        assert e.value.error_msg.endswith("with an explicit deny in an identity-based policy.")
    assert gw.fake.count() == before + 1, "denied calls never reach the upstream"


def test_a_wrong_secret_key_answers_401(gw):
    _, ak, sk = gw.user("ma-wrongsk", ML_DEV)
    client = gw.modelarts(ak, "x" * len(sk))
    before = gw.fake.count()
    with pytest.raises(ClientRequestException) as e:
        three_calls(client)
    assert e.value.status_code == 401 and e.value.error_code == "APIGW.0301"
    assert gw.fake.count() == before


def test_agency_sessions_through_the_proxy_and_expired_tokens(gw):
    iam = gw.iam()
    u, ak, sk = gw.user("ma-assumer")
    tag = uuid.uuid4().hex[:6]
    trust = {"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["sts:agencies:assume"],
                                              "Principal": {"IAM": [gw.account_id]}}]}
    agency = iam.create_agency_v5(CreateAgencyV5Request(body=CreateAgencyReqBody(
        agency_name=f"ml-{tag}", trust_policy=json.dumps(trust)))).agency
    p = iam.create_policy_v5(CreatePolicyV5Request(body=CreatePolicyReqBody(
        policy_name=f"assume-{tag}", policy_document=json.dumps({"Version": "5.0", "Statement": [
            {"Effect": "Allow", "Action": ["sts:agencies:assume"], "Resource": [agency.urn]}]})))).policy
    iam.attach_user_policy_v5(AttachUserPolicyV5Request(policy_id=p.policy_id,
                                                        body=AttachUserPolicyReqBody(user_id=u.user_id)))
    ap = iam.create_policy_v5(CreatePolicyV5Request(body=CreatePolicyReqBody(
        policy_name=f"agency-ml-{tag}", policy_document=json.dumps(ML_DEV)))).policy
    iam.attach_agency_policy_v5(AttachAgencyPolicyV5Request(
        policy_id=ap.policy_id, body=AttachAgencyPolicyReqBody(agency_id=agency.agency_id)))

    sts = gw.sts(ak, sk)

    def assume(name, **kw):
        return sts.assume_agency(AssumeAgencyRequest(body=AssumeAgencyReqBody(
            agency_urn=agency.urn, agency_session_name=name, **kw))).credentials

    c = assume("nb-session", source_identity="ci-run")
    client = gw.modelarts(c.access_key_id, c.secret_access_key, c.security_token)
    notebooks, _, _ = three_calls(client)
    assert notebooks.total == 2
    h = gw.fake.last()["headers"]
    assert h["x-iam-principal-urn"] == f"sts::{gw.account_id}:assumed-agency:{agency.agency_name}/nb-session"
    assert h["x-iam-agency-id"] == agency.agency_id and h["x-iam-session-name"] == "nb-session"
    assert h["x-iam-source-identity"] == "ci-run"

    # a session policy that excludes training
    only_notebooks = {"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["modelarts:notebook:*"]}]}
    c2 = assume("narrow", policy=json.dumps(only_notebooks))
    narrow = gw.modelarts(c2.access_key_id, c2.secret_access_key, c2.security_token)
    assert narrow.list_notebooks(ListNotebooksRequest(limit=1)).total == 2
    with pytest.raises(ClientRequestException) as e:
        narrow.list_training_jobs(ListTrainingJobsRequest(body=JobSearches(limit=5)))
    assert e.value.status_code == 403
    assert "because no session policy allows the modelarts:trainJob:list action" in e.value.error_msg

    # expired: a fresh, never-used session whose expiry is moved into the past
    c3 = assume("expired", duration_seconds=900)
    db = sqlite3.connect(gw.data_dir / "iam.db", timeout=10)
    with db:
        db.execute("UPDATE session_credentials SET expires_at = '2020-01-01T00:00:00Z' "
                   "WHERE access_key_id = ?", (c3.access_key_id,))
    db.close()
    with pytest.raises(ClientRequestException) as e:
        gw.modelarts(c3.access_key_id, c3.secret_access_key, c3.security_token).list_notebooks(
            ListNotebooksRequest(limit=1))
    assert e.value.status_code == 401 and e.value.error_code == "APIGW.0301"
    # a token that does not belong to the key
    with pytest.raises(ClientRequestException) as e:
        gw.modelarts(c.access_key_id, c.secret_access_key, c2.security_token).list_notebooks(
            ListNotebooksRequest(limit=1))
    assert e.value.status_code == 401


def test_the_pool_named_by_a_request_is_in_its_context(gw):
    pool_only = {"Version": "5.0", "Statement": [{
        "Effect": "Allow", "Action": ["modelarts:notebook:list"],
        "Condition": {"StringEquals": {"modelarts:poolId": ["pool-a"]}}}]}
    _, ak, sk = gw.user("ma-pool", pool_only)
    client = gw.modelarts(ak, sk)
    assert client.list_notebooks(ListNotebooksRequest(limit=1, pool_id="pool-a")).total == 2
    assert gw.fake.last()["query"] == "limit=1&pool_id=pool-a"
    for other in ("pool-b", None):
        with pytest.raises(ClientRequestException) as e:
            client.list_notebooks(ListNotebooksRequest(limit=1, pool_id=other))
        assert e.value.status_code == 403


def test_enforced_requests_are_logged_and_counted(gw):
    u, ak, sk = gw.user("ma-audited", ML_DEV)
    client = gw.modelarts(ak, sk)
    client.list_notebooks(ListNotebooksRequest(limit=1))
    client.list_training_jobs(ListTrainingJobsRequest(body=JobSearches(limit=1, offset=0)))
    _, nak, nsk = gw.user("ma-audited-no")
    with pytest.raises(ClientRequestException):
        gw.modelarts(nak, nsk).list_notebooks(ListNotebooksRequest(limit=1))
    deadline = time.time() + 5
    entries = []
    while time.time() < deadline:
        r = gw.signed("GET", "/v1/decisions", [("principal_urn", u.urn)])
        assert r.status_code == 200, r.text
        entries = r.json()["decisions"]
        if len(entries) >= 2:
            break
        time.sleep(0.05)
    assert [e["action"] for e in entries] == ["modelarts:trainJob:list", "modelarts:notebook:list"]
    for e in entries:
        assert e["decision"] == "allow" and e["principal_urn"] == u.urn
        assert e["determining_statement"].startswith("identity:")
        assert e["extra"]["mode"] == "proxy"
    only = gw.signed("GET", "/v1/decisions", [("principal_urn", u.urn), ("action", "modelarts:notebook:list")])
    assert [e["action"] for e in only.json()["decisions"]] == ["modelarts:notebook:list"]
    # the CLI reads the same log from the data directory (the server keeps running) and from
    # the server
    import subprocess
    out = subprocess.run([str(BINARY), "log", "--data-dir", str(gw.data_dir), "--principal", u.urn, "--json"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert [e["action"] for e in json.loads(out.stdout)] == ["modelarts:trainJob:list", "modelarts:notebook:list"]
    out = subprocess.run([str(BINARY), "log", "--endpoint", gw.endpoint, "--key-file",
                          str(gw.data_dir / "root-access-key.json"), "--principal", u.urn,
                          "--action", "modelarts:notebook:list", "--json"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert [e["action"] for e in json.loads(out.stdout)] == ["modelarts:notebook:list"]
    table = subprocess.run([str(BINARY), "log", "--data-dir", str(gw.data_dir), "--decision", "allow"],
                           capture_output=True, text=True, timeout=60)
    assert table.returncode == 0 and u.urn in table.stdout and "modelarts:notebook:list" in table.stdout
    bad = subprocess.run([str(BINARY), "log", "--data-dir", str(gw.data_dir), "--since", "yesterday"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "RFC 3339" in bad.stderr

    m = gw.signed("GET", "/metrics")
    assert m.status_code == 200
    assert 'iam_gateway_requests_total{mode="proxy",outcome="allowed"}' in m.text
    assert 'iam_gateway_requests_total{mode="proxy",outcome="denied"}' in m.text
