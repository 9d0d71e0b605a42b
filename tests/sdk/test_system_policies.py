"""System policies through the official SDK (docs/system-policies.md): the tenant administrator
finds `ModelArts CommonOperations` with `list_policies_v5(policy_type="system")`, attaches it to a
new user, and the user's ModelArts calls are allowed; updating, deleting or re-creating a system
policy fails, also for the root user."""

import json

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkiam.v5 import (
    AttachUserPolicyReqBody, AttachUserPolicyV5Request, CreatePolicyReqBody, CreatePolicyV5Request,
    CreatePolicyVersionReqBody, CreatePolicyVersionV5Request, CreateUserReqBody,
    CreateUserV5Request, DeletePolicyV5Request, GetPolicyV5Request, GetPolicyVersionV5Request,
    ListPoliciesV5Request, UpdatePolicyReqBody, UpdatePolicyV5Request,
)

from conftest import assert_complete


def all_policies(iam, **filters):
    out, marker = [], None
    while True:
        resp = iam.list_policies_v5(ListPoliciesV5Request(limit=10, marker=marker, **filters))
        out += resp.policies
        marker = resp.page_info.next_marker
        if not marker:
            return out


def test_tenant_admin_attaches_modelarts_common_operations_by_name(server):
    iam = server.iam()
    system = all_policies(iam, policy_type="system")
    assert len(system) >= 40 and all(p.policy_type == "system" for p in system)
    by_name = {p.policy_name: p for p in system}
    for name in ("ModelArts FullAccess", "ModelArtsFullAccessPolicy", "Tenant Administrator",
                 "OBS ReadOnlyAccess", "SWR Admin", "SFS Turbo FullAccess"):
        assert name in by_name, name
    ops = by_name["ModelArts CommonOperations"]
    assert ops.policy_id == "system-ModelArts-CommonOperations"
    assert ops.urn == "iam::system:policy:ModelArts-CommonOperations"
    # unfiltered: the system policies are listed beside the account's own
    assert {p.policy_id for p in system} <= {p.policy_id for p in all_policies(iam)}

    shown = iam.get_policy_v5(GetPolicyV5Request(policy_id=ops.policy_id))
    assert_complete(shown)
    assert shown.policy.policy_type == "system"
    version = iam.get_policy_version_v5(GetPolicyVersionV5Request(
        policy_id=ops.policy_id, version_id=ops.default_version_id)).policy_version
    doc = json.loads(version.document)
    assert doc["Version"] == "1.1" and {"Effect": "Allow", "Action": ["modelarts:*:*"]} in doc["Statement"]

    user = iam.create_user_v5(CreateUserV5Request(
        body=CreateUserReqBody(name="ma-operator", enabled=True))).user
    assert server.authorize(user.urn, "modelarts:notebook:create")["decision"] == "implicit_deny"
    iam.attach_user_policy_v5(AttachUserPolicyV5Request(
        policy_id=ops.policy_id, body=AttachUserPolicyReqBody(user_id=user.user_id)))
    for action in ("modelarts:notebook:create", "modelarts:trainJob:create", "modelarts:pool:list"):
        assert server.authorize(user.urn, action)["decision"] == "allow", action
    # except managing dedicated resource pools
    assert server.authorize(user.urn, "modelarts:pool:create")["decision"] == "explicit_deny"
    # only_attached lists it now (other tests on this shared server may attach other system
    # policies, such as one-click agencies do)
    attached = all_policies(iam, policy_type="system", only_attached=True)
    assert ops.policy_id in [p.policy_id for p in attached]


def test_system_policies_cannot_be_changed_even_by_root(server):
    iam = server.iam()  # the root user's key
    pid = "system-ModelArts-CommonOperations"
    doc = json.dumps({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["*"]}]})
    calls = [
        lambda: iam.update_policy_v5(UpdatePolicyV5Request(
            policy_id=pid, body=UpdatePolicyReqBody(description="mine"))),
        lambda: iam.delete_policy_v5(DeletePolicyV5Request(policy_id="system-OBSReadOnlyPolicy")),
        lambda: iam.create_policy_version_v5(CreatePolicyVersionV5Request(
            policy_id=pid, body=CreatePolicyVersionReqBody(policy_document=doc, set_as_default=True))),
    ]
    for call in calls:
        with pytest.raises(ClientRequestException) as e:
            call()
        assert e.value.status_code == 403 and e.value.error_code == "IAM.0003", e.value.error_msg
        assert "system policy" in e.value.error_msg
    for name in ("ModelArtsFullAccessPolicy", "modelartsfullaccesspolicy"):
        with pytest.raises(ClientRequestException) as e:
            iam.create_policy_v5(CreatePolicyV5Request(body=CreatePolicyReqBody(
                policy_name=name, policy_document=doc)))
        assert e.value.status_code == 409 and e.value.error_code == "IAM.0005", e.value.error_msg
