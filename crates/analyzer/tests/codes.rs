//! One example per issue code, table-driven. Each example marks the span the finding must
//! point at with `⟦` and `⟧`; the test strips the markers, validates, and asserts that a finding
//! with the code, its finding type and exactly that span (line, column, offset of both ends) is
//! reported. It also asserts that error codes are exactly the examples the engine rejects.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use iam_analyzer::{Code, FindingType, PolicyType, Position, validate};
use iam_policy::Policy;
use std::collections::BTreeSet;

const OPEN: char = '⟦';
const CLOSE: char = '⟧';

/// An identity policy or SCP with one statement (the statement's members given).
fn id(stmt: &str) -> String {
    format!(r#"{{"Version": "5.0", "Statement": [{{{stmt}}}]}}"#)
}

/// A trust policy with one statement.
fn trust(stmt: &str) -> String {
    format!(
        r#"{{"Version": "5.0", "Statement": [{{"Effect": "Allow", "Action": ["sts:agencies:assume"], {stmt}}}]}}"#
    )
}

const NB: &str = r#""Effect": "Allow", "Action": ["modelarts:notebook:get"]"#;

fn examples() -> Vec<(Code, PolicyType, String)> {
    use Code as C;
    use PolicyType::{Identity as I, Scp as S, Trust as T};
    let big_sid = "x".repeat(6200);
    let long_action = format!("modelarts:notebook:{}", "a".repeat(2100));
    vec![
        (C::JsonSyntaxError, I, "{\"Version\": \"5.0\",\n ⟦}⟧".to_owned()),
        (C::DataTypeMismatch, I, id(r#""Effect": ⟦1⟧, "Action": ["modelarts:notebook:get"]"#)),
        (C::InvalidPolicyElement, I, id(&format!(r#"{NB}, ⟦"effect"⟧: "Allow""#))),
        (C::DuplicateElement, I, r#"{"Version": "5.0", ⟦"Version"⟧: "5.0", "Statement": [{"Effect": "Deny", "Action": ["*"]}]}"#.to_owned()),
        (C::MissingVersion, I, r#"⟦{⟧"Statement": [{"Effect": "Deny", "Action": ["*"]}]}"#.to_owned()),
        (C::InvalidVersion, I, r#"{"Version": ⟦"2.0"⟧, "Statement": [{"Effect": "Deny", "Action": ["*"]}]}"#.to_owned()),
        (C::MissingStatement, I, r#"⟦{⟧"Version": "5.0"}"#.to_owned()),
        (C::EmptyStatement, I, r#"{"Version": "5.0", "Statement": ⟦[]⟧}"#.to_owned()),
        (C::MissingEffect, I, r#"{"Version": "5.0", "Statement": [⟦{⟧"Action": ["modelarts:notebook:get"]}]}"#.to_owned()),
        (C::InvalidEffect, I, id(r#""Effect": ⟦"allow"⟧, "Action": ["modelarts:notebook:get"]"#)),
        (C::MissingAction, I, r#"{"Version": "5.0", "Statement": [⟦{⟧"Effect": "Allow"}]}"#.to_owned()),
        (C::ConflictingElements, I, id(&format!(r#"{NB}, ⟦"NotAction"⟧: ["obs:*"]"#))),
        (C::EmptyArray, I, id(r#""Effect": "Allow", "Action": ⟦[]⟧"#)),
        (C::EmptyObject, T, trust(r#""Principal": ⟦{}⟧"#)),
        (C::UnsupportedPrincipal, I, id(&format!(r#"{NB}, ⟦"Principal"⟧: {{"IAM": ["0123456789"]}}"#))),
        (C::MissingPrincipal, T, r#"{"Version": "5.0", "Statement": [⟦{⟧"Effect": "Allow", "Action": ["sts:agencies:assume"]}]}"#.to_owned()),
        (C::UnsupportedElementForVersion, I, r#"{"Version": "1.1", "Statement": [{⟦"Sid"⟧: "a", "Effect": "Allow", "Action": ["modelarts:notebook:get"]}]}"#.to_owned()),
        (C::ScpUnsupportedElement, S, id(r#""Effect": "Deny", "Action": ["obs:*"], ⟦"NotResource"⟧: ["obs:*:*:bucket:keep"]"#)),
        (C::ScpAllowNotAction, S, id(r#""Effect": "Allow", ⟦"NotAction"⟧: ["iam:*"]"#)),
        (C::ScpAllowCondition, S, id(r#""Effect": "Allow", "Action": ["*"], ⟦"Condition"⟧: {"Bool": {"g:MFAPresent": "true"}}"#)),
        (C::ScpAllowResource, S, id(r#""Effect": "Allow", "Action": ["obs:*"], "Resource": ⟦["obs:*:*:bucket:x"]⟧"#)),
        (C::InvalidConditionOperator, I, id(&format!(r#"{NB}, "Condition": {{⟦"StringEqual"⟧: {{"g:UserName": "a"}}}}"#))),
        (C::InvalidNumber, I, id(&format!(r#"{NB}, "Condition": {{"NumberLessThan": {{"g:MFAAge": ⟦"ten"⟧}}}}"#))),
        (C::InvalidDate, I, id(&format!(r#"{NB}, "Condition": {{"DateGreaterThan": {{"g:CurrentTime": [⟦"yesterday"⟧]}}}}"#))),
        (C::InvalidBoolean, I, id(&format!(r#"{NB}, "Condition": {{"Bool": {{"g:MFAPresent": ⟦"yes"⟧}}}}"#))),
        (C::InvalidIpAddress, I, id(&format!(r#"{NB}, "Condition": {{"IpAddress": {{"g:SourceIp": [⟦"10.0.0.300"⟧]}}}}"#))),
        (C::PolicySizeExceeded, I, format!("⟦{}⟧", id(&format!(r#""Sid": "{big_sid}", {NB}"#)))),
        (C::LimitExceeded, I, id(&format!(r#""Effect": "Deny", "Action": [⟦"{long_action}"⟧]"#))),
        (C::UnknownService, I, id(r#""Effect": "Deny", "Action": ["⟦foo⟧:bar:baz"]"#)),
        (C::UnknownAction, I, id(r#""Effect": "Allow", "Action": [⟦"modelarts:notebook:lst"⟧]"#)),
        (C::ActionMatchesNothing, I, id(r#""Effect": "Allow", "Action": [⟦"modelarts:notebok:*"⟧]"#)),
        (C::InvalidActionFormat, I, id(r#""Effect": "Allow", "Action": [⟦"modelarts:create"⟧]"#)),
        (C::UppercaseService, I, id(r#""Effect": "Allow", "Action": ["⟦ModelArts⟧:notebook:get"]"#)),
        (C::InvalidResourceFormat, I, id(&format!(r#"{NB}, "Resource": [⟦"notebook/abc"⟧]"#))),
        (C::ResourceTypeMismatch, I, id(&format!(r#"{NB}, "Resource": [⟦"modelarts:*:*:trainJob:*"⟧]"#))),
        (C::ActionResourceNotSupported, I, id(r#""Effect": "Allow", "Action": ["modelarts:trainJob:list"], "Resource": [⟦"modelarts:*:*:trainJob:*"⟧]"#)),
        (C::UnknownConditionKey, I, id(&format!(r#"{NB}, "Condition": {{"StringEquals": {{⟦"g:NoSuchKey"⟧: "a"}}}}"#))),
        (C::UnsupportedConditionKey, I, id(&format!(r#"{NB}, "Condition": {{"StringEquals": {{⟦"iam:PolicyURN"⟧: "x"}}}}"#))),
        (C::ConditionKeyUnknowable, I, id(r#""Effect": "Allow", "Action": ["modelarts:service:get"], "Condition": {"StringEquals": {⟦"g:ResourceTag/team"⟧: "ml"}}"#)),
        (C::ConditionTypeMismatch, I, id(&format!(r#"{NB}, "Condition": {{"StringEquals": {{⟦"g:CurrentTime"⟧: "2026"}}}}"#))),
        (C::SetOperatorOnSingleValuedKey, I, id(&format!(r#"{NB}, "Condition": {{"ForAnyValue:StringEquals": {{⟦"g:UserName"⟧: "a"}}}}"#))),
        (C::MultiValuedKeyWithoutQualifier, I, id(&format!(r#"{NB}, "Condition": {{"StringEquals": {{⟦"g:TagKeys"⟧: "a"}}}}"#))),
        (C::WildcardInExactOperator, I, id(&format!(r#"{NB}, "Condition": {{"StringEquals": {{"g:UserName": ⟦"a*"⟧}}}}"#))),
        (C::TrustUnsupportedAction, T, r#"{"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": [⟦"modelarts:notebook:get"⟧], "Principal": {"IAM": ["0123456789"]}}]}"#.to_owned()),
        (C::InvalidPrincipal, T, trust(r#""Principal": {"IAM": [⟦"iam::123"⟧]}"#)),
        (C::ScpActionWildcardPosition, S, id(r#""Effect": "Deny", "Action": [⟦"modelarts:note*book:get"⟧]"#)),
        (C::FullAccess, I, id(r#""Effect": "Allow", "Action": [⟦"*"⟧]"#)),
        (C::WriteAccessWildcard, I, id(r#""Effect": "Allow", "Action": [⟦"modelarts:notebook:*"⟧]"#)),
        (C::PermissionsManagementWildcard, I, id(r#""Effect": "Allow", "Action": [⟦"iam:policies:*"⟧]"#)),
        (C::AllowWithNotAction, I, id(r#""Effect": "Allow", ⟦"NotAction"⟧: ["iam:*"]"#)),
        (C::AllowWithNotResource, I, id(&format!(r#"{NB}, ⟦"NotResource"⟧: ["modelarts:*:*:notebook:secret"]"#))),
        (C::AssumeAnyAgency, I, id(r#""Effect": "Allow", "Action": [⟦"sts:agencies:assume"⟧]"#)),
        (C::TrustPrincipalWildcard, T, trust(r#""Principal": {"IAM": [⟦"*"⟧]}"#)),
        (C::AllowWithNotPrincipal, T, trust(r#"⟦"NotPrincipal"⟧: {"IAM": ["0123456789"]}"#)),
        (C::DenyConditionKeyUnknowable, I, id(r#""Effect": "Deny", "Action": ["modelarts:pool:get"], "Condition": {"StringNotEquals": {⟦"g:EnterpriseProjectId"⟧: "0"}}"#)),
        (C::ForAllValuesWithAllow, I, id(&format!(r#"{NB}, "Condition": {{"ForAllValues:StringEquals": {{⟦"g:TagKeys"⟧: ["a"]}}}}"#))),
        (C::StatementNotArray, I, format!(r#"{{"Version": "5.0", "Statement": ⟦{{{NB}}}⟧}}"#)),
        (C::DeprecatedVersion, I, r#"{"Version": ⟦"1.1"⟧, "Statement": [{"Effect": "Allow", "Action": ["modelarts:notebook:get"]}]}"#.to_owned()),
        (C::LegacyOperator, I, id(&format!(r#"{NB}, "Condition": {{⟦"StringLike"⟧: {{"g:UserName": "a*"}}}}"#))),
        (C::ConditionValueNotString, I, id(&format!(r#"{NB}, "Condition": {{"NumberLessThan": {{"g:MFAAge": ⟦300⟧}}}}"#))),
        (C::EmptyCondition, I, id(&format!(r#"{NB}, "Condition": ⟦{{}}⟧"#))),
        (C::EmptySid, I, id(&format!(r#""Sid": ⟦""⟧, {NB}"#))),
        (C::DuplicateSid, I, format!(r#"{{"Version": "5.0", "Statement": [{{"Sid": "a", {NB}}}, {{"Sid": ⟦"a"⟧, "Effect": "Deny", "Action": ["obs:*"]}}]}}"#)),
        (C::DuplicateValue, I, id(r#""Effect": "Allow", "Action": ["modelarts:notebook:get", ⟦"modelarts:notebook:GET"⟧]"#)),
        (C::RedundantAction, I, id(r#""Effect": "Deny", "Action": ["modelarts:notebook:*", ⟦"modelarts:notebook:get"⟧]"#)),
        (C::RedundantResource, I, id(&format!(r#"{NB}, "Resource": ["*", ⟦"modelarts:*:*:notebook:*"⟧]"#))),
    ]
}

/// Position of the character offset `at` (in characters) of `text`: an independent computation.
fn position(text: &str, at: usize) -> Position {
    let before: Vec<char> = text.chars().take(at).collect();
    let line = 1 + before.iter().filter(|&&c| c == '\n').count();
    let column = before.iter().rev().take_while(|&&c| c != '\n').count();
    Position {
        line,
        column,
        offset: at,
    }
}

/// Strips the markers; returns the text and the marked span in characters.
fn unmark(marked: &str) -> (String, usize, usize) {
    let chars: Vec<char> = marked.chars().collect();
    let open = chars.iter().position(|&c| c == OPEN).expect("no ⟦ marker");
    let close = chars.iter().position(|&c| c == CLOSE).expect("no ⟧ marker");
    let text: String = chars.iter().filter(|&&c| c != OPEN && c != CLOSE).collect();
    (text, open, close - 1)
}

#[test]
fn every_code_has_an_example_with_the_exact_span() {
    let mut covered = BTreeSet::new();
    for (code, ty, marked) in examples() {
        let (text, start, end) = unmark(&marked);
        let findings = validate(&text, ty);
        let want_start = position(&text, start);
        let want_end = position(&text, end);
        let hit = findings.iter().find(|f| {
            f.issue_code == code.as_str()
                && f.locations
                    .first()
                    .is_some_and(|l| l.span.start == want_start && l.span.end == want_end)
        });
        let Some(hit) = hit else {
            panic!(
                "{}: no finding at {want_start:?}..{want_end:?} in {}\nfindings: {}",
                code.as_str(),
                if text.len() > 300 {
                    &text[..300]
                } else {
                    &text
                },
                serde_json::to_string_pretty(&findings).unwrap()
            );
        };
        assert_eq!(hit.finding_type, code.finding_type(), "{}", code.as_str());
        assert!(!hit.finding_details.is_empty());
        assert!(
            hit.learn_more_link
                .ends_with(&code.as_str().to_ascii_lowercase())
        );
        // Errors exactly when the engine rejects the example.
        let engine_rejects = Policy::parse(&text, ty.kind()).is_err();
        assert_eq!(
            iam_analyzer::has_errors(&findings),
            engine_rejects,
            "{}: error findings and engine disagree: {findings:?}",
            code.as_str()
        );
        assert_eq!(
            code.finding_type() == FindingType::Error,
            engine_rejects,
            "{}: an example of an error code must be rejected, of other codes accepted",
            code.as_str()
        );
        covered.insert(code);
    }
    // Every code except the safety net has an example; there are at least 30 checks.
    let missing: Vec<_> = Code::ALL
        .iter()
        .filter(|c| **c != Code::PolicyRejected && !covered.contains(*c))
        .map(|c| c.as_str())
        .collect();
    assert!(missing.is_empty(), "codes without an example: {missing:?}");
    assert!(covered.len() >= 30);
}

#[test]
fn a_clean_policy_has_no_findings() {
    let doc = r#"{
  "Version": "5.0",
  "Statement": [
    {
      "Sid": "ReadNotebooks",
      "Effect": "Allow",
      "Action": ["modelarts:notebook:get", "modelarts:notebook:list"],
      "Resource": ["modelarts:cn-north-4:0123456789:notebook:*"],
      "Condition": {"IpAddress": {"g:SourceIp": ["10.0.0.0/8"]}}
    }
  ]
}"#;
    assert_eq!(validate(doc, PolicyType::Identity), Vec::new());
}

#[test]
fn a_document_given_as_a_json_string_is_validated_as_its_text() {
    let inner = r#"{"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["modelarts:notebook:lst"]}]}"#;
    let outer = serde_json::to_string(inner).unwrap();
    let a = validate(inner, PolicyType::Identity);
    let b = validate(&outer, PolicyType::Identity);
    assert_eq!(a, b);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].issue_code, "UNKNOWN_ACTION");
}

#[test]
fn spans_count_characters_not_bytes() {
    // "é" is two bytes but one character: the span of the bad effect starts one column earlier
    // than a byte count would say.
    let doc = "{\"Version\": \"5.0\", \"Statement\": [{\"Sid\": \"é\", \"Effect\": \"allow\", \"Action\": [\"obs:*\"]}]}";
    let f = validate(doc, PolicyType::Identity);
    let e = f.iter().find(|f| f.issue_code == "INVALID_EFFECT").unwrap();
    let byte = doc.find("\"allow\"").unwrap();
    assert_eq!(e.locations[0].span.start.offset, byte - 1);
    assert_eq!(e.locations[0].span.start.column, byte - 1);
}

#[test]
fn findings_serialise_in_the_access_analyzer_shape() {
    let doc = id(&format!(
        r#"{NB}, "Condition": {{"Bool": {{"g:MFAPresent": "yes"}}}}"#
    ));
    let f = validate(&doc, PolicyType::Identity);
    let v = serde_json::to_value(&f[0]).unwrap();
    assert_eq!(v["finding_type"], "error");
    assert_eq!(v["issue_code"], "INVALID_BOOLEAN");
    let path = &v["locations"][0]["path"];
    assert_eq!(path[0]["value"], "Statement");
    assert_eq!(path[1]["index"], 0);
    assert_eq!(path[2]["value"], "Condition");
    assert_eq!(path[3]["value"], "Bool");
    assert_eq!(path[4]["value"], "g:MFAPresent");
    for k in ["line", "column", "offset"] {
        assert!(v["locations"][0]["span"]["start"][k].is_u64());
        assert!(v["locations"][0]["span"]["end"][k].is_u64());
    }
}
