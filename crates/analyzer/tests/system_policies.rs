//! Every system policy document of the catalog (docs/system-policies.md) compiles as an identity
//! policy and validates without an error finding (warnings such as actions of services the
//! catalog does not hold are expected and listed).

use iam_analyzer::{PolicyType, validate};
use iam_catalog::Catalog;
use iam_policy::{Policy, PolicyKind};

#[test]
fn every_system_policy_document_parses_and_validates_without_errors() {
    let c = Catalog::builtin();
    assert!(c.system_policies().len() >= 40);
    for p in c.system_policies() {
        let text = p.document_text();
        if let Err(e) = Policy::parse(&text, PolicyKind::Identity) {
            panic!("{}: {e}", p.name);
        }
        let findings = validate(&text, PolicyType::Identity);
        let errors: Vec<_> = findings.iter().filter(|f| f.is_error()).collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", p.name);
        for f in &findings {
            println!("{}: {} {}", p.name, f.issue_code, f.finding_details);
        }
    }
}
