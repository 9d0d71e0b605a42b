//! Huawei's documentation pages the catalog's data is taken from, and how the data's references
//! to them are shown to people.
//!
//! The data files keep compact machine references (`004 Table 2 row 30`, `000 Table 9, 000 Table
//! 14`) that the crate's tests check against the pages; [`cite`] renders one as the page and
//! table a reader can find on Huawei Cloud's documentation site (`ModelArts actions, resources
//! and conditions › Table 2 "Actions and dependencies supported by modelarts APIs"`). Everything
//! the catalog serializes for people (`published_in`, note references) goes through [`cite`].

/// A Huawei documentation page the catalog's data is taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocPage {
    /// The key the data files use (`000`, `004`).
    pub key: &'static str,
    /// The page as a reader finds it.
    pub title: &'static str,
    /// The page's numbered tables and their captions.
    pub tables: &'static [(u8, &'static str)],
}

/// ModelArts "Agencies and Dependencies": the function dependency policies (Tables 1-9) and the
/// basic agency authorization scopes (Tables 10-14).
pub const AGENCIES_AND_DEPENDENCIES: DocPage = DocPage {
    key: "000",
    title: "ModelArts › Agencies and Dependencies",
    tables: &[
        (1, "Basic configuration"),
        (2, "Managing workspaces"),
        (3, "Managing notebook instances"),
        (4, "Managing training jobs"),
        (5, "Using workflows"),
        (6, "Managing AI applications"),
        (7, "Managing service deployment"),
        (8, "Managing datasets"),
        (9, "Managing resources"),
        (
            10,
            "Basic agency authorization for a development environment",
        ),
        (11, "Basic agency authorization for training jobs"),
        (12, "Basic agency authorization for deploying services"),
        (13, "Basic agency authorization for managing data"),
        (
            14,
            "Basic agency authorization for managing dedicated resource pools",
        ),
    ],
};

/// The ModelArts page of Huawei's IAM actions, resources and conditions (identity policies and
/// SCPs): Table 1 actions, Table 2 APIs to actions, Table 3 resource types, Table 4 condition keys.
pub const ACTIONS_RESOURCES_CONDITIONS: DocPage = DocPage {
    key: "004",
    title: "ModelArts actions, resources and conditions",
    tables: &[
        (1, "Actions supported by modelarts"),
        (2, "Actions and dependencies supported by modelarts APIs"),
        (3, "Resource types supported by modelarts"),
        (4, "Service-specific condition keys supported by modelarts"),
    ],
};

/// Every page, by key.
pub const PAGES: [DocPage; 2] = [AGENCIES_AND_DEPENDENCIES, ACTIONS_RESOURCES_CONDITIONS];

/// The page a data key names.
pub fn page(key: &str) -> Option<&'static DocPage> {
    PAGES.iter().find(|p| p.key == key)
}

/// One part of a reference: `004 Table 2 row 30` -> (page `004`, `Table 2`); `004 Conditions`
/// -> (page `004`, `Conditions`).
enum Part<'a> {
    Table(&'static DocPage, u8),
    Section(&'static DocPage, &'a str),
    Page(&'static DocPage),
    Other(&'a str),
}

fn part(text: &str) -> Part<'_> {
    let text = text.trim();
    let Some((key, rest)) = text.split_once(' ').or(Some((text, ""))) else {
        return Part::Other(text);
    };
    let Some(p) = page(key) else {
        return Part::Other(text);
    };
    let rest = rest.trim();
    if rest.is_empty() {
        return Part::Page(p);
    }
    // `Table N` or `Table N row M` (the row number locates the row for the seed tests only)
    if let Some(n) = rest.strip_prefix("Table ") {
        let number = n
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<u8>().ok());
        if let Some(n) = number {
            return Part::Table(p, n);
        }
    }
    Part::Section(p, rest)
}

/// A data reference (`004 Table 2 row 30`; several separated by `, `) as readers find it on
/// Huawei's documentation site. Tables of one page are named together, row numbers are dropped
/// (the pages do not number rows), and text that is no page reference is kept as it is.
///
/// ```
/// use iam_catalog::docs::cite;
///
/// assert_eq!(
///     cite("004 Table 2 row 30"),
///     "ModelArts actions, resources and conditions › Table 2 \"Actions and dependencies supported by modelarts APIs\""
/// );
/// assert_eq!(
///     cite("000 Table 14, 000 Table 9"),
///     "ModelArts › Agencies and Dependencies › Tables 9 and 14"
/// );
/// ```
pub fn cite(reference: &str) -> String {
    cite_all(reference.split(',').map(str::trim))
}

/// Several data references named together (see [`cite`]).
pub fn cite_all<'a>(references: impl IntoIterator<Item = &'a str>) -> String {
    // Per page (in first-mention order): its tables and sections.
    let mut pages: Vec<(&'static DocPage, Vec<u8>, Vec<&str>)> = Vec::new();
    let mut others: Vec<&str> = Vec::new();
    for r in references {
        if r.is_empty() {
            continue;
        }
        let (p, table, section) = match part(r) {
            Part::Table(p, n) => (p, Some(n), None),
            Part::Section(p, s) => (p, None, Some(s)),
            Part::Page(p) => (p, None, None),
            Part::Other(s) => {
                if !others.contains(&s) {
                    others.push(s);
                }
                continue;
            }
        };
        let i = match pages.iter().position(|(q, _, _)| q.key == p.key) {
            Some(i) => i,
            None => {
                pages.push((p, Vec::new(), Vec::new()));
                pages.len() - 1
            }
        };
        if let Some((_, tables, sections)) = pages.get_mut(i) {
            if let Some(n) = table
                && !tables.contains(&n)
            {
                tables.push(n);
            }
            if let Some(s) = section
                && !sections.contains(&s)
            {
                sections.push(s);
            }
        }
    }
    let mut out: Vec<String> = Vec::new();
    for (p, mut tables, sections) in pages {
        tables.sort_unstable();
        let mut s = p.title.to_owned();
        match tables.as_slice() {
            [] => {}
            [n] => {
                s.push_str(&format!(" › Table {n}"));
                if let Some((_, caption)) = p.tables.iter().find(|(t, _)| t == n) {
                    s.push_str(&format!(" \"{caption}\""));
                }
            }
            many => {
                let numbers: Vec<String> = many.iter().map(u8::to_string).collect();
                if let Some((last, rest)) = numbers.split_last() {
                    s.push_str(&format!(" › Tables {} and {last}", rest.join(", ")));
                }
            }
        }
        for section in sections {
            s.push_str(&format!(" › {section}"));
        }
        out.push(s);
    }
    out.extend(others.into_iter().map(str::to_owned));
    out.join("; ")
}

/// Serializes an optional data reference as [`cite`] renders it.
pub(crate) fn serialize_cited<S: serde::Serializer>(
    reference: &Option<String>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match reference {
        Some(r) => serializer.serialize_some(&cite(r)),
        None => serializer.serialize_none(),
    }
}

/// Serializes a list of data references as the pages and tables they name (see [`cite_all`]),
/// one entry per page.
pub(crate) fn serialize_cited_list<S: serde::Serializer>(
    references: &[String],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let cited = cite_all(references.iter().map(String::as_str));
    let items: Vec<&str> = cited.split("; ").filter(|s| !s.is_empty()).collect();
    serializer.collect_seq(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cites() {
        assert_eq!(
            cite("004 Table 1 row 98"),
            "ModelArts actions, resources and conditions › Table 1 \"Actions supported by modelarts\""
        );
        assert_eq!(
            cite("000 Table 10, 000 Table 13, 000 Table 3"),
            "ModelArts › Agencies and Dependencies › Tables 3, 10 and 13"
        );
        assert_eq!(
            cite("004 Conditions"),
            "ModelArts actions, resources and conditions › Conditions"
        );
        assert_eq!(
            cite_all(["004 Table 2 row 24", "004 Table 2 row 140", "000 Table 3"]),
            "ModelArts actions, resources and conditions › Table 2 \"Actions and dependencies supported by modelarts APIs\"; ModelArts › Agencies and Dependencies › Table 3 \"Managing notebook instances\""
        );
        assert_eq!(cite("huawei docs"), "huawei docs");
        assert_eq!(cite(""), "");
    }
}
