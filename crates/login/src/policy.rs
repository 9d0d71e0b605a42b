//! An account's password policy and login policy (IAM v5 `PUT /v5/password-policy`,
//! `PUT /v5/login-policy`): fields, Huawei's ranges and defaults, and the checks they make.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest password Huawei accepts.
pub const MAXIMUM_PASSWORD_LENGTH: u32 = 32;

/// A field outside its range, or a password the policy refuses: what and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(pub String);

/// An account's password policy. Members missing from a `PUT` keep their current values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordPolicy {
    /// Minimum length, 8-32 (default 8).
    pub minimum_password_length: u32,
    /// How many of the four character types (upper case, lower case, digits, special
    /// characters) a password must contain, 2-4 (default 2).
    pub password_char_combination: u32,
    /// The longest run of one repeated character, 0-32 (0: no limit; default 0).
    pub maximum_consecutive_identical_chars: u32,
    /// Minutes before a password may be changed again, 0-1440 (default 0).
    pub minimum_password_age: u32,
    /// How many previous passwords may not be reused, 0-24 (default 1: not the current one).
    pub password_reuse_prevention: u32,
    /// Days a password is valid, 0-180 (0: no expiry; default 0).
    pub password_validity_period: u32,
    /// Whether the user name, or the user name reversed, is refused as a password (default
    /// true).
    pub password_not_username_or_invert: bool,
    /// Whether IAM users may change their own password (default true; never the root user's).
    pub allow_user_to_change_password: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            minimum_password_length: 8,
            password_char_combination: 2,
            maximum_consecutive_identical_chars: 0,
            minimum_password_age: 0,
            password_reuse_prevention: 1,
            password_validity_period: 0,
            password_not_username_or_invert: true,
            allow_user_to_change_password: true,
        }
    }
}

fn in_range(field: &str, v: u32, lo: u32, hi: u32) -> Result<(), PolicyError> {
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(PolicyError(format!(
            "{field} is {v}; it must be between {lo} and {hi}"
        )))
    }
}

/// The character types of `c`: 0 upper, 1 lower, 2 digit, 3 special.
fn char_type(c: char) -> usize {
    if c.is_ascii_uppercase() {
        0
    } else if c.is_ascii_lowercase() {
        1
    } else if c.is_ascii_digit() {
        2
    } else {
        3
    }
}

impl PasswordPolicy {
    /// Checks every field against Huawei's ranges.
    pub fn validate(&self) -> Result<(), PolicyError> {
        in_range(
            "minimum_password_length",
            self.minimum_password_length,
            8,
            MAXIMUM_PASSWORD_LENGTH,
        )?;
        in_range(
            "password_char_combination",
            self.password_char_combination,
            2,
            4,
        )?;
        in_range(
            "maximum_consecutive_identical_chars",
            self.maximum_consecutive_identical_chars,
            0,
            32,
        )?;
        in_range("minimum_password_age", self.minimum_password_age, 0, 1440)?;
        in_range(
            "password_reuse_prevention",
            self.password_reuse_prevention,
            0,
            24,
        )?;
        in_range(
            "password_validity_period",
            self.password_validity_period,
            0,
            180,
        )
    }

    /// What `GET /v5/password-policy` adds: the requirements in words.
    pub fn requirements(&self) -> String {
        let mut s = format!(
            "{}-{} characters, at least {} of: upper-case letters, lower-case letters, digits, special characters",
            self.minimum_password_length, MAXIMUM_PASSWORD_LENGTH, self.password_char_combination
        );
        if self.maximum_consecutive_identical_chars > 0 {
            s.push_str(&format!(
                "; no character repeated more than {} times in a row",
                self.maximum_consecutive_identical_chars
            ));
        }
        if self.password_not_username_or_invert {
            s.push_str("; not the user name or the user name reversed");
        }
        s
    }

    /// Checks a new password of the user `user_name` against the policy (reuse and age are
    /// checked by the caller, which holds the history). The error says what is wrong, never
    /// the password.
    pub fn check(&self, password: &str, user_name: &str) -> Result<(), PolicyError> {
        let len = password.chars().count() as u32;
        if len < self.minimum_password_length || len > MAXIMUM_PASSWORD_LENGTH {
            return Err(PolicyError(format!(
                "the password has {len} characters; it must have {}-{MAXIMUM_PASSWORD_LENGTH}",
                self.minimum_password_length
            )));
        }
        if password.chars().any(char::is_control) {
            return Err(PolicyError(
                "the password contains a control character".to_owned(),
            ));
        }
        let mut types = [false; 4];
        for c in password.chars() {
            types[char_type(c)] = true;
        }
        let present = types.iter().filter(|t| **t).count() as u32;
        if present < self.password_char_combination {
            return Err(PolicyError(format!(
                "the password has {present} of the character types (upper-case letters, lower-case letters, digits, special characters); it needs at least {}",
                self.password_char_combination
            )));
        }
        if self.maximum_consecutive_identical_chars > 0 {
            let (mut run, mut longest, mut prev) = (0u32, 0u32, None);
            for c in password.chars() {
                run = if Some(c) == prev { run + 1 } else { 1 };
                longest = longest.max(run);
                prev = Some(c);
            }
            if longest > self.maximum_consecutive_identical_chars {
                return Err(PolicyError(format!(
                    "the password repeats a character {longest} times in a row; at most {} are allowed",
                    self.maximum_consecutive_identical_chars
                )));
            }
        }
        if self.password_not_username_or_invert && !user_name.is_empty() {
            let lower = password.to_lowercase();
            let name = user_name.to_lowercase();
            let reversed: String = name.chars().rev().collect();
            if lower == name || lower == reversed {
                return Err(PolicyError(
                    "the password may not be the user name or the user name reversed".to_owned(),
                ));
            }
        }
        Ok(())
    }
}

/// An allowed address range in CIDR form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressNetmask {
    /// `192.168.0.1/24`.
    pub address_netmask: String,
    /// What it is.
    #[serde(default)]
    pub description: String,
}

/// An allowed address range as first-last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IpRange {
    /// `0.0.0.0-255.255.255.255`.
    pub ip_range: String,
    /// What it is.
    #[serde(default)]
    pub description: String,
}

/// An account's login policy. Members missing from a `PUT` keep their current values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LoginPolicy {
    /// Minutes a user stays locked after too many failed sign-ins, 15-1440 (default 15).
    pub lockout_duration: u32,
    /// Failed sign-ins within `period_with_login_failures` that lock the user, 3-10
    /// (default 5).
    pub login_failed_times: u32,
    /// The window failed sign-ins are counted in, in minutes, 15-60 (default 15).
    pub period_with_login_failures: u32,
    /// Minutes of inactivity after which a console session ends, 15-1440 (default 60).
    pub session_timeout: u32,
    /// Days without signing in after which an IAM user is disabled, 0-240 (0: never;
    /// default 0).
    pub user_validity_period: u32,
    /// Whether the console shows the last sign-in after signing in.
    pub show_recent_login_info: bool,
    /// Text the console shows after signing in (at most 64 characters, none of
    /// `@ # % & < > \ $ ^ *`).
    pub custom_info_for_login: String,
    /// Addresses sign-in is allowed from (CIDR); with `allow_ip_ranges`, empty means any.
    pub allow_address_netmasks: Vec<AddressNetmask>,
    /// Addresses sign-in is allowed from (ranges).
    pub allow_ip_ranges: Vec<IpRange>,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        Self {
            lockout_duration: 15,
            login_failed_times: 5,
            period_with_login_failures: 15,
            session_timeout: 60,
            user_validity_period: 0,
            show_recent_login_info: false,
            custom_info_for_login: String::new(),
            allow_address_netmasks: Vec::new(),
            allow_ip_ranges: Vec::new(),
        }
    }
}

fn parse_ip(field: &str, s: &str) -> Result<std::net::IpAddr, PolicyError> {
    s.trim().parse().map_err(|_| {
        PolicyError(format!(
            "{field}: {s:?} is not an IP address (write it like 192.168.0.1)"
        ))
    })
}

/// `a/n` as (network address bits, prefix), for IPv4 and IPv6.
fn parse_cidr(s: &str) -> Result<(std::net::IpAddr, u32), PolicyError> {
    let field = "allow_address_netmasks";
    let (addr, bits) = s.split_once('/').ok_or_else(|| {
        PolicyError(format!(
            "{field}: {s:?} is not in CIDR form (write it like 192.168.0.1/24)"
        ))
    })?;
    let addr = parse_ip(field, addr)?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let bits: u32 = bits
        .parse()
        .ok()
        .filter(|b| *b <= max)
        .ok_or_else(|| PolicyError(format!("{field}: {s:?} has a prefix outside 0-{max}")))?;
    Ok((addr, bits))
}

fn as_u128(ip: std::net::IpAddr) -> (bool, u128) {
    match ip {
        std::net::IpAddr::V4(v4) => (true, u128::from(u32::from(v4))),
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => (true, u128::from(u32::from(v4))),
            None => (false, u128::from(v6)),
        },
    }
}

impl LoginPolicy {
    /// Checks every field against Huawei's ranges.
    pub fn validate(&self) -> Result<(), PolicyError> {
        in_range("lockout_duration", self.lockout_duration, 15, 1440)?;
        in_range("login_failed_times", self.login_failed_times, 3, 10)?;
        in_range(
            "period_with_login_failures",
            self.period_with_login_failures,
            15,
            60,
        )?;
        in_range("session_timeout", self.session_timeout, 15, 1440)?;
        in_range("user_validity_period", self.user_validity_period, 0, 240)?;
        if self.custom_info_for_login.chars().count() > 64 {
            return Err(PolicyError(
                "custom_info_for_login has more than 64 characters".to_owned(),
            ));
        }
        if let Some(c) = self
            .custom_info_for_login
            .chars()
            .find(|c| "@#%&<>\\$^*".contains(*c) || c.is_control())
        {
            return Err(PolicyError(format!(
                "custom_info_for_login contains {c:?}; none of @ # % & < > \\ $ ^ * nor control characters may appear"
            )));
        }
        if self.allow_address_netmasks.len() + self.allow_ip_ranges.len() > 200 {
            return Err(PolicyError(
                "at most 200 allowed address ranges in all".to_owned(),
            ));
        }
        for n in &self.allow_address_netmasks {
            parse_cidr(&n.address_netmask)?;
        }
        for r in &self.allow_ip_ranges {
            self.range(&r.ip_range)?;
        }
        Ok(())
    }

    fn range(&self, s: &str) -> Result<(bool, u128, u128), PolicyError> {
        let field = "allow_ip_ranges";
        let (a, b) = s.split_once('-').ok_or_else(|| {
            PolicyError(format!(
                "{field}: {s:?} is not a range (write it like 10.0.0.1-10.0.0.255)"
            ))
        })?;
        let (fa, a) = as_u128(parse_ip(field, a)?);
        let (fb, b) = as_u128(parse_ip(field, b)?);
        if fa != fb || a > b {
            return Err(PolicyError(format!(
                "{field}: {s:?} must go from the lower to the higher address of one family"
            )));
        }
        Ok((fa, a, b))
    }

    /// Whether a sign-in from `ip` is allowed (any address when no range is set).
    pub fn allows_address(&self, ip: std::net::IpAddr) -> bool {
        if self.allow_address_netmasks.is_empty() && self.allow_ip_ranges.is_empty() {
            return true;
        }
        let (v4, x) = as_u128(ip);
        let in_cidr = self.allow_address_netmasks.iter().any(|n| {
            let Ok((net, bits)) = parse_cidr(&n.address_netmask) else {
                return false;
            };
            let (nv4, net) = as_u128(net);
            if nv4 != v4 {
                return false;
            }
            let width = if v4 { 32 } else { 128 };
            let host_bits = width - bits;
            let mask = if host_bits >= 128 {
                0
            } else {
                u128::MAX << host_bits
            };
            (x & mask) == (net & mask)
        });
        in_cidr
            || self.allow_ip_ranges.iter().any(|r| {
                self.range(&r.ip_range)
                    .is_ok_and(|(rv4, a, b)| rv4 == v4 && (a..=b).contains(&x))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_huaweis_and_valid() {
        let p = PasswordPolicy::default();
        assert_eq!(p.minimum_password_length, 8);
        assert_eq!(p.password_reuse_prevention, 1);
        p.validate().unwrap();
        let l = LoginPolicy::default();
        assert_eq!((l.lockout_duration, l.login_failed_times), (15, 5));
        assert_eq!(l.session_timeout, 60);
        l.validate().unwrap();
        // a PUT of one member keeps the others at their defaults
        let p: PasswordPolicy = serde_json::from_str(r#"{"minimum_password_length": 12}"#).unwrap();
        assert_eq!(p.minimum_password_length, 12);
        assert!(p.password_not_username_or_invert);
        assert!(serde_json::from_str::<PasswordPolicy>(r#"{"minimum_length": 12}"#).is_err());
    }

    #[test]
    fn ranges_are_enforced() {
        for (json, field) in [
            (
                r#"{"minimum_password_length": 7}"#,
                "minimum_password_length",
            ),
            (
                r#"{"minimum_password_length": 33}"#,
                "minimum_password_length",
            ),
            (
                r#"{"password_char_combination": 1}"#,
                "password_char_combination",
            ),
            (
                r#"{"password_reuse_prevention": 25}"#,
                "password_reuse_prevention",
            ),
            (
                r#"{"password_validity_period": 181}"#,
                "password_validity_period",
            ),
        ] {
            let p: PasswordPolicy = serde_json::from_str(json).unwrap();
            let e = p.validate().unwrap_err();
            assert!(e.0.starts_with(field), "{json}: {e}");
        }
        for json in [
            r#"{"lockout_duration": 14}"#,
            r#"{"login_failed_times": 11}"#,
            r#"{"period_with_login_failures": 61}"#,
            r#"{"session_timeout": 1441}"#,
            r#"{"custom_info_for_login": "hello <b>"}"#,
            r#"{"allow_address_netmasks": [{"address_netmask": "10.0.0.0/33"}]}"#,
            r#"{"allow_ip_ranges": [{"ip_range": "10.0.0.9-10.0.0.1"}]}"#,
        ] {
            let l: LoginPolicy = serde_json::from_str(json).unwrap();
            assert!(l.validate().is_err(), "{json}");
        }
    }

    #[test]
    fn passwords_are_checked_against_each_rule() {
        let p = PasswordPolicy {
            minimum_password_length: 10,
            password_char_combination: 3,
            maximum_consecutive_identical_chars: 2,
            ..PasswordPolicy::default()
        };
        p.check("Abcdefgh1x", "alice").unwrap();
        for (pw, why) in [
            ("Abcdef1x", "characters"),
            ("abcdefgh1xyz", "character types"),
            ("Abcdefff1x", "repeats"),
            ("Ab1\u{7}defghij", "control"),
            (&"Ab1".repeat(11), "characters"),
        ] {
            let e = p.check(pw, "alice").unwrap_err();
            assert!(e.0.contains(why), "{pw}: {e}");
            assert!(!e.0.contains(pw), "the error must not echo the password");
        }
        let q = PasswordPolicy::default();
        assert!(q.check("Alice12345", "alice12345").is_err());
        assert!(q.check("54321ecilA", "alice12345").is_err());
        q.check("54321ecilA", "bob").unwrap();
        let off = PasswordPolicy {
            password_not_username_or_invert: false,
            ..PasswordPolicy::default()
        };
        off.check("Alice12345", "alice12345").unwrap();
    }

    #[test]
    fn address_allow_lists() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let any = LoginPolicy::default();
        assert!(any.allows_address(ip("203.0.113.9")));
        let l = LoginPolicy {
            allow_address_netmasks: vec![AddressNetmask {
                address_netmask: "192.168.0.1/24".into(),
                description: String::new(),
            }],
            allow_ip_ranges: vec![IpRange {
                ip_range: "10.0.0.5-10.0.0.9".into(),
                description: String::new(),
            }],
            ..LoginPolicy::default()
        };
        l.validate().unwrap();
        assert!(l.allows_address(ip("192.168.0.200")));
        assert!(l.allows_address(ip("::ffff:192.168.0.7")));
        assert!(!l.allows_address(ip("192.168.1.1")));
        assert!(l.allows_address(ip("10.0.0.5")));
        assert!(l.allows_address(ip("10.0.0.9")));
        assert!(!l.allows_address(ip("10.0.0.10")));
        assert!(!l.allows_address(ip("::1")));
        let all = LoginPolicy {
            allow_address_netmasks: vec![AddressNetmask {
                address_netmask: "0.0.0.0/0".into(),
                description: String::new(),
            }],
            ..LoginPolicy::default()
        };
        assert!(all.allows_address(ip("8.8.8.8")));
    }
}
