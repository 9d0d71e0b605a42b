//! `PolicySet::decide` makes no heap allocation (the typical workload's allow and deny paths, a
//! thousand statements, every operator family), proven with a counting global allocator
//! (`allocation-counter`, which counts the allocations of the measuring thread only).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

#[path = "../benches/support/workload.rs"]
mod workload;

use std::hint::black_box;

use iam_policy::{Context, Decision, PolicySet, Principal, Request};
use workload::{CTX, Req};

/// Allocations made by deciding every request of `reqs` once; asserts the decisions.
fn allocations(set: &PolicySet, p: &Principal, reqs: &[Req], ctx: &Context, allow: bool) -> u64 {
    assert!(!reqs.is_empty());
    let info = allocation_counter::measure(|| {
        for r in reqs {
            let req = Request {
                action: &r.action,
                resource: &r.resource,
                context: ctx,
            };
            let d = black_box(set.decide(p, black_box(&req)));
            assert_eq!(
                d == Decision::Allow,
                allow,
                "{} on {}",
                r.action,
                r.resource
            );
        }
    });
    info.count_total
}

#[test]
fn the_counter_counts() {
    // The measurement is not vacuous: an allocation inside `measure` is seen.
    let info = allocation_counter::measure(|| {
        black_box(vec![1u8; 64]);
    });
    assert!(info.count_total >= 1, "{info:?}");
}

#[test]
fn typical_allow_path_allocates_nothing() {
    let w = workload::typical();
    let (set, p, ctx) = (w.policy_set(), w.principal(), CTX.to_context());
    assert!(
        w.allowed.len() >= 100,
        "only {} allowed requests",
        w.allowed.len()
    );
    assert_eq!(allocations(&set, &p, &w.allowed, &ctx, true), 0);
}

#[test]
fn typical_deny_path_allocates_nothing() {
    let w = workload::typical();
    let (set, p, ctx) = (w.policy_set(), w.principal(), CTX.to_context());
    assert!(
        w.denied.len() >= 100,
        "only {} denied requests",
        w.denied.len()
    );
    assert_eq!(allocations(&set, &p, &w.denied, &ctx, false), 0);
}

#[test]
fn thousand_statements_allocate_nothing() {
    let w = workload::generate(100, 10, 0x5EED_1000);
    let (set, p, ctx) = (w.policy_set(), w.principal(), CTX.to_context());
    assert_eq!(allocations(&set, &p, &w.allowed, &ctx, true), 0);
    assert_eq!(allocations(&set, &p, &w.denied, &ctx, false), 0);
}

#[test]
fn every_operator_family_allocates_nothing() {
    // One statement per operator family and qualifier form, all satisfied by the context.
    let doc = r#"{"Version": "5.0", "Statement": [{"Effect": "Allow",
        "Action": ["modelarts:*:get*", "modelarts:trainJob:*"],
        "Resource": ["modelarts:*:*:trainJob:*"],
        "Condition": {
          "StringEqualsIgnoreCase": {"g:UserName": ["ALICE"]},
          "StringNotLike": {"g:UserName": ["bob*"]},
          "StringEndWith": {"g:UserName": ["ice"]},
          "NumberGreaterThanEquals": {"modelarts:nodeCount": ["2"]},
          "DateGreaterThan": {"g:CurrentTime": ["2020-01-01T00:00:00+08:00"]},
          "Bool": {"g:MFAPresent": ["true"]},
          "NotIpAddress": {"g:SourceIp": ["192.168.0.0/16", "fd00::/8"]},
          "Null": {"g:ResourceTag/none": ["true"]},
          "ForAllValues:StringEquals": {"g:TagKeys": ["team", "env"]},
          "ForAnyValue:StringLike": {"g:TagKeys": ["te*"]},
          "StringEqualsIfExists": {"g:Absent": ["x"]},
          "StringEquals": {"g:PrincipalAccount": ["acct1"]}
        }}]}"#;
    let policy = std::sync::Arc::new(
        iam_policy::Policy::parse(doc, iam_policy::PolicyKind::Identity).unwrap(),
    );
    let set = PolicySet::new(vec![("p".into(), policy)], Vec::new(), Vec::new());
    let p = Principal {
        urn: "iam::acct1:user:alice".into(),
        account_id: "acct1".into(),
        is_root_user: false,
        is_management_account: false,
    };
    let ctx = Context::new()
        .with("g:UserName", "alice")
        .with("modelarts:nodeCount", "8")
        .with("g:CurrentTime", "2026-11-23T10:00:00Z")
        .with("g:MFAPresent", "true")
        .with("g:SourceIp", "10.1.2.3")
        .with_values("g:TagKeys", ["team", "env"]);
    let reqs = [Req {
        action: "modelarts:trainJob:get".into(),
        resource: "modelarts:cn-north-4:acct1:trainJob:job-1".into(),
    }];
    assert_eq!(allocations(&set, &p, &reqs, &ctx, true), 0);
}
