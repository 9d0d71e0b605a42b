//! Sign-in for people, as Huawei Cloud IAM does it (`../shared/reference/huawei-more.md` §3):
//!
//! - [`PasswordPolicy`]: an account's password rules (length, character types, repeated
//!   characters, reuse, age and validity) with Huawei's ranges and defaults, and
//!   [`PasswordPolicy::check`] of a new password against them;
//! - [`LoginPolicy`]: lockout after failed sign-ins, session timeout, address allow-lists;
//! - [`password`]: Argon2id password hashes (PHC strings) and their verification;
//! - [`totp`]: virtual MFA devices, RFC 6238 time-based one-time passwords (30 s, SHA-1,
//!   6 digits, as Google Authenticator and Huawei Cloud App generate them).
//!
//! No I/O and no clock: times are inputs. Randomness (salts, seeds) comes from the OS.
#![deny(missing_docs)]

pub mod password;
mod policy;
pub mod totp;

pub use policy::{
    AddressNetmask, IpRange, LoginPolicy, MAXIMUM_PASSWORD_LENGTH, PasswordPolicy, PolicyError,
};
