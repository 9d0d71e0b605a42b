"""STS through the official `huaweicloudsdksts` (and `huaweicloudsdkiam` v5 to set things up):
a user assumes an agency and lists what the session may list; a session policy that excludes the
call denies it (and the encoded message decodes); trust conditions; limits; expired and tampered
temporary credentials answer 401."""

import json
import sqlite3
import uuid

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials, GlobalCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkiam.v5 import (
    AttachAgencyPolicyReqBody, AttachAgencyPolicyV5Request, AttachUserPolicyReqBody,
    AttachUserPolicyV5Request, CreateAccessKeyV5Request, CreateAgencyReqBody, CreateAgencyV5Request,
    CreatePolicyReqBody, CreatePolicyV5Request, CreateUserReqBody, CreateUserV5Request,
    DetachAgencyPolicyReqBody, DetachAgencyPolicyV5Request, IamClient, ListPoliciesV5Request,
    ListUsersV5Request,
)
from huaweicloudsdksts.v1 import (
    AssumeAgencyReqBody, AssumeAgencyRequest, DecodeAuthorizationMessageReq,
    DecodeAuthorizationMessageRequest, GetCallerIdentityRequest, StsClient, TagDto,
)


def sts_client(server, ak, sk, token=None) -> StsClient:
    cred = BasicCredentials(ak, sk)
    if token:
        cred = cred.with_security_token(token)
    return (StsClient.new_builder().with_http_config(server.http_config())
            .with_credentials(cred).with_endpoint(server.endpoint).build())


def iam_client(server, ak, sk, token=None) -> IamClient:
    cred = GlobalCredentials(ak, sk, server.account_id)
    if token:
        cred = cred.with_security_token(token)
    return (IamClient.new_builder().with_http_config(server.http_config())
            .with_credentials(cred).with_endpoint(server.endpoint).build())


def policy(iam, name, doc):
    return iam.create_policy_v5(CreatePolicyV5Request(body=CreatePolicyReqBody(
        policy_name=name, policy_document=json.dumps(doc)))).policy


class Setup:
    """A user allowed to assume an agency `ops-*` that trusts the account and may list policies."""

    def __init__(self, server, trust=None, max_session=3600):
        self.server = server
        iam = server.iam()
        tag = uuid.uuid4().hex[:8]
        self.user = iam.create_user_v5(CreateUserV5Request(
            body=CreateUserReqBody(name=f"sts-{tag}", enabled=True))).user
        key = iam.create_access_key_v5(CreateAccessKeyV5Request(user_id=self.user.user_id)).access_key
        self.ak, self.sk = key.access_key_id, key.secret_access_key
        trust = trust or {"Version": "5.0", "Statement": [{
            "Effect": "Allow", "Action": ["sts:agencies:assume"],
            "Principal": {"IAM": [server.account_id]}}]}
        self.agency = iam.create_agency_v5(CreateAgencyV5Request(body=CreateAgencyReqBody(
            agency_name=f"ops-{tag}", trust_policy=json.dumps(trust),
            max_session_duration=max_session))).agency
        may_assume = policy(iam, f"assume-{tag}", {"Version": "5.0", "Statement": [{
            "Effect": "Allow", "Action": ["sts:agencies:assume"], "Resource": [self.agency.urn]}]})
        iam.attach_user_policy_v5(AttachUserPolicyV5Request(
            policy_id=may_assume.policy_id, body=AttachUserPolicyReqBody(user_id=self.user.user_id)))
        self.agency_policy = policy(iam, f"ops-read-{tag}", {"Version": "5.0", "Statement": [{
            "Effect": "Allow", "Action": ["iam:policies:listV5"]}]})
        iam.attach_agency_policy_v5(AttachAgencyPolicyV5Request(
            policy_id=self.agency_policy.policy_id,
            body=AttachAgencyPolicyReqBody(agency_id=self.agency.agency_id)))
        self.sts = sts_client(server, self.ak, self.sk)

    def assume(self, session="s1", **kw):
        return self.sts.assume_agency(AssumeAgencyRequest(body=AssumeAgencyReqBody(
            agency_urn=self.agency.urn, agency_session_name=session, **kw)))


def test_assume_and_list_what_the_session_may(server):
    s = Setup(server)
    r = s.assume(duration_seconds=900, source_identity="pytest")
    urn = f"sts::{server.account_id}:assumed-agency:{s.agency.agency_name}/s1"
    assert r.assumed_agency.urn == urn
    assert r.assumed_agency.id == f"{s.agency.agency_id}:s1"
    assert r.source_identity == "pytest"
    c = r.credentials
    assert c.access_key_id and c.secret_access_key and c.security_token and c.expiration

    me = sts_client(server, c.access_key_id, c.secret_access_key, c.security_token).get_caller_identity(
        GetCallerIdentityRequest())
    assert me.principal_urn == urn and me.account_id == server.account_id
    assert me.principal_id == f"{s.agency.agency_id}:s1"

    session = iam_client(server, c.access_key_id, c.secret_access_key, c.security_token)
    names = [p.policy_name for p in session.list_policies_v5(ListPoliciesV5Request()).policies]
    assert s.agency_policy.policy_name in names
    with pytest.raises(ClientRequestException) as e:
        session.list_users_v5(ListUsersV5Request())
    assert e.value.status_code == 403 and e.value.error_code == "IAM.0003"
    assert urn in e.value.error_msg

    # the agency's current policies decide: detaching ends what the live session may do
    server.iam().detach_agency_policy_v5(DetachAgencyPolicyV5Request(
        policy_id=s.agency_policy.policy_id,
        body=DetachAgencyPolicyReqBody(agency_id=s.agency.agency_id)))
    with pytest.raises(ClientRequestException) as e:
        session.list_policies_v5(ListPoliciesV5Request())
    assert e.value.status_code == 403


def test_a_session_policy_that_excludes_the_call_denies_it(server):
    s = Setup(server)
    only_users = {"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["iam:users:listUsersV5"]}]}
    c = s.assume(session="narrow", policy=json.dumps(only_users)).credentials
    session = iam_client(server, c.access_key_id, c.secret_access_key, c.security_token)
    with pytest.raises(ClientRequestException) as e:
        session.list_policies_v5(ListPoliciesV5Request())
    assert e.value.status_code == 403 and e.value.error_code == "IAM.0003"
    assert "because no session policy allows the iam:policies:listV5 action" in e.value.error_msg
    # intersection: the session policy alone grants nothing the agency lacks
    with pytest.raises(ClientRequestException) as e2:
        session.list_users_v5(ListUsersV5Request())
    assert e2.value.status_code == 403
    assert "no identity-based policy allows" in e2.value.error_msg

    # the encoded message decodes (for the account's administrator) to the full explanation
    encoded = e.value.encoded_auth_msg
    assert encoded
    root = sts_client(server, server.ak, server.sk)
    decoded = root.decode_authorization_message(DecodeAuthorizationMessageRequest(
        body=DecodeAuthorizationMessageReq(encoded_message=encoded))).decoded_message
    d = json.loads(decoded)
    assert d["action"] == "iam:policies:listV5" and d["decision"] == "implicit_deny"
    assert d["principal"].endswith("/narrow")
    assert d["explanation"]["failing_layers"][0]["layer"] == "session"
    with pytest.raises(ClientRequestException) as e3:
        root.decode_authorization_message(DecodeAuthorizationMessageRequest(
            body=DecodeAuthorizationMessageReq(encoded_message=encoded[:-4] + "AAAA")))
    assert e3.value.status_code == 400


def test_trust_policy_conditions_and_limits(server):
    trust = {"Version": "5.0", "Statement": [{
        "Effect": "Allow", "Action": ["sts:agencies:assume"], "Principal": {"IAM": [server.account_id]},
        "Condition": {"StringEquals": {"g:ExternalId": ["ext-42"]}}}]}
    s = Setup(server, trust=trust, max_session=7200)
    with pytest.raises(ClientRequestException) as e:
        s.assume()
    assert e.value.status_code == 403 and "trust policy" in e.value.error_msg
    r = s.assume(external_id="ext-42", duration_seconds=7200,
                 tags=[TagDto(key="team", value="ml")], transitive_tag_keys=["team"])
    assert r.credentials.access_key_id
    for bad in [dict(external_id="ext-42", duration_seconds=7201),
                dict(external_id="ext-42", duration_seconds=600),
                dict(external_id="ext-42", policy="{not json"),
                dict(external_id="ext-42", tags=[TagDto(key="_sys_x", value="v")])]:
        with pytest.raises(ClientRequestException) as e:
            s.assume(**bad)
        assert e.value.status_code == 400, bad

    # chaining: a session may assume (when allowed) for at most an hour
    c = r.credentials
    chained = sts_client(server, c.access_key_id, c.secret_access_key, c.security_token)
    with pytest.raises(ClientRequestException) as e:
        chained.assume_agency(AssumeAgencyRequest(body=AssumeAgencyReqBody(
            agency_urn=s.agency.urn, agency_session_name="again", external_id="ext-42",
            duration_seconds=3601)))
    assert e.value.status_code == 400


def test_wrong_secret_tampered_and_expired_tokens_are_401(server):
    s = Setup(server)
    c = s.assume(session="t401").credentials
    wrong = sts_client(server, c.access_key_id, "x" * len(c.secret_access_key), c.security_token)
    tampered = sts_client(server, c.access_key_id, c.secret_access_key, c.security_token[:-1] + "A"
                          if not c.security_token.endswith("A") else c.security_token[:-1] + "B")
    for client in (wrong, tampered):
        with pytest.raises(ClientRequestException) as e:
            client.get_caller_identity(GetCallerIdentityRequest())
        assert e.value.status_code == 401 and e.value.error_code == "APIGW.0301"

    # expiry: move a fresh (never used, so never cached) session's expiry into the past, as if
    # its hour had passed
    c2 = s.assume(session="old", duration_seconds=900).credentials
    db = sqlite3.connect(server.data_dir / "iam.db", timeout=10)
    with db:
        db.execute("UPDATE session_credentials SET expires_at = '2020-01-01T00:00:00Z' "
                   "WHERE access_key_id = ?", (c2.access_key_id,))
    db.close()
    expired = sts_client(server, c2.access_key_id, c2.secret_access_key, c2.security_token)
    with pytest.raises(ClientRequestException) as e:
        expired.get_caller_identity(GetCallerIdentityRequest())
    assert e.value.status_code == 401 and e.value.error_code == "APIGW.0301"
