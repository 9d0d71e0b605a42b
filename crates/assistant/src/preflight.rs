//! Preflight
