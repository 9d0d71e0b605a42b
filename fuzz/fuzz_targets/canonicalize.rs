//! Arbitrary bytes (lossy UTF-8) -> `iam_canonical::canonicalize` / `canonicalize_target`: must
//! never panic; every accepted target satisfies the invariants of docs/canonical.md and every
//! rejection points at the offending byte (`iam_testkit::canonical`, the checks the property
//! tests run too).
//!
//! The input is split at its first `\n` into path and query (no `\n`: no query); the whole input
//! also goes through `canonicalize_target`, which splits at the first `?`.
#![no_main]

use iam_canonical::canonicalize_target;
use iam_testkit::canonical::{check_any, check_canonical, check_rejection};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (path, query) = match text.split_once('\n') {
        Some((p, q)) => (p, Some(q)),
        None => (&*text, None),
    };
    if let Err(e) = check_any(path, query) {
        panic!("{e}");
    }
    let checked = match canonicalize_target(&text) {
        Ok(c) => check_canonical(&c),
        Err(e) => {
            let (p, q) = match text.split_once('?') {
                Some((p, q)) => (p, Some(q)),
                None => (&*text, None),
            };
            check_rejection(&e, p, q)
        }
    };
    if let Err(e) = checked {
        panic!("{e}");
    }
});
