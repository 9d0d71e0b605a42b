"""Access Analyzer ValidatePolicy (`POST /v5/policies/validate`) through the official SDK:
finding types and codes, locations (JSON path and line/column/offset spans), the trust and SCP
policy types, paging with limit/marker, 400 for unsupported types and 403 without
`access-analyzer:policies:validate`."""

import json

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkiam.v5 import (
    AttachUserPolicyReqBody, AttachUserPolicyV5Request, CreateAccessKeyV5Request,
    CreatePolicyReqBody, CreatePolicyV5Request, CreateUserReqBody, CreateUserV5Request,
)
from huaweicloudsdkiamaccessanalyzer.v1 import (
    IAMAccessAnalyzerClient, ValidatePolicyReqBody, ValidatePolicyRequest,
)


def analyzer(server, ak=None, sk=None):
    if ak is None:
        return server.analyzer()
    cred = BasicCredentials(ak, sk, server.project_id)
    return (IAMAccessAnalyzerClient.new_builder().with_http_config(server.http_config())
            .with_credentials(cred).with_endpoint(server.endpoint).build())


def call(server, doc, policy_type="identity_policy", resource_type=None, client=None, **query):
    body = ValidatePolicyReqBody(policy_document=doc, policy_type=policy_type,
                                 validate_policy_resource_type=resource_type)
    client = client or server.analyzer()
    return client.validate_policy(ValidatePolicyRequest(body=body, **query))


def validate(server, doc, policy_type="identity_policy", resource_type=None):
    return call(server, doc, policy_type, resource_type).findings or []


def codes(findings, finding_type=None):
    return [f.issue_code for f in findings if finding_type in (None, f.finding_type)]


def position(text, at):
    """(line 1-based, column 0-based, offset 0-based) of character offset `at`."""
    before = text[:at]
    return before.count("\n") + 1, at - (before.rfind("\n") + 1), at


def test_bad_policy_has_error_findings(server):
    findings = validate(server, json.dumps({"Statement": [{"Effect": "Allow", "Action": ["*"]}]}))
    assert any(f.finding_type == "error" for f in findings), findings
    assert any(f.issue_code == "MISSING_VERSION" for f in findings), findings


def test_json_syntax_error(server):
    doc = '{"Version": "5.0", "Statement": ['
    findings = validate(server, doc)
    assert codes(findings, "error") == ["JSON_SYNTAX_ERROR"]
    f = findings[0]
    start = f.locations[0].span.start
    assert f.finding_details.startswith(
        f"Fix the JSON syntax error at character {start.column} in line {start.line} "
        f"with index {start.offset}: "), f.finding_details
    assert start.line == 1 and start.offset >= len(doc) - 1


def test_good_policy_has_no_errors(server):
    doc = {"Version": "5.0", "Statement": [
        {"Effect": "Allow", "Action": ["modelarts:notebook:create"], "Resource": ["*"]}]}
    findings = validate(server, json.dumps(doc))
    assert not [f for f in findings if f.finding_type == "error"], findings


def test_clean_policy_has_no_findings_and_page_info(server):
    doc = {"Version": "5.0", "Statement": [{
        "Effect": "Allow", "Action": ["modelarts:notebook:get", "modelarts:notebook:list"],
        "Resource": ["modelarts:cn-north-4:0123456789:notebook:*"],
        "Condition": {"IpAddress": {"g:SourceIp": ["10.0.0.0/8"]}}}]}
    resp = call(server, json.dumps(doc, indent=2))
    assert resp.findings == []
    assert resp.page_info.current_count == 0
    assert resp.page_info.next_marker is None


def test_scp_type(server):
    doc = {"Version": "5.0", "Statement": [
        {"Effect": "Allow", "Action": ["modelarts:*"], "NotResource": ["*"]}]}
    findings = validate(server, json.dumps(doc), "service_control_policy")
    assert "SCP_UNSUPPORTED_ELEMENT" in codes(findings, "error"), findings
    allow_condition = {"Version": "5.0", "Statement": [
        {"Effect": "Allow", "Action": ["*"], "Condition": {"Bool": {"g:MFAPresent": "true"}}}]}
    assert codes(validate(server, json.dumps(allow_condition), "service_control_policy")) == [
        "SCP_ALLOW_CONDITION"]
    # The same document is a fine identity policy.
    assert codes(validate(server, json.dumps(allow_condition)), "error") == []


def test_trust_policy_type(server):
    doc = json.dumps({"Version": "5.0", "Statement": [{
        "Effect": "Allow", "Action": ["sts:agencies:assume"],
        "Principal": {"IAM": ["0123456789"]}}]})
    assert validate(server, doc, "resource_policy", "iam:agency") == []
    as_identity = validate(server, doc)
    assert codes(as_identity, "error") == ["UNSUPPORTED_PRINCIPAL"]
    error = next(f for f in as_identity if f.finding_type == "error")
    assert error.finding_details == (
        'The "Principal" element is not supported for identity policy. '
        'Delete the "Principal" element.')
    anyone = json.dumps({"Version": "5.0", "Statement": [{
        "Effect": "Allow", "Action": ["sts:agencies:assume"], "Principal": {"IAM": ["*"]}}]})
    assert codes(validate(server, anyone, "resource_policy", "iam:agency")) == [
        "TRUST_PRINCIPAL_WILDCARD"]


def test_locations_have_json_path_and_exact_span(server):
    doc = ('{\n  "Version": "5.0",\n  "Statement": [{\n    "Effect": "Allow",\n'
           '    "Action": ["modelarts:notebook:get"],\n'
           '    "Condition": {"Bool": {"g:MFAPresent": "yes"}}\n  }]\n}')
    findings = validate(server, doc)
    assert codes(findings) == ["INVALID_BOOLEAN"]
    loc = findings[0].locations[0]
    steps = [(p.value, p.index) for p in loc.path]
    assert steps == [("Statement", None), (None, 0), ("Condition", None), ("Bool", None),
                     ("g:MFAPresent", None)]
    start = doc.index('"yes"')
    s, e = loc.span.start, loc.span.end
    assert (s.line, s.column, s.offset) == position(doc, start)
    assert (e.line, e.column, e.offset) == position(doc, start + len('"yes"'))
    assert findings[0].learn_more_link.endswith("invalid_boolean")


def test_warnings_security_warnings_and_suggestions(server):
    doc = json.dumps({"Version": "5.0", "Statement": [
        {"Sid": "a", "Effect": "Allow", "Action": ["modelarts:notebook:lst"]},
        {"Sid": "b", "Effect": "Allow", "Action": ["*"]},
        {"Sid": "b", "Effect": "Allow", "Action": ["modelarts:notebook:get"],
         "Condition": {"StringEquals": {"g:CurrentTime": "2026-01-01"}}}]})
    findings = validate(server, doc)
    by_type = {(f.finding_type, f.issue_code) for f in findings}
    assert ("warning", "UNKNOWN_ACTION") in by_type
    assert ("security_warning", "FULL_ACCESS") in by_type
    assert ("warning", "CONDITION_TYPE_MISMATCH") in by_type
    assert ("suggestion", "DUPLICATE_SID") in by_type
    assert not codes(findings, "error")
    # Findings are in document order.
    offsets = [f.locations[0].span.start.offset for f in findings]
    assert offsets == sorted(offsets)


def test_paging_with_limit_and_marker(server):
    actions = [f"modelarts:notebook:nope{i}" for i in range(7)]
    doc = json.dumps({"Version": "5.0", "Statement": [
        {"Effect": "Allow", "Action": actions}]})
    everything = call(server, doc).findings
    assert len(everything) == 7
    got, marker = [], None
    while True:
        kw = {"limit": 3}
        if marker:
            kw["marker"] = marker
        resp = call(server, doc, **kw)
        assert resp.page_info.current_count == len(resp.findings) <= 3
        got.extend(resp.findings)
        marker = resp.page_info.next_marker
        if not marker:
            break
    assert [f.to_dict() for f in got] == [f.to_dict() for f in everything]
    with pytest.raises(ClientRequestException) as e:
        call(server, doc, marker="no-such-marker")
    assert e.value.status_code == 400


def test_unsupported_policy_types_are_400(server):
    doc = json.dumps({"Version": "5.0", "Statement": [{"Effect": "Deny", "Action": ["*"]}]})
    for policy_type, resource_type in [("resource_control_policy", None),
                                       ("resource_policy", None),
                                       ("bucket_policy", None)]:
        with pytest.raises(ClientRequestException) as e:
            validate(server, doc, policy_type, resource_type)
        assert e.value.status_code == 400
        assert e.value.error_code == "IAM.0001"
        assert policy_type in e.value.error_msg
    with pytest.raises(ClientRequestException) as e:
        validate(server, "")
    assert e.value.status_code == 400


def test_validate_needs_the_permission(server):
    iam = server.iam()
    user = iam.create_user_v5(CreateUserV5Request(
        body=CreateUserReqBody(name="validator-carol", enabled=True))).user
    key = iam.create_access_key_v5(CreateAccessKeyV5Request(user_id=user.user_id)).access_key
    carol = analyzer(server, key.access_key_id, key.secret_access_key)
    doc = json.dumps({"Version": "5.0", "Statement": [{"Effect": "Deny", "Action": ["*"]}]})
    with pytest.raises(ClientRequestException) as e:
        call(server, doc, client=carol)
    assert e.value.status_code == 403
    assert "access-analyzer:policies:validate" in e.value.error_msg
    policy = iam.create_policy_v5(CreatePolicyV5Request(body=CreatePolicyReqBody(
        policy_name="validate-policies", policy_document=json.dumps({"Version": "5.0", "Statement": [
            {"Effect": "Allow", "Action": ["access-analyzer:policies:validate"]}]})))).policy
    iam.attach_user_policy_v5(AttachUserPolicyV5Request(
        policy_id=policy.policy_id, body=AttachUserPolicyReqBody(user_id=user.user_id)))
    assert call(server, doc, client=carol).findings == []
