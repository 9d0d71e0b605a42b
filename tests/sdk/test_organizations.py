"""Organizations v1 through the official SDK: an organization with an OU, a member account and an
SCP; the SCP bounds the member account's decisions."""

import json

from huaweicloudsdkorganizations.v1 import (
    AttachPolicyRequest, CreateAccountReqBody, CreateAccountRequest, CreateOrganizationRequest,
    CreateOrganizationalUnitReqBody, CreateOrganizationalUnitRequest, CreatePolicyReqBody,
    CreatePolicyRequest, DetachPolicyRequest, EnablePolicyTypeRequest, ListAccountsRequest,
    ListEntitiesForPolicyRequest, ListOrganizationalUnitsRequest, ListRootsRequest,
    MoveAccountReqBody, MoveAccountRequest, PolicyTachReqBody, PolicyTypeReqBody,
    ShowOrganizationRequest,
)

DENY_TRAINING = {"Version": "5.0", "Statement": [
    {"Effect": "Deny", "Action": ["modelarts:trainJob:*"], "Resource": ["*"]}]}


def test_scp_bounds_member_account(server):
    org = server.organizations()
    o = org.create_organization(CreateOrganizationRequest()).organization
    assert o.management_account_id == server.account_id
    assert org.show_organization(ShowOrganizationRequest()).organization.id == o.id

    root = org.list_roots(ListRootsRequest()).roots[0]
    enabled = org.enable_policy_type(EnablePolicyTypeRequest(body=PolicyTypeReqBody(
        policy_type="service_control_policy", root_id=root.id))).root
    assert {"type": "service_control_policy", "status": "enabled"} in [
        {"type": t.type, "status": t.status} for t in enabled.policy_types]

    ou = org.create_organizational_unit(CreateOrganizationalUnitRequest(
        body=CreateOrganizationalUnitReqBody(name="research", parent_id=root.id))).organizational_unit
    ous = org.list_organizational_units(ListOrganizationalUnitsRequest(parent_id=root.id)).organizational_units
    assert [x.id for x in ous] == [ou.id]

    status = org.create_account(CreateAccountRequest(body=CreateAccountReqBody(name="member1"))).create_account_status
    member = status.account_id
    org.move_account(MoveAccountRequest(account_id=member, body=MoveAccountReqBody(
        source_parent_id=root.id, destination_parent_id=ou.id)))
    in_ou = org.list_accounts(ListAccountsRequest(parent_id=ou.id)).accounts
    assert [a.id for a in in_ou] == [member]

    member_root = f"iam::{member}:user:member1"
    assert server.authorize(member_root, "modelarts:trainJob:create")["decision"] == "allow"

    scp = org.create_policy(CreatePolicyRequest(body=CreatePolicyReqBody(
        name="deny-training", type="service_control_policy", content=json.dumps(DENY_TRAINING),
        description="no training in research"))).policy.policy_summary
    org.attach_policy(AttachPolicyRequest(policy_id=scp.id, body=PolicyTachReqBody(entity_id=ou.id)))
    entities = org.list_entities_for_policy(ListEntitiesForPolicyRequest(policy_id=scp.id)).attached_entities
    assert [(e.id, e.type) for e in entities] == [(ou.id, "organizational_unit")]

    d = server.authorize(member_root, "modelarts:trainJob:create")
    assert d["decision"] == "explicit_deny", d
    assert d["message"].endswith("with an explicit deny in a service control policy.")
    assert server.authorize(member_root, "modelarts:notebook:create")["decision"] == "allow"
    # the management account is never bound by SCPs
    assert server.authorize(server.key["user_urn"], "modelarts:trainJob:create")["decision"] == "allow"

    org.detach_policy(DetachPolicyRequest(policy_id=scp.id, body=PolicyTachReqBody(entity_id=ou.id)))
    assert server.authorize(member_root, "modelarts:trainJob:create")["decision"] == "allow"
