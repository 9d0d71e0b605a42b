//! The `X-Sdk-Date` format, `%Y%m%dT%H%M%SZ` (UTC, basic ISO 8601), e.g. `20191115T033655Z`.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// Parses an `X-Sdk-Date` value strictly: exactly `YYYYMMDDTHHMMSSZ`, a valid UTC instant.
///
/// ```
/// let t = iam_signing::parse_sdk_date("20191115T033655Z").unwrap();
/// assert_eq!(t.unix_timestamp(), 1_573_789_015);
/// assert!(iam_signing::parse_sdk_date("2019-11-15T03:36:55Z").is_none());
/// ```
pub fn parse_sdk_date(s: &str) -> Option<OffsetDateTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b.get(8) != Some(&b'T') || b.get(15) != Some(&b'Z') {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let digits = b.get(range)?;
        digits.iter().try_fold(0u32, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    let year = i32::try_from(num(0..4)?).ok()?;
    let month = Month::try_from(u8::try_from(num(4..6)?).ok()?).ok()?;
    let day = u8::try_from(num(6..8)?).ok()?;
    let hour = u8::try_from(num(9..11)?).ok()?;
    let minute = u8::try_from(num(11..13)?).ok()?;
    let second = u8::try_from(num(13..15)?).ok()?;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let time = Time::from_hms(hour, minute, second).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

/// Formats an instant as an `X-Sdk-Date` value (converted to UTC, sub-seconds dropped).
/// Returns `None` for years outside 0000–9999, which the format cannot express.
///
/// ```
/// use time::macros::datetime;
/// let s = iam_signing::format_sdk_date(datetime!(2025-01-01 00:00:00 UTC)).unwrap();
/// assert_eq!(s, "20250101T000000Z");
/// ```
pub fn format_sdk_date(t: OffsetDateTime) -> Option<String> {
    let t = t.to_offset(UtcOffset::UTC);
    if !(0..=9999).contains(&t.year()) {
        return None;
    }
    Some(format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_malformed() {
        for s in [
            "",
            "20191115T033655",
            "20191115 033655Z",
            "20191315T033655Z",
            "20190230T033655Z",
            "20191115T243655Z",
            "20191115T036055Z",
            "2019111aT033655Z",
            "+0191115T033655Z",
            "20191115T033655Zx",
            "２0191115T033655Z",
        ] {
            assert!(parse_sdk_date(s).is_none(), "{s}");
        }
    }

    #[test]
    fn roundtrip() {
        let t = parse_sdk_date("20240229T235959Z").unwrap();
        assert_eq!(format_sdk_date(t).unwrap(), "20240229T235959Z");
    }
}
