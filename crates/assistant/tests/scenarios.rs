//! Data-driven: for every scenario of seed 000 Tables 1-9, with and without resource scopes, a
//! principal holding exactly the generated policy is fully covered, and removing any single
//! generated action makes coverage fail (minimality).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use iam_assistant::coverage::{self, Options};
use iam_assistant::generate::{self, Generated};
use iam_assistant::{ObsPath, Scope, Subject, scenarios};
use iam_catalog::Catalog;
use iam_policy::Principal;

fn subject(docs: &[String], scps: &[String]) -> Subject {
    Subject::from_documents(Principal::default(), docs, scps).unwrap()
}

/// The documents with `action` removed from the statement that lists it (empty statements and
/// empty documents dropped).
fn without(gened: &Generated, policy: usize, stmt: usize, action: usize) -> Vec<String> {
    let mut out = Vec::new();
    for (pi, p) in gened.policies.iter().enumerate() {
        let mut doc = p.document.clone();
        if pi == policy {
            let st = doc["Statement"].as_array_mut().unwrap();
            st[stmt]["Action"].as_array_mut().unwrap().remove(action);
            if st[stmt]["Action"].as_array().unwrap().is_empty() {
                st.remove(stmt);
            }
            if st.is_empty() {
                continue;
            }
        }
        out.push(doc.to_string());
    }
    out
}

fn scopes() -> Vec<(&'static str, Scope)> {
    vec![
        ("unscoped", Scope::default()),
        (
            "scoped",
            Scope {
                region: Some("cn-north-4".into()),
                obs: vec![
                    ObsPath::parse("obs://train-data/datasets/").unwrap(),
                    ObsPath::parse("obs://train-out").unwrap(),
                ],
                pools: vec!["pool-a".into(), "pool-b".into()],
                workspace: Some("ws-1".into()),
                enterprise_project: Some("ep-1".into()),
                resource_tags: [("team".to_owned(), "ml".to_owned())].into(),
            },
        ),
    ]
}

#[test]
fn every_scenario_is_covered_by_its_generated_policy_and_every_action_is_needed() {
    let catalog = Catalog::builtin();
    let all = scenarios(catalog);
    assert!(all.len() >= 30, "{} scenarios", all.len());
    let mut removals = 0;
    for (scope_name, scope) in scopes() {
        for sc in &all {
            let gened = generate::from_scenarios(catalog, &[sc], &scope).unwrap();
            let docs = gened.documents();
            for p in &gened.policies {
                assert!(p.bytes <= 6144, "{} {}", sc.id, p.bytes);
                assert_eq!(p.document["Version"], "5.0");
                let findings = iam_analyzer::validate(
                    &p.document.to_string(),
                    iam_analyzer::PolicyType::Identity,
                );
                assert!(
                    !iam_analyzer::has_errors(&findings),
                    "{}: {findings:?}",
                    sc.id
                );
                // nor any warning that says a part of it cannot work
                let cannot_work: Vec<_> = findings
                    .iter()
                    .filter(|f| f.says_part_never_applies())
                    .collect();
                assert!(
                    cannot_work.is_empty(),
                    "{scope_name} {}: {cannot_work:?}",
                    sc.id
                );
            }
            let report = coverage::check(
                catalog,
                &subject(&docs, &[]),
                &[sc],
                &scope,
                &Options::default(),
            );
            assert!(
                report.covered,
                "{scope_name} {}: {}",
                sc.id,
                report.to_text()
            );
            // With nothing granted, nothing is held.
            let empty = coverage::check(
                catalog,
                &subject(&[r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["nothing:x:y"]}]}"#.into()], &[]),
                &[sc],
                &scope,
                &Options::default(),
            );
            assert!(!empty.covered);
            assert!(empty.scenarios[0].held.is_empty(), "{}", sc.id);
            // Minimality.
            for (pi, p) in gened.policies.iter().enumerate() {
                for (si, st) in p.document["Statement"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .enumerate()
                {
                    let n = st["Action"].as_array().unwrap().len();
                    for ai in 0..n {
                        let action = st["Action"][ai].as_str().unwrap().to_owned();
                        let docs = without(&gened, pi, si, ai);
                        let s = if docs.is_empty() {
                            subject(&[r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["nothing:x:y"]}]}"#.into()], &[])
                        } else {
                            subject(&docs, &[])
                        };
                        let r = coverage::check(catalog, &s, &[sc], &scope, &Options::default());
                        assert!(
                            !r.covered,
                            "{scope_name} {}: removing {action} keeps coverage",
                            sc.id
                        );
                        let missing: Vec<&str> = r.scenarios[0]
                            .missing
                            .iter()
                            .flat_map(|m| m.checks.iter().filter(|c| !c.held))
                            .map(|c| c.action.as_str())
                            .collect();
                        assert!(
                            missing.iter().all(|m| m.eq_ignore_ascii_case(&action)),
                            "{}: removing {action} reports {missing:?}",
                            sc.id
                        );
                        removals += 1;
                    }
                }
            }
        }
    }
    assert!(removals > 400, "{removals} removals");
}

#[test]
fn all_scenarios_at_once_split_into_policies_that_fit() {
    let catalog = Catalog::builtin();
    let all = scenarios(catalog);
    let refs: Vec<_> = all.iter().collect();
    for (_, scope) in scopes() {
        let gened = generate::from_scenarios(catalog, &refs, &scope).unwrap();
        let total: usize = gened.actions.iter().map(|a| a.len() + 3).sum();
        eprintln!(
            "{} policies, {total} bytes of action names",
            gened.policies.len()
        );
        if total > 6144 {
            assert!(
                gened.policies.len() >= 2,
                "expected a split, got {}",
                gened.policies.len()
            );
        }
        for p in &gened.policies {
            assert!(p.bytes <= 6144);
            assert_eq!(serde_json::to_string(&p.document).unwrap().len(), p.bytes);
        }
        let report = coverage::check(
            catalog,
            &subject(&gened.documents(), &[]),
            &refs,
            &scope,
            &Options::default(),
        );
        assert!(report.covered, "{}", report.to_text());
        // Every action appears exactly once.
        let mut listed: Vec<String> = gened
            .policies
            .iter()
            .flat_map(|p| p.document["Statement"].as_array().unwrap().clone())
            .flat_map(|s| s["Action"].as_array().unwrap().clone())
            .map(|a| a.as_str().unwrap().to_ascii_lowercase())
            .collect();
        let n = listed.len();
        listed.sort();
        listed.dedup();
        assert_eq!(listed.len(), n);
        assert_eq!(n, gened.actions.len());
    }
}

#[test]
fn the_denying_layer_is_reported() {
    let catalog = Catalog::builtin();
    let all = scenarios(catalog);
    let sc = all
        .iter()
        .find(|s| s.id == "t4-training-management")
        .unwrap();
    let gened = generate::from_scenarios(catalog, &[sc], &Scope::default()).unwrap();
    let mut docs = gened.documents();
    docs.push(
        r#"{"Version":"5.0","Statement":[{"Effect":"Deny","Action":["smn:topic:publish"]}]}"#
            .into(),
    );
    let scp = r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["*"]},{"Effect":"Deny","Action":["swr:repository:listTags"]}]}"#;
    let scp_narrow = r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["modelarts:*","obs:*","iam:*","sfsturbo:*","swr:*","smn:*"]}]}"#;
    let s = subject(&docs, &[scp.into(), scp_narrow.into()]);
    let r = coverage::check(catalog, &s, &[sc], &Scope::default(), &Options::default());
    assert!(!r.covered);
    let why = |action: &str| {
        r.scenarios[0]
            .missing
            .iter()
            .flat_map(|m| m.checks.iter())
            .find(|c| c.action == action)
            .and_then(|c| c.denied.clone())
            .unwrap()
    };
    let smn = why("smn:topic:publish");
    assert_eq!(smn.layer, iam_policy::Layer::Identity);
    assert_eq!(smn.decision, iam_policy::Decision::ExplicitDeny);
    assert_eq!(smn.deny_statements.len(), 1);
    let swr = why("swr:repository:listTags");
    assert_eq!(swr.layer, iam_policy::Layer::Scp);
    assert_eq!(swr.level, Some(0));
    assert_eq!(swr.decision, iam_policy::Decision::ExplicitDeny);
    // Everything else of the scenario is held.
    let missing: usize = r.scenarios[0]
        .missing
        .iter()
        .map(|m| m.checks.iter().filter(|c| !c.held).count())
        .sum();
    assert_eq!(missing, 2, "{}", r.to_text());
    // The SCP level 1 narrows: an action outside its list is denied by scp level 1.
    let vs = all.iter().find(|s| s.id == "t1-basic-function").unwrap();
    let gened = generate::from_scenarios(catalog, &[vs], &Scope::default()).unwrap();
    let s = subject(&gened.documents(), &[scp.into(), scp_narrow.into()]);
    let r = coverage::check(catalog, &s, &[vs], &Scope::default(), &Options::default());
    let bss = r.scenarios[0]
        .missing
        .iter()
        .flat_map(|m| m.checks.iter())
        .find(|c| c.action == "bss:balance:view")
        .unwrap();
    let d = bss.denied.as_ref().unwrap();
    assert_eq!(
        (d.layer, d.level, d.decision),
        (
            iam_policy::Layer::Scp,
            Some(1),
            iam_policy::Decision::ImplicitDeny
        )
    );
}

#[test]
fn observed_use_policy_allows_exactly_what_was_done() {
    use generate::Observed;
    use iam_policy::{Context, Request};
    let obs = vec![
        Observed {
            action: "modelarts:notebook:get".into(),
            resource: Some("modelarts:cn-north-4:000000000000:notebook:nb-1".into()),
            decision: "allow".into(),
        },
        Observed {
            action: "modelarts:notebook:get".into(),
            resource: Some("modelarts:cn-north-4:000000000000:notebook:nb-2".into()),
            decision: "allow".into(),
        },
        Observed {
            action: "modelarts:notebook:start".into(),
            resource: Some("modelarts:cn-north-4:000000000000:notebook:nb-1".into()),
            decision: "allow".into(),
        },
        Observed {
            action: "iam:tokens:assume".into(),
            resource: None,
            decision: "allow".into(),
        },
        Observed {
            action: "modelarts:trainJob:delete".into(),
            resource: Some("modelarts:cn-north-4:000000000000:trainJob:j".into()),
            decision: "implicit_deny".into(),
        },
    ];
    let gened = generate::from_observed(&obs, false, "observed").unwrap();
    let s = subject(&gened.documents(), &[]);
    let ctx = Context::new();
    let allowed = |a: &str, r: &str| {
        s.set()
            .decide(
                &s.principal,
                &Request {
                    action: a,
                    resource: r,
                    context: &ctx,
                },
            )
            .is_allow()
    };
    for o in &obs {
        let r = o.resource.as_deref().unwrap_or("*");
        assert_eq!(allowed(&o.action, r), o.decision == "allow", "{o:?}");
    }
    assert!(!allowed(
        "modelarts:notebook:start",
        "modelarts:cn-north-4:000000000000:notebook:nb-2"
    ));
    assert!(!allowed(
        "modelarts:notebook:delete",
        "modelarts:cn-north-4:000000000000:notebook:nb-1"
    ));
    let gened = generate::from_observed(&obs, true, "observed").unwrap();
    assert_eq!(gened.actions.len(), 4);
    assert!(generate::from_observed(&[], false, "x").is_err());
    // Many resources: split into several policies that each fit, every request still allowed.
    let many: Vec<Observed> = (0..600)
        .map(|i| Observed {
            action: format!("modelarts:notebook:{}", ["get", "start", "stop"][i % 3]),
            resource: Some(format!(
                "modelarts:cn-north-4:000000000000:notebook:nb-{i:04}"
            )),
            decision: "allow".into(),
        })
        .collect();
    let gened = generate::from_observed(&many, false, "observed").unwrap();
    assert!(gened.policies.len() >= 2);
    assert!(gened.policies.iter().all(|p| p.bytes <= 6144));
    let s = subject(&gened.documents(), &[]);
    for o in &many {
        let r = o.resource.as_deref().unwrap();
        assert!(
            s.set()
                .decide(
                    &s.principal,
                    &Request {
                        action: &o.action,
                        resource: r,
                        context: &ctx
                    }
                )
                .is_allow()
        );
    }
}
