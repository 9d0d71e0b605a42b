//! Bad input never panics: arbitrary OBS paths, actions, scopes and operation parameters give
//! answers or errors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use iam_assistant::preflight::{self, OperationRequest};
use iam_assistant::{ObsPath, Scope, Subject, generate, resolve_scenarios, scenarios};
use iam_catalog::Catalog;
use iam_policy::{Context, Principal};
use proptest::prelude::*;

const DOC: &str =
    r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["obs:*:*","modelarts:*:*"]}]}"#;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn obs_paths_and_targets(path in ".{0,80}", action in "[a-zA-Z:*?]{0,40}", region in "[a-z0-9*-]{0,12}") {
        let catalog = Catalog::builtin();
        let obs: Vec<ObsPath> = ObsPath::parse(&path).into_iter().collect();
        let scope = Scope { region: Some(region), obs, pools: vec!["p".into()], workspace: Some("w".into()), enterprise_project: Some("e".into()), resource_tags: [("team".to_owned(), "ml".to_owned())].into() };
        let targets = scope.targets(catalog, &action, "acc");
        prop_assert!(!targets.is_empty());
    }

    #[test]
    fn preflight_parameters(
        op in prop::sample::select(vec!["create-training-job", "start-notebook", "deploy-service", "", "x"]),
        input in ".{0,40}",
        id in ".{0,40}",
        monitoring in any::<bool>(),
    ) {
        let catalog = Catalog::builtin();
        let user = Subject::from_documents(Principal::default(), &[DOC.to_owned()], &[]).unwrap();
        let req = OperationRequest {
            operation: op.into(),
            region: Some(id.clone()),
            inputs: vec![input.clone()],
            outputs: vec![input.clone()],
            image: Some(id.clone()),
            sfs_turbo: Some(id.clone()),
            smn_topic: Some(id.clone()),
            notebook_id: Some(id.clone()),
            obs_paths: vec![input.clone()],
            monitoring,
            model_id: Some(id.clone()),
            volumes: vec![input],
            enterprise_project: Some(id.clone()),
            resource_tags: [(id.clone(), id.clone())].into(),
        };
        match preflight::run(catalog, &user, None, &req, &Context::new()) {
            Ok(r) => prop_assert!(!r.steps.is_empty()),
            Err(e) => prop_assert!(!e.0.is_empty()),
        }
    }

    #[test]
    fn scenario_names_and_observed_use(name in ".{0,30}", action in ".{0,30}", resource in ".{0,60}") {
        let all = scenarios(Catalog::builtin());
        let _ = resolve_scenarios(&all, &[name]);
        let obs = vec![generate::Observed { action, resource: Some(resource), decision: "allow".into() }];
        if let Ok(g) = generate::from_observed(&obs, false, "x") {
            prop_assert!(g.policies.iter().all(|p| p.bytes <= 6144));
        }
    }
}
