//! Engine benchmarks (docs/benchmarks.md, section "Policy engine"):
//!
//! - `decide/typical-allow`, `decide/typical-deny`: the "modelarts-typical" principal (10
//!   policies x 10 statements, 3 SCP levels), cycling over 256 allowed / denied requests;
//! - `decide/snapshot-1`, `decide/snapshot-100k`: the same principal looked up in a snapshot
//!   (principal -> policy set) holding only it, and holding 100,000 other policies
//!   (10,000 other principals with 10 policies each);
//! - `decide/1000-statements-allow`, `-deny`: a principal with 100 policies x 10 statements;
//! - `explain/typical-allow`, `explain/typical-deny`: the explaining evaluation;
//! - `parse/typical-policy`: parsing and compiling one 10-statement policy.
//!
//! Run: `cargo bench -p iam-policy --bench engine -- --measurement-time 3`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    reason = "benchmarks fail loudly"
)]

#[path = "support/workload.rs"]
mod workload;

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use iam_policy::{Context, Policy, PolicyKind, PolicySet, Principal, Request};
use workload::{CTX, Req, Workload};

/// Benches `decide` cycling over `reqs`.
fn bench_decide(
    c: &mut Criterion,
    name: &str,
    set: &PolicySet,
    principal: &Principal,
    reqs: &[Req],
    ctx: &Context,
) {
    assert!(!reqs.is_empty(), "{name}: no request");
    let mut i = 0usize;
    c.bench_function(name, |b| {
        b.iter(|| {
            let r = &reqs[i % reqs.len()];
            i = i.wrapping_add(1);
            let req = Request {
                action: black_box(&r.action),
                resource: black_box(&r.resource),
                context: ctx,
            };
            black_box(set.decide(principal, &req))
        });
    });
}

/// A snapshot as the server keeps it: principal URN -> its ready policy set.
fn snapshot(w: &Workload, others: usize) -> HashMap<String, Arc<PolicySet>> {
    let mut map = HashMap::new();
    map.insert(w.principal_urn.clone(), Arc::new(w.policy_set()));
    if others > 0 {
        let policies = workload::unrelated_policies(others);
        for (n, chunk) in policies.chunks(10).enumerate() {
            let set = PolicySet::new(chunk.to_vec(), Vec::new(), Vec::new());
            map.insert(
                format!("iam::{}:user:other-{n:05}", workload::ACCOUNT),
                Arc::new(set),
            );
        }
    }
    map
}

fn bench_snapshot(c: &mut Criterion, name: &str, w: &Workload, others: usize, ctx: &Context) {
    let snap = snapshot(w, others);
    let policies: usize = snap.values().map(|s| s.identity().len()).sum();
    eprintln!(
        "{name}: snapshot of {} principals, {policies} identity policies",
        snap.len()
    );
    let principal = w.principal();
    let reqs = &w.allowed;
    let mut i = 0usize;
    c.bench_function(name, |b| {
        b.iter(|| {
            let r = &reqs[i % reqs.len()];
            i = i.wrapping_add(1);
            let set = snap.get(black_box(principal.urn.as_str())).unwrap();
            let req = Request {
                action: black_box(&r.action),
                resource: black_box(&r.resource),
                context: ctx,
            };
            black_box(set.decide(&principal, &req))
        });
    });
}

fn engine(c: &mut Criterion) {
    let ctx = CTX.to_context();
    let typical = workload::typical();
    eprintln!(
        "modelarts-typical: {} identity statements, {} catalog actions, {} allowed and {} denied requests",
        typical.identity_statements(),
        typical.actions.len(),
        typical.allowed.len(),
        typical.denied.len()
    );
    let set = typical.policy_set();
    let principal = typical.principal();
    bench_decide(
        c,
        "decide/typical-allow",
        &set,
        &principal,
        &typical.allowed,
        &ctx,
    );
    bench_decide(
        c,
        "decide/typical-deny",
        &set,
        &principal,
        &typical.denied,
        &ctx,
    );

    bench_snapshot(c, "decide/snapshot-1", &typical, 0, &ctx);
    bench_snapshot(c, "decide/snapshot-100k", &typical, 100_000, &ctx);

    let big = workload::generate(100, 10, 0x5EED_1000);
    eprintln!(
        "1000-statements: {} identity statements, {} allowed and {} denied requests",
        big.identity_statements(),
        big.allowed.len(),
        big.denied.len()
    );
    let big_set = big.policy_set();
    let big_principal = big.principal();
    bench_decide(
        c,
        "decide/1000-statements-allow",
        &big_set,
        &big_principal,
        &big.allowed,
        &ctx,
    );
    bench_decide(
        c,
        "decide/1000-statements-deny",
        &big_set,
        &big_principal,
        &big.denied,
        &ctx,
    );

    for (name, reqs) in [
        ("explain/typical-allow", &typical.allowed),
        ("explain/typical-deny", &typical.denied),
    ] {
        let mut i = 0usize;
        c.bench_function(name, |b| {
            b.iter(|| {
                let r = &reqs[i % reqs.len()];
                i = i.wrapping_add(1);
                let req = Request {
                    action: &r.action,
                    resource: &r.resource,
                    context: &ctx,
                };
                black_box(set.explain(&principal, &req))
            });
        });
    }

    let doc = typical.identity[0].to_json().to_string();
    c.bench_function("parse/typical-policy", |b| {
        b.iter(|| black_box(Policy::parse(black_box(&doc), PolicyKind::Identity).unwrap()));
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = engine
}
criterion_main!(benches);
