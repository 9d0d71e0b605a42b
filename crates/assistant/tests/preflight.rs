//! Preflight: every step failing on its own (implicitly and explicitly), the fix re-checked by
//! the engine, and the golden cases of `tests/assistant/preflight`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use iam_assistant::Subject;
use iam_assistant::preflight::{
    self, AgencyConfig, Fix, OperationRequest, PreflightReport, Status, StepKind,
};
use iam_catalog::Catalog;
use iam_policy::{Context, Principal};
use serde_json::{Value, json};
use std::path::PathBuf;

const TRUST: &str = r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Principal":{"Service":["service.ModelArts"]},"Action":["sts:agencies:assume"]}]}"#;
const NOTHING: &str =
    r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["nothing:x:y"]}]}"#;

fn requests() -> Vec<OperationRequest> {
    vec![
        OperationRequest {
            operation: "create-training-job".into(),
            region: Some("cn-north-4".into()),
            inputs: vec!["obs://train-data/datasets/".into()],
            outputs: vec!["obs://train-out/run1/".into()],
            image: Some("swr.cn-north-4.myhuaweicloud.com/team/pytorch:2.1".into()),
            sfs_turbo: Some("share-1".into()),
            smn_topic: Some("urn:smn:cn-north-4:000000000000:jobs".into()),
            ..OperationRequest::default()
        },
        OperationRequest {
            operation: "start-notebook".into(),
            notebook_id: Some("nb-1".into()),
            obs_paths: vec!["obs://nb-data/work/".into()],
            monitoring: true,
            ..OperationRequest::default()
        },
        OperationRequest {
            operation: "deploy-service".into(),
            region: Some("cn-north-4".into()),
            model_id: Some("m-1".into()),
            volumes: vec!["obs://models".into()],
            ..OperationRequest::default()
        },
    ]
}

fn user(docs: &[String], scps: &[String]) -> Subject {
    Subject::from_documents(Principal::default(), docs, scps).unwrap()
}

fn run(u: &Subject, a: Option<&AgencyConfig>, r: &OperationRequest) -> PreflightReport {
    preflight::run(Catalog::builtin(), u, a, r, &Context::new()).unwrap()
}

fn failing(r: &PreflightReport) -> Vec<String> {
    r.steps
        .iter()
        .filter(|s| s.status == Status::Fail)
        .map(|s| s.id.clone())
        .collect()
}

fn apply_and_recheck(
    r: &PreflightReport,
    fixes: &[Fix],
    u: &Subject,
    a: Option<&AgencyConfig>,
    req: &OperationRequest,
) {
    let (u2, a2) = preflight::apply(fixes, u, a).unwrap();
    let again = run(&u2, a2.as_ref(), req);
    assert!(
        again.ok,
        "fix {fixes:?} of {:?} does not make every step pass:\n{}",
        failing(r),
        again.to_text()
    );
}

/// The statements the combined fix of an empty principal adds, one policy per statement
/// (user, agency).
fn per_step_policies(req: &OperationRequest) -> (Vec<String>, Vec<String>) {
    let empty = user(&[NOTHING.into()], &[]);
    let agency = AgencyConfig::from_documents("ma_agency_u1", TRUST, &[NOTHING.into()]).unwrap();
    let r = run(&empty, Some(&agency), req);
    assert!(!r.ok);
    let mut u = Vec::new();
    let mut a = Vec::new();
    for s in &r.steps {
        for f in &s.fix {
            match f {
                Fix::AddUserStatement { statement } => {
                    u.push(json!({"Version":"5.0","Statement":[statement]}).to_string())
                }
                Fix::AddAgencyStatement { statement } => {
                    a.push(json!({"Version":"5.0","Statement":[statement]}).to_string())
                }
                other => panic!("unexpected fix {other:?}"),
            }
        }
    }
    // The combined fix applied to the empty principal makes everything pass.
    apply_and_recheck(&r, &r.fix, &empty, Some(&agency), req);
    (u, a)
}

#[test]
fn every_step_fails_on_its_own_and_its_fix_makes_it_pass() {
    let mut cases = 0;
    for req in requests() {
        let (u_docs, a_docs) = per_step_policies(&req);
        let u = user(&u_docs, &[]);
        let agency = AgencyConfig::from_documents("ma_agency_u1", TRUST, &a_docs).unwrap();
        let base = run(&u, Some(&agency), &req);
        assert!(base.ok, "{}", base.to_text());
        assert!(base.steps.iter().any(|s| s.kind == StepKind::Agency));
        for (i, step) in base.steps.iter().enumerate() {
            let (Some(action), Some(resource)) = (&step.action, &step.resource) else {
                continue;
            };
            if step.kind == StepKind::Trust {
                continue;
            }
            let agency_step = step.kind == StepKind::Agency;
            let docs = if agency_step { &a_docs } else { &u_docs };
            // Implicit: drop the one policy that grants this step.
            let idx = docs.iter().position(|d| {
                let v: Value = serde_json::from_str(d).unwrap();
                let s = &v["Statement"][0];
                s["Action"][0] == action.as_str()
                    && s.get("Resource").is_none_or(|r| {
                        let p = r[0].as_str().unwrap();
                        iam_policy::compile_resource_pattern(p).matches(resource)
                    })
            });
            let Some(idx) = idx else {
                panic!("no policy grants {}", step.id)
            };
            let mut less = docs.clone();
            less.remove(idx);
            if less.is_empty() {
                less.push(NOTHING.into());
            }
            // Explicit: a deny statement for exactly this request.
            let deny = json!({"Version":"5.0","Statement":[{"Effect":"Deny","Action":[action],"Resource":[resource]}]}).to_string();
            let mut more = docs.clone();
            more.push(deny);
            for variant in [less, more] {
                let (u2, a2) = if agency_step {
                    (
                        user(&u_docs, &[]),
                        AgencyConfig::from_documents("ma_agency_u1", TRUST, &variant).unwrap(),
                    )
                } else {
                    (user(&variant, &[]), agency.clone())
                };
                let r = run(&u2, Some(&a2), &req);
                let fails = failing(&r);
                let steps_with_same_request: Vec<String> = base
                    .steps
                    .iter()
                    .filter(|s| {
                        s.kind == step.kind
                            || (step.kind != StepKind::Agency && s.kind != StepKind::Agency)
                    })
                    .filter(|s| s.action == step.action && s.resource == step.resource)
                    .map(|s| s.id.clone())
                    .collect();
                assert_eq!(
                    fails,
                    steps_with_same_request,
                    "step {i} {}: {}",
                    step.id,
                    r.to_text()
                );
                let s = r.steps.iter().find(|s| s.id == step.id).unwrap();
                assert!(s.denied.is_some());
                assert!(!s.fix.is_empty());
                apply_and_recheck(&r, &s.fix, &u2, Some(&a2), &req);
                apply_and_recheck(&r, &r.fix, &u2, Some(&a2), &req);
                cases += 1;
            }
        }
    }
    assert!(cases >= 40, "{cases}");
}

#[test]
fn agency_configuration_and_trust_fail_on_their_own() {
    for req in requests() {
        let (u_docs, a_docs) = per_step_policies(&req);
        let u = user(&u_docs, &[]);
        // No agency configured.
        let r = run(&u, None, &req);
        assert_eq!(failing(&r), ["agency-configured"]);
        assert!(
            r.steps
                .iter()
                .filter(|s| s.kind == StepKind::Agency || s.kind == StepKind::Trust)
                .all(|s| s.status == Status::Skipped)
        );
        assert!(matches!(r.fix.as_slice(), [Fix::ConfigureAgency { .. }]));
        apply_and_recheck(&r, &r.fix, &u, None, &req);
        // A trust policy for another service.
        let other = TRUST.replace("service.ModelArts", "service.ECS");
        let a = AgencyConfig::from_documents("ma_agency_u1", &other, &a_docs).unwrap();
        let r = run(&u, Some(&a), &req);
        assert_eq!(failing(&r), ["trust"]);
        assert!(matches!(r.fix.as_slice(), [Fix::AddTrustStatement { .. }]));
        apply_and_recheck(&r, &r.fix, &u, Some(&a), &req);
        // A trust policy that denies ModelArts explicitly.
        let deny = r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Principal":{"Service":["service.ModelArts"]},"Action":["sts:agencies:assume"]},{"Effect":"Deny","Principal":{"Service":["service.ModelArts"]},"Action":["sts:agencies:assume"]}]}"#;
        let a = AgencyConfig::from_documents("ma_agency_u1", deny, &a_docs).unwrap();
        let r = run(&u, Some(&a), &req);
        assert_eq!(failing(&r), ["trust"]);
        assert_eq!(r.fix, [Fix::RemoveTrustStatement { statement_index: 1 }]);
        apply_and_recheck(&r, &r.fix, &u, Some(&a), &req);
    }
}

#[test]
fn scp_denials_are_fixed_in_the_scp() {
    let req = &requests()[0];
    let (u_docs, a_docs) = per_step_policies(req);
    let a = AgencyConfig::from_documents("ma_agency_u1", TRUST, &a_docs).unwrap();
    // SCP level 0 allows everything but denies smn:topic:list; level 1 does not allow sfsturbo.
    let scp0 = r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["*"]},{"Effect":"Deny","Action":["smn:topic:list"]}]}"#;
    let scp1 = r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["modelarts:*","obs:*","iam:*","swr:*","smn:*"]}]}"#;
    let u = user(&u_docs, &[scp0.into(), scp1.into()]);
    let r = run(&u, Some(&a), req);
    let f = failing(&r);
    assert!(
        f.iter().any(|s| s.starts_with("user:smn:topic:list")),
        "{f:?}"
    );
    assert!(
        f.iter()
            .any(|s| s.starts_with("user:sfsturbo:shares:getShare"))
    );
    assert!(
        f.iter()
            .any(|s| s.starts_with("agency:sfsturbo:shares:getShare"))
    );
    assert!(r.fix.iter().any(|x| matches!(
        x,
        Fix::RemoveScpStatement {
            level: 0,
            statement_index: 1,
            ..
        }
    )));
    assert!(
        r.fix
            .iter()
            .any(|x| matches!(x, Fix::AddScpStatement { level: 1, .. }))
    );
    apply_and_recheck(&r, &r.fix, &u, Some(&a), req);
}

#[test]
fn bad_requests_are_errors() {
    let u = user(&[NOTHING.into()], &[]);
    let bad = OperationRequest {
        operation: "fly".into(),
        ..OperationRequest::default()
    };
    assert!(preflight::run(Catalog::builtin(), &u, None, &bad, &Context::new()).is_err());
    let bad = OperationRequest {
        operation: "create-training-job".into(),
        inputs: vec!["NOT A BUCKET!".into()],
        ..OperationRequest::default()
    };
    assert!(preflight::run(Catalog::builtin(), &u, None, &bad, &Context::new()).is_err());
}

// ---- golden cases -------------------------------------------------------------------------

#[derive(serde::Deserialize)]
struct GoldenAgency {
    name: String,
    trust: Value,
    identity: Vec<Value>,
}

#[derive(serde::Deserialize)]
struct GoldenCase {
    description: String,
    operation: OperationRequest,
    user: Vec<Value>,
    #[serde(default)]
    scps: Vec<Value>,
    agency: Option<GoldenAgency>,
    fails: Vec<String>,
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/assistant/preflight")
}

#[test]
fn golden_preflight_cases() {
    let mut n = 0;
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(golden_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".case.json"))
        .collect();
    paths.sort();
    for path in paths {
        let case: GoldenCase =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let docs: Vec<String> = case.user.iter().map(Value::to_string).collect();
        let scps: Vec<String> = case.scps.iter().map(Value::to_string).collect();
        let u = user(&docs, &scps);
        let a = case.agency.as_ref().map(|a| {
            AgencyConfig::from_documents(
                &a.name,
                &a.trust.to_string(),
                &a.identity.iter().map(Value::to_string).collect::<Vec<_>>(),
            )
            .unwrap()
        });
        let r = run(&u, a.as_ref(), &case.operation);
        assert_eq!(
            failing(&r),
            case.fails,
            "{}: {}\n{}",
            path.display(),
            case.description,
            r.to_text()
        );
        apply_and_recheck(&r, &r.fix, &u, a.as_ref(), &case.operation);
        let out = serde_json::to_string_pretty(&r).unwrap() + "\n";
        let expected_path = PathBuf::from(
            path.to_string_lossy()
                .replace(".case.json", ".expected.json"),
        );
        if update {
            std::fs::write(&expected_path, &out).unwrap();
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        pretty_assertions::assert_eq!(
            expected,
            out,
            "{} (UPDATE_GOLDEN=1 rewrites)",
            expected_path.display()
        );
        n += 1;
    }
    assert!(n >= 6, "{n} golden cases");
}

#[test]
fn custom_agency_for_the_users_scenarios_passes_the_published_backend_steps() {
    let catalog = Catalog::builtin();
    let all = iam_assistant::scenarios(catalog);
    for (req, scenario) in [
        (
            OperationRequest {
                operation: "create-training-job".into(),
                inputs: vec!["obs://train-data/in/".into()],
                outputs: vec!["obs://train-out/".into()],
                ..OperationRequest::default()
            },
            "t4-training-management",
        ),
        (
            OperationRequest {
                operation: "start-notebook".into(),
                notebook_id: Some("nb-1".into()),
                obs_paths: vec!["obs://nb/work/".into()],
                monitoring: true,
                ..OperationRequest::default()
            },
            "t3-lifecycle-management-of-development-environment-instances",
        ),
        (
            OperationRequest {
                operation: "deploy-service".into(),
                model_id: Some("m-1".into()),
                ..OperationRequest::default()
            },
            "t7-real-time-services",
        ),
    ] {
        let sc = all.iter().find(|s| s.id == scenario).unwrap();
        let scopes = iam_assistant::agency_scopes_for(catalog, &[sc]);
        assert!(!scopes.is_empty());
        let refs: Vec<_> = scopes.iter().collect();
        let docs = iam_assistant::generate::from_scenarios(
            catalog,
            &refs,
            &iam_assistant::Scope::default(),
        )
        .unwrap()
        .documents();
        let agency = AgencyConfig::from_documents("ma_agency_custom", TRUST, &docs).unwrap();
        let r = run(&user(&[NOTHING.into()], &[]), Some(&agency), &req);
        let agency_steps: Vec<_> = r
            .steps
            .iter()
            .filter(|s| s.kind == StepKind::Agency)
            .collect();
        assert!(!agency_steps.is_empty());
        for s in agency_steps {
            assert_eq!(s.status, Status::Pass, "{scenario}: {}", s.id);
        }
    }
}
