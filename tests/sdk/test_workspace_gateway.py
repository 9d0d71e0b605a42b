"""Workspaces, enterprise projects and pools at the gateway, end to end with the official SDKs
unchanged (issue 13): the tenant administrator creates an enterprise project (`EpsClient`) and an
INTERNAL workspace in it granted to one user (`ModelArtsClient.create_workspace`); that user
works in it through the gateway (`list_notebooks`, `create_notebook` with `workspace_id`), an
ungranted user with the same `modelarts:*` permissions is refused and nothing reaches the
upstream; a policy `Deny` on that enterprise project blocks the granted user there and not in the
default workspace. A dedicated-pool deployment (`cluster_id`, v1; `group_configs[].pool_id` with
`create_infer_service`, v2) is decided as `modelarts:poolType` `dedicated` with the pool's id:
the documented "deny public pools" policy lets it through and refuses the same deployment on the
public pool, and a policy allowing only one pool id refuses another."""

import json
import os
import uuid
from pathlib import Path

import pytest
import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials, GlobalCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from huaweicloudsdkeps.v1 import CreateEnterpriseProjectRequest, EnterpriseProject, EpsClient
from huaweicloudsdkiam.v5 import (
    AttachUserPolicyReqBody, AttachUserPolicyV5Request, CreateAccessKeyV5Request,
    CreatePolicyReqBody, CreatePolicyV5Request, CreateUserReqBody, CreateUserV5Request, IamClient,
)
from huaweicloudsdkmodelarts.v1 import (
    AuthorizationRequest, CreateAuthorizationRequest, CreateInferServiceRequest,
    CreateModelArtsAgencyRequest, CreateNotebookRequest, CreateWorkspaceReq,
    CreateWorkspaceReqGrants, CreateWorkspaceRequest, GroupConfig, ListNotebooksRequest,
    ModelArtsAgencyRequest, ModelArtsClient, NotebookCreateRequest, ServiceCreateRequest,
)

from fake_modelarts import FakeModelArts, start_iam_server, stop

REPO = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("MODELARTS_IAM_BIN", REPO / "target" / "debug" / "modelarts-iam"))


def cfg():
    c = HttpConfig.get_default_config()
    c.timeout = (5, 30)
    return c


class Env:
    def __init__(self, endpoint, key, fake):
        self.endpoint, self.key, self.fake = endpoint, key, fake
        self.account_id, self.project_id = key["account_id"], key["project_id"]

    def iam(self) -> IamClient:
        cred = GlobalCredentials(self.key["access_key_id"], self.key["secret_access_key"], self.account_id)
        return IamClient.new_builder().with_http_config(cfg()).with_credentials(cred).with_endpoint(self.endpoint).build()

    def eps(self) -> EpsClient:
        cred = GlobalCredentials(self.key["access_key_id"], self.key["secret_access_key"], self.account_id)
        return EpsClient.new_builder().with_http_config(cfg()).with_credentials(cred).with_endpoint(self.endpoint).build()

    def modelarts(self, ak=None, sk=None) -> ModelArtsClient:
        cred = BasicCredentials(ak or self.key["access_key_id"], sk or self.key["secret_access_key"], self.project_id)
        return ModelArtsClient.new_builder().with_http_config(cfg()).with_credentials(cred).with_endpoint(self.endpoint).build()

    def user(self, *statements):
        """A new IAM user with one identity policy of `statements`: (user, ak, sk)."""
        iam = self.iam()
        name = f"ws-{uuid.uuid4().hex[:6]}"
        u = iam.create_user_v5(CreateUserV5Request(body=CreateUserReqBody(name=name, enabled=True))).user
        doc = {"Version": "5.0", "Statement": list(statements)}
        pid = iam.create_policy_v5(CreatePolicyV5Request(body=CreatePolicyReqBody(
            policy_name=f"{name}-p", policy_document=json.dumps(doc)))).policy.policy_id
        iam.attach_user_policy_v5(AttachUserPolicyV5Request(
            policy_id=pid, body=AttachUserPolicyReqBody(user_id=u.user_id)))
        k = iam.create_access_key_v5(CreateAccessKeyV5Request(user_id=u.user_id)).access_key
        return u, k.access_key_id, k.secret_access_key

    def raw(self, ak, sk, method, path, body):
        """A call the SDK has no method for (v1 CreateService), signed with the SDK's signer."""
        host = self.endpoint.split("://", 1)[1]
        data = json.dumps(body).encode()
        req = SdkRequest(method=method, schema="http", host=host, resource_path=path, uri=path,
                         query_params=[], header_params={"Content-Type": "application/json"}, body=data)
        Signer(BasicCredentials(ak, sk, self.project_id)).sign(req)
        return requests.request(method, self.endpoint + path, data=data, headers=req.header_params, timeout=30)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    assert BINARY.exists(), f"{BINARY} is missing: run `cargo build -p iam-cli` first"
    fake = FakeModelArts().start()
    data_dir = tmp_path_factory.mktemp("ws-data")
    proc, endpoint, key = start_iam_server(BINARY, data_dir, "--upstream", fake.url)
    try:
        e = Env(endpoint, key, fake)
        # creating notebooks and services makes ModelArts act with an agency: authorize one
        agency = e.modelarts().create_model_arts_agency(CreateModelArtsAgencyRequest(
            body=ModelArtsAgencyRequest(agency_name_suffix="ws"))).body["agency_name"]
        e.modelarts().create_authorization(CreateAuthorizationRequest(body=AuthorizationRequest(
            user_id="all", type="agency", content=agency, user_type="all-users")))
        yield e
    finally:
        stop(proc)
        fake.stop()


def refused(call, status=403):
    with pytest.raises(ClientRequestException) as e:
        call()
    assert e.value.status_code == status, (e.value.status_code, e.value.error_code, e.value.error_msg)
    return e.value


ALL_MODELARTS = {"Effect": "Allow", "Action": ["modelarts:*"]}


def test_a_granted_user_works_in_the_workspace_and_others_are_refused(env):
    ep = env.eps().create_enterprise_project(CreateEnterpriseProjectRequest(
        body=EnterpriseProject(name=f"research-{uuid.uuid4().hex[:4]}"))).enterprise_project.id
    granted, g_ak, g_sk = env.user(ALL_MODELARTS)
    _, o_ak, o_sk = env.user(ALL_MODELARTS)
    ws = env.modelarts().create_workspace(CreateWorkspaceRequest(body=CreateWorkspaceReq(
        name=f"team-{uuid.uuid4().hex[:4]}", auth_type="INTERNAL", enterprise_project_id=ep,
        grants=[CreateWorkspaceReqGrants(user_id=granted.user_id)]))).id
    mine, other = env.modelarts(g_ak, g_sk), env.modelarts(o_ak, o_sk)

    listed = mine.list_notebooks(ListNotebooksRequest(workspace_id=ws))
    assert listed.total == 2
    assert f"workspace_id={ws}" in env.fake.last()["query"]
    mine.create_notebook(CreateNotebookRequest(body=NotebookCreateRequest(
        name="nb", flavor="modelarts.vm.cpu.2u", image_id="img-1", workspace_id=ws)))
    assert json.loads(env.fake.last()["body"])["workspace_id"] == ws

    before = env.fake.count()
    e = refused(lambda: other.list_notebooks(ListNotebooksRequest(workspace_id=ws)))
    assert "workspace" in e.error_msg
    refused(lambda: other.create_notebook(CreateNotebookRequest(body=NotebookCreateRequest(
        name="nb", flavor="modelarts.vm.cpu.2u", image_id="img-1", workspace_id=ws))))
    assert env.fake.count() == before, "a refused request never reaches the upstream"
    # both work in the default workspace
    other.list_notebooks(ListNotebooksRequest(workspace_id="0"))


def test_a_deny_on_the_enterprise_project_blocks_the_granted_user_there(env):
    ep = env.eps().create_enterprise_project(CreateEnterpriseProjectRequest(
        body=EnterpriseProject(name=f"locked-{uuid.uuid4().hex[:4]}"))).enterprise_project.id
    user, ak, sk = env.user(ALL_MODELARTS, {
        "Effect": "Deny", "Action": ["modelarts:*"],
        "Condition": {"StringEquals": {"g:EnterpriseProjectId": [ep]}}})
    ws = env.modelarts().create_workspace(CreateWorkspaceRequest(body=CreateWorkspaceReq(
        name=f"locked-{uuid.uuid4().hex[:4]}", auth_type="INTERNAL", enterprise_project_id=ep,
        grants=[CreateWorkspaceReqGrants(user_id=user.user_id)]))).id
    client = env.modelarts(ak, sk)
    e = refused(lambda: client.list_notebooks(ListNotebooksRequest(workspace_id=ws)))
    assert e.error_code == "IAM.0003" and "explicit deny" in e.error_msg.lower(), e.error_msg
    client.list_notebooks(ListNotebooksRequest(workspace_id="0"))


def test_dedicated_pool_deployments_are_decided_on_the_pool_they_name(env):
    deny_public = {"Effect": "Deny", "Action": ["modelarts:service:create"],
                   "Condition": {"StringEquals": {"modelarts:poolType": ["public"]}}}
    _, ak, sk = env.user(ALL_MODELARTS, deny_public)
    path = f"/v1/{env.project_id}/services"
    model = {"model_id": "m-1", "weight": 100, "specification": "modelarts.vm.cpu.2u", "instance_count": 1}
    # v1 CreateService: the dedicated pool in cluster_id, or per model in config[].cluster_id
    for body in ({"service_name": "s1", "infer_type": "real-time", "cluster_id": "pool-a", "config": [model]},
                 {"service_name": "s2", "infer_type": "real-time", "config": [model | {"cluster_id": "pool-a"}]}):
        r = env.raw(ak, sk, "POST", path, body)
        assert r.status_code == 200, r.text
        assert env.fake.last()["path"] == path
    r = env.raw(ak, sk, "POST", path, {"service_name": "s3", "infer_type": "real-time", "config": [model]})
    assert r.status_code == 403 and r.json()["error_code"] == "IAM.0003", r.text
    # v2 CreateInferService through the SDK: group_configs[].pool_id
    client = env.modelarts(ak, sk)
    client.create_infer_service(CreateInferServiceRequest(body=ServiceCreateRequest(
        name="svc-v2", group_configs=[GroupConfig(name="g", pool_id="pool-a")])))
    assert json.loads(env.fake.last()["body"])["group_configs"][0]["pool_id"] == "pool-a"
    refused(lambda: client.create_infer_service(CreateInferServiceRequest(body=ServiceCreateRequest(
        name="svc-public", group_configs=[GroupConfig(name="g")]))))
    # the pool's id is modelarts:poolId
    _, ak2, sk2 = env.user({"Effect": "Allow", "Action": ["modelarts:*"],
                            "Condition": {"StringEquals": {"modelarts:poolId": ["pool-a"]}}})
    assert env.raw(ak2, sk2, "POST", path, {"service_name": "s4", "cluster_id": "pool-a", "config": [model]}).status_code == 200
    r = env.raw(ak2, sk2, "POST", path, {"service_name": "s5", "cluster_id": "pool-b", "config": [model]})
    assert r.status_code == 403, r.text
