//! Route resolution and action lookup.
#![expect(
    clippy::unwrap_used,
    reason = "benchmark setup: the builtin catalog resolves these fixed inputs"
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use iam_catalog::{Catalog, RouteTarget};

fn bench(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let target = RouteTarget::new("cn-north-4", "0123456789abcdef");
    let requests = [
        (
            "GET",
            "/v1/0a1b2c/notebooks/6f3c1e1a-1111-2222-3333-444455556666",
        ),
        ("POST", "/v2/0a1b2c/training-jobs"),
        (
            "GET",
            "/v2/0a1b2c/datasets/ds1/workforce-tasks/wt1/data-annotations/samples/s1",
        ),
        ("GET", "/v1/0a1b2c/services/tms/tags"),
        ("POST", "/v5/policies/p1/attach-user"),
    ];
    for (m, p) in requests {
        assert!(catalog.resolve_route(m, p, &target).is_ok(), "{m} {p}");
    }

    c.bench_function("resolve_route/notebook_get", |b| {
        b.iter(|| {
            catalog
                .resolve_route(black_box("GET"), black_box(requests[0].1), &target)
                .unwrap()
        })
    });
    c.bench_function("resolve_route/mix_5", |b| {
        b.iter(|| {
            for (m, p) in requests {
                black_box(
                    catalog
                        .resolve_route(black_box(m), black_box(p), &target)
                        .unwrap(),
                );
            }
        })
    });
    c.bench_function("resolve_route/not_found", |b| {
        b.iter(|| catalog.resolve_route(black_box("GET"), black_box("/v9/x/y"), &target))
    });
    c.bench_function("action/exact", |b| {
        b.iter(|| catalog.action(black_box("modelarts:trainJob:create")))
    });
    c.bench_function("action/mixed_case", |b| {
        b.iter(|| catalog.action(black_box("modelarts:TrainJob:CREATE")))
    });
    c.bench_function("expand/modelarts_delete", |b| {
        b.iter(|| catalog.expand(black_box("modelarts:*:*delete*")))
    });
    c.bench_function("condition_key/template", |b| {
        b.iter(|| catalog.condition_key(black_box("g:ResourceTag/team")))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
