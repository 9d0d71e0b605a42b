//! Inputs shared by the store's integration tests.
#![allow(dead_code, reason = "each test binary uses a part of it")]

use iam_store::{NewPolicy, NewUser};

/// An enabled user named `name`.
pub fn user(name: &str) -> NewUser {
    NewUser {
        name: name.into(),
        enabled: true,
        description: String::new(),
    }
}

/// A policy named `name` allowing every ModelArts action.
pub fn pol(name: &str) -> NewPolicy {
    NewPolicy {
        name: name.into(),
        document:
            r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["modelarts:*:*"]}]}"#
                .into(),
        path: String::new(),
        description: String::new(),
    }
}
