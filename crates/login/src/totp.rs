//! Virtual MFA devices: RFC 6238 TOTP with a 30-second step, HMAC-SHA1 and 6 digits (what
//! Google Authenticator, Microsoft Authenticator and Huawei Cloud App generate from a base32
//! seed), one step of clock skew either way.

use totp_rs::{Algorithm, Builder, Secret, Totp};

/// Seed length in bytes (160 bits, RFC 4226's recommendation for HMAC-SHA1).
pub const SEED_BYTES: usize = 20;
/// Seconds per step.
pub const STEP_SECONDS: u64 = 30;
/// Steps of clock skew accepted either way.
pub const SKEW_STEPS: u16 = 1;

/// Why a seed could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum TotpError {
    /// The OS random source failed.
    #[error("could not generate an MFA seed: {0}")]
    Random(String),
    /// The stored seed is not base32 of a usable length.
    #[error("the MFA seed is not valid base32")]
    Seed,
}

/// A fresh random seed, as the base32 string (no padding) an authenticator app takes.
pub fn new_seed() -> Result<String, TotpError> {
    let mut bytes = [0u8; SEED_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| TotpError::Random(e.to_string()))?;
    Ok(Secret::new_stack(bytes).to_base32())
}

fn totp(seed: &str) -> Result<Totp, TotpError> {
    let secret = Secret::try_from_base32(seed).map_err(|_| TotpError::Seed)?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(SKEW_STEPS)
        .with_step_duration(STEP_SECONDS)
        .with_secret(secret)
        .build()
        .map_err(|_| TotpError::Seed)
}

/// The step `code` is valid for at `unix_seconds` (within the skew), if it is one. The caller
/// accepts each step at most once per device (RFC 6238 §5.2): it keeps the last step used and
/// refuses a step not after it.
pub fn verify(seed: &str, code: &str, unix_seconds: u64) -> Result<Option<u64>, TotpError> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    Ok(totp(seed)?.check(code, unix_seconds))
}

/// The code of `seed` at `unix_seconds` (for tests and the demo's printed instructions).
pub fn code_at(seed: &str, unix_seconds: u64) -> Result<String, TotpError> {
    Ok(totp(seed)?.generate(unix_seconds).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 rows, seed "12345678901234567890" (the 8-digit codes'
    /// last six digits: truncation is modulo 10^digits).
    #[test]
    fn rfc_6238_test_vectors() {
        let seed = Secret::new_stack(*b"12345678901234567890").to_base32();
        for (t, code8) in [
            (59u64, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
            (20000000000, "65353130"),
        ] {
            assert_eq!(code_at(&seed, t).unwrap(), &code8[2..], "t={t}");
            assert_eq!(
                verify(&seed, &code8[2..], t).unwrap(),
                Some(t / 30),
                "t={t}"
            );
        }
    }

    #[test]
    fn codes_hold_one_step_either_way_and_no_more() {
        let seed = new_seed().unwrap();
        assert_eq!(seed.len(), 32);
        let t = 1_700_000_000u64;
        let code = code_at(&seed, t).unwrap();
        assert_eq!(verify(&seed, &code, t).unwrap(), Some(t / 30));
        assert!(verify(&seed, &code, t + 30).unwrap().is_some());
        assert!(verify(&seed, &code, t - 30).unwrap().is_some());
        // two steps away it no longer counts (unless the codes happen to collide)
        if code_at(&seed, t + 60).unwrap() != code && code_at(&seed, t + 90).unwrap() != code {
            assert_eq!(verify(&seed, &code, t + 90).unwrap(), None);
        }
    }

    #[test]
    fn malformed_codes_and_seeds() {
        let seed = new_seed().unwrap();
        for code in ["", "12345", "1234567", "12345a", " 12345", "１２３４５６"] {
            assert_eq!(
                verify(&seed, code, 1_700_000_000).unwrap(),
                None,
                "{code:?}"
            );
        }
        assert!(verify("not base32!", "123456", 0).is_err());
    }
}
