//! Proves the catalog holds exactly what the two seed pages publish: every Table 1 action,
//! Table 2 route row, Table 3 resource type, Table 4 condition key (plus the `g:` keys seed 004
//! names), and every dependency / agency-scope row of seed 000; and that nothing is invented for
//! ModelArts. The seeds are parsed here independently of the generator that wrote the data.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly"
)]
#![expect(
    clippy::unwrap_used,
    reason = "test helpers: a seed that does not have the expected shape should fail loudly"
)]

use std::collections::{BTreeMap, BTreeSet};

use iam_catalog::{AccessLevel, Catalog, PolicyRefKind, Source};

/// `../shared/seeds` beside the repository: there on the project's machines and in CI, absent
/// from a clone elsewhere.
const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/seeds");

/// Whether the tests run under CI (`CI=true`, as `.ci/run` sets it).
fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// The non-empty, trimmed lines of the seed pages `names`, or `None` when the seeds directory is
/// absent outside CI (the test then skips with a note). Under CI an absent directory fails, and
/// a missing or unreadable page fails everywhere.
fn seeds<const N: usize>(names: [&str; N]) -> Option<[Vec<String>; N]> {
    if !std::path::Path::new(SEEDS).is_dir() {
        assert!(
            !under_ci(),
            "the seeds directory {SEEDS} is missing: CI runs with ../shared/seeds beside the \
             clone, and this test compares the catalog with it"
        );
        eprintln!("note: the seeds directory {SEEDS} is missing; skipping (CI fails here)");
        return None;
    }
    Some(names.map(|name| {
        let path = format!("{SEEDS}/{name}");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("seed page {path} is unreadable: {e}"));
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }))
}

/// Lines strictly between the first line starting with `start` and the next line starting with
/// `end` (or the end of the file).
fn between<'a>(lines: &'a [String], start: &str, end: Option<&str>) -> &'a [String] {
    let s = lines.iter().position(|l| l.starts_with(start)).unwrap() + 1;
    let e = match end {
        Some(end) => s + lines[s..].iter().position(|l| l.starts_with(end)).unwrap(),
        None => lines.len(),
    };
    &lines[s..e]
}

fn is_action_name(l: &str) -> bool {
    let parts: Vec<&str> = l.split(':').collect();
    parts.len() == 3
        && parts[0] == "modelarts"
        && parts[1..]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

struct T1Row {
    name: String,
    description: String,
    level: String,
    /// (type, required, keys)
    resources: Vec<(String, bool, Vec<String>)>,
    action_wide: Vec<String>,
    aliases: Vec<String>,
}

fn keys(cell: &str) -> Vec<String> {
    if cell == "-" {
        vec![]
    } else {
        cell.split(',').map(|s| s.trim().to_owned()).collect()
    }
}

fn parse_table1(lines: &[String]) -> Vec<T1Row> {
    let body = between(lines, "Table 1 ", Some("Each API of modelarts"));
    assert_eq!(
        body[..6].join("|"),
        "Action|Description|Access Level|Resource Type (*: required)|Condition Key|Alias"
    );
    let mut groups: Vec<Vec<&str>> = Vec::new();
    for l in &body[6..] {
        if is_action_name(l) {
            groups.push(vec![l]);
        } else {
            groups.last_mut().unwrap().push(l);
        }
    }
    groups
        .into_iter()
        .map(|g| {
            let cells = &g[3..];
            let cell = |i: usize| cells.get(i).copied().unwrap_or("-");
            // Two-row layout: [type, key] alias [type "-", key]; missing trailing cells are empty.
            assert!(cells.len() <= 5, "unexpected Table 1 layout: {g:?}");
            assert_eq!(cell(3), "-", "second resource row of {g:?}");
            let mut resources = Vec::new();
            let mut action_wide = Vec::new();
            if cell(0) == "-" {
                action_wide.extend(keys(cell(1)));
            } else {
                let (ty, req) = match cell(0).strip_suffix(" *") {
                    Some(t) => (t, true),
                    None => (cell(0), false),
                };
                resources.push((ty.to_owned(), req, keys(cell(1))));
            }
            action_wide.extend(keys(cell(4)));
            T1Row {
                name: g[0].to_owned(),
                description: g[1].to_owned(),
                level: g[2].to_owned(),
                resources,
                action_wide,
                aliases: keys(cell(2)),
            }
        })
        .collect()
}

/// (method, path, actions, dependent actions)
fn parse_table2(lines: &[String]) -> Vec<(String, String, Vec<String>, Vec<String>)> {
    let body = between(lines, "Table 2 ", Some("Resources"));
    assert_eq!(body[..3].join("|"), "API|对应的授权项|依赖的授权项");
    let body = &body[3..];
    assert_eq!(body.len() % 3, 0);
    body.chunks(3)
        .map(|c| {
            let (m, p) = c[0].split_once(' ').unwrap();
            let list = |s: &str| -> Vec<String> {
                s.split(',')
                    .map(str::trim)
                    .filter(|x| *x != "-" && !x.is_empty())
                    .map(str::to_owned)
                    .collect()
            };
            (m.to_owned(), p.to_owned(), list(&c[1]), list(&c[2]))
        })
        .collect()
}

const SERVICES: &[&str] = &[
    "IAM",
    "BSS",
    "ModelArts",
    "OBS",
    "SWR",
    "ECS",
    "SFS Turbo",
    "SMN",
    "LTS",
    "CES",
    "IEF",
    "DLI",
    "MRS",
    "DWS",
    "VPC",
    "AOM",
    "ModelArts inference",
];

fn is_policy_line(l: &str) -> bool {
    if l == "SWR Admin" || l == "SFS Turbo FullAccess" {
        return true;
    }
    let head = l.split(" (").next().unwrap();
    !head.contains(' ') && head.contains(':') && head.starts_with(|c: char| c.is_ascii_lowercase())
}

#[derive(Debug, Default, Clone)]
struct D000Row {
    table: u8,
    scenario: String,
    service: String,
    entries: Vec<String>,
    text: Vec<String>,
    suggestion: Option<String>,
}

fn parse_000(lines: &[String]) -> Vec<D000Row> {
    let starts: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            l.starts_with("Table ") && l.split(' ').nth(1).is_some_and(|n| n.parse::<u8>().is_ok())
        })
        .map(|(i, _)| i)
        .collect();
    let mut rows: Vec<D000Row> = Vec::new();
    for (n, &s) in starts.iter().enumerate() {
        let table: u8 = lines[s].split(' ').nth(1).unwrap().parse().unwrap();
        let end = starts.get(n + 1).copied().unwrap_or(lines.len());
        let mut body = &lines[s + 1..end];
        if let Some(cut) = body.iter().position(|l| l == "Agency authorization") {
            body = &body[..cut];
        }
        let ncols = if body[..5].iter().any(|l| l == "Configuration Suggestion") {
            5
        } else {
            4
        };
        let body = &body[ncols..];
        let mut scenario = String::new();
        let start_len = rows.len();
        for (i, l) in body.iter().enumerate() {
            let next_is_service = body
                .get(i + 1)
                .is_some_and(|n| SERVICES.contains(&n.as_str()));
            if SERVICES.contains(&l.as_str()) {
                rows.push(D000Row {
                    table,
                    scenario: scenario.clone(),
                    service: l.clone(),
                    ..Default::default()
                });
            } else if is_policy_line(l) {
                let cur = rows.last_mut().unwrap();
                if !cur.text.is_empty() {
                    let mut r = cur.clone();
                    r.entries.clear();
                    r.text.clear();
                    r.suggestion = None;
                    rows.push(r);
                }
                rows.last_mut().unwrap().entries.push(l.clone());
            } else if next_is_service && !l.ends_with('.') {
                scenario = l.clone();
            } else if ncols == 5 && l == "Recommended" {
                rows.last_mut().unwrap().suggestion = Some(l.clone());
            } else {
                rows.last_mut().unwrap().text.push(l.clone());
            }
        }
        assert!(rows.len() > start_len, "table {table} has no rows");
    }
    rows
}

/// Normalized action name of a published entry: drop the explanation and a trailing colon.
fn normalize(entry: &str) -> String {
    entry
        .split(" (")
        .next()
        .unwrap()
        .trim_end_matches(':')
        .to_owned()
}

#[test]
fn catalog_holds_exactly_what_the_seeds_publish() {
    let Some([l004, l000]) = seeds(["004_c47cc31385bcbbf8.txt", "000_1d05ada3d1d13cde.txt"]) else {
        return;
    };
    let c = Catalog::builtin();
    assert_eq!(c.load_error(), None);
    let ma = c.service("modelarts").unwrap();

    // ---- Table 1: actions ---------------------------------------------------------------
    let t1 = parse_table1(&l004);
    assert_eq!(t1.len(), 98);
    for row in &t1 {
        let a = c
            .action(&row.name)
            .unwrap_or_else(|| panic!("missing action {}", row.name));
        assert_eq!(a.name, row.name);
        assert_eq!(a.description, row.description, "{}", row.name);
        assert_eq!(
            a.access_level,
            row.level.parse::<AccessLevel>().unwrap(),
            "{}",
            row.name
        );
        let res: Vec<(String, bool, Vec<String>)> = a
            .resources
            .iter()
            .map(|r| {
                (
                    r.resource_type.clone(),
                    r.required,
                    r.condition_keys.clone(),
                )
            })
            .collect();
        assert_eq!(res, row.resources, "{}", row.name);
        assert_eq!(a.condition_keys, row.action_wide, "{}", row.name);
        assert_eq!(a.aliases, row.aliases, "{}", row.name);
        assert!(
            !a.inferred && !a.referenced_only && a.source == Source::Seed,
            "{}",
            row.name
        );
    }
    let t1_names: BTreeSet<String> = t1.iter().map(|r| r.name.to_lowercase()).collect();
    let defined: BTreeSet<String> = ma
        .actions
        .iter()
        .filter(|a| !a.referenced_only)
        .map(|a| a.name.to_lowercase())
        .collect();
    assert_eq!(
        defined, t1_names,
        "ModelArts actions defined by the catalog == Table 1"
    );

    // ---- Table 2: routes ----------------------------------------------------------------
    let t2 = parse_table2(&l004);
    let distinct: BTreeSet<(String, String)> = t2
        .iter()
        .map(|(m, p, _, _)| (m.clone(), p.clone()))
        .collect();
    assert_eq!((t2.len(), distinct.len()), (147, 146));
    let seed_routes: Vec<_> = c.routes().filter(|r| r.source == Source::Seed).collect();
    assert_eq!(seed_routes.len(), t2.len(), "seed routes == Table 2 rows");
    for (r, (m, p, acts, deps)) in seed_routes.iter().zip(&t2) {
        assert_eq!((&r.method, &r.path), (m, p));
        assert_eq!(&r.actions, acts, "{m} {p}");
        assert_eq!(&r.dependent_actions, deps, "{m} {p}");
        assert_eq!(r.service, "modelarts");
    }

    // ---- Table 3: resource types --------------------------------------------------------
    let t3 = between(&l004, "Table 3 ", Some("Conditions"));
    let t3: Vec<(String, String)> = t3[2..]
        .chunks(2)
        .map(|c| (c[0].clone(), c[1].clone()))
        .collect();
    assert_eq!(t3.len(), 14);
    let cat_types: Vec<(String, String)> = ma
        .resource_types
        .iter()
        .map(|t| (t.name.clone(), t.urn_template.clone()))
        .collect();
    assert_eq!(cat_types, t3, "ModelArts resource types == Table 3");

    // ---- Table 4 and g: keys ------------------------------------------------------------
    let t4 = between(&l004, "Table 4 ", None);
    let t4: Vec<&[String]> = t4[4..].chunks(4).collect();
    assert_eq!(
        ma.condition_keys.len(),
        t4.len(),
        "ModelArts keys == Table 4"
    );
    for row in &t4 {
        let k = c.condition_key(&row[0]).unwrap();
        assert_eq!(k.name, row[0]);
        assert_eq!(k.value_type.to_string(), row[1]);
        assert_eq!(k.multi_valued, row[2] != "Single-valued");
        assert_eq!(k.description, row[3]);
        assert!(!k.inferred);
    }
    let text004 = l004.join("\n");
    let mut g_named: BTreeSet<String> = BTreeSet::new();
    for word in text004.split(|ch: char| ch.is_whitespace() || ch == ',' || ch == '(' || ch == ')')
    {
        if let Some(rest) = word.strip_prefix("g:")
            && rest.starts_with(|ch: char| ch.is_ascii_uppercase())
        {
            g_named.insert(word.trim_end_matches(['.', ';']).to_owned());
        }
    }
    for g in &g_named {
        let k = c
            .condition_key(g)
            .unwrap_or_else(|| panic!("missing global key {g}"));
        assert_eq!(k.source, Source::Seed, "{g}");
    }
    assert!(
        c.condition_key("g:SourceVpce")
            .is_some_and(|k| !k.multi_valued)
    );
    assert!(c.condition_key("g:TagKeys").is_some_and(|k| k.multi_valued));
    let seed_keys: BTreeSet<&str> = c
        .condition_keys()
        .filter(|k| k.source == Source::Seed)
        .map(|k| k.name.as_str())
        .collect();
    let expected: BTreeSet<&str> = t4
        .iter()
        .map(|r| r[0].as_str())
        .chain(g_named.iter().map(String::as_str))
        .collect();
    assert_eq!(
        seed_keys, expected,
        "keys marked seed == Table 4 + g: keys named in seed 004"
    );

    // ---- Seed 000: dependency and agency rows -------------------------------------------
    let rows = parse_000(&l000);
    let deps: Vec<&D000Row> = rows.iter().filter(|r| r.table <= 9).collect();
    let agency: Vec<&D000Row> = rows.iter().filter(|r| r.table >= 10).collect();
    assert_eq!(c.scenarios().len(), deps.len(), "dependency rows");
    assert_eq!(c.agency_scopes().len(), agency.len(), "agency rows");
    for (cat, seed) in c.scenarios().iter().zip(&deps) {
        assert_eq!(cat.table, seed.table);
        assert_eq!(cat.scenario.as_deref(), Some(seed.scenario.as_str()));
        assert_eq!(cat.dependent_service, seed.service);
        let published: Vec<&str> = cat.policies.iter().map(|p| p.published.as_str()).collect();
        assert_eq!(
            published, seed.entries,
            "table {} {}",
            seed.table, seed.scenario
        );
        assert_eq!(cat.functions, seed.text);
        assert_eq!(
            cat.mandatory,
            seed.text.iter().any(|t| t.contains("(Mandatory)"))
        );
        assert_eq!(cat.function_merged_with_previous, seed.text.is_empty());
        for p in &cat.policies {
            assert_eq!(p.name, normalize(&p.published).as_str());
        }
    }
    for (cat, seed) in c.agency_scopes().iter().zip(&agency) {
        assert_eq!(cat.table, seed.table);
        assert_eq!(cat.scenario.as_deref(), Some(seed.scenario.as_str()));
        assert_eq!(cat.dependent_service, seed.service);
        let published: Vec<&str> = cat.actions.iter().map(|p| p.published.as_str()).collect();
        assert_eq!(published, seed.entries);
        assert_eq!(cat.descriptions, seed.text);
        assert_eq!(cat.suggestion, seed.suggestion);
    }

    // Every entry names something the catalog holds.
    let mut other_service_actions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut modelarts_named: BTreeSet<String> = BTreeSet::new();
    let mut entries = 0;
    for p in c
        .scenarios()
        .iter()
        .flat_map(|r| r.policies.iter())
        .chain(c.agency_scopes().iter().flat_map(|r| r.actions.iter()))
    {
        entries += 1;
        match p.kind {
            PolicyRefKind::Action => {
                let a = c
                    .action(&p.name)
                    .unwrap_or_else(|| panic!("missing {}", p.name));
                if a.service() == "modelarts" {
                    modelarts_named.insert(a.name.to_lowercase());
                } else {
                    other_service_actions
                        .entry(a.service().to_owned())
                        .or_default()
                        .insert(a.name.clone());
                }
            }
            PolicyRefKind::Pattern => {
                let matched = c.expand(&p.name);
                assert!(
                    !matched.is_empty() || p.name == "modelarts:trainJobLog:*",
                    "pattern {} matches nothing",
                    p.name
                );
            }
            PolicyRefKind::SystemPolicy => {
                assert!(
                    c.system_policy(&p.name).is_some(),
                    "system policy {}",
                    p.name
                );
            }
        }
    }

    // Nothing invented for ModelArts: every referenced-only action is named by a seed.
    for (_, _, acts, _) in &t2 {
        for a in acts {
            modelarts_named.insert(a.to_lowercase());
        }
    }
    let referenced: BTreeSet<String> = ma
        .actions
        .iter()
        .filter(|a| a.referenced_only)
        .map(|a| a.name.to_lowercase())
        .collect();
    let expected_ref: BTreeSet<String> = modelarts_named.difference(&t1_names).cloned().collect();
    assert_eq!(
        referenced, expected_ref,
        "referenced-only ModelArts actions == names the seeds use beyond Table 1"
    );
    for a in ma.actions.iter().filter(|a| a.referenced_only) {
        assert!(
            a.inferred && a.resources.is_empty() && a.description.is_empty(),
            "{}",
            a.name
        );
    }

    // Everything in the ModelArts file is from the seeds, except the agency/authorization API
    // routes of huawei-iam.md 5.5, which are marked and authorize with IAM actions, and the
    // SDK's real-time service v2 creation (CreateInferService), authorized as service creation.
    assert!(ma.actions.iter().all(|a| a.source == Source::Seed));
    assert!(ma.resource_types.iter().all(|t| t.source == Source::Seed));
    assert!(ma.condition_keys.iter().all(|k| k.source == Source::Seed));
    let extra: Vec<String> = c
        .routes()
        .filter(|r| r.service == "modelarts" && r.source != Source::Seed)
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        extra,
        [
            "POST /v2/{project_id}/agency",
            "POST /v2/{project_id}/authorizations",
            "GET /v2/{project_id}/authorizations",
            "DELETE /v2/{project_id}/authorizations",
            "POST /v2/{project_id}/services",
        ]
    );

    // Other services: the seed-sourced actions are exactly those seed 000 names.
    for (svc, names) in &other_service_actions {
        let in_catalog: BTreeSet<String> = c
            .service(svc)
            .unwrap()
            .actions
            .iter()
            .filter(|a| a.source == Source::Seed)
            .map(|a| a.name.clone())
            .collect();
        assert_eq!(&in_catalog, names, "seed actions of {svc}");
        assert!(
            c.service(svc)
                .unwrap()
                .actions
                .iter()
                .filter(|a| a.source == Source::Seed)
                .all(|a| a.inferred)
        );
    }
    let seed_services: BTreeSet<&str> = c
        .services()
        .filter(|s| s.actions.iter().any(|a| a.source == Source::Seed))
        .map(|s| s.name.as_str())
        .filter(|s| *s != "modelarts")
        .collect();
    let named_services: BTreeSet<&str> = other_service_actions.keys().map(String::as_str).collect();
    assert_eq!(seed_services, named_services);

    // README oddities are recorded as notes.
    for id in [
        "t2-duplicate-training-jobs-post",
        "t2-training-job-actions-create",
        "t2-nodeservice-action-undefined",
        "t2-resource-id-param",
        "t1-enterprise-project-own-line",
        "d-system-policy-names",
    ] {
        assert!(c.notes().iter().any(|n| n.id == id), "note {id}");
    }

    let other: usize = other_service_actions.values().map(BTreeSet::len).sum();
    println!(
        "seed 004: {} Table 1 actions, {} Table 2 rows ({} distinct method+path), {} Table 3 resource types, {} Table 4 keys, {} g: keys named",
        t1.len(),
        t2.len(),
        distinct.len(),
        t3.len(),
        t4.len(),
        g_named.len()
    );
    println!(
        "seed 000: {} dependency rows (Tables 1-9), {} agency-scope rows (Tables 10-14), {} entries, {} ModelArts names beyond Table 1, {} actions of {} other services",
        deps.len(),
        agency.len(),
        entries,
        referenced.len(),
        other,
        other_service_actions.len()
    );
    println!("catalog: {} notes", c.notes().len());
}

/// Every (action, condition key) pair of seed 004 Table 1 has a request-key row on every route
/// of the action (`data/request-keys.json`): where the enforcement point reads the value, or
/// that it cannot (then `validate` reports policies that condition on it there).
#[test]
fn every_table1_key_has_a_source_on_every_route_of_its_action() {
    let Some([l004]) = seeds(["004_c47cc31385bcbbf8.txt"]) else {
        return;
    };
    let c = Catalog::builtin();
    let mut pairs = 0;
    let mut routes = 0;
    let mut unknowable = 0;
    for row in parse_table1(&l004) {
        let keys: Vec<String> = row
            .resources
            .iter()
            .flat_map(|r| r.2.iter().cloned())
            .chain(row.action_wide.iter().cloned())
            .collect();
        for key in keys {
            pairs += 1;
            for route in c.routes_for_action(&row.name) {
                routes += 1;
                let found: Vec<_> = route.request_keys.iter().filter(|k| k.key == key).collect();
                assert_eq!(
                    found.len(),
                    1,
                    "{} declares {key} (Table 1) but route {} {} has {} request-key rows for it",
                    row.name,
                    route.method,
                    route.path,
                    found.len()
                );
                if found[0].is_unknowable() {
                    unknowable += 1;
                    assert!(
                        c.unknowable_routes(&row.name, &key).next().is_some(),
                        "unknowable rows are what the validator reads"
                    );
                }
            }
        }
    }
    assert_eq!(
        pairs, 54,
        "Table 1 pairs (31 g:EnterpriseProjectId, 23 g:ResourceTag)"
    );
    eprintln!(
        "{pairs} Table 1 (action, key) pairs on {routes} (route, key) rows, {unknowable} unknowable"
    );
}
