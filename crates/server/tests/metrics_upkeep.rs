//! The `metrics-upkeep` thread drains pending histogram samples although nobody scrapes
//! `/metrics`. Alone in its test binary: it counts the process's live heap bytes, which other
//! tests running beside it would disturb.
#![allow(clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

use std::alloc::System;
use std::time::{Duration, Instant};

use iam_policy::Decision;
use iam_server::telemetry::{self, Source};

/// Counts the live heap bytes of this process.
#[global_allocator]
static HEAP: cap::Cap<System> = cap::Cap::new(System, usize::MAX);

/// Samples recorded at once: each waits in the recorder as an `(f64, Instant)` pair, 16 bytes.
const SAMPLES: usize = 100_000;
const PENDING_BYTES: usize = SAMPLES * 16;

#[test]
fn the_upkeep_thread_drains_pending_histogram_samples() {
    telemetry::install_metrics(Duration::from_millis(500)).expect("the recorder is installed");
    // the metric handles are registered by the first decision
    telemetry::record_decision(Source::Simulate, Decision::Allow, 0.000_001);

    let before = HEAP.allocated();
    for _ in 0..SAMPLES {
        telemetry::record_decision(Source::Simulate, Decision::Allow, 0.000_001);
    }
    let held = HEAP.allocated().saturating_sub(before);
    // The pending samples take memory (freed blocks are reclaimed only some time after a drain,
    // so an upkeep pass during the loop does not shrink this).
    assert!(
        held >= PENDING_BYTES / 2,
        "{SAMPLES} pending samples hold only {held} bytes"
    );

    // Nobody renders: only the upkeep thread can drain them. Drained blocks are freed once the
    // epoch-based reclamation of the recorder's buckets has advanced, which each later
    // upkeep pass with a sample to drain drives: record one now and then while waiting.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut now_held = held;
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        telemetry::record_decision(Source::Api, Decision::Allow, 0.000_001);
        now_held = HEAP.allocated().saturating_sub(before);
        if now_held < PENDING_BYTES / 10 {
            return;
        }
    }
    panic!(
        "after 30 s the {SAMPLES} samples still hold {now_held} of {held} bytes: nothing drained them"
    );
}
