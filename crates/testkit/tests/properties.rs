//! Property tests over random policies and requests drawn from a small alphabet of actions, URNs,
//! condition keys, operators and values.
//!
//! Every metamorphic property (deny wins, SCPs only narrow, allows only widen, order does not
//! matter) is checked on every available decider: the reference evaluator, and the engine once its
//! case runner is wired in (see `deciders`). The differential property compares the engine with
//! the reference.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly"
)]

mod common;

use common::engine_decide;
use iam_testkit::{ALLOW, EXPLICIT_DENY, reference_decide};
use proptest::prelude::*;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Deciders

type Decider = fn(&Value) -> Result<&'static str, String>;

fn deciders() -> Vec<(&'static str, Decider)> {
    vec![("reference", reference_decide), ("engine", engine_decide)]
}

// ---------------------------------------------------------------------------------------------
// Alphabet

const ACTIONS: &[&str] = &[
    "modelarts:trainJob:get",
    "modelarts:trainJob:delete",
    "modelarts:notebook:get",
    "modelarts:notebook:create",
    "obs:bucket:listBucket",
    "sts::tagSession",
];

const ACTION_PATTERNS: &[&str] = &[
    "*",
    "modelarts:*",
    "modelarts:*:get",
    "modelarts:trainJob:*",
    "modelarts:*:*delete*",
    "modelarts:?otebook:get",
    "MODELARTS:TRAINJOB:GET",
    "obs:*",
    "sts:*:tagSession",
    "modelarts:notebook:create",
    "modelarts:trainJob:get",
];

const RESOURCES: &[&str] = &[
    "*",
    "modelarts:cn-north-4:acct:trainJob:job-1",
    "modelarts:cn-north-4:acct:notebook:nb-1",
    "modelarts:cn-south-1:acct:trainJob:job-2",
    "obs:cn-north-4:acct:object:b/k:1",
    // Case variants of the ids the patterns name (§3.1), and a non-ASCII id.
    "modelarts:cn-north-4:acct:trainJob:JOB-1",
    "modelarts:cn-north-4:acct:notebook:Nb-1",
    "modelarts:cn-north-4:acct:trainJob:ÄBC",
];

const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "modelarts:*:*:trainJob:*",
    "modelarts:cn-north-4:*:*:*",
    "modelarts:cn-north-4:acct:trainJob:job-1",
    "modelarts:*",
    "obs:*:*:object:b/*",
    "MODELARTS:cn-north-4:acct:NOTEBOOK:nb-?",
    "modelarts:*:acct:trainJob:Job-*",
    "modelarts:*:*:trainJob:äbc",
];

/// Condition keys by family: (key, operators, policy values, request values).
struct Family {
    key: &'static str,
    ops: &'static [&'static str],
    policy_values: &'static [&'static str],
    request_values: &'static [&'static str],
}

const FAMILIES: &[Family] = &[
    Family {
        key: "g:UserName",
        ops: &[
            "StringEquals",
            "StringNotEquals",
            "StringEqualsIgnoreCase",
            "StringNotEqualsIgnoreCase",
            "StringMatch",
            "StringNotMatch",
            "StringLike",
            "StringNotLike",
            "StringStartWith",
            "StringNotStartWith",
            "StringEndWith",
            "StringNotEndWith",
            "StringStartWithIgnoreCase",
            "StringEndWithIgnoreCase",
        ],
        policy_values: &["alice", "ALICE", "a*", "*e", "b?b", ""],
        request_values: &["alice", "Alice", "bob", "", "a*"],
    },
    Family {
        key: "g:TagKeys",
        ops: &[
            "StringEquals",
            "StringNotEquals",
            "StringLike",
            "StringNotLike",
        ],
        policy_values: &["team", "env", "t*"],
        request_values: &["team", "env", "cost", "TEAM"],
    },
    Family {
        key: "modelarts:n",
        ops: &[
            "NumberEquals",
            "NumberNotEquals",
            "NumberLessThan",
            "NumberLessThanEquals",
            "NumberGreaterThan",
            "NumberGreaterThanEquals",
            "NumericLessThan",
        ],
        policy_values: &["1", "5", "-2.5", "1e1"],
        request_values: &["1", "5.0", "10", "-3", "abc"],
    },
    Family {
        key: "g:CurrentTime",
        ops: &[
            "DateEquals",
            "DateNotEquals",
            "DateLessThan",
            "DateLessThanEquals",
            "DateGreaterThan",
            "DateGreaterThanEquals",
        ],
        policy_values: &[
            "2026-01-01T00:00:00Z",
            "2026-01-01",
            "1767225600",
            "2026-06-01T08:00:00+08:00",
        ],
        request_values: &[
            "2026-01-01T00:00:00Z",
            "2025-12-31T23:59:59Z",
            "2026-06-01T00:00:00Z",
            "bogus",
        ],
    },
    Family {
        key: "g:MFAPresent",
        ops: &["Bool"],
        policy_values: &["true", "false"],
        request_values: &["true", "false", "TRUE", "maybe"],
    },
    Family {
        key: "g:SourceIp",
        ops: &["IpAddress", "NotIpAddress"],
        policy_values: &["10.0.0.0/8", "10.1.2.3", "2001:db8::/32", "0.0.0.0/0"],
        request_values: &["10.1.2.3", "192.168.0.1", "2001:db8::1", "abc"],
    },
];

fn pick<T: Clone + std::fmt::Debug + 'static>(items: &'static [T]) -> impl Strategy<Value = T> {
    prop::sample::select(items)
}

/// One condition entry: `(operator, key, values)`.
fn condition_entry() -> impl Strategy<Value = (String, String, Value)> {
    (0..FAMILIES.len()).prop_flat_map(|f| {
        let fam = &FAMILIES[f];
        (
            pick(fam.ops),
            0u8..4, // qualifier: none (twice as likely), any, all
            any::<bool>(),
            prop::collection::vec(pick(fam.policy_values), 1..3),
            0u8..10, // Null instead
        )
            .prop_map(move |(op, q, if_exists, vals, null)| {
                if null == 0 {
                    let v = if if_exists { "true" } else { "false" };
                    return ("Null".to_string(), fam.key.to_string(), json!([v]));
                }
                let qualifier = match q {
                    2 => "ForAnyValue:",
                    3 => "ForAllValues:",
                    _ => "",
                };
                let suffix = if if_exists { "IfExists" } else { "" };
                (
                    format!("{qualifier}{op}{suffix}"),
                    fam.key.to_string(),
                    json!(vals),
                )
            })
    })
}

fn condition() -> impl Strategy<Value = Option<Value>> {
    prop::option::weighted(0.5, prop::collection::vec(condition_entry(), 1..3)).prop_map(
        |entries| {
            entries.map(|entries| {
                let mut c = serde_json::Map::new();
                for (op, key, vals) in entries {
                    let slot = c.entry(op).or_insert_with(|| json!({}));
                    if let Some(o) = slot.as_object_mut() {
                        o.insert(key, vals);
                    }
                }
                Value::Object(c)
            })
        },
    )
}

/// A statement for an identity or session policy (`scp`: restricted to the SCP rules of §1.4).
fn statement(scp: bool) -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        0u8..5,
        prop::collection::vec(pick(ACTION_PATTERNS), 1..3),
        prop::option::of((
            any::<bool>(),
            prop::collection::vec(pick(RESOURCE_PATTERNS), 1..3),
        )),
        condition(),
    )
        .prop_map(move |(allow, not_action, actions, resources, cond)| {
            let mut s = serde_json::Map::new();
            s.insert("Effect".into(), json!(if allow { "Allow" } else { "Deny" }));
            let scp_allow = scp && allow;
            if not_action == 0 && !scp_allow {
                s.insert("NotAction".into(), json!(actions));
            } else {
                s.insert("Action".into(), json!(actions));
            }
            if !scp_allow {
                if let Some((not, res)) = resources {
                    let key = if not && !scp {
                        "NotResource"
                    } else {
                        "Resource"
                    };
                    s.insert(key.into(), json!(res));
                }
                if let Some(c) = cond {
                    s.insert("Condition".into(), c);
                }
            }
            Value::Object(s)
        })
}

fn policy(scp: bool) -> impl Strategy<Value = Value> {
    prop::collection::vec(statement(scp), 1..4)
        .prop_map(|st| json!({"Version": "5.0", "Statement": st}))
}

fn context() -> impl Strategy<Value = Value> {
    let entries: Vec<_> = FAMILIES
        .iter()
        .map(|f| prop::option::weighted(0.6, prop::collection::vec(pick(f.request_values), 0..3)))
        .collect();
    entries.prop_map(|vals| {
        let mut m = serde_json::Map::new();
        for (f, v) in FAMILIES.iter().zip(vals) {
            if let Some(v) = v {
                if v.len() == 1 {
                    m.insert(f.key.into(), json!(v[0]));
                } else {
                    m.insert(f.key.into(), json!(v));
                }
            }
        }
        Value::Object(m)
    })
}

fn principal() -> impl Strategy<Value = Value> {
    (0u8..6).prop_map(|p| {
        let (root, mgmt) = match p {
            0 => (true, false),
            1 => (false, true),
            _ => (false, false),
        };
        json!({"urn": if root { "iam::acct:root" } else { "iam::acct:user:alice" },
               "account_id": "acct", "is_root_user": root, "is_management_account": mgmt})
    })
}

fn case() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(policy(false), 0..3),
        prop::option::weighted(
            0.5,
            prop::collection::vec(prop::collection::vec(policy(true), 0..3), 1..4),
        ),
        prop::option::weighted(0.3, prop::collection::vec(policy(false), 0..3)),
        principal(),
        pick(ACTIONS),
        pick(RESOURCES),
        context(),
    )
        .prop_map(|(ids, scps, session, principal, action, resource, ctx)| {
            let mut c = json!({
                "name": "generated",
                "identity_policies": ids,
                "principal": principal,
                "request": {"action": action, "resource": resource, "context": ctx},
            });
            if let Some(s) = scps {
                c["scps"] = json!(s);
            }
            if let Some(s) = session {
                c["session_policies"] = json!(s);
            }
            c
        })
}

#[expect(clippy::panic, reason = "a generated case must always be accepted")]
fn decide(d: Decider, c: &Value) -> &'static str {
    match d(c) {
        Ok(x) => x,
        Err(e) => panic!("generated case rejected: {e}\n{c}"),
    }
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Properties

proptest! {
    #![proptest_config(config(600))]

    /// Adding a Deny statement that matches the request (to the session policies, which bind
    /// everyone, and to the identity policies) never yields allow, and yields an explicit deny.
    #[test]
    fn deny_wins(c in case()) {
        for (name, d) in deciders() {
            let mut c2 = c.clone();
            let deny = json!({"Version": "5.0", "Statement": [{"Effect": "Deny",
                "Action": [c["request"]["action"].clone()]}]});
            match c2.get_mut("session_policies").and_then(Value::as_array_mut) {
                Some(list) => list.push(deny.clone()),
                None => c2["session_policies"] = json!([deny.clone()]),
            }
            prop_assert_eq!(decide(d, &c2), EXPLICIT_DENY, "{}: {}", name, c2);
            if c["principal"]["is_root_user"] == json!(false) {
                let mut c3 = c.clone();
                if let Some(list) = c3["identity_policies"].as_array_mut() {
                    list.push(deny);
                }
                prop_assert_eq!(decide(d, &c3), EXPLICIT_DENY, "{}: {}", name, c3);
            }
        }
    }

    /// Adding an SCP level never turns a deny into an allow.
    #[test]
    fn scps_only_narrow(c in case(), level in prop::collection::vec(policy(true), 0..3)) {
        for (name, d) in deciders() {
            let before = decide(d, &c);
            let mut c2 = c.clone();
            match c2.get_mut("scps").and_then(Value::as_array_mut) {
                Some(levels) => levels.push(json!(level.clone())),
                None => c2["scps"] = json!([level.clone()]),
            }
            let after = decide(d, &c2);
            if before != ALLOW {
                prop_assert_ne!(after, ALLOW, "{}: {}", name, c2);
            }
            if before == EXPLICIT_DENY {
                prop_assert_eq!(after, EXPLICIT_DENY, "{}: {}", name, c2);
            }
        }
    }

    /// Adding an Allow statement (to an identity policy, or as a new identity policy) never turns
    /// an allow into a deny.
    #[test]
    fn allows_only_widen(c in case(), st in statement(false), into_existing in any::<bool>()) {
        let mut st = st;
        st["Effect"] = json!("Allow");
        for (name, d) in deciders() {
            let before = decide(d, &c);
            let mut c2 = c.clone();
            let ids = c2["identity_policies"].as_array_mut().expect("array");
            match ids.first_mut() {
                Some(p) if into_existing => {
                    p["Statement"].as_array_mut().expect("array").push(st.clone());
                }
                _ => ids.push(json!({"Version": "5.0", "Statement": [st.clone()]})),
            }
            let after = decide(d, &c2);
            if before == ALLOW {
                prop_assert_eq!(after, ALLOW, "{}: {}", name, c2);
            }
        }
    }

    /// The decision does not depend on the order of statements, policies or SCP levels.
    #[test]
    fn order_does_not_matter(c in case()) {
        for (name, d) in deciders() {
            let before = decide(d, &c);
            let mut c2 = c.clone();
            reverse_all(&mut c2);
            prop_assert_eq!(decide(d, &c2), before, "{}: {}", name, c2);
        }
    }
}

proptest! {
    #![proptest_config(config(3000))]

    /// The engine and the reference evaluator decide every generated case the same way.
    #[test]
    fn engine_matches_reference(c in case()) {
        let reference = reference_decide(&c);
        let engine = engine_decide(&c);
        prop_assert_eq!(&engine, &reference, "engine vs reference on {}", c);
    }
}

fn reverse_policies(list: &mut Value) {
    if let Some(ps) = list.as_array_mut() {
        ps.reverse();
        for p in ps {
            if let Some(st) = p["Statement"].as_array_mut() {
                st.reverse();
            }
        }
    }
}

fn reverse_all(c: &mut Value) {
    reverse_policies(&mut c["identity_policies"]);
    if let Some(s) = c.get_mut("session_policies") {
        reverse_policies(s);
    }
    if let Some(levels) = c.get_mut("scps").and_then(Value::as_array_mut) {
        levels.reverse();
        for level in levels {
            reverse_policies(level);
        }
    }
}

#[test]
fn generator_produces_every_decision() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = case();
    let mut seen = std::collections::BTreeMap::new();
    for _ in 0..500 {
        let c = strategy.new_tree(&mut runner).expect("tree").current();
        *seen.entry(decide(reference_decide, &c)).or_insert(0u32) += 1;
    }
    println!("decisions over 500 generated cases: {seen:?}");
    assert_eq!(seen.len(), 3, "{seen:?}");
}
