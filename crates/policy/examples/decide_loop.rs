//! Decides every allowed request of the "modelarts-typical" workload ROUNDS times (default
//! 1,000) and prints the mean time per decision. Mainly a fixed amount of work for profilers and
//! instruction counters, whose counts do not depend on the machine's load, unlike timings:
//!
//! ```sh
//! cargo build --release -p iam-policy --example decide_loop
//! valgrind --tool=cachegrind --cache-sim=no target/release/examples/decide_loop 0    # setup only
//! valgrind --tool=cachegrind --cache-sim=no target/release/examples/decide_loop 100
//! # instructions per decision = (I refs(100) - I refs(0)) / (100 * allowed requests)
//! perf record -g target/release/examples/decide_loop 20000 && perf report
//! ```

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    reason = "an example fails loudly"
)]

#[path = "../benches/support/workload.rs"]
mod workload;

use std::hint::black_box;
use std::time::Instant;

fn main() {
    let rounds: u64 = std::env::args()
        .nth(1)
        .map_or(1_000, |s| s.parse().expect("ROUNDS must be a number"));
    let w = workload::typical();
    let set = w.policy_set();
    let principal = w.principal();
    let ctx = workload::CTX.to_context();
    let start = Instant::now();
    let mut n = 0u64;
    for _ in 0..rounds {
        for r in &w.allowed {
            let req = iam_policy::Request {
                action: black_box(&r.action),
                resource: black_box(&r.resource),
                context: &ctx,
            };
            black_box(set.decide(&principal, &req));
            n += 1;
        }
    }
    println!(
        "{n} decisions ({} allowed requests x {rounds}), {:.0} ns per decision",
        w.allowed.len(),
        start.elapsed().as_nanos() as f64 / n.max(1) as f64
    );
}
