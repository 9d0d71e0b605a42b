//! `docs/validation.md` documents every issue code with its finding type, meaning and fix, and
//! each example in it really reports its code.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use iam_analyzer::{Code, PolicyType, validate};
use std::path::Path;

#[test]
fn every_code_is_documented_and_every_example_reports_its_code() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/validation.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let sections: Vec<&str> = doc.split("\n#### ").skip(1).collect();
    let mut examples = 0;
    for code in Code::ALL {
        let section = sections
            .iter()
            .find(|s| s.lines().next() == Some(code.as_str()))
            .unwrap_or_else(|| panic!("{} is not documented", code.as_str()));
        assert!(
            section.contains(&format!("- Finding type: `{}`", code.finding_type())),
            "{}: wrong or missing finding type",
            code.as_str()
        );
        assert!(
            section.contains(code.meaning()),
            "{}: meaning",
            code.as_str()
        );
        assert!(section.contains(code.fix()), "{}: fix", code.as_str());
        let Some(start) = section.find("```json\n") else {
            assert!(
                matches!(
                    code,
                    Code::PolicyRejected | Code::PolicySizeExceeded | Code::LimitExceeded
                ),
                "{}: no example",
                code.as_str()
            );
            continue;
        };
        let body = &section[start + 8..];
        let text = &body[..body.find("\n```").unwrap()];
        let ty = section
            .split("(`--type ")
            .nth(1)
            .and_then(|r| r.split('`').next())
            .and_then(PolicyType::from_name)
            .unwrap_or_else(|| panic!("{}: no policy type", code.as_str()));
        let findings = validate(text, ty);
        assert!(
            findings.iter().any(|f| f.issue_code == code.as_str()),
            "{}: the documented example does not report it: {findings:?}",
            code.as_str()
        );
        examples += 1;
    }
    assert!(examples >= 60, "only {examples} examples");
}
