//! Criterion benchmarks of the assistant (filled below).
fn main() {}
