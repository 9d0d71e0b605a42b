//! The server's one cache type, [`RevisionCache`], and the bound of every cache built on it.
//!
//! Every cache of the server is a `RevisionCache`: a bounded map whose entries are valid for the
//! one *generation* they were filled at. For everything derived from the store the generation is
//! the snapshot revision (the store bumps it on every committed entity write), so a write makes
//! every entry filled before it unreachable at once and the first insert of the new revision
//! empties the map. Which caches exist, their keys, values, bounds and generations are listed
//! in one place: docs/server.md, "Caches".
//!
//! The type holds no lock: a cache shared by threads sits behind an `RwLock` in
//! [`crate::state::AppState`]; a per-thread one sits in a `thread_local!` `RefCell`.

use std::hash::Hash;

use hashbrown::{Equivalent, HashMap};

/// Most credentials in the cache shared by all threads.
pub(crate) const SHARED_CREDENTIALS_MAX: usize = 10_000;
/// Most credentials in one worker thread's cache.
pub(crate) const THREAD_CREDENTIALS_MAX: usize = 1024;
/// Most allowed API calls (access key, method, path) in one worker thread's cache.
pub(crate) const THREAD_ALLOWED_CALLS_MAX: usize = 16_384;
/// Longest path of an allowed API call kept.
pub(crate) const ALLOWED_CALL_PATH_MAX: usize = 256;
/// Most agency sessions with their compiled policy set.
pub(crate) const SESSIONS_MAX: usize = 10_000;
/// Most (project, user) agency credentials of jobs the gateway keeps.
pub(crate) const JOB_CREDENTIALS_MAX: usize = 10_000;
/// Most resources whose attributes (enterprise project, workspace, tags) the gateway keeps.
pub(crate) const RESOURCE_ATTRIBUTES_MAX: usize = 100_000;
/// Most projects (project id -> account and region) of the gateway.
pub(crate) const PROJECTS_MAX: usize = 100_000;
/// The formatted `g:CurrentTime` of one second, per thread.
pub(crate) const TIME_STRINGS_MAX: usize = 1;

/// A map whose entries are valid for one generation `G` only, holding at most `bound` entries.
///
/// - [`get`](Self::get) answers only for the generation the entries were filled at;
/// - [`insert`](Self::insert) at a later (or other, unordered) generation empties the map first;
///   an insert for an earlier generation than the one held (a late request that loaded an older
///   snapshot) is dropped, so the map never goes back;
/// - a full map keeps what it has and drops new entries until the generation changes.
#[derive(Debug)]
pub(crate) struct RevisionCache<G, K, V> {
    generation: Option<G>,
    bound: usize,
    entries: HashMap<K, V>,
}

impl<G: PartialOrd + Copy, K: Hash + Eq, V> RevisionCache<G, K, V> {
    /// An empty cache of at most `bound` entries.
    pub(crate) fn new(bound: usize) -> Self {
        Self {
            generation: None,
            bound,
            entries: HashMap::new(),
        }
    }

    /// The value of `key` filled at `generation`.
    pub(crate) fn get<Q: Hash + Equivalent<K> + ?Sized>(
        &self,
        generation: G,
        key: &Q,
    ) -> Option<&V> {
        if self.generation != Some(generation) {
            return None;
        }
        self.entries.get(key)
    }

    /// Keeps `value` for `key` at `generation`; whether it was kept.
    pub(crate) fn insert(&mut self, generation: G, key: K, value: V) -> bool {
        match self.generation {
            Some(held) if held == generation => {}
            Some(held) if generation < held => return false,
            _ => {
                self.entries.clear();
                self.generation = Some(generation);
            }
        }
        if self.entries.len() >= self.bound && !self.entries.contains_key(&key) {
            return false;
        }
        self.entries.insert(key, value);
        true
    }

    /// The number of entries held (of whatever generation).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_is_enforced() {
        let mut c: RevisionCache<i64, String, u32> = RevisionCache::new(3);
        for i in 0..10 {
            c.insert(1, format!("k{i}"), i);
        }
        assert_eq!(c.len(), 3);
        assert_eq!(c.get(1, "k2"), Some(&2));
        assert_eq!(c.get(1, "k3"), None);
        // a held key may still be replaced when full
        assert!(c.insert(1, "k0".to_owned(), 7));
        assert_eq!(c.get(1, "k0"), Some(&7));
    }

    #[test]
    fn a_new_generation_invalidates() {
        let mut c: RevisionCache<i64, String, u32> = RevisionCache::new(10);
        c.insert(5, "a".to_owned(), 1);
        assert_eq!(c.get(5, "a"), Some(&1));
        // entries answer only for their own generation
        assert_eq!(c.get(6, "a"), None);
        assert_eq!(c.get(4, "a"), None);
        // the first insert of a new generation empties the map
        c.insert(6, "b".to_owned(), 2);
        assert_eq!(c.len(), 1);
        assert_eq!(c.get(6, "a"), None);
        assert_eq!(c.get(5, "a"), None);
        // a late insert for an older generation is dropped and leaves the newer entries
        assert!(!c.insert(5, "a".to_owned(), 1));
        assert_eq!(c.get(6, "b"), Some(&2));
        assert_eq!(c.get(5, "a"), None);
    }

    #[test]
    fn tuple_generations_and_borrowed_keys() {
        #[derive(Hash)]
        struct Pair<'a>(&'a str, &'a str);
        impl Equivalent<(String, String)> for Pair<'_> {
            fn equivalent(&self, key: &(String, String)) -> bool {
                self.0 == key.0 && self.1 == key.1
            }
        }
        let mut c: RevisionCache<(u64, i64), (String, String), usize> = RevisionCache::new(10);
        c.insert((1, 5), ("GET".to_owned(), "/v5/users".to_owned()), 1);
        assert_eq!(c.get((1, 5), &Pair("GET", "/v5/users")), Some(&1));
        assert_eq!(c.get((1, 5), &Pair("GET", "/v5/users/")), None);
        // another state of the process is another generation
        assert_eq!(c.get((2, 5), &Pair("GET", "/v5/users")), None);
        c.insert((2, 1), ("GET".to_owned(), "/v5/users".to_owned()), 2);
        assert_eq!(c.get((1, 5), &Pair("GET", "/v5/users")), None);
    }
}
