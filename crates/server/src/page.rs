//! Marker pagination as Huawei's list APIs do it: `?limit=1..=200` (default 100) and `?marker=`
//! (the opaque value of the previous page's `page_info.next_marker`, 4–400 characters of
//! `[A-Za-z0-9+/=_-]`). Lists are ordered by creation time then id; the marker is the id of the
//! last item of the previous page.

use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// Default page size.
pub const DEFAULT_LIMIT: u32 = 100;
/// Largest page size.
pub const MAX_LIMIT: u32 = 200;

/// `limit` and `marker` query parameters.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1–200, default 100.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The previous page's `next_marker`.
    #[param(pattern = "^[A-Za-z0-9+/=_-]{4,400}$")]
    pub marker: Option<String>,
}

/// `page_info` of a list response.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct PageInfo {
    /// Present when more items follow; pass it as `marker` to get them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// Number of items in this page.
    pub current_count: usize,
}

impl PageQuery {
    /// Checks the parameters and returns the page size.
    pub fn limit(&self) -> Result<usize, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::bad_request(format!(
                "invalid query parameter `limit`: {limit} is not between 1 and {MAX_LIMIT}"
            )));
        }
        if let Some(m) = &self.marker {
            let ok_chars = m.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-')
            });
            if !(4..=400).contains(&m.len()) || !ok_chars {
                return Err(ApiError::bad_request(
                    "invalid query parameter `marker`: 4 to 400 characters of letters, digits and `+/=_-` are required",
                ));
            }
        }
        Ok(limit as usize)
    }

    /// The store's page request, after checking the parameters.
    pub fn to_store(&self) -> Result<iam_store::PageRequest, ApiError> {
        self.limit()?;
        Ok(iam_store::PageRequest {
            marker: self.marker.clone(),
            limit: self.limit,
        })
    }

    /// Cuts one page out of `items` (already in list order); `key` gives an item's marker.
    pub fn paginate<T, K: AsRef<str>>(
        &self,
        items: Vec<T>,
        key: impl Fn(&T) -> K,
    ) -> Result<(Vec<T>, PageInfo), ApiError> {
        let limit = self.limit()?;
        let start = match &self.marker {
            None => 0,
            Some(m) => match items.iter().position(|it| key(it).as_ref() == m) {
                Some(i) => i + 1,
                None => {
                    return Err(ApiError::bad_request(format!(
                        "invalid query parameter `marker`: `{m}` does not name an item of this list"
                    )));
                }
            },
        };
        let page: Vec<T> = items.into_iter().skip(start).collect();
        let more = page.len() > limit;
        let page: Vec<T> = page.into_iter().take(limit).collect();
        let next_marker = if more {
            page.last().map(|it| key(it).as_ref().to_owned())
        } else {
            None
        };
        let info = PageInfo {
            next_marker,
            current_count: page.len(),
        };
        Ok((page, info))
    }
}

/// The items of a store page, each shaped by `render`, with its `page_info`.
pub fn store_items<T, U>(
    page: iam_store::Page<T>,
    render: impl FnMut(&T) -> U,
) -> (Vec<U>, PageInfo) {
    let items: Vec<U> = page.items.iter().map(render).collect();
    let info = PageInfo {
        current_count: items.len(),
        next_marker: page.next_marker,
    };
    (items, info)
}

/// The store's page request for a list query's `limit` and `marker`, after checking them.
pub fn store_page(
    limit: Option<u32>,
    marker: Option<String>,
) -> Result<iam_store::PageRequest, ApiError> {
    PageQuery { limit, marker }.to_store()
}

/// A sort direction parameter (`param`): `asc`, or `desc` (the default); anything else is a 400.
pub(crate) fn ascending(param: &str, value: Option<&str>) -> Result<bool, ApiError> {
    match value {
        None | Some("desc") => Ok(false),
        Some("asc") => Ok(true),
        Some(other) => Err(ApiError::bad_request(format!(
            "{param} `{other}` is not supported; use `asc` or `desc`"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_through_a_list() {
        let items: Vec<String> = (0..5).map(|i| format!("item{i}")).collect();
        let q = PageQuery {
            limit: Some(2),
            marker: None,
        };
        let (p, info) = q.paginate(items.clone(), |s| s.clone()).unwrap();
        assert_eq!(p, ["item0", "item1"]);
        assert_eq!(info.next_marker.as_deref(), Some("item1"));
        let q = PageQuery {
            limit: Some(2),
            marker: Some("item3".into()),
        };
        let (p, info) = q.paginate(items.clone(), |s| s.clone()).unwrap();
        assert_eq!(p, ["item4"]);
        assert_eq!(
            info,
            PageInfo {
                next_marker: None,
                current_count: 1
            }
        );
        assert!(
            PageQuery {
                limit: Some(0),
                marker: None
            }
            .limit()
            .is_err()
        );
        assert!(
            PageQuery {
                limit: Some(201),
                marker: None
            }
            .limit()
            .is_err()
        );
        assert!(
            PageQuery {
                limit: None,
                marker: Some("nope".into())
            }
            .paginate(items, |s| s.clone())
            .is_err()
        );
    }
}
