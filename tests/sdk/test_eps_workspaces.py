"""Enterprise projects (`huaweicloudsdkeps` EpsClient) and ModelArts workspaces
(`huaweicloudsdkmodelarts` ModelArtsClient), unchanged, against the server (docs/workspaces.md):

- an enterprise project is created, listed, shown, updated, disabled, enabled and deleted; the
  default project `0` is listed and refuses changes; the quota shows it;
- a workspace is created in it (INTERNAL, shared with an IAM user by name), listed, shown with its
  grants, updated, its quotas read and set, and deleted; a deleted user's grant is gone; a
  PRIVATE workspace is refused to a user allowed `modelarts:workspace:*`;
- the project cannot be deleted while it holds a workspace."""

import uuid

import pytest
from huaweicloudsdkcore.auth.credentials import GlobalCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkeps.v1 import (
    CreateEnterpriseProjectRequest, DeleteEnterpriseProjectRequest, DisableAction,
    DisableEnterpriseProjectRequest, EnableAction, EnableEnterpriseProjectRequest,
    EnterpriseProject, EpsClient, ListEnterpriseProjectRequest, ShowEnterpriseProjectQuotaRequest,
    ShowEnterpriseProjectRequest, UpdateEnterpriseProjectRequest,
)
from huaweicloudsdkiam.v5 import (
    AttachUserPolicyReqBody, AttachUserPolicyV5Request, CreateAccessKeyV5Request,
    CreatePolicyReqBody, CreatePolicyV5Request, CreateUserReqBody, CreateUserV5Request,
    DeleteUserV5Request,
)
from huaweicloudsdkmodelarts.v1 import (
    CreateWorkspaceReq, CreateWorkspaceReqGrants, CreateWorkspaceRequest, DeleteWorkspaceRequest,
    ListWorkspaceRequest, ShowWorkspaceQuotasRequest, ShowWorkspaceRequest,
    UpdateWorkspaceQuotasReq, UpdateWorkspaceQuotasReqQuotas, UpdateWorkspaceQuotasRequest,
    UpdateWorkspaceReq, UpdateWorkspaceRequest,
)

from conftest import assert_complete
from test_modelarts_agency import modelarts


def tag() -> str:
    return uuid.uuid4().hex[:8]


def eps(server, ak=None, sk=None) -> EpsClient:
    cred = GlobalCredentials(ak or server.ak, sk or server.sk, server.account_id)
    return (EpsClient.new_builder().with_http_config(server.http_config())
            .with_credentials(cred).with_endpoint(server.endpoint).build())


def expect_status(status, fn, *args):
    with pytest.raises(ClientRequestException) as e:
        fn(*args)
    assert e.value.status_code == status, (e.value.status_code, e.value.error_msg)
    return e.value


def iam_user(server, name, *actions):
    """A new IAM user allowed `actions`; returns (user id, access key, secret key)."""
    import json
    iam = server.iam()
    user = iam.create_user_v5(CreateUserV5Request(
        body=CreateUserReqBody(name=name, enabled=True))).user
    if actions:
        doc = {"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": list(actions)}]}
        pid = iam.create_policy_v5(CreatePolicyV5Request(body=CreatePolicyReqBody(
            policy_name=f"{name}-p", policy_document=json.dumps(doc)))).policy.policy_id
        iam.attach_user_policy_v5(AttachUserPolicyV5Request(
            policy_id=pid, body=AttachUserPolicyReqBody(user_id=user.user_id)))
    key = iam.create_access_key_v5(CreateAccessKeyV5Request(user_id=user.user_id)).access_key
    return user.user_id, key.access_key_id, key.secret_access_key


def test_enterprise_project_lifecycle(server):
    client = eps(server)
    name = f"ep-{tag()}"
    created = client.create_enterprise_project(CreateEnterpriseProjectRequest(
        body=EnterpriseProject(name=name, description="team", type="poc")))
    assert_complete(created)
    ep = created.enterprise_project
    assert (ep.name, ep.status, ep.type, ep.delete_flag) == (name, 1, "poc", False)
    assert len(ep.id) == 36

    listed = client.list_enterprise_project(ListEnterpriseProjectRequest(name=name))
    assert listed.total_count == 1 and listed.enterprise_projects[0].id == ep.id
    default = client.list_enterprise_project(ListEnterpriseProjectRequest(id="0"))
    assert default.enterprise_projects[0].name == "default"
    shown = client.show_enterprise_project(ShowEnterpriseProjectRequest(enterprise_project_id=ep.id))
    assert_complete(shown)

    updated = client.update_enterprise_project(UpdateEnterpriseProjectRequest(
        enterprise_project_id=ep.id, body=EnterpriseProject(name=name + "-x", type="prod")))
    assert (updated.enterprise_project.name, updated.enterprise_project.type) == (name + "-x", "prod")
    client.disable_enterprise_project(DisableEnterpriseProjectRequest(
        enterprise_project_id=ep.id, body=DisableAction(action="disable")))
    assert client.show_enterprise_project(ShowEnterpriseProjectRequest(
        enterprise_project_id=ep.id)).enterprise_project.status == 2
    client.enable_enterprise_project(EnableEnterpriseProjectRequest(
        enterprise_project_id=ep.id, body=EnableAction(action="enable")))

    quota = client.show_enterprise_project_quota(ShowEnterpriseProjectQuotaRequest())
    assert_complete(quota)
    res = quota.quotas.resources[0]
    assert (res.type, res.quota) == ("enterprise_project", 100) and res.used >= 1

    # the default project refuses changes; names are checked
    expect_status(403, client.disable_enterprise_project, DisableEnterpriseProjectRequest(
        enterprise_project_id="0", body=DisableAction(action="disable")))
    expect_status(400, client.create_enterprise_project, CreateEnterpriseProjectRequest(
        body=EnterpriseProject(name="Default")))
    expect_status(409, client.create_enterprise_project, CreateEnterpriseProjectRequest(
        body=EnterpriseProject(name=(name + "-x").upper())))

    # an enabled project is not deleted; a disabled empty one is
    expect_status(409, client.delete_enterprise_project,
                  DeleteEnterpriseProjectRequest(enterprise_project_id=ep.id))
    client.disable_enterprise_project(DisableEnterpriseProjectRequest(
        enterprise_project_id=ep.id, body=DisableAction(action="disable")))
    client.delete_enterprise_project(DeleteEnterpriseProjectRequest(enterprise_project_id=ep.id))
    expect_status(404, client.show_enterprise_project,
                  ShowEnterpriseProjectRequest(enterprise_project_id=ep.id))


def test_workspace_in_an_enterprise_project(server):
    ep = eps(server).create_enterprise_project(CreateEnterpriseProjectRequest(
        body=EnterpriseProject(name=f"ws-ep-{tag()}"))).enterprise_project
    grantee = f"grantee-{tag()}"
    grantee_id, _, _ = iam_user(server, grantee)
    ma = modelarts(server)
    name = f"space-{tag()}"
    created = ma.create_workspace(CreateWorkspaceRequest(body=CreateWorkspaceReq(
        name=name, description="team space", enterprise_project_id=ep.id, auth_type="INTERNAL",
        grants=[CreateWorkspaceReqGrants(user_name=grantee, user_type="IAM")])))
    assert_complete(created)
    assert (created.enterprise_project_id, created.enterprise_project_name) == (ep.id, ep.name)
    assert [(g.user_id, g.user_name) for g in created.grants] == [(grantee_id, grantee)]
    wid = created.id
    assert len(wid) == 32

    shown = ma.show_workspace(ShowWorkspaceRequest(workspace_id=wid))
    assert_complete(shown)
    assert shown.auth_type == "INTERNAL" and shown.grants[0].user_name == grantee
    listed = ma.list_workspace(ListWorkspaceRequest(enterprise_project_id=ep.id))
    assert (listed.total_count, listed.count) == (1, 1)
    assert_complete(listed)
    everything = ma.list_workspace(ListWorkspaceRequest(filter_accessible=True))
    assert "default" in [w.name for w in everything.workspaces]

    upd = ma.update_workspace(UpdateWorkspaceRequest(workspace_id=wid, body=UpdateWorkspaceReq(
        description="renamed", name=name + "-2")))
    assert upd.workspace_id == wid
    assert ma.show_workspace(ShowWorkspaceRequest(workspace_id=wid)).name == name + "-2"

    quotas = ma.show_workspace_quotas(ShowWorkspaceQuotasRequest(workspace_id=wid)).quotas
    assert {q.resource for q in quotas} >= {"notebook", "trainJob", "pool"}
    assert all(q.quota == -1 for q in quotas)
    set_ = ma.update_workspace_quotas(UpdateWorkspaceQuotasRequest(
        workspace_id=wid, body=UpdateWorkspaceQuotasReq(
            quotas=[UpdateWorkspaceQuotasReqQuotas(resource="notebook", quota=4)])))
    assert [q.quota for q in set_.quotas if q.resource == "notebook"] == [4]

    # deleting the grantee removes the grant
    server.iam().delete_user_v5(DeleteUserV5Request(user_id=grantee_id))
    assert ma.show_workspace(ShowWorkspaceRequest(workspace_id=wid)).grants == []

    # the project cannot go while it holds the workspace
    client = eps(server)
    client.disable_enterprise_project(DisableEnterpriseProjectRequest(
        enterprise_project_id=ep.id, body=DisableAction(action="disable")))
    e = expect_status(409, client.delete_enterprise_project,
                      DeleteEnterpriseProjectRequest(enterprise_project_id=ep.id))
    assert "still has resources" in e.error_msg
    # and a disabled project takes no new workspace
    expect_status(400, ma.create_workspace, CreateWorkspaceRequest(body=CreateWorkspaceReq(
        name=f"late-{tag()}", enterprise_project_id=ep.id)))

    deleted = ma.delete_workspace(DeleteWorkspaceRequest(workspace_id=wid))
    assert deleted.workspace_id == wid
    expect_status(404, ma.show_workspace, ShowWorkspaceRequest(workspace_id=wid))
    client.delete_enterprise_project(DeleteEnterpriseProjectRequest(enterprise_project_id=ep.id))
    expect_status(403, ma.delete_workspace, DeleteWorkspaceRequest(workspace_id="0"))


def test_private_workspaces_are_the_creators(server):
    ma = modelarts(server)
    wid = ma.create_workspace(CreateWorkspaceRequest(body=CreateWorkspaceReq(
        name=f"private-{tag()}", auth_type="private"))).id
    _, ak, sk = iam_user(server, f"outsider-{tag()}", "modelarts:workspace:*")
    outsider = modelarts(server, ak, sk)
    e = expect_status(403, outsider.show_workspace, ShowWorkspaceRequest(workspace_id=wid))
    assert "PRIVATE" in e.error_msg
    accessible = outsider.list_workspace(ListWorkspaceRequest(filter_accessible=True))
    assert wid not in [w.id for w in accessible.workspaces]
    assert outsider.show_workspace(ShowWorkspaceRequest(workspace_id="0")).name == "default"
    ma.delete_workspace(DeleteWorkspaceRequest(workspace_id=wid))
