//! iam-policy vs cedar-policy on the same authorization (the "modelarts-typical" workload and
//! the 1000-statement principal), in one criterion run. Before benching, the two engines are
//! checked to agree on every request; after it, the ratio of the mean latencies is printed.
//!
//! Run: `cd benches/cedar-compare && cargo bench -- --measurement-time 3`

use std::hint::black_box;
use std::time::{Duration, Instant};

use cedar_compare::{CedarSide, base_context, disagreements, iam_context, workload};
use criterion::Criterion;
use workload::Workload;

struct Side {
    name: &'static str,
    w: Workload,
    cedar: CedarSide,
}

fn prepare(name: &'static str, w: Workload) -> Side {
    let cedar = CedarSide::new(&w).unwrap_or_else(|e| panic!("{name}: Cedar translation: {e}"));
    let (checked, bad) =
        disagreements(&w, &cedar, &[base_context()]).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        bad.is_empty(),
        "{name}: the engines disagree on {} of {checked} decisions:\n{}",
        bad.len(),
        bad.join("\n")
    );
    eprintln!(
        "{name}: {} identity statements, {} Cedar policies; the engines agree on {checked} decisions",
        w.identity_statements(),
        cedar.policies.policies().count()
    );
    Side { name, w, cedar }
}

/// Mean nanoseconds per decision of `f` over `reqs`, cycling, for about `budget`.
fn mean_ns(budget: Duration, n_reqs: usize, mut f: impl FnMut(usize)) -> f64 {
    let start = Instant::now();
    let mut n = 0usize;
    while start.elapsed() < budget {
        for _ in 0..1000 {
            f(n % n_reqs);
            n += 1;
        }
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

fn bench_side(c: &mut Criterion, s: &Side, ratios: &mut Vec<String>) {
    let kv = base_context();
    let ctx = iam_context(&kv);
    let set = s.w.policy_set();
    let principal = s.w.principal();
    for (path, reqs) in [("allow", &s.w.allowed), ("deny", &s.w.denied)] {
        // Cedar requests are built up front (they own their context), so only
        // `is_authorized` is timed; iam-policy's request is a borrowed struct.
        let cedar_reqs: Vec<cedar_policy::Request> = reqs
            .iter()
            .map(|r| s.cedar.request(&r.action, &r.resource, &kv).unwrap())
            .collect();
        let iam = |i: usize| {
            let r = &reqs[i];
            let req = iam_policy::Request {
                action: black_box(&r.action),
                resource: black_box(&r.resource),
                context: &ctx,
            };
            black_box(set.decide(&principal, &req));
        };
        let cedar = |i: usize| {
            black_box(s.cedar.allows(black_box(&cedar_reqs[i])));
        };
        let mut group = c.benchmark_group(format!("{}/{path}", s.name));
        let mut i = 0usize;
        group.bench_function("iam-policy", |b| {
            b.iter(|| {
                iam(i % reqs.len());
                i = i.wrapping_add(1);
            })
        });
        let mut j = 0usize;
        group.bench_function("cedar-policy", |b| {
            b.iter(|| {
                cedar(j % reqs.len());
                j = j.wrapping_add(1);
            })
        });
        group.finish();
        let budget = Duration::from_secs(2);
        let a = mean_ns(budget, reqs.len(), iam);
        let b = mean_ns(budget, reqs.len(), cedar);
        ratios.push(format!(
            "{}/{path}: iam-policy {a:.0} ns, cedar-policy {b:.0} ns per decision: iam-policy is {:.1}x faster",
            s.name,
            b / a
        ));
    }
}

fn main() {
    let sides = [
        prepare("modelarts-typical", workload::typical()),
        prepare("1000-statements", workload::generate(100, 10, 0x5EED_1000)),
    ];
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut ratios = Vec::new();
    for s in &sides {
        bench_side(&mut c, s, &mut ratios);
    }
    c.final_summary();
    println!("\nRatio (mean of a 2 s loop per engine, same requests):");
    for r in ratios {
        println!("  {r}");
    }
}
