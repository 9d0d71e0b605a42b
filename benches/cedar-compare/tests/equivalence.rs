//! The Cedar translation decides exactly like iam-policy on every request of the workload
//! (allowed and denied): for the typical principal under the typical context and every variant
//! of it (each key missing, each key flipped); for the 1000-statement principal under the
//! typical context.

use cedar_compare::{CedarSide, base_context, context_variants, disagreements, workload};

#[test]
fn cedar_and_iam_policy_agree_on_the_typical_workload() {
    let w = workload::typical();
    assert!(w.allowed.len() >= 100 && w.denied.len() >= 100);
    let cedar = CedarSide::new(&w).unwrap();
    let (checked, bad) = disagreements(&w, &cedar, &context_variants()).unwrap();
    assert!(checked > 5000, "only {checked} decisions compared");
    assert!(
        bad.is_empty(),
        "{} of {checked} disagree:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn cedar_and_iam_policy_agree_on_1000_statements() {
    let w = workload::generate(100, 10, 0x5EED_1000);
    eprintln!("allowed {}, denied {}", w.allowed.len(), w.denied.len());
    assert!(w.allowed.len() >= 100 && !w.denied.is_empty());
    let cedar = CedarSide::new(&w).unwrap();
    let (checked, bad) = disagreements(&w, &cedar, &[base_context()]).unwrap();
    assert!(
        bad.is_empty(),
        "{} of {checked} disagree:\n{}",
        bad.len(),
        bad.join("\n")
    );
}
