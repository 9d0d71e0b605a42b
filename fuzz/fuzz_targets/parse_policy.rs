//! Arbitrary bytes -> `Policy::parse` for every document kind: must never panic.
#![no_main]

use iam_policy::{Policy, PolicyKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for kind in [
        PolicyKind::Identity,
        PolicyKind::Session,
        PolicyKind::Trust,
        PolicyKind::Scp,
    ] {
        if let Ok(policy) = Policy::parse(text, kind) {
            // A parsed policy re-serialises and parses again as the same kind.
            let again = Policy::from_value(&policy.to_json(), kind);
            assert!(again.is_ok(), "re-parse failed for {kind:?}: {again:?}");
        }
    }
});
