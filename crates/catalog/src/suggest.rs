//! "Did you mean ...?": the known name closest to a mistyped one.

/// The candidate closest to `input`, if one is close enough to be what was meant: equal but
/// for case, the only candidate `input` is a prefix of, or at most about one edit in four
/// characters away (normalized Damerau-Levenshtein similarity of at least 0.75, case-insensitive).
///
/// ```
/// use iam_catalog::closest;
///
/// let names = ["Training management", "Notebook instances"];
/// assert_eq!(closest("training managment", names), Some("Training management"));
/// assert_eq!(closest("nothing like it", names), None);
/// ```
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wanted = input.to_lowercase();
    if wanted.is_empty() {
        return None;
    }
    let mut best: Option<(f64, &'a str)> = None;
    let mut prefixed: Vec<&'a str> = Vec::new();
    for c in candidates {
        let lower = c.to_lowercase();
        if lower == wanted {
            return Some(c);
        }
        if wanted.chars().count() >= 3 && lower.starts_with(&wanted) && !prefixed.contains(&c) {
            prefixed.push(c);
        }
        let score = strsim::normalized_damerau_levenshtein(&wanted, &lower);
        if score >= 0.75 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    match (best, prefixed.as_slice()) {
        (Some((_, c)), _) => Some(c),
        (None, [only]) => Some(only),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests() {
        let names = ["modelarts:trainJob:create", "modelarts:trainJob:delete"];
        assert_eq!(
            closest("modelarts:trainjob:craete", names),
            Some("modelarts:trainJob:create")
        );
        assert_eq!(
            closest("MODELARTS:TRAINJOB:CREATE", names),
            Some("modelarts:trainJob:create")
        );
        assert_eq!(closest("modelarts:nosuch:thing", names), None);
        assert_eq!(closest("", names), None);
        assert_eq!(closest("t4", ["t4-training-management", "t1-basic"]), None);
        assert_eq!(
            closest("t4-train", ["t4-training-management", "t1-basic"]),
            Some("t4-training-management")
        );
        assert_eq!(closest("modelart", ["modelarts", "obs"]), Some("modelarts"));
    }
}
