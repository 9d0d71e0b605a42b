//! The policy language and evaluation engine: parse, validate, compile and evaluate identity policies, SCPs, trust and session policies
#![deny(missing_docs)]
