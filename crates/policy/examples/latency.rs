//! Per-decision latency distribution (median, p90, p99, p99.9, max) of `PolicySet::decide`, which
//! criterion's mean-of-batches does not show: each decision is timed on its own with
//! `Instant::now()` (whose own cost, measured and printed as "timer overhead", is included in
//! every sample).
//!
//! Run: `cargo run --release -p iam-policy --example latency [-- DECISIONS]`
//! (default 1,000,000 decisions per workload; see docs/benchmarks.md).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    reason = "an example fails loudly"
)]

#[path = "../benches/support/workload.rs"]
mod workload;

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use iam_policy::{Context, PolicySet, Principal, Request};
use workload::{CTX, Req};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn ns(d: Duration) -> String {
    format!("{:>7.0} ns", d.as_nanos() as f64)
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort_unstable();
    println!(
        "{name:<28} n={:<8} median {}  p90 {}  p99 {}  p99.9 {}  max {}",
        samples.len(),
        ns(percentile(&samples, 0.5)),
        ns(percentile(&samples, 0.9)),
        ns(percentile(&samples, 0.99)),
        ns(percentile(&samples, 0.999)),
        ns(*samples.last().unwrap()),
    );
}

/// Times `n` decisions one by one, cycling over `reqs`, after a warm-up of `n / 10`.
fn run(
    n: usize,
    lookup: &dyn Fn() -> Arc<PolicySet>,
    principal: &Principal,
    reqs: &[Req],
    ctx: &Context,
) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(n);
    for i in 0..(n + n / 10) {
        let r = &reqs[i % reqs.len()];
        let start = Instant::now();
        let set = lookup();
        let req = Request {
            action: black_box(&r.action),
            resource: black_box(&r.resource),
            context: ctx,
        };
        black_box(set.decide(principal, &req));
        let elapsed = start.elapsed();
        if i >= n / 10 {
            samples.push(elapsed);
        }
    }
    samples
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("DECISIONS must be a number"))
        .unwrap_or(1_000_000);
    let ctx = CTX.to_context();

    let mut overhead = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        overhead.push(black_box(start).elapsed());
    }
    report("timer overhead", overhead);

    let typical = workload::typical();
    let principal = typical.principal();
    let set = Arc::new(typical.policy_set());
    let only = || Arc::clone(&set);
    report(
        "typical allow",
        run(n, &only, &principal, &typical.allowed, &ctx),
    );
    report(
        "typical deny",
        run(n, &only, &principal, &typical.denied, &ctx),
    );

    // The same principal in a snapshot that also holds 100,000 other policies.
    let mut snap: HashMap<String, Arc<PolicySet>> = HashMap::new();
    snap.insert(principal.urn.clone(), Arc::clone(&set));
    let others = workload::unrelated_policies(100_000);
    for (i, chunk) in others.chunks(10).enumerate() {
        snap.insert(
            format!("iam::{}:user:other-{i:05}", workload::ACCOUNT),
            Arc::new(PolicySet::new(chunk.to_vec(), Vec::new(), Vec::new())),
        );
    }
    drop(others);
    let lookup = || Arc::clone(snap.get(black_box(principal.urn.as_str())).unwrap());
    report(
        "snapshot-100k allow",
        run(n, &lookup, &principal, &typical.allowed, &ctx),
    );

    let big = workload::generate(100, 10, 0x5EED_1000);
    let big_principal = big.principal();
    let big_set = Arc::new(big.policy_set());
    let big_only = || Arc::clone(&big_set);
    report(
        "1000-statements allow",
        run(n, &big_only, &big_principal, &big.allowed, &ctx),
    );
    report(
        "1000-statements deny",
        run(n, &big_only, &big_principal, &big.denied, &ctx),
    );
}
