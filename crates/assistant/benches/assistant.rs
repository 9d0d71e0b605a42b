//! Criterion benchmarks: coverage and preflight for one user (target < 5 ms), agency overreach
//! over an account of 1,000 users (target < 2 s).
//!
//! `cargo bench -p iam-assistant --bench assistant`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmark setup fails loudly"
)]

use criterion::{Criterion, criterion_group, criterion_main};
use iam_assistant::coverage::{self, Options};
use iam_assistant::preflight::{self, AgencyConfig, OperationRequest};
use iam_assistant::{
    ObsPath, Scope, Subject, agency_scope_scenarios, containment, generate, scenarios,
};
use iam_catalog::Catalog;
use iam_policy::{Context, Principal};
use std::hint::black_box;

const TRUST: &str = r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Principal":{"Service":["service.ModelArts"]},"Action":["sts:agencies:assume"]}]}"#;
const SCP: &str = r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["*"]},{"Effect":"Deny","Action":["vpc:vpcs:delete"]}]}"#;

fn scope() -> Scope {
    Scope {
        region: Some("cn-north-4".into()),
        obs: vec![
            ObsPath::parse("obs://train-data/in/").unwrap(),
            ObsPath::parse("obs://train-out/run/").unwrap(),
        ],
        pools: vec!["pool-a".into()],
        workspace: None,
        enterprise_project: Some("ep-1".into()),
        resource_tags: Default::default(),
    }
}

fn user_for(catalog: &Catalog, picks: &[usize]) -> Subject {
    let all = scenarios(catalog);
    let refs: Vec<_> = picks.iter().map(|&i| &all[i % all.len()]).collect();
    let gened = generate::from_scenarios(catalog, &refs, &scope()).unwrap();
    Subject::from_documents(Principal::default(), &gened.documents(), &[SCP.to_owned()]).unwrap()
}

fn bench(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let all = scenarios(catalog);
    let refs: Vec<_> = all.iter().collect();
    let half: Vec<usize> = (0..all.len()).step_by(2).collect();
    let user = user_for(catalog, &half);
    let ctx = Context::new().with("g:CurrentTime", "2026-11-23T10:00:00Z");
    let options = Options {
        context: ctx.clone(),
    };
    let sc = scope();
    c.bench_function("coverage/all-scenarios-scoped", |b| {
        b.iter(|| black_box(coverage::check(catalog, &user, &refs, &sc, &options)))
    });
    let training: Vec<_> = all.iter().filter(|s| s.table == 4).collect();
    c.bench_function("coverage/training-scoped", |b| {
        b.iter(|| black_box(coverage::check(catalog, &user, &training, &sc, &options)))
    });

    let agency_docs = generate::from_scenarios(
        catalog,
        &agency_scope_scenarios(catalog).iter().collect::<Vec<_>>(),
        &Scope::default(),
    )
    .unwrap()
    .documents();
    let agency = AgencyConfig::from_documents("modelarts_agency", TRUST, &agency_docs).unwrap();
    let op = OperationRequest {
        operation: "create-training-job".into(),
        region: Some("cn-north-4".into()),
        inputs: vec![
            "obs://train-data/in/".into(),
            "obs://train-data/extra/".into(),
        ],
        outputs: vec!["obs://train-out/run/".into()],
        image: Some("swr.cn-north-4.myhuaweicloud.com/team/pytorch:2.1".into()),
        sfs_turbo: Some("share-1".into()),
        smn_topic: Some("jobs".into()),
        ..OperationRequest::default()
    };
    c.bench_function("preflight/create-training-job-all-features", |b| {
        b.iter(|| black_box(preflight::run(catalog, &user, Some(&agency), &op, &ctx).unwrap()))
    });

    // 1,000 users, each with its own generated policies for 1-6 scenarios, one agency.
    let users: Vec<Subject> = (0..1000usize)
        .map(|i| {
            user_for(
                catalog,
                &[i, i * 7 + 3, i * 13 + 5, i % 5, i % 11 + 20, i % 3 + 40][..(i % 6) + 1],
            )
        })
        .collect();
    let mut g = c.benchmark_group("overreach");
    g.sample_size(10);
    g.bench_function("1000-users-one-click-agency", |b| {
        b.iter(|| {
            let n = users
                .iter()
                .map(|u| containment::overreach(catalog, u, "modelarts_agency", &agency.identity))
                .filter(|r| !r.ok)
                .count();
            black_box(n)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
