"""People sign in through the official SDKs: login profiles and virtual MFA devices with
`huaweicloudsdkiam.v5`, IAM v3 tokens with `huaweicloudsdkiam.v3` (password, password + MFA),
the token used as `X-Auth-Token` on an API and at the gateway, Huawei's errors for a wrong
password, a locked user, an expired token and a wrong code, and credentials without ids."""

import time
import uuid

import pyotp
import pytest
import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials, GlobalCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkiam.v3 import IamClient as IamV3Client
from huaweicloudsdkiam.v3 import (
    AuthScope, AuthScopeProject, KeystoneCreateUserTokenByPasswordAndMfaRequest,
    KeystoneCreateUserTokenByPasswordAndMfaRequestBody, KeystoneCreateUserTokenByPasswordRequest,
    KeystoneCreateUserTokenByPasswordRequestBody, KeystoneListProjectsRequest, MfaAuth, MfaIdentity,
    MfaTotp, MfaTotpUser, PwdAuth, PwdIdentity, PwdPassword, PwdPasswordUser,
    PwdPasswordUserDomain)
from huaweicloudsdkiam.v5 import (
    ChangePasswordReqBody, ChangePasswordV5Request, CreateLoginProfileReqBody,
    CreateLoginProfileV5Request, CreateUserReqBody, CreateUserV5Request, CreateVirtualMfaDeviceReqBody,
    CreateVirtualMfaDeviceV5Request, DeleteLoginProfileV5Request, DisableMfaDeviceReqBody,
    DisableMfaDeviceV5Request, EnableMfaDeviceReqBody, EnableMfaDeviceV5Request, ListMfaDevicesV5Request,
    ListUsersV5Request, ShowLoginPolicyV5Request, ShowLoginProfileV5Request, ShowPasswordPolicyV5Request,
    UpdateLoginProfileReqBody, UpdateLoginProfileV5Request)

PASSWORD = "Sdk-Sign-In-42"
# every secret the tests handle: none may appear in the server's log
SECRETS = [PASSWORD, "Changed-Pass-77", "Wrong-Password-1"]


def v3(server) -> IamV3Client:
    # keystone token calls carry the password in the body; the client still needs credentials
    return (IamV3Client.new_builder().with_http_config(server.http_config())
            .with_credentials(GlobalCredentials(server.ak, server.sk, server.account_id))
            .with_endpoint(server.endpoint).build())


def new_person(server, prefix="person") -> tuple:
    """A user of the account with a password; returns (id, name)."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    user = server.iam().create_user_v5(CreateUserV5Request(body=CreateUserReqBody(name=name))).user
    server.iam().create_login_profile_v5(CreateLoginProfileV5Request(
        user_id=user.user_id,
        body=CreateLoginProfileReqBody(password=PASSWORD, password_reset_required=False)))
    return user.user_id, name


def password_token(server, name, password=PASSWORD):
    body = KeystoneCreateUserTokenByPasswordRequestBody(auth=PwdAuth(
        identity=PwdIdentity(methods=["password"], password=PwdPassword(user=PwdPasswordUser(
            name=name, password=password, domain=PwdPasswordUserDomain(name="admin")))),
        scope=AuthScope(project=AuthScopeProject(name="cn-north-4"))))
    return v3(server).keystone_create_user_token_by_password(
        KeystoneCreateUserTokenByPasswordRequest(body=body))


def mfa_token(server, name, user_id, passcode):
    body = KeystoneCreateUserTokenByPasswordAndMfaRequestBody(auth=MfaAuth(
        identity=MfaIdentity(
            methods=["password", "totp"],
            password=PwdPassword(user=PwdPasswordUser(
                name=name, password=PASSWORD, domain=PwdPasswordUserDomain(name="admin"))),
            totp=MfaTotp(user=MfaTotpUser(id=user_id, passcode=passcode))),
        scope=AuthScope(project=AuthScopeProject(name="cn-north-4"))))
    return v3(server).keystone_create_user_token_by_password_and_mfa(
        KeystoneCreateUserTokenByPasswordAndMfaRequest(body=body))


def grant_list_users(server, user_id):
    pid = server.call("POST", "/v5/policies", {
        "policy_name": f"list-users-{uuid.uuid4().hex[:6]}",
        "policy_document": '{"Version":"5.0","Statement":[{"Effect":"Allow",'
                           '"Action":["iam:users:listUsersV5","modelarts:*:*"],"Resource":["*"]}]}'
    }).json()["policy"]["policy_id"]
    r = server.call("POST", f"/v5/policies/{pid}/attach-user", {"user_id": user_id})
    assert r.status_code in (200, 204), r.text


def test_login_profiles_through_the_sdk(server):
    iam = server.iam()
    user_id, _ = new_person(server, "profile")
    profile = iam.show_login_profile_v5(ShowLoginProfileV5Request(user_id=user_id)).login_profile
    assert profile.user_id == user_id and profile.password_reset_required is False
    iam.update_login_profile_v5(UpdateLoginProfileV5Request(
        user_id=user_id, body=UpdateLoginProfileReqBody(password_reset_required=True)))
    assert iam.show_login_profile_v5(
        ShowLoginProfileV5Request(user_id=user_id)).login_profile.password_reset_required is True
    with pytest.raises(ClientRequestException) as weak:
        iam.update_login_profile_v5(UpdateLoginProfileV5Request(
            user_id=user_id, body=UpdateLoginProfileReqBody(password="weakweak")))
    assert weak.value.status_code == 400 and "character types" in weak.value.error_msg
    policy = iam.show_password_policy_v5(ShowPasswordPolicyV5Request()).password_policy
    assert policy.minimum_password_length == 8 and policy.maximum_password_length == 32
    assert iam.show_login_policy_v5(ShowLoginPolicyV5Request()).login_policy.login_failed_times == 5
    iam.delete_login_profile_v5(DeleteLoginProfileV5Request(user_id=user_id))
    with pytest.raises(ClientRequestException) as gone:
        iam.show_login_profile_v5(ShowLoginProfileV5Request(user_id=user_id))
    assert gone.value.status_code == 404


def test_a_password_token_authorizes_an_api_call_and_a_gateway_call(server, tmp_path):
    user_id, name = new_person(server, "tok")
    resp = password_token(server, name)
    token = resp.x_subject_token
    SECRETS.append(token)
    assert token and resp.token.user.id == user_id and resp.token.methods == ["password"]
    assert resp.token.project.name == "cn-north-4"
    # decided as the user: no policy yet, denied
    r = requests.get(server.endpoint + "/v5/users", headers={"X-Auth-Token": token}, timeout=10)
    assert r.status_code == 403 and r.json()["error_code"] == "IAM.0003"
    grant_list_users(server, user_id)
    r = requests.get(server.endpoint + "/v5/users", headers={"X-Auth-Token": token}, timeout=10)
    assert r.status_code == 200, r.text
    assert name in {u["user_name"] for u in r.json()["users"]}
    # and at the gateway (nginx auth_request), as a ModelArts call of the user
    headers = {
        "X-Auth-Token": token,
        "X-Original-Method": "GET",
        "X-Original-URI": f"/v1/{server.project_id}/notebooks",
    }
    r = requests.get(server.endpoint + "/v1/gateway/authorize", headers=headers, timeout=10)
    assert r.status_code == 204, r.text
    assert r.headers["X-Iam-Principal-Id"] == user_id
    headers["X-Auth-Token"] = token[:-2] + "xx"
    r = requests.get(server.endpoint + "/v1/gateway/authorize", headers=headers, timeout=10)
    assert r.status_code == 401


def test_wrong_password_locked_user_and_expired_token_give_huaweis_errors(server):
    _, name = new_person(server, "lock")
    for _ in range(4):
        with pytest.raises(ClientRequestException) as wrong:
            password_token(server, name, "Wrong-Password-1")
        assert wrong.value.status_code == 401
        assert wrong.value.error_msg == "The username or password is wrong."
    with pytest.raises(ClientRequestException) as locked:
        password_token(server, name, "Wrong-Password-1")
    assert locked.value.status_code == 401 and "locked" in locked.value.error_msg
    with pytest.raises(ClientRequestException) as still:
        password_token(server, name)
    assert "locked" in still.value.error_msg
    r = requests.get(server.endpoint + "/v5/users", headers={"X-Auth-Token": "MIIexpired"}, timeout=10)
    assert r.status_code == 401 and "The token must be updated" in r.json()["error_msg"]


def test_mfa_binds_and_then_tokens_need_a_fresh_code(server):
    iam = server.iam()
    user_id, name = new_person(server, "mfa")
    dev = iam.create_virtual_mfa_device_v5(CreateVirtualMfaDeviceV5Request(
        body=CreateVirtualMfaDeviceReqBody(virtual_mfa_device_name=f"{name}-phone",
                                           user_id=user_id))).virtual_mfa_device
    totp = pyotp.TOTP(dev.base32_string_seed)
    SECRETS.append(dev.base32_string_seed)
    now = time.time()
    with pytest.raises(ClientRequestException) as wrong_pair:
        iam.enable_mfa_device_v5(EnableMfaDeviceV5Request(body=EnableMfaDeviceReqBody(
            user_id=user_id, serial_number=dev.serial_number,
            authentication_code_first=totp.at(now), authentication_code_second=totp.at(now - 30))))
    assert wrong_pair.value.status_code == 400
    iam.enable_mfa_device_v5(EnableMfaDeviceV5Request(body=EnableMfaDeviceReqBody(
        user_id=user_id, serial_number=dev.serial_number,
        authentication_code_first=totp.at(now - 30), authentication_code_second=totp.at(now))))
    listed = iam.list_mfa_devices_v5(ListMfaDevicesV5Request(user_id=user_id)).mfa_devices
    assert [(d.serial_number, d.enabled) for d in listed] == [(dev.serial_number, True)]
    with pytest.raises(ClientRequestException) as no_code:
        password_token(server, name)
    assert no_code.value.status_code == 401 and "verification code" in no_code.value.error_msg
    with pytest.raises(ClientRequestException) as wrong:
        mfa_token(server, name, user_id, "000000" if totp.at(now + 30) != "000000" else "111111")
    assert wrong.value.status_code == 401 and "verification code" in wrong.value.error_msg
    # the binding used the current step; the next step's code is accepted once
    resp = mfa_token(server, name, user_id, totp.at(now + 30))
    assert resp.x_subject_token and resp.token.methods == ["password", "totp"]
    grant_list_users(server, user_id)
    r = requests.get(server.endpoint + "/v5/users",
                     headers={"X-Auth-Token": resp.x_subject_token}, timeout=10)
    assert r.status_code == 200, r.text
    with pytest.raises(ClientRequestException):
        mfa_token(server, name, user_id, totp.at(now + 30))
    iam.disable_mfa_device_v5(DisableMfaDeviceV5Request(body=DisableMfaDeviceReqBody(
        user_id=user_id, serial_number=dev.serial_number)))
    assert password_token(server, name).x_subject_token


def test_the_user_changes_its_own_password_with_its_token(server):
    user_id, name = new_person(server, "own")
    token = password_token(server, name).x_subject_token
    r = requests.post(server.endpoint + "/v5/caller-password", headers={"X-Auth-Token": token},
                      json={"old_password": PASSWORD, "new_password": "Changed-Pass-77"}, timeout=10)
    assert r.status_code == 204, r.text
    assert password_token(server, name, "Changed-Pass-77").x_subject_token
    r = requests.get(server.endpoint + "/v3/auth/projects", headers={"X-Auth-Token": token}, timeout=10)
    assert r.status_code == 401, "the old token ended with the password change"


def test_credentials_without_ids_look_them_up(server):
    # BasicCredentials without a project id, built with a region: the SDK core asks
    # GET /v3/projects?name=<region> (its IAM endpoint comes from HUAWEICLOUD_SDK_IAM_ENDPOINT)
    from huaweicloudsdkcore.region.region import Region
    from huaweicloudsdkiam.v5 import IamClient
    import os
    os.environ["HUAWEICLOUD_SDK_IAM_ENDPOINT"] = server.endpoint
    try:
        region = Region("cn-north-4", server.endpoint)
        basic = BasicCredentials(server.ak, server.sk)
        client = (IamV3Client.new_builder().with_http_config(server.http_config())
                  .with_credentials(basic).with_region(region).build())
        assert basic.project_id == server.project_id
        projects = client.keystone_list_projects(KeystoneListProjectsRequest(name="cn-north-4")).projects
        assert [p.id for p in projects] == [server.project_id]
        glob = GlobalCredentials(server.ak, server.sk)
        iam = (IamClient.new_builder().with_http_config(server.http_config())
               .with_credentials(glob).with_region(region).build())
        assert glob.domain_id == server.account_id
        assert iam.list_users_v5(ListUsersV5Request()).users
    finally:
        del os.environ["HUAWEICLOUD_SDK_IAM_ENDPOINT"]


def test_no_secret_reaches_the_server_log(server):
    """Runs last: the log of every request above holds no password, token or MFA seed."""
    log = (server.data_dir.parent / (server.data_dir.name + ".log")).read_text()
    # the requests above are in it (one line each), with none of what they carried
    assert "path=/v3/auth/tokens" in log and "path=/v5/caller-password" in log, log[-2000:]
    for secret in SECRETS:
        assert secret not in log, f"a secret ({secret[:4]}...) is in the server log"
