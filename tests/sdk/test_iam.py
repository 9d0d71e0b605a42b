"""IAM v5 through the official SDK: users, groups, policies and versions, attachments, access keys;
decisions through /v1/authorize (signed with the SDK's signer)."""

import json

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkiam.v5 import (
    AddUserToGroupReqBody, AddUserToGroupV5Request, AttachGroupPolicyReqBody,
    AttachGroupPolicyV5Request, AttachUserPolicyReqBody, AttachUserPolicyV5Request,
    CreateAccessKeyV5Request, CreateGroupReqBody, CreateGroupV5Request, CreatePolicyReqBody,
    CreatePolicyV5Request, CreatePolicyVersionReqBody, CreatePolicyVersionV5Request,
    CreateUserReqBody, CreateUserV5Request, DeleteUserV5Request, DetachGroupPolicyReqBody,
    DetachGroupPolicyV5Request, GetPolicyV5Request, ListAccessKeysV5Request,
    ListAttachedGroupPoliciesV5Request, ListEntitiesForPolicyV5Request, ListGroupsV5Request,
    ListPoliciesV5Request, ListPolicyVersionsV5Request, ListUsersV5Request,
    SetDefaultPolicyVersionV5Request, ShowUserV5Request,
)

NOTEBOOKS = {"Version": "5.0", "Statement": [
    {"Effect": "Allow", "Action": ["modelarts:notebook:*"], "Resource": ["*"]}]}
NOTEBOOKS_NO_DELETE = {"Version": "5.0", "Statement": [
    {"Effect": "Allow", "Action": ["modelarts:notebook:*"], "Resource": ["*"]},
    {"Effect": "Deny", "Action": ["modelarts:notebook:delete"], "Resource": ["*"]}]}


def create_user(iam, name):
    return iam.create_user_v5(CreateUserV5Request(body=CreateUserReqBody(name=name, enabled=True))).user


def test_user_group_policy_round_trip_and_decisions(server):
    iam = server.iam()
    alice = create_user(iam, "alice")
    assert alice.user_name == "alice" and alice.urn == f"iam::{server.account_id}:user:alice"
    assert iam.show_user_v5(ShowUserV5Request(user_id=alice.user_id)).user.user_id == alice.user_id

    group = iam.create_group_v5(CreateGroupV5Request(body=CreateGroupReqBody(group_name="devs"))).group
    iam.add_user_to_group_v5(AddUserToGroupV5Request(
        group_id=group.group_id, body=AddUserToGroupReqBody(user_id=alice.user_id)))
    groups = iam.list_groups_v5(ListGroupsV5Request(user_id=alice.user_id)).groups
    assert [g.group_id for g in groups] == [group.group_id]

    policy = iam.create_policy_v5(CreatePolicyV5Request(body=CreatePolicyReqBody(
        policy_name="notebooks", policy_document=json.dumps(NOTEBOOKS),
        description="notebook access"))).policy
    assert policy.default_version_id == "v1" and policy.policy_type == "custom"
    iam.attach_group_policy_v5(AttachGroupPolicyV5Request(
        policy_id=policy.policy_id, body=AttachGroupPolicyReqBody(group_id=group.group_id)))

    attached = iam.list_attached_group_policies_v5(
        ListAttachedGroupPoliciesV5Request(group_id=group.group_id)).attached_policies
    assert [a.policy_id for a in attached] == [policy.policy_id]
    entities = iam.list_entities_for_policy_v5(ListEntitiesForPolicyV5Request(policy_id=policy.policy_id))
    assert [g.group_id for g in entities.policy_groups] == [group.group_id]

    # allowed through the group
    d = server.authorize(alice.urn, "modelarts:notebook:delete")
    assert d["decision"] == "allow", d

    # a second version with an explicit deny, made the default
    v2 = iam.create_policy_version_v5(CreatePolicyVersionV5Request(
        policy_id=policy.policy_id,
        body=CreatePolicyVersionReqBody(policy_document=json.dumps(NOTEBOOKS_NO_DELETE)))).policy_version
    assert v2.version_id == "v2" and not v2.is_default
    iam.set_default_policy_version_v5(SetDefaultPolicyVersionV5Request(
        policy_id=policy.policy_id, version_id="v2"))
    assert iam.get_policy_v5(GetPolicyV5Request(policy_id=policy.policy_id)).policy.default_version_id == "v2"
    versions = iam.list_policy_versions_v5(ListPolicyVersionsV5Request(policy_id=policy.policy_id)).versions
    assert sorted(v.version_id for v in versions) == ["v1", "v2"]

    d = server.authorize(alice.urn, "modelarts:notebook:delete")
    assert d["decision"] == "explicit_deny", d
    assert d["message"].startswith(f"User: {alice.urn} is not authorized to perform action modelarts:notebook:delete")
    assert d["message"].endswith("with an explicit deny in an identity-based policy.")
    assert server.authorize(alice.urn, "modelarts:notebook:create")["decision"] == "allow"

    # detaching is visible to the very next decision
    iam.detach_group_policy_v5(DetachGroupPolicyV5Request(
        policy_id=policy.policy_id, body=DetachGroupPolicyReqBody(group_id=group.group_id)))
    d = server.authorize(alice.urn, "modelarts:notebook:create")
    assert d["decision"] == "implicit_deny", d
    assert d["message"].endswith("because no identity-based policy allows the modelarts:notebook:create action.")


def test_user_without_permission_gets_huawei_403(server):
    iam = server.iam()
    bob = create_user(iam, "bob")
    key = iam.create_access_key_v5(CreateAccessKeyV5Request(user_id=bob.user_id)).access_key
    assert key.secret_access_key and key.status == "active"
    keys = iam.list_access_keys_v5(ListAccessKeysV5Request(user_id=bob.user_id)).access_keys
    assert [k.access_key_id for k in keys] == [key.access_key_id]

    bob_iam = server.iam(key.access_key_id, key.secret_access_key)
    with pytest.raises(ClientRequestException) as e:
        bob_iam.list_users_v5(ListUsersV5Request())
    assert e.value.status_code == 403
    assert e.value.error_msg == (
        f"User: {bob.urn} is not authorized to perform action iam:users:listUsersV5 on resource * "
        "because no identity-based policy allows the iam:users:listUsersV5 action.")
    assert e.value.request_id

    # grant it, and the same call succeeds at once
    read_users = iam.create_policy_v5(CreatePolicyV5Request(body=CreatePolicyReqBody(
        policy_name="read-users", policy_document=json.dumps({"Version": "5.0", "Statement": [
            {"Effect": "Allow", "Action": ["iam:users:listUsersV5"]}]})))).policy
    iam.attach_user_policy_v5(AttachUserPolicyV5Request(
        policy_id=read_users.policy_id, body=AttachUserPolicyReqBody(user_id=bob.user_id)))
    names = [u.user_name for u in bob_iam.list_users_v5(ListUsersV5Request()).users]
    assert "bob" in names


def test_bad_signature_is_apigw_0301(server):
    iam = server.iam(server.ak, "x" * 40)
    with pytest.raises(ClientRequestException) as e:
        iam.list_users_v5(ListUsersV5Request())
    assert e.value.status_code == 401
    assert e.value.error_code == "APIGW.0301"
    assert e.value.request_id


def test_pagination_with_marker(server):
    iam = server.iam()
    for i in range(3):
        create_user(iam, f"page-user-{i}")
    seen = []
    marker = None
    while True:
        resp = iam.list_users_v5(ListUsersV5Request(limit=2, marker=marker))
        assert resp.page_info.current_count == len(resp.users) <= 2
        seen += [u.user_name for u in resp.users]
        marker = resp.page_info.next_marker
        if not marker:
            break
    assert {"page-user-0", "page-user-1", "page-user-2"} <= set(seen)
    assert len(seen) == len(set(seen))


def test_limits_and_invalid_documents_are_4xx(server):
    iam = server.iam()
    carol = create_user(iam, "carol")
    for _ in range(2):
        iam.create_access_key_v5(CreateAccessKeyV5Request(user_id=carol.user_id))
    with pytest.raises(ClientRequestException) as e:
        iam.create_access_key_v5(CreateAccessKeyV5Request(user_id=carol.user_id))
    assert e.value.status_code == 400

    p = iam.create_policy_v5(CreatePolicyV5Request(body=CreatePolicyReqBody(
        policy_name="five-versions", policy_document=json.dumps(NOTEBOOKS)))).policy
    for _ in range(4):
        iam.create_policy_version_v5(CreatePolicyVersionV5Request(
            policy_id=p.policy_id, body=CreatePolicyVersionReqBody(policy_document=json.dumps(NOTEBOOKS))))
    with pytest.raises(ClientRequestException) as e:
        iam.create_policy_version_v5(CreatePolicyVersionV5Request(
            policy_id=p.policy_id, body=CreatePolicyVersionReqBody(policy_document=json.dumps(NOTEBOOKS))))
    assert e.value.status_code == 400

    with pytest.raises(ClientRequestException) as e:
        iam.create_policy_v5(CreatePolicyV5Request(body=CreatePolicyReqBody(
            policy_name="broken", policy_document='{"Version": "5.0", "Statement": [{"Effect": "Allow"}]}')))
    assert e.value.status_code == 400
    assert e.value.error_code == "IAM.0008"
    names = [x.policy_name for x in iam.list_policies_v5(ListPoliciesV5Request(policy_type="custom")).policies]
    assert "broken" not in names

    with pytest.raises(ClientRequestException) as e:
        iam.delete_user_v5(DeleteUserV5Request(user_id="0" * 32))
    assert e.value.status_code == 404


TRUST = {"Version": "5.0", "Statement": [{"Effect": "Allow", "Principal": {"Service": ["service.ModelArts"]},
                                          "Action": ["sts:agencies:assume"]}]}


def test_every_iam_v5_api_with_complete_shapes(server):
    """Every IAM v5 API the server offers, through the SDK; every field of each response model
    is filled (the server's JSON has Huawei's shape)."""
    from huaweicloudsdkiam import v5
    from conftest import assert_complete

    iam = server.iam()
    r = iam.create_user_v5(v5.CreateUserV5Request(body=v5.CreateUserReqBody(
        name="shape-user", enabled=True, description="d")))
    assert_complete(r)
    uid = r.user.user_id
    assert_complete(iam.show_user_v5(v5.ShowUserV5Request(user_id=uid)))
    r = iam.update_user_v5(v5.UpdateUserV5Request(user_id=uid, body=v5.UpdateUserReqBody(
        new_user_name="shape-user2", new_description="d2", enabled=True)))
    assert r.user.user_name == "shape-user2" and r.user.description == "d2"
    assert_complete(iam.list_users_v5(v5.ListUsersV5Request(limit=100)))

    r = iam.create_group_v5(v5.CreateGroupV5Request(body=v5.CreateGroupReqBody(group_name="shape-group", description="d")))
    assert_complete(r)
    gid = r.group.group_id
    iam.add_user_to_group_v5(v5.AddUserToGroupV5Request(group_id=gid, body=v5.AddUserToGroupReqBody(user_id=uid)))
    assert_complete(iam.show_group_v5(v5.ShowGroupV5Request(group_id=gid)))
    r = iam.update_group_v5(v5.UpdateGroupV5Request(group_id=gid, body=v5.UpdateGroupReqBody(
        new_group_name="shape-group2", new_group_description="d2")))
    assert_complete(iam.list_groups_v5(v5.ListGroupsV5Request(user_id=uid)))

    r = iam.create_access_key_v5(v5.CreateAccessKeyV5Request(user_id=uid))
    assert_complete(r)
    ak = r.access_key.access_key_id
    iam.update_access_key_v5(v5.UpdateAccessKeyV5Request(user_id=uid, access_key_id=ak,
                                                         body=v5.UpdateAccessKeyReqBody(status="inactive")))
    keys = iam.list_access_keys_v5(v5.ListAccessKeysV5Request(user_id=uid))
    assert_complete(keys)
    assert [k.status for k in keys.access_keys] == ["inactive"]

    r = iam.create_agency_v5(v5.CreateAgencyV5Request(body=v5.CreateAgencyReqBody(
        agency_name="shape-agency", trust_policy=json.dumps(TRUST), max_session_duration=3600, description="d")))
    assert_complete(r)
    aid = r.agency.agency_id
    assert_complete(iam.get_agency_v5(v5.GetAgencyV5Request(agency_id=aid)))
    iam.update_agency_v5(v5.UpdateAgencyV5Request(agency_id=aid, body=v5.UpdateAgencyReqBody(
        max_session_duration=7200, description="d2")))
    iam.update_trust_policy_v5(v5.UpdateTrustPolicyV5Request(agency_id=aid, body=v5.UpdateTrustPolicyReqBody(
        trust_policy=json.dumps(TRUST))))
    a = iam.get_agency_v5(v5.GetAgencyV5Request(agency_id=aid)).agency
    assert a.max_session_duration == 7200 and a.description == "d2"
    assert_complete(iam.list_agencies_v5(v5.ListAgenciesV5Request()))

    r = iam.create_policy_v5(v5.CreatePolicyV5Request(body=v5.CreatePolicyReqBody(
        policy_name="shape-policy", policy_document=json.dumps(NOTEBOOKS), description="d")))
    assert_complete(r)
    pid = r.policy.policy_id
    iam.update_policy_v5(v5.UpdatePolicyV5Request(policy_id=pid, body=v5.UpdatePolicyReqBody(description="d2")))
    assert iam.get_policy_v5(v5.GetPolicyV5Request(policy_id=pid)).policy.description == "d2"
    assert_complete(iam.get_policy_v5(v5.GetPolicyV5Request(policy_id=pid)))
    r = iam.create_policy_version_v5(v5.CreatePolicyVersionV5Request(policy_id=pid, body=v5.CreatePolicyVersionReqBody(
        policy_document=json.dumps(NOTEBOOKS_NO_DELETE), set_as_default=True)))
    assert_complete(r)
    assert r.policy_version.is_default
    assert_complete(iam.get_policy_version_v5(v5.GetPolicyVersionV5Request(policy_id=pid, version_id="v2")))
    assert_complete(iam.list_policy_versions_v5(v5.ListPolicyVersionsV5Request(policy_id=pid)))
    iam.delete_policy_version_v5(v5.DeletePolicyVersionV5Request(policy_id=pid, version_id="v1"))
    assert [v.version_id for v in iam.list_policy_versions_v5(
        v5.ListPolicyVersionsV5Request(policy_id=pid)).versions] == ["v2"]

    iam.attach_user_policy_v5(v5.AttachUserPolicyV5Request(policy_id=pid, body=v5.AttachUserPolicyReqBody(user_id=uid)))
    iam.attach_group_policy_v5(v5.AttachGroupPolicyV5Request(policy_id=pid, body=v5.AttachGroupPolicyReqBody(group_id=gid)))
    iam.attach_agency_policy_v5(v5.AttachAgencyPolicyV5Request(policy_id=pid, body=v5.AttachAgencyPolicyReqBody(agency_id=aid)))
    for listing in (
        iam.list_attached_user_policies_v5(v5.ListAttachedUserPoliciesV5Request(user_id=uid)),
        iam.list_attached_group_policies_v5(v5.ListAttachedGroupPoliciesV5Request(group_id=gid)),
        iam.list_attached_agency_policies_v5(v5.ListAttachedAgencyPoliciesV5Request(agency_id=aid)),
    ):
        assert_complete(listing)
        assert [p.policy_id for p in listing.attached_policies] == [pid]
    entities = iam.list_entities_for_policy_v5(v5.ListEntitiesForPolicyV5Request(policy_id=pid))
    assert_complete(entities)
    assert ([u.user_id for u in entities.policy_users], [g.group_id for g in entities.policy_groups],
            [a.agency_id for a in entities.policy_agencies]) == ([uid], [gid], [aid])
    assert iam.get_policy_v5(v5.GetPolicyV5Request(policy_id=pid)).policy.attachment_count == 3
    only_users = iam.list_entities_for_policy_v5(v5.ListEntitiesForPolicyV5Request(policy_id=pid, entity_type="user"))
    assert [u.user_id for u in only_users.policy_users] == [uid] and not only_users.policy_groups
    assert pid in [p.policy_id for p in iam.list_policies_v5(v5.ListPoliciesV5Request(only_attached=True)).policies]

    # a policy still attached cannot be deleted (Huawei: detach first)
    with pytest.raises(ClientRequestException) as e:
        iam.delete_policy_v5(v5.DeletePolicyV5Request(policy_id=pid))
    assert 400 <= e.value.status_code < 500
    iam.detach_user_policy_v5(v5.DetachUserPolicyV5Request(policy_id=pid, body=v5.DetachUserPolicyReqBody(user_id=uid)))
    iam.detach_group_policy_v5(v5.DetachGroupPolicyV5Request(policy_id=pid, body=v5.DetachGroupPolicyReqBody(group_id=gid)))
    iam.detach_agency_policy_v5(v5.DetachAgencyPolicyV5Request(policy_id=pid, body=v5.DetachAgencyPolicyReqBody(agency_id=aid)))
    iam.delete_policy_v5(v5.DeletePolicyV5Request(policy_id=pid))
    iam.remove_user_from_group_v5(v5.RemoveUserFromGroupV5Request(group_id=gid, body=v5.RemoveUserFromGroupReqBody(user_id=uid)))
    assert iam.list_groups_v5(v5.ListGroupsV5Request(user_id=uid)).groups == []
    iam.delete_access_key_v5(v5.DeleteAccessKeyV5Request(user_id=uid, access_key_id=ak))
    iam.delete_agency_v5(v5.DeleteAgencyV5Request(agency_id=aid))
    iam.delete_group_v5(v5.DeleteGroupV5Request(group_id=gid))
    iam.delete_user_v5(v5.DeleteUserV5Request(user_id=uid))
    with pytest.raises(ClientRequestException) as e:
        iam.show_user_v5(v5.ShowUserV5Request(user_id=uid))
    assert e.value.status_code == 404


def test_acknowledged_writes_survive_kill_9(tmp_path):
    """Writes the SDK saw succeed are there after `kill -9` and a restart."""
    import signal
    from huaweicloudsdkiam import v5
    from conftest import BINARY, Server
    from fake_modelarts import start_iam_server, stop

    tmp_path = tmp_path / "data"  # created by the server: owner only
    proc, endpoint, key = start_iam_server(BINARY, tmp_path)
    assert oct(tmp_path.stat().st_mode & 0o777) == "0o700"
    iam = Server(endpoint, key, tmp_path).iam()
    names = [f"durable-{i}" for i in range(20)]
    for n in names:
        create_user(iam, n)
    p = iam.create_policy_v5(v5.CreatePolicyV5Request(body=v5.CreatePolicyReqBody(
        policy_name="durable", policy_document=json.dumps(NOTEBOOKS)))).policy
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)

    proc, endpoint, _ = start_iam_server(BINARY, tmp_path)
    try:
        iam = Server(endpoint, key, tmp_path).iam()
        listed = {u.user_name for u in iam.list_users_v5(v5.ListUsersV5Request(limit=100)).users}
        assert set(names) <= listed
        assert iam.get_policy_v5(v5.GetPolicyV5Request(policy_id=p.policy_id)).policy.policy_name == "durable"
        # a restart on a non-empty data directory does not bootstrap again
        assert json.loads((tmp_path / "root-access-key.json").read_text()) == key
    finally:
        stop(proc)
