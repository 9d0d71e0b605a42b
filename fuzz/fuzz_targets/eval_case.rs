//! Arbitrary bytes -> the case reader and runner (`iam_policy::case`): must never panic; and
//! wherever both the engine and the plain reference evaluator (`iam-testkit`, written straight
//! from docs/policy-language.md) decide a case, they must decide it the same way.
#![no_main]

use iam_policy::case::{read_cases, run_case};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(items) = read_cases(text) else {
        return;
    };
    for case in items.into_iter().flatten() {
        let result = run_case(&case, None);
        assert!(
            result.error.is_some() != result.decision.is_some(),
            "a result has either a decision or an error: {result:?}"
        );
        let (Some(engine), Some(explanation)) = (result.decision, &result.explanation) else {
            continue;
        };
        assert_eq!(engine, explanation.decision);
        // Differential: the reference sees the same case as JSON, with the principal's
        // defaults filled in explicitly (spec §8: an absent `account_id` is the URN's account
        // segment), so that the comparison is about evaluation, not about defaulting.
        let Ok(mut value) = serde_json::to_value(&case) else {
            continue;
        };
        let principal = case
            .principal
            .as_ref()
            .map(|p| p.to_principal())
            .unwrap_or_default();
        if let (Some(obj), Ok(p)) = (value.as_object_mut(), serde_json::to_value(&principal)) {
            obj.insert("principal".to_owned(), p);
        }
        if let Ok(reference) = iam_testkit::reference_decide(&value) {
            assert_eq!(
                engine.as_str(),
                reference,
                "engine and reference disagree on {}",
                serde_json::to_string(&value).unwrap_or_default()
            );
        }
    }
});

