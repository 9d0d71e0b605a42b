//! Password hashes: Argon2id (memory-hard), stored as PHC strings that carry their parameters
//! and salt, so the parameters can change without invalidating stored hashes.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// Why a password could not be hashed (the OS random source failed).
#[derive(Debug, thiserror::Error)]
#[error("could not hash the password: {0}")]
pub struct HashError(String);

/// The Argon2id PHC string of `password` with a fresh random salt (OWASP's parameters: 19 MiB,
/// two passes, one lane).
pub fn hash(password: &str) -> Result<String, HashError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches the PHC string `stored` (constant time in the password; a
/// malformed stored hash matches nothing).
pub fn verify(stored: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// A hash that matches no password, to verify against when the user does not exist, so that
/// a sign-in for an unknown user costs the same time as one with a wrong password.
pub fn decoy() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$DsrgPhfQ5nTyvf7B4ZhHWY9O1MHBbr0rjBcYDbFGmbY"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_password() {
        let h = hash("Secr3t!pass").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify(&h, "Secr3t!pass"));
        assert!(!verify(&h, "Secr3t!pasS"));
        assert!(!verify(&h, ""));
        // salted: the same password hashes differently each time
        assert_ne!(h, hash("Secr3t!pass").unwrap());
    }

    #[test]
    fn malformed_hashes_match_nothing() {
        for stored in ["", "plain", "$argon2id$", "$argon2id$v=19$m=1,t=1,p=1$x$y"] {
            assert!(!verify(stored, "anything"), "{stored}");
            assert!(!verify(stored, ""), "{stored}");
        }
        assert!(PasswordHash::new(decoy()).is_ok());
        assert!(!verify(decoy(), ""));
        assert!(!verify(decoy(), "password"));
    }
}
