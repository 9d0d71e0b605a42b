//! Function scenarios of seed 000 Tables 1-9 and the concrete actions each requires.

use iam_catalog::{Catalog, PolicyRefKind};
use iam_policy::{ActionElement, Effect, Policy, PolicyKind};
use serde::Serialize;

/// What a requirement names in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequirementKind {
    /// One action.
    Action,
    /// An action pattern (`modelarts:trainJob:*`).
    Pattern,
    /// A system-defined policy (`SWR Admin`).
    SystemPolicy,
}

/// One dependent policy of a scenario, resolved to the actions a principal must hold.
#[derive(Debug, Clone, Serialize)]
pub struct Requirement {
    /// Dependent service as published (`OBS`).
    pub service: String,
    /// The entry as normalized by the catalog (`obs:bucket:ListBucket`, `SWR Admin`).
    pub name: String,
    /// What it names.
    pub kind: RequirementKind,
    /// The actions to hold: the catalog's spelling of an action; every catalog action a
    /// pattern matches (the pattern itself when it matches none); every catalog action the
    /// allow statements of a system policy's document match.
    pub actions: Vec<String>,
    /// Marked `(Mandatory)` in the table.
    pub mandatory: bool,
}

/// A function scenario: all rows of one table with the same application scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    /// Stable id: `t<table>-<scenario slug>` (`t4-training-management`).
    pub id: String,
    /// Table number (1-9).
    pub table: u8,
    /// Table title.
    pub table_title: String,
    /// Application scenario as published.
    pub name: String,
    /// Supported functions of its rows.
    pub functions: Vec<String>,
    /// Dependent policies.
    pub requirements: Vec<Requirement>,
}

impl Scenario {
    /// Every action the scenario requires, deduplicated (case-insensitively), in table order.
    pub fn actions(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in &self.requirements {
            for a in &r.actions {
                if !out.iter().any(|o| o.eq_ignore_ascii_case(a)) {
                    out.push(a.clone());
                }
            }
        }
        out
    }
}

/// Slug of a scenario name: lowercase ASCII words joined by `-`.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for w in s.split(|c: char| !c.is_ascii_alphanumeric()) {
        if w.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&w.to_ascii_lowercase());
    }
    out
}

/// The scenario of `out` for a table row (`t<table>-<slug of scenario or table title>`), added
/// empty the first time it is seen.
fn scenario_entry<'a>(
    out: &'a mut Vec<Scenario>,
    table: u8,
    table_title: &str,
    scenario: Option<&String>,
) -> &'a mut Scenario {
    let name = scenario.map_or_else(|| table_title.to_owned(), Clone::clone);
    let id = format!("t{table}-{}", slug(&name));
    let idx = match out.iter().position(|s| s.id == id) {
        Some(i) => i,
        None => {
            out.push(Scenario {
                id,
                table,
                table_title: table_title.to_owned(),
                name,
                functions: Vec::new(),
                requirements: Vec::new(),
            });
            out.len() - 1
        }
    };
    // `idx` is an existing position or the element just pushed.
    &mut out[idx]
}

/// The catalog actions a pattern names; the pattern itself when it names a service the catalog
/// does not know; nothing when it names none of a known service's actions (a 1.1 name such as
/// `modelarts:trainJobLog:*`: no request carries it, so there is nothing to check or grant).
fn expand_or_name(catalog: &Catalog, pattern: &str) -> Vec<String> {
    let mut acts: Vec<String> = catalog
        .expand(pattern)
        .iter()
        .map(|a| a.name.clone())
        .collect();
    let service = pattern.split(':').next().unwrap_or("").to_ascii_lowercase();
    if acts.is_empty() && catalog.service(&service).is_none() {
        acts.push(pattern.to_owned());
    }
    acts
}

/// All scenarios of Tables 1-9, in table order.
pub fn scenarios(catalog: &Catalog) -> Vec<Scenario> {
    let mut out: Vec<Scenario> = Vec::new();
    for row in catalog.scenarios() {
        let sc = scenario_entry(&mut out, row.table, &row.table_title, row.scenario.as_ref());
        for f in &row.functions {
            if !sc.functions.contains(f) {
                sc.functions.push(f.clone());
            }
        }
        for p in &row.policies {
            let (kind, actions) = match p.kind {
                PolicyRefKind::Action => (
                    RequirementKind::Action,
                    vec![
                        catalog
                            .action(&p.name)
                            .map_or_else(|| p.name.clone(), |a| a.name.clone()),
                    ],
                ),
                PolicyRefKind::Pattern => {
                    (RequirementKind::Pattern, expand_or_name(catalog, &p.name))
                }
                PolicyRefKind::SystemPolicy => (
                    RequirementKind::SystemPolicy,
                    system_policy_actions(catalog, &p.name),
                ),
            };
            if sc.requirements.iter().any(|r| r.name == p.name) {
                continue;
            }
            sc.requirements.push(Requirement {
                service: row.dependent_service.clone(),
                name: p.name.clone(),
                kind,
                actions,
                mandatory: row.mandatory,
            });
        }
    }
    out
}

/// The basic agency authorization scopes of Tables 10-14 as scenarios (`t11-training-jobs`):
/// what ModelArts does in the backend with an agency for each application scenario.
pub fn agency_scope_scenarios(catalog: &Catalog) -> Vec<Scenario> {
    let mut out: Vec<Scenario> = Vec::new();
    for row in catalog.agency_scopes() {
        let sc = scenario_entry(&mut out, row.table, &row.table_title, row.scenario.as_ref());
        sc.functions.extend(row.descriptions.iter().cloned());
        for p in &row.actions {
            if sc
                .requirements
                .iter()
                .any(|r| r.name.eq_ignore_ascii_case(&p.name))
            {
                continue;
            }
            let actions = match catalog.action(&p.name) {
                Some(a) => vec![a.name.clone()],
                None => expand_or_name(catalog, &p.name),
            };
            sc.requirements.push(Requirement {
                service: row.dependent_service.clone(),
                name: p.name.clone(),
                kind: RequirementKind::Action,
                actions,
                mandatory: false,
            });
        }
    }
    out
}

#[derive(serde::Deserialize)]
struct AgencyMap {
    map: std::collections::BTreeMap<String, Vec<String>>,
}

/// The pairing of function scenarios (Tables 1-9) with agency scopes (Tables 10-14), from
/// `data/agency-for-scenarios.json`.
fn agency_scope_map() -> &'static std::collections::BTreeMap<String, Vec<String>> {
    static MAP: std::sync::OnceLock<std::collections::BTreeMap<String, Vec<String>>> =
        std::sync::OnceLock::new();
    MAP.get_or_init(|| {
        serde_json::from_str::<AgencyMap>(include_str!("../data/agency-for-scenarios.json"))
            .map(|m| m.map)
            .unwrap_or_default()
    })
}

/// The agency scopes (Tables 10-14) the backend needs for the given function scenarios: a
/// custom agency filtered to what the user does.
pub fn agency_scopes_for(catalog: &Catalog, user: &[&Scenario]) -> Vec<Scenario> {
    // The built-in catalog's agency scopes are built once (callers run this per request);
    // another catalog gets its own, built for this call.
    static BUILTIN: std::sync::OnceLock<Vec<Scenario>> = std::sync::OnceLock::new();
    let own;
    let scopes: &[Scenario] = if std::ptr::eq(catalog, Catalog::builtin()) {
        BUILTIN.get_or_init(|| agency_scope_scenarios(catalog))
    } else {
        own = agency_scope_scenarios(catalog);
        &own
    };
    let map = agency_scope_map();
    let mut out: Vec<Scenario> = Vec::new();
    for s in user {
        for id in map.get(&s.id).into_iter().flatten() {
            if out.iter().any(|o| &o.id == id) {
                continue;
            }
            if let Some(sc) = scopes.iter().find(|x| &x.id == id) {
                out.push(sc.clone());
            }
        }
    }
    out
}

/// The catalog actions a system policy's allow statements grant.
fn system_policy_actions(catalog: &Catalog, name: &str) -> Vec<String> {
    let Some(sp) = catalog.system_policy(name) else {
        return Vec::new();
    };
    let Ok(policy) = Policy::from_value(&sp.document, PolicyKind::Identity) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for s in policy.statements() {
        if s.effect != Effect::Allow {
            continue;
        }
        let ActionElement::Action(patterns) = &s.action else {
            continue;
        };
        for p in patterns {
            for a in catalog.expand(p.as_str()) {
                if !out.contains(&a.name) {
                    out.push(a.name.clone());
                }
            }
        }
    }
    out
}

/// Looks up scenarios by id (exact) or by name (case-insensitive; a name shared by several
/// tables selects all of them). Unknown names are returned as the error.
pub fn resolve_scenarios<'a>(
    all: &'a [Scenario],
    names: &[String],
) -> Result<Vec<&'a Scenario>, Vec<String>> {
    let mut out: Vec<&Scenario> = Vec::new();
    let mut unknown = Vec::new();
    for n in names {
        let hits: Vec<&Scenario> = if n == "all" {
            all.iter().collect()
        } else {
            match all.iter().find(|s| s.id == *n) {
                Some(s) => vec![s],
                None => all
                    .iter()
                    .filter(|s| s.name.eq_ignore_ascii_case(n))
                    .collect(),
            }
        };
        if hits.is_empty() {
            unknown.push(n.clone());
        }
        for h in hits {
            if !out.iter().any(|o| o.id == h.id) {
                out.push(h);
            }
        }
    }
    if unknown.is_empty() {
        Ok(out)
    } else {
        Err(unknown)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]
    use super::*;

    #[test]
    fn every_row_is_in_a_scenario_and_every_requirement_has_actions() {
        let c = Catalog::builtin();
        let all = scenarios(c);
        let rows: usize = c.scenarios().iter().map(|r| r.policies.len()).sum();
        let reqs: usize = all.iter().map(|s| s.requirements.len()).sum();
        assert!(reqs <= rows && reqs > 0);
        for s in &all {
            assert!(!s.requirements.is_empty(), "{}", s.id);
            for r in &s.requirements {
                // only a pattern of a known service that matches none of its actions has none
                let nothing = r.kind == RequirementKind::Pattern
                    && c.expand(&r.name).is_empty()
                    && c.service(r.name.split(':').next().unwrap()).is_some();
                assert_eq!(r.actions.is_empty(), nothing, "{} {}", s.id, r.name);
            }
        }
        let ids: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
        assert!(ids.contains(&"t4-training-management"));
        assert!(ids.contains(&"t3-saving-an-image"));
    }

    #[test]
    fn system_policies_and_patterns_expand_through_the_catalog() {
        let c = Catalog::builtin();
        let all = scenarios(c);
        let img = all.iter().find(|s| s.id == "t3-saving-an-image").unwrap();
        let swr = &img.requirements[0];
        assert_eq!(swr.kind, RequirementKind::SystemPolicy);
        assert!(swr.actions.iter().all(|a| a.starts_with("swr:")));
        assert!(swr.actions.len() >= 3);
        let tm = all
            .iter()
            .find(|s| s.id == "t4-training-management")
            .unwrap();
        let log = tm
            .requirements
            .iter()
            .find(|r| r.name == "modelarts:trainJobLog:*")
            .unwrap();
        // a 1.1 resource type: no catalog action, nothing to check or grant
        assert!(log.actions.is_empty());
        let tj = tm
            .requirements
            .iter()
            .find(|r| r.name == "modelarts:trainJob:*")
            .unwrap();
        assert!(tj.actions.len() > 5);
    }

    #[test]
    fn agency_scopes_cover_tables_10_to_14() {
        let c = Catalog::builtin();
        let sc = agency_scope_scenarios(c);
        let tables: Vec<u8> = sc.iter().map(|s| s.table).collect();
        for t in 10..=14 {
            assert!(tables.contains(&t), "table {t}");
        }
        let tj = sc.iter().find(|s| s.id == "t11-training-jobs").unwrap();
        assert_eq!(tj.actions().len(), 3);
        let rows: usize = c.agency_scopes().iter().map(|r| r.actions.len()).sum();
        let reqs: usize = sc.iter().map(|s| s.requirements.len()).sum();
        assert!(reqs <= rows && reqs > 50);
    }

    #[test]
    fn the_agency_scope_map_names_existing_scenarios() {
        let c = Catalog::builtin();
        let deps = scenarios(c);
        let scopes = agency_scope_scenarios(c);
        let map = agency_scope_map();
        assert!(map.len() >= 10);
        let mut used = Vec::new();
        for (k, v) in map {
            assert!(deps.iter().any(|d| &d.id == k), "{k}");
            for id in v {
                assert!(scopes.iter().any(|s| &s.id == id), "{id}");
                used.push(id.clone());
            }
        }
        // Every agency scope is reachable from some function scenario.
        for s in &scopes {
            assert!(used.contains(&s.id), "{}", s.id);
        }
        let tm = deps
            .iter()
            .find(|s| s.id == "t4-training-management")
            .unwrap();
        let a = agency_scopes_for(c, &[tm]);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].id, "t11-training-jobs");
    }

    #[test]
    fn resolve_by_id_name_and_all() {
        let all = scenarios(Catalog::builtin());
        let r = resolve_scenarios(&all, &["managing table datasets".into()]).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(
            resolve_scenarios(&all, &["all".into()]).unwrap().len(),
            all.len()
        );
        assert_eq!(
            resolve_scenarios(&all, &["nope".into()]).unwrap_err(),
            vec!["nope".to_owned()]
        );
    }
}
