"""Access Analyzer ValidatePolicy through the official SDK."""

import json

from huaweicloudsdkiamaccessanalyzer.v1 import ValidatePolicyReqBody, ValidatePolicyRequest


def validate(server, doc, policy_type="identity_policy"):
    body = ValidatePolicyReqBody(policy_document=doc, policy_type=policy_type)
    return server.analyzer().validate_policy(ValidatePolicyRequest(body=body)).findings or []


def test_bad_policy_has_error_findings(server):
    findings = validate(server, json.dumps({"Statement": [{"Effect": "Allow", "Action": ["*"]}]}))
    assert any(f.finding_type == "error" for f in findings), findings
    assert any(f.issue_code == "MISSING_VERSION" for f in findings), findings


def test_json_syntax_error(server):
    findings = validate(server, '{"Version": "5.0", "Statement": [')
    assert [f.issue_code for f in findings if f.finding_type == "error"] == ["JSON_SYNTAX_ERROR"]


def test_good_policy_has_no_errors(server):
    doc = {"Version": "5.0", "Statement": [
        {"Effect": "Allow", "Action": ["modelarts:notebook:create"], "Resource": ["*"]}]}
    findings = validate(server, json.dumps(doc))
    assert not [f for f in findings if f.finding_type == "error"], findings


def test_scp_type(server):
    doc = {"Version": "5.0", "Statement": [
        {"Effect": "Allow", "Action": ["modelarts:*"], "NotResource": ["*"]}]}
    findings = validate(server, json.dumps(doc), "service_control_policy")
    assert any(f.finding_type == "error" for f in findings), findings
