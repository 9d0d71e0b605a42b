//! Test helpers shared by the workspace: corpus runner, reference evaluator, signing test client
#![deny(missing_docs)]
