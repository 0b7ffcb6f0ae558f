//! `PositionIndex`: find a position by a key that is kept in a per-position array.

use std::hash::{BuildHasher, Hash};

use foldhash::fast::RandomState;

use hashbrown::hash_table::Entry;
use hashbrown::HashTable;

/// Finds a position by its key when the key itself is stored elsewhere, in an array indexed
/// by position: a slot is 4 bytes (and hashbrown's control byte) where a `HashMap<Uuid, u64>`
/// takes 24. At a million events that is 10 MB instead of 50 (docs/PERFORMANCE.md, finding 5).
///
/// Every call passes `key_at`, which reads the key stored for a position; it must answer for
/// every position inserted so far: a lookup compares the key it looks for with the stored key
/// of every position whose hash tag matches. Positions are at most `u32::MAX`. The hasher is
/// foldhash's, randomly seeded (SipHash was a few percent of a start; foldhash claims only
/// minimal resistance to chosen collisions, and ids come from authenticated staff). The seed
/// decides the table's layout, never an answer.
#[derive(Clone, Debug, Default)]
pub struct PositionIndex {
    table: HashTable<u32>,
    hasher: RandomState,
}

impl PositionIndex {
    pub fn with_capacity(positions: usize) -> Self {
        PositionIndex {
            table: HashTable::with_capacity(positions),
            hasher: RandomState::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// The position stored for `key`.
    pub fn get<K: Hash + Eq>(&self, key: &K, key_at: impl Fn(u64) -> K) -> Option<u64> {
        let hash = self.hasher.hash_one(key);
        let found = self.table.find(hash, |at| key_at(u64::from(*at)) == *key);
        found.map(|at| u64::from(*at))
    }

    /// Stores `position` for `key`; returns the position it replaced. This call never asks
    /// `key_at` for `position` itself, so the key may be stored right after it, before any
    /// other call.
    pub fn insert<K: Hash + Eq>(
        &mut self,
        key: &K,
        position: u64,
        key_at: impl Fn(u64) -> K,
    ) -> Option<u64> {
        match self.entry(key, key_at) {
            Entry::Occupied(mut occupied) => Some(u64::from(std::mem::replace(
                occupied.get_mut(),
                slot(position),
            ))),
            Entry::Vacant(vacant) => {
                vacant.insert(slot(position));
                None
            }
        }
    }

    /// Stores `position` for `key` unless the key has one; returns the one it has. As for
    /// `insert`, the key may be stored right after the call, before any other call.
    pub fn insert_first<K: Hash + Eq>(
        &mut self,
        key: &K,
        position: u64,
        key_at: impl Fn(u64) -> K,
    ) -> Option<u64> {
        match self.entry(key, key_at) {
            Entry::Occupied(occupied) => Some(u64::from(*occupied.get())),
            Entry::Vacant(vacant) => {
                vacant.insert(slot(position));
                None
            }
        }
    }

    fn entry<K: Hash + Eq>(&mut self, key: &K, key_at: impl Fn(u64) -> K) -> Entry<'_, u32> {
        let hash = self.hasher.hash_one(key);
        let hasher = &self.hasher;
        self.table.entry(
            hash,
            |at| key_at(u64::from(*at)) == *key,
            |at| hasher.hash_one(key_at(u64::from(*at))),
        )
    }
}

fn slot(position: u64) -> u32 {
    u32::try_from(position).expect("at most 4,294,967,295 events")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_insert_never_reads_the_key_of_the_position_it_inserts() {
        // The key is stored only after the call, as the folds do; reading it would panic.
        let mut keys: Vec<u64> = Vec::new();
        let mut index = PositionIndex::default();
        for key in (0..20_000u64).map(|n| n * 7919 % 20_011) {
            let position = keys.len() as u64 + 1;
            let stored = &keys;
            let key_at = |at: u64| *stored.get(at as usize - 1).expect("a stored key");
            assert_eq!(index.insert_first(&key, position, key_at), None);
            keys.push(key);
        }
        let key_at = |at: u64| keys[at as usize - 1];
        assert_eq!(index.get(&7919, key_at), Some(2));
    }

    #[test]
    fn finds_replaces_and_survives_growth_like_a_map() {
        // Keys live in `keys`, index = position - 1; key 7 appears twice (a stream's later event).
        let keys: Vec<u64> = (0..10_000u64)
            .map(|n| n * 7919 % 10_007)
            .chain([7])
            .collect();
        let key_at = |position: u64| keys[position as usize - 1];
        let mut index = PositionIndex::default();
        let mut map = std::collections::HashMap::new();
        for (position, key) in (1u64..).zip(&keys) {
            assert_eq!(
                index.insert(key, position, key_at),
                map.insert(*key, position)
            );
        }
        assert_eq!(index.len(), map.len());
        let first = index.get(&7, key_at);
        assert_eq!(
            index.insert_first(&7, 1, key_at),
            first,
            "a key keeps its position"
        );
        assert_eq!(index.get(&7, key_at), first);
        assert_eq!(
            index.insert_first(&10_008, 9, key_at),
            None,
            "a new key takes one"
        );
        for key in 0..10_010u64 {
            assert_eq!(index.get(&key, key_at), map.get(&key).copied(), "key {key}");
        }
    }
}
