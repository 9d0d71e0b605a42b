//! Where Cedar's time goes on this workload: the cost of one `is_authorized` call as a function
//! of the number of policies of the translated workload, and for single policies of each shape
//! the translation uses (scope only, `has`, attribute comparison, `like`, `ip` ranges) against
//! the trivial `permit(principal, action, resource);`.
//!
//! Run: `cd benches/cedar-compare && cargo run --release --example cedar_costs`
//! (add `-- --print` to print the translated Cedar policies).

use std::hint::black_box;
use std::time::Instant;

use cedar_compare::{CedarSide, base_context, to_cedar, workload};

fn time_us(iters: u32, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(iters)
}

fn main() {
    let w = workload::typical();
    let cedar = CedarSide::new(&w).unwrap();
    if std::env::args().any(|a| a == "--print") {
        println!("{}", to_cedar(&w).unwrap().0);
    }
    let kv = base_context();
    let r = &w.allowed[0];
    let req = cedar.request(&r.action, &r.resource, &kv).unwrap();
    let resp = cedar
        .authorizer
        .is_authorized(&req, &cedar.policies, &cedar.entities);
    println!(
        "request {} on {}: {:?}, {} evaluation errors",
        r.action,
        r.resource,
        resp.decision(),
        resp.diagnostics().errors().count()
    );
    let all: Vec<cedar_policy::Policy> = cedar.policies.policies().cloned().collect();
    for n in [1usize, 10, 50, all.len()] {
        let subset = cedar_policy::PolicySet::from_policies(all.iter().take(n).cloned()).unwrap();
        let us = time_us(2000, || {
            black_box(
                cedar
                    .authorizer
                    .is_authorized(&req, &subset, &cedar.entities),
            );
        });
        println!("first {n:>4} policies of the workload: {us:8.2} us per is_authorized");
    }
    for text in [
        r#"permit(principal, action, resource);"#,
        r#"permit(principal == User::"alice", action in Action::"group:P0S0", resource);"#,
        r#"permit(principal, action, resource) when { context has g_mfapresent };"#,
        r#"permit(principal, action, resource) when { context.g_mfapresent == true };"#,
        r#"permit(principal, action, resource) when { context.modelarts_poolid like "pool-cpu-*" };"#,
        r#"permit(principal, action, resource) when { context.g_sourceip.isInRange(ip("10.0.0.0/8")) };"#,
    ] {
        let ps: cedar_policy::PolicySet = text.parse().unwrap();
        let us = time_us(5000, || {
            black_box(cedar.authorizer.is_authorized(&req, &ps, &cedar.entities));
        });
        println!("{us:8.2} us  {text}");
    }
}
