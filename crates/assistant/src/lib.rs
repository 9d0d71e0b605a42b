//! The ModelArts permission assistant: coverage, least-privilege generation, preflight and overreach analysis
#![deny(missing_docs)]
