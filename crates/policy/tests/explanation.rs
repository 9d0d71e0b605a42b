//! `PolicySet::explain` names the cause of every deny (the deciding layer and why) and lists
//! only the conditions that decided (spec §6.2).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::sync::Arc;

use iam_policy::{
    Context, Decision, Explanation, Layer, Policy, PolicyId, PolicyKind, PolicySet, Principal,
    Request,
};
use serde_json::json;

fn doc(kind: PolicyKind, v: serde_json::Value) -> Arc<Policy> {
    Arc::new(Policy::from_value(&v, kind).unwrap())
}

fn allow_all(kind: PolicyKind) -> Arc<Policy> {
    doc(
        kind,
        json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["*"]}]}),
    )
}

fn explain(set: &PolicySet, action: &str, ctx: &Context) -> Explanation {
    let req = Request {
        action,
        resource: "*",
        context: ctx,
    };
    let e = set.explain(&Principal::default(), &req);
    assert_eq!(e.decision, set.decide(&Principal::default(), &req));
    e
}

/// The case: one SCP level holds only a conditional `Deny` that does not fire. The
/// request is implicitly denied at that level; the Deny's conditions did not matter.
#[test]
fn an_scp_level_with_only_a_deny_is_explained_by_its_missing_allow() {
    let deny_only = doc(
        PolicyKind::Scp,
        json!({"Version": "5.0", "Statement": [{"Sid": "NoPublicPool", "Effect": "Deny",
            "Action": ["modelarts:*:*"],
            "Condition": {"StringEquals": {"modelarts:poolType": ["public"]}}}]}),
    );
    let set = PolicySet::new(
        vec![("id".into(), allow_all(PolicyKind::Identity))],
        vec![
            vec![("root".into(), allow_all(PolicyKind::Scp))],
            vec![(PolicyId::new("ou"), deny_only)],
        ],
        vec![],
    );
    let ctx = Context::new().with("modelarts:poolType", "dedicated");
    let e = explain(&set, "modelarts:trainJob:create", &ctx);
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert_eq!(e.failing_layers.len(), 1);
    assert_eq!(e.failing_layers[0].layer, Layer::Scp);
    assert_eq!(e.failing_layers[0].level, Some(1));
    assert!(e.failed_conditions.is_empty(), "{:?}", e.failed_conditions);
    assert_eq!(
        e.reason.as_deref(),
        Some("no Allow at SCP level 1 (every SCP level needs an Allow, such as FullAccess)")
    );
}

/// An explicit deny lists no failed condition: not the Allow's in another layer, not its own.
#[test]
fn an_explicit_deny_names_its_statement_and_no_failed_condition() {
    let identity = doc(
        PolicyKind::Identity,
        json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["modelarts:*:*"],
            "Condition": {"StringEquals": {"g:EnterpriseProjectId": ["ep-1"]}}}]}),
    );
    let scp = doc(
        PolicyKind::Scp,
        json!({"Version": "5.0", "Statement": [
            {"Sid": "NoDelete", "Effect": "Deny", "Action": ["modelarts:*:delete*"]},
            {"Effect": "Allow", "Action": ["*"]}]}),
    );
    let set = PolicySet::new(
        vec![("id".into(), identity)],
        vec![vec![("s".into(), scp)]],
        vec![],
    );
    let ctx = Context::new().with("g:EnterpriseProjectId", "ep-2");
    let e = explain(&set, "modelarts:trainJob:delete", &ctx);
    assert_eq!(e.decision, Decision::ExplicitDeny);
    assert!(e.failed_conditions.is_empty(), "{:?}", e.failed_conditions);
    assert_eq!(
        e.reason.as_deref(),
        Some("explicit Deny statement #0 (Sid NoDelete) of policy s in SCP level 0")
    );
}

/// An implicit deny lists the failed conditions of the Allow statements of the failing layer
/// only: not those of a layer that allowed, not those of a Deny that did not apply.
#[test]
fn an_implicit_deny_lists_only_the_failing_layers_allow_conditions() {
    let identity = doc(
        PolicyKind::Identity,
        json!({"Version": "5.0", "Statement": [
            {"Sid": "Ep", "Effect": "Allow", "Action": ["modelarts:*:*"],
             "Condition": {"StringEquals": {"g:EnterpriseProjectId": ["ep-1"]}}},
            {"Sid": "NotAlice", "Effect": "Deny", "Action": ["modelarts:*:*"],
             "Condition": {"StringEquals": {"g:UserName": ["alice"]}}}]}),
    );
    let session = doc(
        PolicyKind::Session,
        json!({"Version": "5.0", "Statement": [
            {"Sid": "Ip", "Effect": "Allow", "Action": ["modelarts:*:*"],
             "Condition": {"IpAddress": {"g:SourceIp": ["10.0.0.0/8"]}}},
            {"Effect": "Allow", "Action": ["*"]}]}),
    );
    let set = PolicySet::new(
        vec![("id".into(), identity)],
        vec![],
        vec![("sess".into(), session)],
    );
    let ctx = Context::new()
        .with("g:EnterpriseProjectId", "ep-2")
        .with("g:SourceIp", "192.168.0.1");
    let e = explain(&set, "modelarts:notebook:list", &ctx);
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert_eq!(e.failed_conditions.len(), 1, "{:?}", e.failed_conditions);
    let fc = &e.failed_conditions[0];
    assert_eq!(fc.statement.sid.as_deref(), Some("Ep"));
    assert_eq!(fc.key, "g:EnterpriseProjectId");
    assert_eq!(fc.request_values, vec!["ep-2".to_owned()]);
    assert_eq!(
        e.reason.as_deref(),
        Some("no matching Allow in identity policies")
    );
}

/// A request value that does not parse makes a Deny apply (fail closed): that condition is what
/// decided, and the explanation says so.
#[test]
fn a_deny_applying_by_error_lists_the_erroring_condition() {
    let identity = doc(
        PolicyKind::Identity,
        json!({"Version": "5.0", "Statement": [
            {"Effect": "Allow", "Action": ["*"]},
            {"Sid": "Office", "Effect": "Deny", "Action": ["*"],
             "Condition": {"NotIpAddress": {"g:SourceIp": ["10.0.0.0/8"]}}}]}),
    );
    let set = PolicySet::new(vec![("id".into(), identity)], vec![], vec![]);
    let ctx = Context::new().with("g:SourceIp", "not-an-ip");
    let e = explain(&set, "obs:bucket:list", &ctx);
    assert_eq!(e.decision, Decision::ExplicitDeny);
    assert_eq!(e.failed_conditions.len(), 1);
    assert!(e.failed_conditions[0].error.is_some());
    assert_eq!(
        e.reason.as_deref(),
        Some("explicit Deny statement #1 (Sid Office) of policy id in identity policies")
    );
}

/// Every failing layer is named, the primary (SCP, session, identity) first.
#[test]
fn several_failing_layers_are_all_named_primary_first() {
    let set = PolicySet::new(
        vec![],
        vec![vec![], vec![("all".into(), allow_all(PolicyKind::Scp))]],
        vec![(
            "sess".into(),
            doc(
                PolicyKind::Session,
                json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["obs:*:*"]}]}),
            ),
        )],
    );
    let e = explain(&set, "modelarts:notebook:list", &Context::new());
    assert_eq!(
        e.reason.as_deref(),
        Some(
            "no Allow at SCP level 0 (every SCP level needs an Allow, such as FullAccess); \
             no Allow in the session policy; no matching Allow in identity policies"
        )
    );
    assert!(
        e.message
            .unwrap()
            .contains("no service control policy allows")
    );
}

/// An allow has no reason, no failed condition; the explanation round-trips through JSON (the
/// server's answers deserialize into the same type).
#[test]
fn an_allow_has_no_reason_and_explanations_round_trip_through_json() {
    let set = PolicySet::new(
        vec![("id".into(), allow_all(PolicyKind::Identity))],
        vec![],
        vec![],
    );
    let e = explain(&set, "obs:bucket:list", &Context::new());
    assert_eq!(e.decision, Decision::Allow);
    assert_eq!(e.reason, None);
    let v = serde_json::to_value(&e).unwrap();
    assert!(v["reason"].is_null());
    let back: Explanation = serde_json::from_value(v).unwrap();
    assert_eq!(back, e);
    let d = explain(&PolicySet::default(), "obs:bucket:list", &Context::new());
    let back: Explanation = serde_json::from_value(serde_json::to_value(&d).unwrap()).unwrap();
    assert_eq!(back, d);
}
