//! Condition operators (§4.2) and condition-value parsers, as the validator sees them.

/// The family of a base operator: it decides the value syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// String comparison.
    String,
    /// Numeric comparison.
    Number,
    /// Date comparison.
    Date,
    /// `Bool`.
    Bool,
    /// `IpAddress`, `NotIpAddress`.
    Ip,
    /// `Null`.
    Null,
}

impl Family {
    /// Name used in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::String => "String",
            Family::Number => "Number",
            Family::Date => "Date",
            Family::Bool => "Bool",
            Family::Ip => "IP",
            Family::Null => "Null",
        }
    }
}

/// A set-operator qualifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier {
    /// `ForAnyValue:`
    ForAnyValue,
    /// `ForAllValues:`
    ForAllValues,
}

/// A parsed operator name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// The qualifier, if any.
    pub qualifier: Option<Qualifier>,
    /// The base operator name as written (without qualifier and `IfExists`).
    pub base: String,
    /// The base operator's family.
    pub family: Family,
    /// Whether the base is a wildcard matcher (`StringMatch`, `StringLike` and negations).
    pub is_glob: bool,
    /// Whether `IfExists` is present.
    pub if_exists: bool,
}

/// Why an operator name is invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperatorError {
    /// The base name is not an operator.
    Unknown,
    /// `NullIfExists`.
    NullWithIfExists,
    /// Qualifier without a valid base, such as `ForAnyValue:` alone or a doubled qualifier.
    BadQualifier,
}

const STRING_OPS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringMatch",
    "StringNotMatch",
    "StringLike",
    "StringNotLike",
    "StringStartWith",
    "StringNotStartWith",
    "StringEndWith",
    "StringNotEndWith",
    "StringStartWithIgnoreCase",
    "StringEndWithIgnoreCase",
];

/// Base operators that are 1.1-era or AWS spellings; in a 5.0 document the validator suggests
/// the 5.0 form. Returns the suggested replacement.
pub fn legacy_replacement(base: &str) -> Option<&'static str> {
    Some(match base {
        "StringStartWith" => "StringMatch with \"prefix*\"",
        "StringNotStartWith" => "StringNotMatch with \"prefix*\"",
        "StringEndWith" => "StringMatch with \"*suffix\"",
        "StringNotEndWith" => "StringNotMatch with \"*suffix\"",
        "StringStartWithIgnoreCase" => "StringMatch with \"prefix*\" (case-sensitive)",
        "StringEndWithIgnoreCase" => "StringMatch with \"*suffix\" (case-sensitive)",
        "StringLike" => "StringMatch",
        "StringNotLike" => "StringNotMatch",
        "NumericEquals" => "NumberEquals",
        "NumericNotEquals" => "NumberNotEquals",
        "NumericLessThan" => "NumberLessThan",
        "NumericLessThanEquals" => "NumberLessThanEquals",
        "NumericGreaterThan" => "NumberGreaterThan",
        "NumericGreaterThanEquals" => "NumberGreaterThanEquals",
        _ => return None,
    })
}

fn base_family(base: &str) -> Option<(Family, bool)> {
    if STRING_OPS.contains(&base) {
        let glob = matches!(
            base,
            "StringMatch" | "StringNotMatch" | "StringLike" | "StringNotLike"
        );
        return Some((Family::String, glob));
    }
    let fam = match base {
        "NumberEquals"
        | "NumberNotEquals"
        | "NumberLessThan"
        | "NumberLessThanEquals"
        | "NumberGreaterThan"
        | "NumberGreaterThanEquals"
        | "NumericEquals"
        | "NumericNotEquals"
        | "NumericLessThan"
        | "NumericLessThanEquals"
        | "NumericGreaterThan"
        | "NumericGreaterThanEquals" => Family::Number,
        "DateEquals" | "DateNotEquals" | "DateLessThan" | "DateLessThanEquals"
        | "DateGreaterThan" | "DateGreaterThanEquals" => Family::Date,
        "Bool" => Family::Bool,
        "IpAddress" | "NotIpAddress" => Family::Ip,
        "Null" => Family::Null,
        _ => return None,
    };
    Some((fam, false))
}

/// Parses an operator name (case-sensitive).
pub fn parse_operator(name: &str) -> Result<Operator, OperatorError> {
    let (qualifier, rest) = if let Some(r) = name.strip_prefix("ForAnyValue:") {
        (Some(Qualifier::ForAnyValue), r)
    } else if let Some(r) = name.strip_prefix("ForAllValues:") {
        (Some(Qualifier::ForAllValues), r)
    } else {
        (None, name)
    };
    if qualifier.is_some() && (rest.is_empty() || rest.contains(':')) {
        return Err(OperatorError::BadQualifier);
    }
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(b) if !b.is_empty() => (b, true),
        _ => (rest, false),
    };
    let Some((family, is_glob)) = base_family(base) else {
        return Err(OperatorError::Unknown);
    };
    if family == Family::Null && if_exists {
        return Err(OperatorError::NullWithIfExists);
    }
    Ok(Operator {
        qualifier,
        base: base.to_owned(),
        family,
        is_glob,
        if_exists,
    })
}

/// Whether `s` is a decimal number (`-1`, `2.5`, `1e3`).
pub fn parse_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') || b.first() == Some(&b'+') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let st = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > st
    };
    let int = digits(&mut i);
    let mut frac = false;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac = digits(&mut i);
    }
    if !int && !frac {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == b.len()
}

/// Whether `s` is a date: RFC 3339 date-time, `YYYY-MM-DD`, or integer epoch seconds.
pub fn parse_date(s: &str) -> bool {
    use time::format_description::well_known::Rfc3339;
    if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) {
        return s.parse::<i64>().is_ok();
    }
    if let Some(rest) = s.strip_prefix('-')
        && !rest.is_empty()
        && rest.bytes().all(|c| c.is_ascii_digit())
    {
        return s.parse::<i64>().is_ok();
    }
    if time::OffsetDateTime::parse(s, &Rfc3339).is_ok() {
        return true;
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &fmt).is_ok()
}

/// Whether `s` is an IPv4/IPv6 address or CIDR.
pub fn parse_ip(s: &str) -> bool {
    s.parse::<std::net::IpAddr>().is_ok() || s.parse::<ipnet::IpNet>().is_ok()
}

/// Whether `s` is `true`/`false` (ASCII-case-insensitive).
pub fn parse_bool(s: &str) -> bool {
    s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators() {
        assert!(parse_operator("ForAllValues:StringEqualsIfExists").is_ok());
        assert_eq!(
            parse_operator("NullIfExists"),
            Err(OperatorError::NullWithIfExists)
        );
        assert_eq!(parse_operator("StringEqual"), Err(OperatorError::Unknown));
        assert_eq!(parse_operator("IfExists"), Err(OperatorError::Unknown));
        assert_eq!(
            parse_operator("ForAnyValue:"),
            Err(OperatorError::BadQualifier)
        );
    }

    #[test]
    fn values() {
        assert!(parse_number("-1") && parse_number("2.5") && parse_number("1e3"));
        assert!(!parse_number("1e") && !parse_number("abc") && !parse_number(""));
        assert!(parse_date("2026-01-02T03:04:05Z") && parse_date("2026-01-02"));
        assert!(parse_date("1700000000") && parse_date("2026-01-02T03:04:05.5+08:00"));
        assert!(!parse_date("2026-13-01") && !parse_date("yesterday"));
        assert!(parse_ip("10.0.0.0/8") && parse_ip("::1") && !parse_ip("10.0.0.300"));
        assert!(parse_bool("TRUE") && !parse_bool("yes"));
    }
}
