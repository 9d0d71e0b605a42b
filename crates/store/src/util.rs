//! Ids, timestamps, validation and pagination helpers.

use crate::error::{Result, StoreError};
use crate::names::{NameKind, check_name};
use base64::Engine as _;
use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

/// Fixed-width RFC 3339 UTC format (millisecond precision) so text order is time order.
const TS_FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// Formats an instant as the store's RFC 3339 UTC timestamp (`2026-01-02T03:04:05.678Z`).
pub fn format_timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    // Formatting a UTC datetime with a fixed numeric description cannot fail for years
    // 0..=9999; fall back to RFC 3339 just in case.
    t.format(TS_FORMAT).unwrap_or_else(|_| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    })
}

pub(crate) fn now() -> String {
    format_timestamp(OffsetDateTime::now_utc())
}

pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b)
        .map_err(|e| StoreError::Io(std::io::Error::other(format!("random source: {e}"))))?;
    Ok(b)
}

/// 32 lowercase hex characters.
pub(crate) fn new_id() -> Result<String> {
    Ok(hex::encode(random_bytes::<16>()?))
}

/// `prefix` + 32 lowercase hex characters (organization ids: `o-`, `r-`, `ou-`, `p-`).
pub(crate) fn new_prefixed_id(prefix: &str) -> Result<String> {
    Ok(format!("{prefix}{}", new_id()?))
}

fn random_from_alphabet(alphabet: &[u8], len: usize) -> Result<String> {
    let mut out = String::with_capacity(len);
    // rejection sampling for an unbiased choice
    let bound = 256 - (256 % alphabet.len());
    while out.len() < len {
        for b in random_bytes::<64>()? {
            if (b as usize) < bound && out.len() < len {
                out.push(alphabet[b as usize % alphabet.len()] as char);
            }
        }
    }
    Ok(out)
}

const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Access key id: 20 uppercase alphanumerics.
pub(crate) fn new_access_key_id() -> Result<String> {
    random_from_alphabet(UPPER_ALNUM, 20)
}

/// Secret access key: 40 alphanumerics.
pub(crate) fn new_secret_key() -> Result<String> {
    random_from_alphabet(ALNUM, 40)
}

/// Security token for temporary credentials: 96 alphanumerics.
pub(crate) fn new_security_token() -> Result<String> {
    random_from_alphabet(ALNUM, 96)
}

pub(crate) fn sha256_hex(s: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

// ---------------------------------------------------------------------------------------
// validation

pub(crate) fn check_len(field: &'static str, s: &str, min: usize, max: usize) -> Result<()> {
    let n = s.chars().count();
    if n < min || n > max {
        return Err(StoreError::invalid(
            field,
            format!("length must be {min}-{max} characters, got {n}"),
        ));
    }
    Ok(())
}

fn check_chars(
    field: &'static str,
    s: &str,
    ok: impl Fn(char) -> bool,
    allowed: &str,
) -> Result<()> {
    if let Some(c) = s.chars().find(|c| !ok(*c)) {
        return Err(StoreError::invalid(
            field,
            format!("character `{c}` is not allowed (allowed: {allowed})"),
        ));
    }
    Ok(())
}

/// Names of users, groups, agencies and policies: [`crate::names::check_name`].
pub(crate) fn validate_name(kind: NameKind, s: &str) -> Result<()> {
    check_name(kind, s).map_err(|p| StoreError::invalid(kind.field(), p.describe(kind)))
}

/// Policy names: [`NameKind::Policy`].
pub(crate) fn validate_policy_name(s: &str) -> Result<()> {
    validate_name(NameKind::Policy, s)
}

/// User names: [`NameKind::User`].
pub(crate) fn validate_user_name(s: &str) -> Result<()> {
    validate_name(NameKind::User, s)
}

/// Group names: [`NameKind::Group`].
pub(crate) fn validate_group_name(s: &str) -> Result<()> {
    validate_name(NameKind::Group, s)
}

/// Agency names: [`NameKind::Agency`].
pub(crate) fn validate_agency_name(s: &str) -> Result<()> {
    validate_name(NameKind::Agency, s)
}

/// Account names: 1-64 of letters, digits and `_-.`.
pub(crate) fn validate_account_name(s: &str) -> Result<()> {
    check_len("account_name", s, 1, 64)?;
    check_chars(
        "account_name",
        s,
        |c| c.is_ascii_alphanumeric() || "_-.".contains(c),
        "letters, digits and `_-.`",
    )
}

/// Generic names for OUs and SCPs: 1-64 of letters, digits and `_ -.`.
pub(crate) fn validate_org_name(field: &'static str, s: &str) -> Result<()> {
    check_len(field, s, 1, 64)?;
    check_chars(
        field,
        s,
        |c| c.is_alphanumeric() || "_-. ".contains(c),
        "letters, digits, `_`, `-`, `.` and space",
    )
}

/// Region: 1-64 of lowercase letters, digits and `-`.
pub(crate) fn validate_region(s: &str) -> Result<()> {
    check_len("region", s, 1, 64)?;
    check_chars(
        "region",
        s,
        |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-',
        "lowercase letters, digits and `-`",
    )
}

/// Caller-chosen ids (project ids): 1-64 of letters, digits and `-`.
pub(crate) fn validate_external_id(field: &'static str, s: &str) -> Result<()> {
    check_len(field, s, 1, 64)?;
    check_chars(
        field,
        s,
        |c| c.is_ascii_alphanumeric() || c == '-',
        "letters, digits and `-`",
    )
}

/// Paths: empty, or `segment/` repeated, segments of `[A-Za-z0-9_+=,.@-]`, at most 512 chars.
pub(crate) fn validate_path(s: &str) -> Result<()> {
    if s.is_empty() {
        return Ok(());
    }
    check_len("path", s, 1, 512)?;
    check_chars(
        "path",
        s,
        |c| c.is_ascii_alphanumeric() || "_+=,.@-/".contains(c),
        "letters, digits and `_+=,.@-/`",
    )?;
    if !s.ends_with('/') || s.starts_with('/') || s.contains("//") {
        return Err(StoreError::invalid(
            "path",
            "must look like `segment/` or `a/b/` (no leading slash, ending with `/`)",
        ));
    }
    Ok(())
}

/// Descriptions: at most 1000 characters.
pub(crate) fn validate_description(s: &str) -> Result<()> {
    check_len("description", s, 0, 1000)
}

/// Maximum policy document size in bytes.
pub const MAX_POLICY_DOCUMENT_BYTES: usize = 6144;

pub(crate) fn validate_document(field: &'static str, s: &str, max: usize) -> Result<()> {
    if s.is_empty() {
        return Err(StoreError::invalid(field, "must not be empty"));
    }
    if s.len() > max {
        return Err(StoreError::invalid(
            field,
            format!("must be at most {max} bytes, got {}", s.len()),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// pagination

/// Default page size.
pub const DEFAULT_PAGE_LIMIT: u32 = 100;
/// Maximum page size.
pub const MAX_PAGE_LIMIT: u32 = 200;

const MARKER_SEP: char = '\u{1f}';

/// Validated page request: the decoded marker key parts and the limit.
pub(crate) struct PageArgs {
    pub(crate) after: Option<Vec<String>>,
    pub(crate) limit: u32,
}

pub(crate) fn page_args(page: &crate::model::PageRequest, key_parts: usize) -> Result<PageArgs> {
    let limit = page.limit.unwrap_or(DEFAULT_PAGE_LIMIT);
    if !(1..=MAX_PAGE_LIMIT).contains(&limit) {
        return Err(StoreError::invalid(
            "limit",
            format!("must be 1-{MAX_PAGE_LIMIT}, got {limit}"),
        ));
    }
    let after = match &page.marker {
        None => None,
        Some(m) => Some(decode_marker(m, key_parts)?),
    };
    Ok(PageArgs { after, limit })
}

fn decode_marker(m: &str, key_parts: usize) -> Result<Vec<String>> {
    let bad = || {
        StoreError::invalid(
            "marker",
            format!("`{m}` is not a marker returned by this list"),
        )
    };
    if m.len() < 4
        || m.len() > 400
        || !m
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+/=_-".contains(c))
    {
        return Err(bad());
    }
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(m)
        .map_err(|_| bad())?;
    let s = String::from_utf8(raw).map_err(|_| bad())?;
    let rest = s.strip_prefix(MARKER_PREFIX).ok_or_else(bad)?;
    let parts: Vec<String> = rest.split(MARKER_SEP).map(str::to_owned).collect();
    if parts.len() != key_parts {
        return Err(bad());
    }
    Ok(parts)
}

const MARKER_PREFIX: &str = "m1\u{1f}";

pub(crate) fn encode_marker(parts: &[&str]) -> String {
    let joined = parts.join(&MARKER_SEP.to_string());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{MARKER_PREFIX}{joined}"))
}

/// Turns `limit + 1` fetched rows into a page.
pub(crate) fn finish_page<T>(
    mut rows: Vec<T>,
    limit: u32,
    key: impl Fn(&T) -> Vec<String>,
) -> crate::model::Page<T> {
    let limit = limit as usize;
    let next_marker = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|last| {
            let k = key(last);
            let refs: Vec<&str> = k.iter().map(String::as_str).collect();
            encode_marker(&refs)
        })
    } else {
        None
    };
    crate::model::Page {
        items: rows,
        next_marker,
    }
}

/// Runs `sql`, a query for at most one row with a single `$1` parameter bound to `key`, and
/// returns the row, or `NotFound(kind, key)` when there is none.
pub(crate) async fn fetch_one<'e, T>(
    exec: impl sqlx::AnyExecutor<'e>,
    sql: sqlx::AssertSqlSafe<String>,
    kind: &'static str,
    key: &str,
) -> Result<T>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    sqlx::query_as::<_, T>(sql)
        .bind(key.to_owned())
        .fetch_optional(exec)
        .await?
        .ok_or_else(|| StoreError::not_found(kind, key))
}

/// A boolean column. Both backends store booleans as integers 0/1 (SQLite has no boolean type;
/// the PostgreSQL schema uses `BIGINT` so the SQL text, e.g. `WHERE enabled = 1`, is the same on
/// both), and sqlx's `Any` driver does not decode an integer as `bool`: rows decode their
/// boolean fields through this type (`#[sqlx(try_from = "crate::util::Flag")]`) and writes bind
/// [`flag`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Flag(bool);

impl From<Flag> for bool {
    fn from(f: Flag) -> bool {
        f.0
    }
}

impl sqlx::Type<sqlx::Any> for Flag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <i64 as sqlx::Type<sqlx::Any>>::type_info()
    }
    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <i64 as sqlx::Type<sqlx::Any>>::compatible(ty)
            || <bool as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for Flag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        if <bool as sqlx::Type<sqlx::Any>>::compatible(&sqlx::ValueRef::type_info(&value)) {
            return <bool as sqlx::Decode<sqlx::Any>>::decode(value).map(Flag);
        }
        <i64 as sqlx::Decode<sqlx::Any>>::decode(value).map(|v| Flag(v != 0))
    }
}

/// The stored form of a boolean (see [`Flag`]).
pub(crate) fn flag(b: bool) -> i64 {
    i64::from(b)
}

/// Implements `sqlx::Type<Any>`, `Encode` and `Decode` for an enum stored as the text names
/// given (`Variant => "name"`); any other stored text is a decode error naming it.
macro_rules! text_enum_for_any {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// The stored name (also the kind named in errors).
            #[allow(dead_code, reason = "used by some enums' callers only")]
            pub(crate) fn stored_name(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)+
                }
            }
        }
        impl sqlx::Type<sqlx::Any> for $ty {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <String as sqlx::Type<sqlx::Any>>::type_info()
            }
            fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
                <String as sqlx::Type<sqlx::Any>>::compatible(ty)
            }
        }
        impl<'q> sqlx::Encode<'q, sqlx::Any> for $ty {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<'q, sqlx::Any>>::encode_by_ref(&self.stored_name(), buf)
            }
        }
        impl<'r> sqlx::Decode<'r, sqlx::Any> for $ty {
            fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&str as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
                match text {
                    $($name => Ok($ty::$variant),)+
                    other => Err(format!(
                        "`{other}` is not a stored {}", stringify!($ty)
                    ).into()),
                }
            }
        }
    };
}
pub(crate) use text_enum_for_any;

/// A statement built from SQL fragments and bound values, numbering its placeholders `$1`,
/// `$2`, ... in the order they are pushed (sqlx's own `QueryBuilder` writes `?`, which
/// PostgreSQL does not accept). Fragments are constant SQL chosen by the store, never input.
pub(crate) struct QueryBuilder {
    sql: String,
    args: sqlx::any::AnyArguments,
    count: usize,
    error: Option<sqlx::error::BoxDynError>,
}

impl QueryBuilder {
    pub(crate) fn new(sql: impl Into<String>) -> Self {
        QueryBuilder {
            sql: sql.into(),
            args: sqlx::any::AnyArguments::default(),
            count: 0,
            error: None,
        }
    }

    pub(crate) fn push(&mut self, sql: impl AsRef<str>) -> &mut Self {
        self.sql.push_str(sql.as_ref());
        self
    }

    pub(crate) fn push_bind<T>(&mut self, value: T) -> &mut Self
    where
        T: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send + 'static,
    {
        use sqlx::Arguments as _;
        self.count += 1;
        self.sql.push('$');
        self.sql.push_str(&self.count.to_string());
        if let Err(e) = self.args.add(value)
            && self.error.is_none()
        {
            self.error = Some(e);
        }
        self
    }

    fn finish(self) -> Result<(sqlx::AssertSqlSafe<String>, sqlx::any::AnyArguments)> {
        match self.error {
            Some(e) => Err(StoreError::Database(sqlx::Error::Encode(e))),
            None => Ok((sqlx::AssertSqlSafe(self.sql), self.args)),
        }
    }

    pub(crate) fn build_query(
        self,
    ) -> Result<sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments>> {
        let (sql, args) = self.finish()?;
        Ok(sqlx::query_with(sql, args))
    }

    pub(crate) fn build_query_scalar<T>(
        self,
    ) -> Result<sqlx::query::QueryScalar<'static, sqlx::Any, T, sqlx::any::AnyArguments>>
    where
        (T,): for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        let (sql, args) = self.finish()?;
        Ok(sqlx::query_scalar_with(sql, args))
    }

    pub(crate) fn build_query_as<T>(
        self,
    ) -> Result<sqlx::query::QueryAs<'static, sqlx::Any, T, sqlx::any::AnyArguments>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        let (sql, args) = self.finish()?;
        Ok(sqlx::query_as_with(sql, args))
    }
}
