//! Differential: overreach, check-no-new-access and diff against brute-force enumeration over
//! catalog actions x sample resources x sample request contexts, with conditions, denies,
//! NotResource / NotAction and SCP levels.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use iam_assistant::Subject;
use iam_assistant::containment::{self, Side};
use iam_catalog::Catalog;
use iam_policy::{Context, Policy, PolicyId, PolicyKind, PolicySet, Principal, Request};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::sync::Arc;

const ACTIONS: &[&str] = &[
    "obs:*:*",
    "obs:object:*",
    "obs:object:GetObject",
    "obs:object:PutObject",
    "obs:bucket:ListBucket",
    "obs:bucket:*Bucket*",
    "modelarts:trainJob:*",
    "modelarts:*:get*",
    "modelarts:notebook:start",
    "swr:*:*",
    "*",
];
const RESOURCES: &[&str] = &[
    "*",
    "obs:*:*:object:b1/*",
    "obs:*:*:object:b1/in/*",
    "obs:*:*:bucket:b1",
    "obs:*:*:bucket:*",
    "obs:cn-north-4:*:object:*",
    "modelarts:cn-north-4:*:trainJob:*",
    "modelarts:*:*:notebook:nb-1",
    "modelarts:*:*:*:*",
    // Case variants of the ids above (spec §3.1: a Deny's Resource and an Allow's NotResource
    // ignore ASCII case).
    "modelarts:*:*:notebook:NB-1",
    "obs:*:*:object:B1/*",
];
fn conditions() -> Vec<Value> {
    vec![
        json!({"IpAddress": {"g:SourceIp": ["10.0.0.0/8"]}}),
        json!({"StringEquals": {"g:EnterpriseProjectId": ["ep1"]}}),
        json!({"StringEquals": {"g:EnterpriseProjectId": ["ep1", "ep2"]}}),
        json!({"Bool": {"g:MFAPresent": ["true"]}}),
        json!({"StringNotEquals": {"g:EnterpriseProjectId": ["ep2"]}}),
        // keys the action alone decides (the engine fills g:ServiceName from the action)
        json!({"StringNotEqualsIgnoreCase": {"g:ServiceName": ["obs"]}}),
        json!({"StringEquals": {"g:ServiceName": ["modelarts"]}}),
    ]
}
const SAMPLE_RESOURCES: &[&str] = &[
    "*",
    "obs:cn-north-4:acc:object:b1/in/x",
    "obs:cn-north-4:acc:object:b1/out/y",
    "obs:cn-north-5:acc:object:b2/z",
    "obs:cn-north-4:acc:bucket:b1",
    "obs:cn-north-4:acc:bucket:b2",
    "modelarts:cn-north-4:acc:trainJob:j1",
    "modelarts:cn-north-5:acc:trainJob:j1",
    "modelarts:cn-north-4:acc:notebook:nb-1",
    "modelarts:cn-north-4:acc:notebook:nb-2",
    "modelarts:cn-north-4:acc:notebook:NB-1",
    "obs:cn-north-4:acc:object:B1/in/x",
];
fn contexts() -> Vec<Context> {
    vec![
        Context::new(),
        Context::new().with("g:SourceIp", "10.1.1.1"),
        Context::new()
            .with("g:EnterpriseProjectId", "ep1")
            .with("g:MFAPresent", "true"),
        Context::new()
            .with("g:SourceIp", "192.168.0.1")
            .with("g:EnterpriseProjectId", "ep2"),
        Context::new()
            .with("g:SourceIp", "10.2.2.2")
            .with("g:EnterpriseProjectId", "ep2")
            .with("g:MFAPresent", "false"),
    ]
}

fn statement() -> impl Strategy<Value = Value> {
    (
        prop::bool::weighted(0.75),
        prop::bool::weighted(0.1),
        prop::collection::vec(0..ACTIONS.len(), 1..3),
        0..5usize,
        prop::collection::vec(0..RESOURCES.len(), 1..3),
        0..8usize,
    )
        .prop_map(|(allow, not_action, acts, res_kind, res, cond)| {
            let mut s = serde_json::Map::new();
            s.insert("Effect".into(), json!(if allow { "Allow" } else { "Deny" }));
            let acts: Vec<&str> = acts.iter().map(|&i| ACTIONS[i]).collect();
            s.insert(
                (if not_action { "NotAction" } else { "Action" }).into(),
                json!(acts),
            );
            let res: Vec<&str> = res.iter().map(|&i| RESOURCES[i]).collect();
            match res_kind {
                0 | 1 => {}
                2 => {
                    s.insert("NotResource".into(), json!(res));
                }
                _ => {
                    s.insert("Resource".into(), json!(res));
                }
            }
            if let Some(c) = conditions().get(cond) {
                s.insert("Condition".into(), c.clone());
            }
            Value::Object(s)
        })
}

fn policy() -> impl Strategy<Value = Value> {
    prop::collection::vec(statement(), 1..4)
        .prop_map(|st| json!({"Version": "5.0", "Statement": st}))
}

fn scp() -> impl Strategy<Value = Value> {
    (prop::bool::ANY, prop::collection::vec(statement(), 0..3)).prop_map(|(allow_all, mut st)| {
        // SCPs do not allow `NotResource`.
        for s in &mut st {
            if let Some(o) = s.as_object_mut()
                && let Some(r) = o.remove("NotResource")
            {
                o.insert("Resource".into(), r);
            }
            // ... nor `NotAction` in an allow.
            if let Some(o) = s.as_object_mut()
                && o.get("Effect") == Some(&json!("Allow"))
                && let Some(a) = o.remove("NotAction")
            {
                o.insert("Action".into(), a);
            }
            // ... nor `Condition` in an allow.
            if let Some(o) = s.as_object_mut()
                && o.get("Effect") == Some(&json!("Allow"))
            {
                o.remove("Condition");
                o.remove("Resource");
            }
        }
        if allow_all || st.is_empty() {
            st.insert(0, json!({"Effect": "Allow", "Action": ["*"]}));
        }
        json!({"Version": "5.0", "Statement": st})
    })
}

fn compile(prefix: &str, docs: &[Value], kind: PolicyKind) -> Vec<(PolicyId, Arc<Policy>)> {
    docs.iter()
        .enumerate()
        .map(|(i, d)| {
            (
                PolicyId::new(format!("{prefix}[{i}]")),
                Arc::new(Policy::from_value(d, kind).unwrap()),
            )
        })
        .collect()
}

fn brute_actions() -> Vec<String> {
    Catalog::builtin()
        .actions()
        .filter(|a| ["obs", "modelarts", "swr"].contains(&a.service()))
        .map(|a| a.name.clone())
        .collect()
}

/// (action, resource, context index) the granting side allows and the bounding side does not.
fn witnesses(grant: &PolicySet, bound: &PolicySet) -> Vec<(String, &'static str, usize)> {
    let p = Principal::default();
    let ctxs = contexts();
    let mut out = Vec::new();
    for a in brute_actions() {
        for r in SAMPLE_RESOURCES {
            for (ci, c) in ctxs.iter().enumerate() {
                let req = Request {
                    action: &a,
                    resource: r,
                    context: c,
                };
                if grant.decide(&p, &req).is_allow() && !bound.decide(&p, &req).is_allow() {
                    out.push((a.clone(), *r, ci));
                }
            }
        }
    }
    out
}

fn assert_sound(findings: &[containment::Finding], w: &[(String, &str, usize)], what: &str) {
    for (a, r, c) in w {
        assert!(
            findings
                .iter()
                .any(|f| f.action.eq_ignore_ascii_case(a) && f.matches_resource(r)),
            "{what}: {a} on {r} (context {c}) is new access but no finding covers it; findings: {findings:#?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn overreach_is_sound_against_brute_force(
        agency in prop::collection::vec(policy(), 1..3),
        user in prop::collection::vec(policy(), 1..3),
        scps in prop::collection::vec(scp(), 0..3),
    ) {
        let catalog = Catalog::builtin();
        let a = compile("agency", &agency, PolicyKind::Identity);
        let u = compile("user", &user, PolicyKind::Identity);
        let levels: Vec<_> = scps.iter().enumerate().map(|(i, d)| compile(&format!("scp{i}"), std::slice::from_ref(d), PolicyKind::Scp)).collect();
        let subject = Subject::new(Principal::default(), u.clone(), levels.clone());
        let report = containment::overreach(catalog, &subject, "ma_agency_x", &a);
        let grant = PolicySet::new(a.clone(), levels.clone(), vec![]);
        let bound = PolicySet::new(u.clone(), levels.clone(), vec![]);
        let w = witnesses(&grant, &bound);
        assert_sound(&report.findings, &w, "overreach");
        if report.ok {
            prop_assert!(w.is_empty());
        }
    }

    #[test]
    fn check_no_new_access_and_diff_are_sound(existing in policy(), new in policy()) {
        let catalog = Catalog::builtin();
        let e = Policy::from_value(&existing, PolicyKind::Identity).unwrap();
        let n = Policy::from_value(&new, PolicyKind::Identity).unwrap();
        let res = containment::check_no_new_access(catalog, &e, &n);
        let ec = compile("old", std::slice::from_ref(&existing), PolicyKind::Identity);
        let nc = compile("new", std::slice::from_ref(&new), PolicyKind::Identity);
        let w_added = witnesses(&PolicySet::new(nc.clone(), vec![], vec![]), &PolicySet::new(ec.clone(), vec![], vec![]));
        let w_removed = witnesses(&PolicySet::new(ec.clone(), vec![], vec![]), &PolicySet::new(nc.clone(), vec![], vec![]));
        if res.check_result == "pass" {
            prop_assert!(w_added.is_empty(), "pass but new access: {:?}", &w_added[..w_added.len().min(3)]);
        } else {
            prop_assert!(!res.reasons.is_empty());
        }
        let d = containment::diff(catalog, &ec, &nc);
        assert_sound(&d.added, &w_added, "diff added");
        assert_sound(&d.removed, &w_removed, "diff removed");
        prop_assert_eq!(d.added.is_empty(), res.check_result == "pass");
    }
}

#[test]
fn a_grant_whose_service_condition_excludes_an_action_does_not_grant_it() {
    let catalog = Catalog::builtin();
    // Huawei's Tenant Administrator: everything except IAM
    let tenant_admin = vec![(
        PolicyId::new("ta"),
        Arc::new(
            Policy::parse(
                r#"{"Version":"1.1","Statement":[{"Action":["obs:*:*"],"Effect":"Allow"},{"Condition":{"StringNotEqualsIgnoreCase":{"g:ServiceName":["iam"]}},"Action":["*:*:*"],"Effect":"Allow"}]}"#,
                PolicyKind::Identity,
            )
            .unwrap(),
        ),
    )];
    let user = Subject::from_documents(Principal::default(), &[], &[]).unwrap();
    let o = containment::overreach(catalog, &user, "ta", &tenant_admin);
    assert!(!o.ok);
    let actions: Vec<&str> = o.findings.iter().map(|f| f.action.as_str()).collect();
    assert!(actions.contains(&"obs:object:PutObject"), "{actions:?}");
    assert!(actions.contains(&"vpc:vpcs:create"), "{actions:?}");
    assert!(
        !actions.iter().any(|a| a.starts_with("iam:")),
        "{actions:?}"
    );
}

#[test]
fn exact_answers_on_simple_cases() {
    let catalog = Catalog::builtin();
    let p = |s: &str| Policy::parse(s, PolicyKind::Identity).unwrap();
    let narrow = p(
        r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["obs:object:GetObject"],"Resource":["obs:*:*:object:b1/in/*"]}]}"#,
    );
    let wide = p(
        r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["obs:object:GetObject"],"Resource":["obs:*:*:object:b1/*"]}]}"#,
    );
    assert_eq!(
        containment::check_no_new_access(catalog, &wide, &narrow).check_result,
        "pass"
    );
    let r = containment::check_no_new_access(catalog, &narrow, &wide);
    assert_eq!(r.check_result, "fail");
    assert_eq!(r.reasons[0].statement_index, 0);
    // A condition narrows: the conditional grant is contained in the unconditional one, not
    // the other way round.
    let cond = p(
        r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["obs:object:GetObject"],"Resource":["obs:*:*:object:b1/*"],"Condition":{"IpAddress":{"g:SourceIp":["10.0.0.0/8"]}}}]}"#,
    );
    assert_eq!(
        containment::check_no_new_access(catalog, &wide, &cond).check_result,
        "pass"
    );
    assert_eq!(
        containment::check_no_new_access(catalog, &cond, &wide).check_result,
        "fail"
    );
    // Overreach through an SCP: what the SCP denies is no overreach.
    let agency = vec![(
        PolicyId::new("a"),
        Arc::new(p(
            r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["obs:*:*"]}]}"#,
        )),
    )];
    let user_docs = [
        r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["obs:object:*"]}]}"#
            .to_owned(),
    ];
    let scp_obs_objects = r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["obs:object:*","modelarts:*"]}]}"#.to_owned();
    let u = Subject::from_documents(Principal::default(), &user_docs, &[]).unwrap();
    let o = containment::overreach(catalog, &u, "a", &agency);
    assert!(!o.ok);
    assert!(
        o.findings
            .iter()
            .all(|f| f.action.starts_with("obs:bucket:"))
    );
    let u = Subject::from_documents(Principal::default(), &user_docs, &[scp_obs_objects]).unwrap();
    assert!(containment::overreach(catalog, &u, "a", &agency).ok);
    let _ = Side {
        identity: &agency,
        scps: &[],
    };
}

/// Spec §3.1: a bounding Deny's `Resource` and a bounding Allow's `NotResource` ignore ASCII case,
/// so a grant of another spelling of a denied or excluded id is new access.
#[test]
fn resource_id_case_in_the_bounding_side() {
    let catalog = Catalog::builtin();
    let p = |s: &str| Policy::parse(s, PolicyKind::Identity).unwrap();
    let grant_upper = p(
        r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["modelarts:notebook:start"],"Resource":["modelarts:*:*:notebook:NB-1"]}]}"#,
    );
    let deny_lower = p(
        r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["modelarts:notebook:start"]},{"Effect":"Deny","Action":["modelarts:notebook:start"],"Resource":["modelarts:*:*:notebook:nb-1"]}]}"#,
    );
    assert_eq!(
        containment::check_no_new_access(catalog, &deny_lower, &grant_upper).check_result,
        "fail"
    );
    let exclude_lower = p(
        r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["modelarts:notebook:start"],"NotResource":["modelarts:*:*:notebook:nb-1"]}]}"#,
    );
    assert_eq!(
        containment::check_no_new_access(catalog, &exclude_lower, &grant_upper).check_result,
        "fail"
    );
    // A Deny's NotResource is exact: it excludes only `nb-1` itself, so it denies `NB-1`.
    let deny_all_but_lower = p(
        r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["modelarts:notebook:start"]},{"Effect":"Deny","Action":["modelarts:notebook:start"],"NotResource":["modelarts:*:*:notebook:nb-1"]}]}"#,
    );
    assert_eq!(
        containment::check_no_new_access(catalog, &deny_all_but_lower, &grant_upper).check_result,
        "fail"
    );
    // The granting side's own Deny on another spelling takes the grant away: nothing new.
    let grant_denied = p(
        r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["modelarts:notebook:start"],"Resource":["modelarts:*:*:notebook:NB-1"]},{"Effect":"Deny","Action":["modelarts:notebook:start"],"Resource":["modelarts:*:*:notebook:nb-1"]}]}"#,
    );
    let nothing = p(
        r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["obs:bucket:ListBucket"],"Resource":["obs:*:*:bucket:none"]}]}"#,
    );
    assert_eq!(
        containment::check_no_new_access(catalog, &nothing, &grant_denied).check_result,
        "pass"
    );
}
