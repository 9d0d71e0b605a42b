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


def test_every_organizations_api_with_complete_shapes(server):
    """The remaining Organizations v1 APIs through the SDK, with every response field filled."""
    from huaweicloudsdkorganizations import v1 as o
    from conftest import assert_complete

    org = server.organizations()
    show = org.show_organization(o.ShowOrganizationRequest())  # created by the test above, or now
    assert_complete(show)
    roots = org.list_roots(o.ListRootsRequest(limit=10))
    assert_complete(roots)
    root = roots.roots[0].id
    ou = org.create_organizational_unit(o.CreateOrganizationalUnitRequest(
        body=o.CreateOrganizationalUnitReqBody(name="shapes", parent_id=root)))
    assert_complete(ou)
    ou_id = ou.organizational_unit.id
    assert_complete(org.show_organizational_unit(o.ShowOrganizationalUnitRequest(organizational_unit_id=ou_id)))
    renamed = org.update_organizational_unit(o.UpdateOrganizationalUnitRequest(
        organizational_unit_id=ou_id, body=o.UpdateOrganizationalUnitReqBody(name="shapes2")))
    assert renamed.organizational_unit.name == "shapes2"

    status = org.create_account(o.CreateAccountRequest(body=o.CreateAccountReqBody(name="shapes-member")))
    assert_complete(status, "failure_detail_msg")
    member = status.create_account_status.account_id
    acct = org.show_account(o.ShowAccountRequest(account_id=member))
    assert_complete(acct, "description")
    assert acct.account.status == "active" and acct.account.join_method == "created"
    assert_complete(org.list_accounts(o.ListAccountsRequest(parent_id=root)), "description")
    entities = org.list_entities(o.ListEntitiesRequest(parent_id=root))
    assert_complete(entities)
    assert {(e.id, e.type) for e in entities.entities} >= {(ou_id, "organizational_unit"), (member, "account")}

    p = org.create_policy(o.CreatePolicyRequest(body=o.CreatePolicyReqBody(
        name="shapes-scp", type="service_control_policy", content=json.dumps(DENY_TRAINING), description="d")))
    assert_complete(p)
    pid = p.policy.policy_summary.id
    assert_complete(org.show_policy(o.ShowPolicyRequest(policy_id=pid)))
    upd = org.update_policy(o.UpdatePolicyRequest(policy_id=pid, body=o.UpdatePolicyReqBody(
        name="shapes-scp2", description="d2", content=json.dumps(DENY_TRAINING))))
    assert upd.policy.policy_summary.name == "shapes-scp2"
    org.attach_policy(o.AttachPolicyRequest(policy_id=pid, body=o.PolicyTachReqBody(entity_id=member)))
    attached = org.list_policies(o.ListPoliciesRequest(attached_entity_id=member))
    assert_complete(attached)
    names = {x.name for x in attached.policies}
    assert {"shapes-scp2", "FullAccess"} <= names, names
    org.detach_policy(o.DetachPolicyRequest(policy_id=pid, body=o.PolicyTachReqBody(entity_id=member)))
    org.delete_policy(o.DeletePolicyRequest(policy_id=pid))
    org.delete_organizational_unit(o.DeleteOrganizationalUnitRequest(organizational_unit_id=ou_id))

    # disabling the SCP type lifts every SCP; enabling it again re-attaches FullAccess
    r = org.disable_policy_type(o.DisablePolicyTypeRequest(body=o.PolicyTypeReqBody(
        policy_type="service_control_policy", root_id=root))).root
    assert {"type": "service_control_policy", "status": "enabled"} not in [
        {"type": t.type, "status": t.status} for t in r.policy_types]
    org.enable_policy_type(o.EnablePolicyTypeRequest(body=o.PolicyTypeReqBody(
        policy_type="service_control_policy", root_id=root)))
    assert "FullAccess" in {x.name for x in org.list_policies(o.ListPoliciesRequest(attached_entity_id=root)).policies}
