//! `modelarts-iam catalog ...`: browse the service catalog (actions, routes, dependency and
//! agency tables, notes). Tables for people, `--json` for machines. Unknown names and routes
//! are errors (exit code 1) that say the closest known name. References to Huawei's
//! documentation are shown as the page and table a reader finds there (`iam_catalog::docs`).

use std::process::ExitCode;

use anyhow::bail;
use iam_catalog::{AccessLevel, Action, Catalog, RouteTarget, docs};
use serde::Serialize;

use super::style::{self, Tone};
use super::{Problem, print_json, table};

/// Catalog subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum CatalogCommand {
    /// List actions, optionally filtered.
    Actions(ActionsArgs),
    /// Show one action (or every action a `*`/`?` pattern matches).
    Action(ActionArgs),
    /// Resolve a request to its route, actions and resource URNs.
    Route(RouteArgs),
    /// List the function dependency rows ("Agencies and Dependencies" Tables 1-9) or, with
    /// `--agency`, the basic agency authorization scopes (Tables 10-14).
    Scenarios(ScenariosArgs),
    /// List catalog notes (oddities of the published tables and decisions made).
    Notes(NotesArgs),
}

/// Arguments of `catalog actions`.
#[derive(Debug, clap::Args)]
pub struct ActionsArgs {
    /// Only actions of this service (`modelarts`, `obs`, `iam`...; case-insensitive, display
    /// names too: `ModelArts`, `SFS Turbo`).
    #[arg(long)]
    pub service: Option<String>,
    /// Only actions of this access level (case-insensitive).
    #[arg(long, value_parser = access_levels(), ignore_case = true)]
    pub access_level: Option<String>,
    /// Only actions with this resource type (case-insensitive).
    #[arg(long)]
    pub resource_type: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// The access levels `--access-level` takes, for help and completion.
fn access_levels() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(AccessLevel::ALL.map(|l| {
        let v = clap::builder::PossibleValue::new(l.as_str());
        match l {
            AccessLevel::PermissionManagement => v.alias("permission-management"),
            _ => v,
        }
    }))
}

/// Arguments of `catalog action`.
#[derive(Debug, clap::Args)]
pub struct ActionArgs {
    /// Action name (`modelarts:notebook:list`, case-insensitive after the service) or a pattern
    /// with `*` / `?` (`modelarts:trainJob:*`).
    pub name: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `catalog route`.
#[derive(Debug, clap::Args)]
pub struct RouteArgs {
    /// HTTP method.
    pub method: String,
    /// Concrete request path (`/v1/<project-id>/notebooks/<id>`).
    pub path: String,
    /// Region used in resource URNs.
    #[arg(long, default_value = "*")]
    pub region: String,
    /// Account ID used in resource URNs.
    #[arg(long, default_value = "*")]
    pub account: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `catalog scenarios`.
#[derive(Debug, clap::Args)]
pub struct ScenariosArgs {
    /// Show the basic agency authorization scopes (Tables 10-14) instead.
    #[arg(long)]
    pub agency: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `catalog notes`.
#[derive(Debug, clap::Args)]
pub struct NotesArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs a catalog subcommand.
pub fn run(cmd: CatalogCommand) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::builtin();
    if let Some(e) = catalog.load_error() {
        bail!("the built-in catalog failed to load: {e}");
    }
    match cmd {
        CatalogCommand::Actions(args) => actions(catalog, &args),
        CatalogCommand::Action(args) => action(catalog, &args),
        CatalogCommand::Route(args) => route(catalog, &args),
        CatalogCommand::Scenarios(args) => scenarios(catalog, &args),
        CatalogCommand::Notes(args) => notes(catalog, &args),
    }?;
    Ok(ExitCode::SUCCESS)
}

fn dash(s: String) -> String {
    if s.is_empty() { "-".to_owned() } else { s }
}

fn resources_cell(a: &Action) -> String {
    dash(
        a.resources
            .iter()
            .map(|r| {
                let star = if r.required { " *" } else { "" };
                if r.condition_keys.is_empty() {
                    format!("{}{star}", r.resource_type)
                } else {
                    format!(
                        "{}{star} [{}]",
                        r.resource_type,
                        r.condition_keys.join(", ")
                    )
                }
            })
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// Where an action comes from, for people: the documentation page (or API reference), and
/// whether it is only named there or its details are inferred.
fn provenance(a: &Action) -> String {
    let mut s = match &a.published_in {
        Some(p) => docs::cite(p),
        None => a.source.label().to_owned(),
    };
    if a.referenced_only {
        s.push_str(" (named only)");
    }
    if a.inferred {
        s.push_str(" (details inferred)");
    }
    s
}

fn actions(catalog: &Catalog, args: &ActionsArgs) -> anyhow::Result<()> {
    let service = match &args.service {
        Some(s) => match catalog.find_service(s) {
            Some(found) => Some(found.name.as_str()),
            None => {
                return Err(Problem::usage(format!("unknown service `{s}`"))
                    .suggest(
                        catalog.suggest_service(s),
                        format!(
                            "the services are {}",
                            catalog
                                .services()
                                .map(|s| s.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                    .into());
            }
        },
        None => None,
    };
    let level = args
        .access_level
        .as_deref()
        .map(str::parse::<AccessLevel>)
        .transpose()?;
    let list: Vec<&Action> = catalog
        .actions()
        .filter(|a| service.is_none_or(|s| a.service() == s))
        .filter(|a| level.is_none_or(|l| a.access_level == l))
        .filter(|a| {
            args.resource_type.as_deref().is_none_or(|t| {
                a.resource_types().any(|r| {
                    r.eq_ignore_ascii_case(t)
                        || r.rsplit(':')
                            .next()
                            .is_some_and(|n| n.eq_ignore_ascii_case(t))
                })
            })
        })
        .collect();
    if args.json {
        return print_json(&list);
    }
    let mut t = table(&[
        "Action",
        "Access level",
        "Resource types",
        "Condition keys",
        "Source",
    ]);
    for a in &list {
        t.add_row(vec![
            a.name.clone(),
            a.access_level.to_string(),
            resources_cell(a),
            dash(a.condition_keys.join("\n")),
            provenance(a),
        ]);
    }
    outln!("{t}")?;
    outln!("{} action(s)", list.len())
}

/// An action with the routes that use it, for `catalog action`.
#[derive(Serialize)]
struct ActionView<'a> {
    #[serde(flatten)]
    action: &'a Action,
    routes: Vec<String>,
}

fn action(catalog: &Catalog, args: &ActionArgs) -> anyhow::Result<()> {
    let matched = catalog.expand(&args.name);
    if matched.is_empty() {
        let what = if args.name.contains(['*', '?']) {
            format!("no action matches `{}`", args.name)
        } else {
            format!("unknown action `{}`", args.name)
        };
        return Err(Problem::usage(what)
            .suggest(
                catalog.suggest_action(&args.name),
                "list the actions with `modelarts-iam catalog actions [--service NAME]`",
            )
            .into());
    }
    let views: Vec<ActionView<'_>> = matched
        .iter()
        .map(|a| ActionView {
            action: a,
            routes: catalog
                .routes_for_action(&a.name)
                .map(|r| format!("{} {}", r.method, r.path))
                .collect(),
        })
        .collect();
    if args.json {
        // An exact name prints one object; a pattern prints an array.
        return match views.first() {
            Some(v) if !args.name.contains(['*', '?']) => print_json(v),
            _ => print_json(&views),
        };
    }
    for v in &views {
        let a = v.action;
        let mut t = table(&["Field", "Value"]);
        let rows: Vec<(&str, String)> = vec![
            ("Action", a.name.clone()),
            ("Description", dash(a.description.clone())),
            ("Access level", a.access_level.to_string()),
            ("Resource types", resources_cell(a)),
            ("Condition keys", dash(a.condition_keys.join("\n"))),
            ("Aliases", dash(a.aliases.join("\n"))),
            ("Dependent actions", dash(a.dependent_actions.join("\n"))),
            ("Documented in", provenance(a)),
            ("Routes", dash(v.routes.join("\n"))),
        ];
        for (k, val) in rows {
            t.add_row(vec![k.to_owned(), val]);
        }
        outln!("{t}")?;
    }
    Ok(())
}

fn route(catalog: &Catalog, args: &RouteArgs) -> anyhow::Result<()> {
    let target = RouteTarget::new(args.region.clone(), args.account.clone());
    let resolved = catalog
        .resolve_route(&args.method, &args.path, &target)
        .map_err(|e| {
            Problem::usage(e.to_string()).hint(
                "give a method and a concrete path (GET /v2/PROJECT/training-jobs/JOB); `modelarts-iam catalog action NAME` lists an action's routes",
            )
        })?;
    if args.json {
        return print_json(&resolved);
    }
    let r = resolved.route;
    let mut t = table(&["Field", "Value"]);
    t.add_row(vec!["Route".to_owned(), format!("{} {}", r.method, r.path)]);
    t.add_row(vec!["Service".to_owned(), r.service.clone()]);
    t.add_row(vec![
        "Documented in".to_owned(),
        match &r.published_in {
            Some(p) => docs::cite(p),
            None => r.source.label().to_owned(),
        },
    ]);
    for d in &resolved.duplicates {
        t.add_row(vec![
            "Duplicate row".to_owned(),
            format!(
                "{} {} -> {} ({})",
                d.method,
                d.path,
                d.actions.join(", "),
                d.published_in
                    .as_deref()
                    .map_or_else(|| "-".to_owned(), docs::cite)
            ),
        ]);
    }
    t.add_row(vec![
        "Parameters".to_owned(),
        dash(
            resolved
                .params
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
    ]);
    t.add_row(vec![
        "Actions -> resources".to_owned(),
        dash(
            resolved
                .actions
                .iter()
                .zip(&resolved.resources)
                .map(|(a, u)| format!("{a} -> {u}"))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
    ]);
    if !r.dependent_actions.is_empty() {
        t.add_row(vec![
            "Dependent actions".to_owned(),
            r.dependent_actions.join("\n"),
        ]);
    }
    if let Some(n) = &r.note {
        t.add_row(vec!["Note".to_owned(), n.clone()]);
    }
    outln!("{t}")
}

fn scenarios(catalog: &Catalog, args: &ScenariosArgs) -> anyhow::Result<()> {
    if args.agency {
        let rows = catalog.agency_scopes();
        if args.json {
            return print_json(rows);
        }
        let mut t = table(&[
            "Table",
            "Scenario",
            "Service",
            "Agency authorization",
            "Description",
            "Suggestion",
        ]);
        for r in rows {
            t.add_row(vec![
                r.table.to_string(),
                r.scenario.clone().unwrap_or_default(),
                r.dependent_service.clone(),
                r.actions
                    .iter()
                    .map(|p| p.published.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
                if r.description_merged_with_previous {
                    "(as above)".to_owned()
                } else {
                    r.descriptions.join("\n")
                },
                r.suggestion.clone().unwrap_or_else(|| "-".to_owned()),
            ]);
        }
        outln!("{t}")?;
        return outln!("{} row(s)", rows.len());
    }
    let rows = catalog.scenarios();
    if args.json {
        return print_json(rows);
    }
    let mut t = table(&[
        "Table",
        "Scenario",
        "Service",
        "Dependent policies",
        "Supported function",
        "Mandatory",
    ]);
    for r in rows {
        t.add_row(vec![
            r.table.to_string(),
            r.scenario.clone().unwrap_or_default(),
            r.dependent_service.clone(),
            r.policies
                .iter()
                .map(|p| p.published.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            if r.function_merged_with_previous {
                "(as above)".to_owned()
            } else {
                r.functions.join("\n")
            },
            if r.mandatory { "yes" } else { "no" }.to_owned(),
        ]);
    }
    outln!("{t}")?;
    outln!("{} row(s)", rows.len())
}

fn notes(catalog: &Catalog, args: &NotesArgs) -> anyhow::Result<()> {
    let notes = catalog.notes();
    if args.json {
        return print_json(notes);
    }
    let mut t = table(&["Id", "Note", "Documented in"]);
    for n in notes {
        t.add_row(vec![
            style::cell(n.id.clone(), Tone::Strong),
            format!("{}\n{}", n.title, n.detail).into(),
            docs::cite_all(n.refs.iter().map(String::as_str))
                .replace("; ", "\n")
                .into(),
        ]);
    }
    outln!("{t}")?;
    outln!("{} note(s)", notes.len())
}
