"""The ModelArts agency APIs and Access Analyzer CheckNoNewAccess through the official SDKs
(`huaweicloudsdkmodelarts`, `huaweicloudsdkiamaccessanalyzer`), unchanged, against the server:

- `POST /v2/{project_id}/agency` (one-click authorization) creates `ma_agency_<suffix>` /
  `modelarts_agency`, visible through the IAM v5 SDK with a trust policy for `service.ModelArts`
  and the dependent services' system policies attached;
- `POST|GET|DELETE /v2/{project_id}/authorizations` work for the tenant administrator (the root
  user, or a member of the account's built-in system group `admin`) and answer 403 to other users,
  even when their policies allow `modelarts:*:*` and the catalog actions of these routes
  (docs/server.md, "Tenant administrator");
- `check_no_new_access`: a new policy that adds access fails with reasons, a narrower one passes."""

import json
import uuid

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkiam.v5 import (
    AddUserToGroupReqBody, AddUserToGroupV5Request, AttachUserPolicyReqBody,
    AttachUserPolicyV5Request,
    CreateAccessKeyV5Request, CreateGroupReqBody, CreateGroupV5Request, CreatePolicyReqBody,
    CreatePolicyV5Request, CreateUserReqBody, CreateUserV5Request, GetAgencyV5Request,
    GetPolicyV5Request, ListAgenciesV5Request,
    ListAttachedAgencyPoliciesV5Request,
    ListGroupsV5Request,
)
from huaweicloudsdkiamaccessanalyzer.v1 import CheckNoNewAccessReqBody, CheckNoNewAccessRequest
from huaweicloudsdkmodelarts.v1 import (
    AuthorizationRequest, CreateAuthorizationRequest, CreateModelArtsAgencyRequest,
    DeleteAuthorizationsRequest, GetAuthorizationsRequest, ModelArtsAgencyRequest,
    ModelArtsClient,
)

MODELARTS_ALL = {"Version": "5.0", "Statement": [
    {"Effect": "Allow", "Action": ["modelarts:*:*"], "Resource": ["*"]}]}
# The catalog actions the middleware checks on these routes, before the administrator rule.
AGENCY_ROUTES = {"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": [
    "iam:agencies:createAgency", "iam:agencies:getAgency", "iam:authorizations:create",
    "iam:authorizations:list", "iam:authorizations:delete", "iam:policies:create",
    "iam:policies:attach*"], "Resource": ["*"]}]}


def tag() -> str:
    return uuid.uuid4().hex[:8]


def modelarts(server, ak=None, sk=None) -> ModelArtsClient:
    cred = BasicCredentials(ak or server.ak, sk or server.sk, server.project_id)
    return (ModelArtsClient.new_builder().with_http_config(server.http_config())
            .with_credentials(cred).with_endpoint(server.endpoint).build())


def policy(server, name, doc) -> str:
    return server.iam().create_policy_v5(CreatePolicyV5Request(body=CreatePolicyReqBody(
        policy_name=name, policy_document=json.dumps(doc)))).policy.policy_id


def user_with_policies(server, name, *docs):
    """A new IAM user with the given identity policies; returns (user_id, ModelArts client)."""
    iam = server.iam()
    user = iam.create_user_v5(CreateUserV5Request(
        body=CreateUserReqBody(name=name, enabled=True))).user
    for i, doc in enumerate(docs):
        pid = policy(server, f"{name}-p{i}", doc)
        iam.attach_user_policy_v5(AttachUserPolicyV5Request(
            policy_id=pid, body=AttachUserPolicyReqBody(user_id=user.user_id)))
    key = iam.create_access_key_v5(CreateAccessKeyV5Request(user_id=user.user_id)).access_key
    return user.user_id, modelarts(server, key.access_key_id, key.secret_access_key)


def admin_group_id(server) -> str:
    """The account's built-in `admin` group: it exists from the start, and no other group can
    take its name or a look-alike of it."""
    iam = server.iam()
    groups = iam.list_groups_v5(ListGroupsV5Request(limit=200)).groups or []
    found = [g.group_id for g in groups if g.group_name.lower() == "admin"]
    assert len(found) == 1, [g.group_name for g in groups]
    for name in ["admin", "Admin"]:
        expect_status(409, iam.create_group_v5, CreateGroupV5Request(
            body=CreateGroupReqBody(group_name=name)))
    return found[0]


def create_agency(client, suffix=None) -> dict:
    return client.create_model_arts_agency(CreateModelArtsAgencyRequest(
        body=ModelArtsAgencyRequest(agency_name_suffix=suffix))).body


def authorize(client, user_id, agency_name, user_type=None):
    return client.create_authorization(CreateAuthorizationRequest(body=AuthorizationRequest(
        user_id=user_id, type="agency", content=agency_name, user_type=user_type))).body


def listed(client) -> dict:
    resp = client.get_authorizations(GetAuthorizationsRequest())
    assert resp.total_count == len(resp.auth)
    return {a.user_id: a for a in resp.auth}


def all_agencies(server) -> dict:
    iam, out, marker = server.iam(), {}, None
    while True:
        resp = iam.list_agencies_v5(ListAgenciesV5Request(limit=100, marker=marker))
        out.update({a.agency_name: a for a in resp.agencies or []})
        marker = resp.page_info.next_marker if resp.page_info else None
        if not marker:
            return out


def trusts_modelarts(trust_policy: str) -> bool:
    doc = json.loads(trust_policy)
    return any(s.get("Effect") == "Allow" and "sts:agencies:assume" in s.get("Action", [])
               and "service.ModelArts" in s.get("Principal", {}).get("Service", [])
               for s in doc["Statement"])


def expect_status(status, fn, *args, **kw) -> ClientRequestException:
    with pytest.raises(ClientRequestException) as e:
        fn(*args, **kw)
    assert e.value.status_code == status, (e.value.error_code, e.value.error_msg)
    return e.value


def test_one_click_agency_is_an_iam_agency_trusting_modelarts(server):
    suffix = f"sdk{tag()}"
    body = create_agency(modelarts(server), suffix)
    name = f"ma_agency_{suffix}"
    assert body["agency_name"] == name
    assert body["agency_urn"] == f"iam::{server.account_id}:agency:{name}"
    assert trusts_modelarts(body["trust_policy"])
    assert body["policy_ids"], body

    agency = all_agencies(server)[name]
    assert agency.agency_id == body["agency_id"] and agency.urn == body["agency_urn"]
    assert trusts_modelarts(agency.trust_policy)
    shown = server.iam().get_agency_v5(GetAgencyV5Request(agency_id=agency.agency_id)).agency
    assert shown.agency_name == name and trusts_modelarts(shown.trust_policy)

    attached = server.iam().list_attached_agency_policies_v5(ListAttachedAgencyPoliciesV5Request(
        agency_id=agency.agency_id)).attached_policies
    assert sorted(p.policy_id for p in attached) == sorted(body["policy_ids"])
    # One-click attaches the dependent services' system policies, as Huawei's console does.
    names = {server.iam().get_policy_v5(GetPolicyV5Request(policy_id=p.policy_id)).policy.policy_name
             for p in attached}
    assert names == {"ModelArts CommonOperations", "OBS OperateAccess", "Tenant Administrator"}, names

    # The same name again conflicts; a bad suffix is refused and creates nothing.
    expect_status(409, create_agency, modelarts(server), suffix)
    expect_status(400, create_agency, modelarts(server), "bad suffix!")
    assert "ma_agency_bad suffix!" not in all_agencies(server)


def test_default_agency_name_without_suffix(server):
    agencies = all_agencies(server)
    if "modelarts_agency" in agencies:
        pytest.skip("modelarts_agency already exists on this shared server")
    body = create_agency(modelarts(server))
    assert body["agency_name"] == "modelarts_agency"
    assert trusts_modelarts(all_agencies(server)["modelarts_agency"].trust_policy)


def test_admin_configures_authorizations(server):
    root = modelarts(server)
    agency = create_agency(root, f"auth{tag()}")["agency_name"]
    uid, _ = user_with_policies(server, f"ma-user-{tag()}", MODELARTS_ALL)

    created = authorize(root, uid, agency)
    assert created["user_id"] == uid and created["content"] == agency
    assert created["user_type"] == "iam" and created["create_time"] > 0
    everyone = authorize(root, "all", agency, user_type="all-users")
    assert everyone["user_type"] == "all-users"

    rows = listed(root)
    assert rows[uid].content == agency and rows[uid].type == "agency"
    assert rows[uid].user_type == "iam" and rows[uid].user_name.startswith("ma-user-")
    assert rows["all"].user_name == "all-users" and rows["all"].content == agency

    assert root.delete_authorizations(DeleteAuthorizationsRequest(user_id=uid)).body == {
        "user_id": uid}
    assert uid not in listed(root)
    expect_status(404, root.delete_authorizations, DeleteAuthorizationsRequest(user_id=uid))
    root.delete_authorizations(DeleteAuthorizationsRequest(user_id="all"))
    assert "all" not in listed(root)

    # Malformed authorizations are 400; an unknown agency is 404; nothing is stored.
    expect_status(400, authorize, root, "all", agency)  # `all` needs user_type all-users
    expect_status(400, root.create_authorization, CreateAuthorizationRequest(
        body=AuthorizationRequest(user_id=uid, type="credential", content="AK",
                                  secret_key="SK")))
    expect_status(404, authorize, root, uid, f"no_such_agency_{tag()}")
    assert uid not in listed(root) and "all" not in listed(root)


def test_admin_group_member_is_a_tenant_administrator(server):
    root = modelarts(server)
    agency = create_agency(root, f"grp{tag()}")["agency_name"]
    admin_id, admin = user_with_policies(server, f"ma-admin-{tag()}", MODELARTS_ALL, AGENCY_ROUTES)
    server.iam().add_user_to_group_v5(AddUserToGroupV5Request(
        group_id=admin_group_id(server), body=AddUserToGroupReqBody(user_id=admin_id)))
    target, _ = user_with_policies(server, f"ma-target-{tag()}")

    assert authorize(admin, target, agency)["user_id"] == target
    assert listed(admin)[target].content == agency
    admin.delete_authorizations(DeleteAuthorizationsRequest(user_id=target))
    assert target not in listed(root)
    own = create_agency(admin, f"byadmin{tag()}")
    assert trusts_modelarts(all_agencies(server)[own["agency_name"]].trust_policy)


def test_non_admin_users_get_403(server):
    root = modelarts(server)
    agency = create_agency(root, f"na{tag()}")["agency_name"]
    other, _ = user_with_policies(server, f"ma-other-{tag()}")
    authorize(root, other, agency)

    # Only modelarts:*:*: the middleware refuses the IAM actions of these routes.
    _, plain = user_with_policies(server, f"ma-plain-{tag()}", MODELARTS_ALL)
    # modelarts:*:* and every catalog action of the routes: still not the tenant administrator.
    wide_id, wide = user_with_policies(server, f"ma-wide-{tag()}", MODELARTS_ALL, AGENCY_ROUTES)
    for client, admin_rule in [(plain, False), (wide, True)]:
        errors = [
            expect_status(403, create_agency, client, f"nope{tag()}"),
            expect_status(403, authorize, client, other, agency),
            expect_status(403, authorize, client, "all", agency, user_type="all-users"),
            expect_status(403, client.delete_authorizations,
                          DeleteAuthorizationsRequest(user_id=other)),
        ]
        for e in errors:
            assert ("tenant administrator" in e.error_msg) == admin_rule, e.error_msg
    expect_status(403, plain.get_authorizations, GetAuthorizationsRequest())
    # Viewing authorizations is for the tenant administrator too (Huawei), whatever the policies.
    e = expect_status(403, wide.get_authorizations, GetAuthorizationsRequest())
    assert "tenant administrator" in e.error_msg, e.error_msg

    # Nothing changed: the authorization is still there, no agency or `all` entry was created.
    rows = listed(root)
    assert rows[other].content == agency and "all" not in rows and wide_id not in rows
    assert not [n for n in all_agencies(server) if n.startswith("ma_agency_nope")]


OBS_GET = {"Version": "5.0", "Statement": [{"Sid": "read", "Effect": "Allow", "Action": [
    "obs:object:GetObject"], "Resource": ["obs:*:*:object:train-data/*"]}]}


def check(server, existing, new, policy_type="identity_policy"):
    return server.analyzer().check_no_new_access(CheckNoNewAccessRequest(
        body=CheckNoNewAccessReqBody(existing_policy_document=json.dumps(existing),
                                     new_policy_document=json.dumps(new),
                                     policy_type=policy_type)))


def test_check_no_new_access_fails_when_access_is_added(server):
    wider = {"Version": "5.0", "Statement": [
        OBS_GET["Statement"][0],
        {"Sid": "more", "Effect": "Allow", "Action": ["obs:object:PutObject"],
         "Resource": ["obs:*:*:object:train-data/*"]}]}
    resp = check(server, OBS_GET, wider)
    assert resp.check_result == "fail", resp
    assert [(r.statement_id, r.statement_index) for r in resp.reasons] == [("more", 1)]
    assert "obs:object:PutObject" in resp.reasons[0].description
    assert resp.message

    other_bucket = {"Version": "5.0", "Statement": [{"Sid": "elsewhere", "Effect": "Allow",
                    "Action": ["obs:object:GetObject"], "Resource": ["obs:*:*:object:other/*"]}]}
    resp = check(server, OBS_GET, other_bucket)
    assert resp.check_result == "fail"
    assert [r.statement_id for r in resp.reasons] == ["elsewhere"]


def test_check_no_new_access_passes_when_narrower(server):
    wide = {"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": [
        "modelarts:notebook:*", "obs:object:*"], "Resource": ["*"]}]}
    narrow = {"Version": "5.0", "Statement": [
        {"Sid": "nb", "Effect": "Allow", "Action": ["modelarts:notebook:get"], "Resource": ["*"]},
        OBS_GET["Statement"][0]]}
    resp = check(server, wide, narrow)
    assert resp.check_result == "pass", resp
    assert not resp.reasons
    # The same policy, and one that only adds a deny, add nothing either.
    assert check(server, OBS_GET, OBS_GET).check_result == "pass"
    denied = {"Version": "5.0", "Statement": OBS_GET["Statement"] + [
        {"Effect": "Deny", "Action": ["obs:object:*"], "Resource": ["*"]}]}
    assert check(server, OBS_GET, denied).check_result == "pass"
    # ...while the reverse direction fails.
    assert check(server, narrow, wide).check_result == "fail"


def test_check_no_new_access_rejects_other_policy_types(server):
    expect_status(400, check, server, OBS_GET, OBS_GET, "service_control_policy")
