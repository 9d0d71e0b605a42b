//! The system policies of `data/system-policies.json` (docs/system-policies.md): every name the
//! reference lists and every name the seed tables reference is there, with a well-formed id, URN
//! and document of the right version, and the reconstructions say what they were made from.

use std::collections::BTreeSet;

use iam_catalog::{AccessLevel, Catalog, PolicyRefKind, SystemPolicyKind};
use serde_json::{Value, json};

/// huawei-more §1.2 (IAM 3.0 roles and policies; `ModelArts ReadOnlyAccess` is "not found").
const REFERENCE_3_0: &[&str] = &[
    "ModelArts FullAccess",
    "ModelArts CommonOperations",
    "ModelArts Dependency Access",
    "OBS Administrator",
    "OBS OperateAccess",
    "OBS ReadOnlyAccess",
    "OBS Buckets Viewer",
    "SWR Admin",
    "SWR FullAccess",
    "SWR OperateAccess",
    "SWR ReadOnlyAccess",
    "SFS Turbo FullAccess",
    "SFS Turbo ReadOnlyAccess",
    "IAM ReadOnlyAccess",
    "Security Administrator",
    "Tenant Administrator",
    "Tenant Guest",
    "Agent Operator",
    "FullAccess",
    "EPS FullAccess",
];

/// huawei-more §1.4 (IAM 5.0 system identity policies).
const REFERENCE_5_0: &[&str] = &[
    "ModelArtsFullAccessPolicy",
    "ModelArtsOverviewReadOnlyPolicy",
    "ModelArtsOverviewAllPolicy",
    "ModelArtsNotebookReadOnlyPolicy",
    "ModelArtsNotebookAllPolicy",
    "ModelArtsWorkspaceReadOnlyPolicy",
    "ModelArtsWorkspaceAllPolicy",
    "ModelArtsExemlflowReadOnlyPolicy",
    "ModelArtsExemlflowAllPolicy",
    "ModelArtsResourceManagementReadOnlyPolicy",
    "ModelArtsResourceManagementAllPolicy",
    "OBSFullAccessPolicy",
    "OBSBucketsViewerPolicy",
    "OBSReadOnlyPolicy",
    "OBSBasicOperationsPolicy",
    "OBSAssumeLoggingPolicy",
    "OBSConsoleFullAccessPolicy",
    "NATReadOnlyPolicy",
    "RDSReadOnlyPolicy",
    "SCMReadOnlyPolicy",
];

#[test]
fn every_reference_name_is_a_system_policy_of_its_catalogue() {
    let c = Catalog::builtin();
    for name in REFERENCE_3_0 {
        let p = c
            .system_policy(name)
            .unwrap_or_else(|| panic!("missing {name}"));
        assert_eq!(&p.name, name, "spelled as published");
        assert_ne!(p.kind, SystemPolicyKind::IdentityPolicy, "{name}");
        assert_eq!(p.document["Version"], "1.1", "{name}");
    }
    for name in REFERENCE_5_0 {
        let p = c
            .system_policy(name)
            .unwrap_or_else(|| panic!("missing {name}"));
        assert_eq!(&p.name, name, "spelled as published");
        assert_eq!(p.kind, SystemPolicyKind::IdentityPolicy, "{name}");
        assert_eq!(p.document["Version"], "5.0", "{name}");
    }
    assert_eq!(
        c.system_policies().len(),
        REFERENCE_3_0.len() + REFERENCE_5_0.len(),
        "nothing beyond the reference and the seeds"
    );
}

#[test]
fn every_system_policy_the_seed_tables_name_exists() {
    let c = Catalog::builtin();
    let named: BTreeSet<&str> = c
        .scenarios()
        .iter()
        .flat_map(|r| r.policies.iter())
        .chain(c.agency_scopes().iter().flat_map(|r| r.actions.iter()))
        .filter(|p| p.kind == PolicyRefKind::SystemPolicy)
        .map(|p| p.name.as_str())
        .collect();
    assert!(!named.is_empty());
    for name in named {
        assert!(c.system_policy(name).is_some(), "{name} is referenced");
    }
}

#[test]
fn names_ids_and_urns_are_well_formed_and_unique() {
    let c = Catalog::builtin();
    let mut keys = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for p in c.system_policies() {
        // letters and digits, words separated by one space: the id/URN encoding is injective
        assert!(
            !p.name.is_empty()
                && p.name
                    .split(' ')
                    .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_alphanumeric())),
            "{:?}",
            p.name
        );
        assert!(keys.insert(p.name.to_lowercase()), "duplicate {}", p.name);
        let id = p.policy_id();
        assert!(
            (1..=64).contains(&id.len())
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
            "{id}"
        );
        assert!(ids.insert(id.to_lowercase()), "duplicate id {id}");
        let urn = p.urn();
        assert!(
            (16..=1500).contains(&urn.len())
                && urn
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/=_:-".contains(&b)),
            "{urn}"
        );
        assert!(
            !p.description.is_empty() && !p.notes.is_empty(),
            "{}",
            p.name
        );
    }
    let p = c.system_policy("ModelArts CommonOperations").unwrap();
    assert_eq!(p.policy_id(), "system-ModelArts-CommonOperations");
    assert_eq!(p.urn(), "iam::system:policy:ModelArts-CommonOperations");
}

#[test]
fn only_tenant_administrator_is_verbatim() {
    let c = Catalog::builtin();
    let verbatim: Vec<&str> = c
        .system_policies()
        .iter()
        .filter(|p| !p.inferred)
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(verbatim, ["Tenant Administrator"]);
    // huawei-more §1.3, as published (member order included).
    let published = r#"{"Version":"1.1","Statement":[
    {"Action":["obs:*:*"],"Effect":"Allow"},
    {"Condition":{"StringNotEqualsIgnoreCase":{"g:ServiceName":["iam"]}},"Action":["*:*:*"],"Effect":"Allow"}]}"#;
    let published: Value = serde_json::from_str(published).unwrap();
    let p = c.system_policy("Tenant Administrator").unwrap();
    assert_eq!(p.document_text(), published.to_string());
    // Tenant Guest keeps the published first statement.
    let guest = c.system_policy("Tenant Guest").unwrap();
    assert_eq!(
        guest.document["Statement"][0],
        json!({"Action": ["obs:*:get*", "obs:*:list*", "obs:*:head*"], "Effect": "Allow"})
    );
}

/// Every action a document names without a wildcard, of a service the catalog knows, is a
/// catalog action spelled as the catalog spells it.
#[test]
fn named_actions_are_catalog_actions() {
    let c = Catalog::builtin();
    for p in c.system_policies() {
        for s in p.document["Statement"].as_array().unwrap() {
            for a in s["Action"].as_array().unwrap() {
                let a = a.as_str().unwrap();
                let service = a.split(':').next().unwrap();
                if a.contains(['*', '?']) || c.service(service).is_none() {
                    continue;
                }
                let found = c.action(a).unwrap_or_else(|| panic!("{}: {a}", p.name));
                assert_eq!(found.name, a, "{}", p.name);
            }
        }
    }
}

#[test]
fn common_operations_is_modelarts_without_pool_management() {
    let c = Catalog::builtin();
    let p = c.system_policy("ModelArts CommonOperations").unwrap();
    let st = p.document["Statement"].as_array().unwrap();
    assert_eq!(st.len(), 2);
    assert_eq!(
        st[0],
        json!({"Effect": "Allow", "Action": ["modelarts:*:*"]})
    );
    assert_eq!(st[1]["Effect"], "Deny");
    let denied: BTreeSet<&str> = st[1]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    // exactly the writes of the pool and network resource types
    let writes: BTreeSet<&str> = c
        .expand("modelarts:*:*")
        .into_iter()
        .filter(|a| {
            a.access_level == AccessLevel::Write
                && matches!(a.name.split(':').nth(1), Some("pool" | "network"))
        })
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(denied, writes);
}

#[test]
fn dependency_access_is_the_dependency_rows_other_services() {
    let c = Catalog::builtin();
    let mut want = BTreeSet::new();
    for r in c.scenarios() {
        for p in &r.policies {
            if p.kind == PolicyRefKind::Action && !p.name.to_lowercase().starts_with("modelarts:") {
                want.insert(c.action(&p.name).unwrap().name.clone());
            }
        }
    }
    let p = c.system_policy("ModelArts Dependency Access").unwrap();
    let got: BTreeSet<String> = p.document["Statement"][0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, want);
}

/// docs/system-policies.md lists every system policy with its kind, version, id and URN.
#[test]
fn the_docs_table_is_the_data() {
    let docs = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/system-policies.md"
    ))
    .unwrap();
    let c = Catalog::builtin();
    let rows: Vec<&str> = docs
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("`system-"))
        .collect();
    assert_eq!(rows.len(), c.system_policies().len());
    for p in c.system_policies() {
        let start = format!(
            "| {} | {} | {} | `{}` | `{}` |",
            p.name,
            p.kind.as_str().replace('_', " "),
            p.document["Version"].as_str().unwrap(),
            p.policy_id(),
            p.urn()
        );
        assert!(
            rows.iter().any(|r| r.starts_with(&start)),
            "docs/system-policies.md: no row {start}"
        );
    }
}
