//! The system policies every account has (docs/system-policies.md): the catalog's
//! `data/system-policies.json`, handed to the store when an [`crate::AppState`] is built
//! (`AppState::new` syncs before it loads the first snapshot, so no state exists without them),
//! and looked up by name for the code that attaches them (the one-click ModelArts agency).

use iam_catalog::Catalog;
use iam_policy::{Policy, PolicyKind};
use iam_store::{Store, StoreError, SystemPolicyRow, SystemPolicySync};

/// The catalog's system policies as the store keeps them: fixed id and URN (spaces of the name
/// as `-`), description, and the document as compact JSON. A document the engine does not
/// compile is left out and logged (a catalog test keeps this from happening).
pub fn rows() -> Vec<SystemPolicyRow> {
    Catalog::builtin()
        .system_policies()
        .iter()
        .filter_map(|p| {
            let document = p.document_text();
            if let Err(e) = Policy::parse(&document, PolicyKind::Identity) {
                tracing::error!(name = %p.name, error = %e, "system policy document does not compile; left out");
                return None;
            }
            Some(SystemPolicyRow {
                id: p.policy_id(),
                name: p.name.clone(),
                urn: p.urn(),
                description: p.description.clone(),
                document,
            })
        })
        .collect()
}

/// Makes the store's system policies those of this binary's catalog (one transaction; nothing
/// is written when they already are) and logs what changed.
pub async fn sync(store: &Store) -> Result<SystemPolicySync, StoreError> {
    let out = store.sync_system_policies(&rows()).await?;
    if !out.is_empty() {
        tracing::info!(
            created = out.created.len(),
            updated = ?out.updated,
            removed = ?out.removed,
            "system policies brought up to date"
        );
    }
    for id in &out.kept {
        tracing::warn!(policy_id = %id, "system policy no longer defined but still attached: kept until detached");
    }
    Ok(out)
}

/// The id of the system policy named `name` (as Huawei displays it, ASCII case ignored):
/// `system_policy_id("ModelArts CommonOperations")` is `Some("system-ModelArts-CommonOperations")`.
/// The id is the same in every store, and [`sync`] has stored it in every account.
pub fn system_policy_id(name: &str) -> Option<String> {
    Catalog::builtin()
        .system_policy(name)
        .map(|p| p.policy_id())
}

/// The URN of the system policy named `name` (`iam::system:policy:ModelArts-CommonOperations`).
pub fn system_policy_urn(name: &str) -> Option<String> {
    Catalog::builtin().system_policy(name).map(|p| p.urn())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_system_policy_becomes_a_row() {
        assert_eq!(rows().len(), Catalog::builtin().system_policies().len());
        assert_eq!(
            system_policy_id("modelarts commonoperations").as_deref(),
            Some("system-ModelArts-CommonOperations")
        );
        assert_eq!(
            system_policy_urn("SWR Admin").as_deref(),
            Some("iam::system:policy:SWR-Admin")
        );
        assert_eq!(system_policy_id("No Such Policy"), None);
    }
}
