//! Persistent store for accounts, users, groups, keys, policies, agencies, organizations and the decision log (SQLite)
#![deny(missing_docs)]
