//! Condition operators (spec §4.2) and the value parsers of each operator family.

use crate::error::{OperatorError, ValueError};
use std::fmt;
use std::net::IpAddr;

/// The family of an operator, which decides how values are parsed and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// String comparison (exact, ignore-case, glob, prefix, suffix).
    String,
    /// Decimal numbers compared as `f64`.
    Number,
    /// Date-times compared as UTC instants.
    Date,
    /// `true` / `false`.
    Bool,
    /// IP addresses against networks.
    Ip,
    /// Presence test of a key.
    Null,
}

/// A base operator (without qualifier and `IfExists`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[non_exhaustive]
#[expect(
    missing_docs,
    reason = "the variants are the operator names of spec §4.2"
)]
pub enum BaseOperator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringMatch,
    StringNotMatch,
    StringLike,
    StringNotLike,
    StringStartWith,
    StringNotStartWith,
    StringEndWith,
    StringNotEndWith,
    StringStartWithIgnoreCase,
    StringEndWithIgnoreCase,
    NumberEquals,
    NumberNotEquals,
    NumberLessThan,
    NumberLessThanEquals,
    NumberGreaterThan,
    NumberGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    IpAddress,
    NotIpAddress,
    Null,
}

/// Every base operator with its canonical name (the `Numeric*` aliases are handled in parsing).
const BASE_NAMES: &[(&str, BaseOperator)] = &[
    ("StringEquals", BaseOperator::StringEquals),
    ("StringNotEquals", BaseOperator::StringNotEquals),
    (
        "StringEqualsIgnoreCase",
        BaseOperator::StringEqualsIgnoreCase,
    ),
    (
        "StringNotEqualsIgnoreCase",
        BaseOperator::StringNotEqualsIgnoreCase,
    ),
    ("StringMatch", BaseOperator::StringMatch),
    ("StringNotMatch", BaseOperator::StringNotMatch),
    ("StringLike", BaseOperator::StringLike),
    ("StringNotLike", BaseOperator::StringNotLike),
    ("StringStartWith", BaseOperator::StringStartWith),
    ("StringNotStartWith", BaseOperator::StringNotStartWith),
    ("StringEndWith", BaseOperator::StringEndWith),
    ("StringNotEndWith", BaseOperator::StringNotEndWith),
    (
        "StringStartWithIgnoreCase",
        BaseOperator::StringStartWithIgnoreCase,
    ),
    (
        "StringEndWithIgnoreCase",
        BaseOperator::StringEndWithIgnoreCase,
    ),
    ("NumberEquals", BaseOperator::NumberEquals),
    ("NumberNotEquals", BaseOperator::NumberNotEquals),
    ("NumberLessThan", BaseOperator::NumberLessThan),
    ("NumberLessThanEquals", BaseOperator::NumberLessThanEquals),
    ("NumberGreaterThan", BaseOperator::NumberGreaterThan),
    (
        "NumberGreaterThanEquals",
        BaseOperator::NumberGreaterThanEquals,
    ),
    ("DateEquals", BaseOperator::DateEquals),
    ("DateNotEquals", BaseOperator::DateNotEquals),
    ("DateLessThan", BaseOperator::DateLessThan),
    ("DateLessThanEquals", BaseOperator::DateLessThanEquals),
    ("DateGreaterThan", BaseOperator::DateGreaterThan),
    ("DateGreaterThanEquals", BaseOperator::DateGreaterThanEquals),
    ("Bool", BaseOperator::Bool),
    ("IpAddress", BaseOperator::IpAddress),
    ("NotIpAddress", BaseOperator::NotIpAddress),
    ("Null", BaseOperator::Null),
];

impl BaseOperator {
    /// Every base operator, in the order of spec §4.2.
    pub fn all() -> impl Iterator<Item = BaseOperator> {
        BASE_NAMES.iter().map(|&(_, op)| op)
    }

    /// Looks up a base operator name (case-sensitive; `Numeric*` are aliases of `Number*`).
    pub fn from_name(name: &str) -> Option<BaseOperator> {
        let name = match name.strip_prefix("Numeric") {
            Some(rest) => return BaseOperator::from_name(&format!("Number{rest}")),
            None => name,
        };
        BASE_NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, op)| op)
    }

    /// The canonical name (`NumberEquals` also for `NumericEquals`).
    pub fn name(self) -> &'static str {
        BASE_NAMES
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("", |(n, _)| n)
    }

    /// The family of the operator.
    pub fn family(self) -> Family {
        use BaseOperator as B;
        match self {
            B::StringEquals
            | B::StringNotEquals
            | B::StringEqualsIgnoreCase
            | B::StringNotEqualsIgnoreCase
            | B::StringMatch
            | B::StringNotMatch
            | B::StringLike
            | B::StringNotLike
            | B::StringStartWith
            | B::StringNotStartWith
            | B::StringEndWith
            | B::StringNotEndWith
            | B::StringStartWithIgnoreCase
            | B::StringEndWithIgnoreCase => Family::String,
            B::NumberEquals
            | B::NumberNotEquals
            | B::NumberLessThan
            | B::NumberLessThanEquals
            | B::NumberGreaterThan
            | B::NumberGreaterThanEquals => Family::Number,
            B::DateEquals
            | B::DateNotEquals
            | B::DateLessThan
            | B::DateLessThanEquals
            | B::DateGreaterThan
            | B::DateGreaterThanEquals => Family::Date,
            B::Bool => Family::Bool,
            B::IpAddress | B::NotIpAddress => Family::Ip,
            B::Null => Family::Null,
        }
    }

    /// The positive form of a negated operator (`StringNotEquals` -> `StringEquals`), `None` for
    /// positive operators.
    pub fn positive(self) -> Option<BaseOperator> {
        use BaseOperator as B;
        Some(match self {
            B::StringNotEquals => B::StringEquals,
            B::StringNotEqualsIgnoreCase => B::StringEqualsIgnoreCase,
            B::StringNotMatch => B::StringMatch,
            B::StringNotLike => B::StringLike,
            B::StringNotStartWith => B::StringStartWith,
            B::StringNotEndWith => B::StringEndWith,
            B::NumberNotEquals => B::NumberEquals,
            B::DateNotEquals => B::DateEquals,
            B::NotIpAddress => B::IpAddress,
            _ => return None,
        })
    }

    /// True for the negated operators of spec §4.2.
    pub fn is_negated(self) -> bool {
        self.positive().is_some()
    }
}

impl fmt::Display for BaseOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set qualifier (`ForAnyValue:` / `ForAllValues:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Qualifier {
    /// `ForAnyValue:` — some request value satisfies the operator.
    ForAnyValue,
    /// `ForAllValues:` — every request value satisfies the operator (true when missing).
    ForAllValues,
}

/// A full condition operator: optional qualifier, base operator, optional `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Operator {
    /// The base operator.
    pub base: BaseOperator,
    /// The set qualifier, if any.
    pub qualifier: Option<Qualifier>,
    /// The `IfExists` suffix.
    pub if_exists: bool,
}

impl Operator {
    /// Parses an operator name such as `ForAnyValue:StringEqualsIfExists` (case-sensitive).
    /// `Null` takes neither a qualifier nor `IfExists`.
    pub fn parse(name: &str) -> Result<Operator, OperatorError> {
        let (qualifier, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (Some(Qualifier::ForAnyValue), rest)
        } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (Some(Qualifier::ForAllValues), rest)
        } else {
            (None, name)
        };
        let (base_name, if_exists) = match rest.strip_suffix("IfExists") {
            Some(b) if !b.is_empty() => (b, true),
            _ => (rest, false),
        };
        let Some(base) = BaseOperator::from_name(base_name) else {
            let hint = BASE_NAMES
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(base_name))
                .map(|(n, _)| format!("operator names are case-sensitive: write `{n}`"))
                .unwrap_or_else(|| {
                    "use one of the operators of the policy language, such as `StringEquals`, \
                     `StringMatch`, `NumberLessThan`, `DateGreaterThan`, `Bool`, `IpAddress` \
                     or `Null`, optionally prefixed with `ForAnyValue:` or `ForAllValues:` and \
                     suffixed with `IfExists`"
                        .to_owned()
                });
            return Err(OperatorError {
                message: format!("unknown condition operator `{name}`; {hint}"),
            });
        };
        if base == BaseOperator::Null && (qualifier.is_some() || if_exists) {
            return Err(OperatorError {
                message: format!(
                    "`{name}` is not an operator: `Null` takes neither a `ForAnyValue:`/`ForAllValues:` qualifier nor `IfExists`; write `Null`"
                ),
            });
        }
        Ok(Operator {
            base,
            qualifier,
            if_exists,
        })
    }

    /// The family of the base operator.
    pub fn family(&self) -> Family {
        self.base.family()
    }

    /// True when the base operator is negated (`StringNotEquals`, `NotIpAddress`, ...).
    pub fn negated(&self) -> bool {
        self.base.is_negated()
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.qualifier {
            Some(Qualifier::ForAnyValue) => f.write_str("ForAnyValue:")?,
            Some(Qualifier::ForAllValues) => f.write_str("ForAllValues:")?,
            None => {}
        }
        f.write_str(self.base.name())?;
        if self.if_exists {
            f.write_str("IfExists")?;
        }
        Ok(())
    }
}

/// Parses a decimal number (`-1`, `2.5`, `1e3`); `inf`, `NaN` and out-of-range values are rejected.
pub fn parse_number(s: &str) -> Result<f64, ValueError> {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'));
    match s.parse::<f64>() {
        Ok(n) if plain && n.is_finite() => Ok(n),
        _ => Err(ValueError::new(format!(
            "`{s}` is not a number; write a decimal number such as `10`, `-1`, `2.5` or `1e3`"
        ))),
    }
}

/// Parses a date: RFC 3339 (`2026-01-02T03:04:05Z`, offsets and fractional seconds allowed), a
/// date `2026-01-02` (midnight UTC) or integer epoch seconds. Returns UTC epoch nanoseconds.
pub fn parse_date(s: &str) -> Result<i128, ValueError> {
    use time::format_description::well_known::Rfc3339;
    let err = || {
        ValueError::new(format!(
            "`{s}` is not a date; write an RFC 3339 date-time such as `2026-01-02T03:04:05Z`, a date such as `2026-01-02`, or epoch seconds"
        ))
    };
    let digits = s.strip_prefix('-').unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        let secs: i64 = s.parse().map_err(|_| err())?;
        return Ok(i128::from(secs) * 1_000_000_000);
    }
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t.unix_timestamp_nanos());
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(d) = time::Date::parse(s, &fmt) {
        return Ok(d.midnight().assume_utc().unix_timestamp_nanos());
    }
    Err(err())
}

/// Parses a boolean `true` / `false` (ASCII-case-insensitive).
pub fn parse_bool(s: &str) -> Result<bool, ValueError> {
    if s.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if s.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(ValueError::new(format!(
            "`{s}` is not a boolean; write `true` or `false`"
        )))
    }
}

/// Parses an IP network of a policy: an address (a /32 or /128) or a CIDR (host bits cleared).
/// IPv4-mapped IPv6 addresses are normalised to IPv4.
pub fn parse_ip_network(s: &str) -> Result<ipnet::IpNet, ValueError> {
    if let Ok(addr) = s.parse::<IpAddr>() {
        return Ok(ipnet::IpNet::from(addr.to_canonical()));
    }
    match s.parse::<ipnet::IpNet>() {
        Ok(net) => Ok(net.trunc()),
        Err(_) => Err(ValueError::new(format!(
            "`{s}` is not an IP address or CIDR block; write an address such as `10.1.2.3` or a network such as `10.0.0.0/8`"
        ))),
    }
}

/// Parses an IP address of a request (IPv4-mapped IPv6 normalised to IPv4).
pub fn parse_ip_address(s: &str) -> Result<IpAddr, ValueError> {
    s.parse::<IpAddr>()
        .map(|a| a.to_canonical())
        .map_err(|_| ValueError::new(format!("`{s}` is not an IP address")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_parse_table() {
        let ok: &[(&str, BaseOperator, Option<Qualifier>, bool)] = &[
            ("StringEquals", BaseOperator::StringEquals, None, false),
            (
                "ForAnyValue:StringNotEqualsIfExists",
                BaseOperator::StringNotEquals,
                Some(Qualifier::ForAnyValue),
                true,
            ),
            (
                "ForAllValues:StringLike",
                BaseOperator::StringLike,
                Some(Qualifier::ForAllValues),
                false,
            ),
            ("NumericLessThan", BaseOperator::NumberLessThan, None, false),
            ("BoolIfExists", BaseOperator::Bool, None, true),
            ("Null", BaseOperator::Null, None, false),
            (
                "NotIpAddressIfExists",
                BaseOperator::NotIpAddress,
                None,
                true,
            ),
        ];
        for &(name, base, qualifier, if_exists) in ok {
            let op = Operator::parse(name).unwrap();
            assert_eq!(
                (op.base, op.qualifier, op.if_exists),
                (base, qualifier, if_exists),
                "{name}"
            );
        }
        for bad in [
            "stringequals",
            "StringEqual",
            "IfExists",
            "NullIfExists",
            "ForAnyValue:Null",
            "ForAnyValue:",
            "ForSomeValue:StringEquals",
            "",
        ] {
            assert!(Operator::parse(bad).is_err(), "{bad}");
        }
        let e = Operator::parse("stringEquals").unwrap_err();
        assert!(e.message().contains("`StringEquals`"), "{e}");
        assert_eq!(
            Operator::parse("ForAllValues:NumericEqualsIfExists")
                .unwrap()
                .to_string(),
            "ForAllValues:NumberEqualsIfExists"
        );
    }

    #[test]
    fn values() {
        assert_eq!(parse_number("1e3").unwrap(), 1000.0);
        assert_eq!(parse_number("-2.5").unwrap(), -2.5);
        for bad in ["", "inf", "NaN", "abc", "1e999", "0x10", " 1"] {
            assert!(parse_number(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_date("1970-01-02").unwrap(), 86_400_000_000_000);
        assert_eq!(parse_date("86400").unwrap(), 86_400_000_000_000);
        assert_eq!(
            parse_date("1970-01-02T01:00:00+01:00").unwrap(),
            86_400_000_000_000
        );
        assert_eq!(parse_date("1970-01-01T00:00:00.5Z").unwrap(), 500_000_000);
        for bad in ["", "yesterday", "2026-13-01", "2026-01-02T25:00:00Z"] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
        assert!(parse_bool("TRUE").unwrap());
        assert!(parse_bool("yes").is_err());
        assert!(
            parse_ip_network("10.1.2.3/8")
                .unwrap()
                .contains(&"10.9.9.9".parse::<IpAddr>().unwrap())
        );
        assert_eq!(
            parse_ip_network("::ffff:10.0.0.1").unwrap().to_string(),
            "10.0.0.1/32"
        );
        assert!(parse_ip_network("10.0.0.0/33").is_err());
        assert_eq!(
            parse_ip_address("::ffff:10.0.0.1").unwrap(),
            "10.0.0.1".parse::<IpAddr>().unwrap()
        );
    }
}
