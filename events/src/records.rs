//! `Records`: one small record per position, append-only, in chunks.
//!
//! Chunks, not one vector: growing never copies what is there (a vector of a million 40-byte
//! slots doubled by copying 40 MB under the state's lock at the first append after a start),
//! and a copy for a question about the past ("as of") shares the full chunks, which never change
//! again (`Arc`), and copies only the unfinished last one.

use std::sync::Arc;

/// Records per chunk: a copy costs at most one chunk of memcpy (a few MB).
const CHUNK: usize = 1 << 16;

#[derive(Clone, Debug)]
pub struct Records<T> {
    full: Vec<Arc<Vec<T>>>,
    tail: Vec<T>,
}

impl<T> Default for Records<T> {
    fn default() -> Self {
        Records {
            full: Vec::new(),
            tail: Vec::new(),
        }
    }
}

impl<T: Clone> Records<T> {
    pub fn len(&self) -> usize {
        self.full.len() * CHUNK + self.tail.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn push(&mut self, record: T) {
        if self.tail.capacity() == 0 {
            self.tail.reserve_exact(CHUNK);
        }
        self.tail.push(record);
        if self.tail.len() == CHUNK {
            let full = std::mem::replace(&mut self.tail, Vec::with_capacity(CHUNK));
            self.full.push(Arc::new(full));
        }
    }

    pub fn get(&self, index: usize) -> Option<&T> {
        match self.full.get(index / CHUNK) {
            Some(chunk) => chunk.get(index % CHUNK),
            None if index / CHUNK == self.full.len() => self.tail.get(index % CHUNK),
            None => None,
        }
    }

    /// The first `len` records (all of them if fewer): full chunks shared, the rest copied.
    pub fn prefix(&self, len: usize) -> Records<T> {
        let len = len.min(self.len());
        let whole = len / CHUNK;
        let rest = len % CHUNK;
        let tail = match self.full.get(whole) {
            Some(chunk) => chunk[..rest].to_vec(),
            None => self.tail[..rest].to_vec(),
        };
        Records {
            full: self.full[..whole].to_vec(),
            tail,
        }
    }

    /// Every record in order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.full
            .iter()
            .flat_map(|chunk| chunk.iter())
            .chain(self.tail.iter())
    }

    /// How many records come before the first one for which `before` is false; `before` must
    /// be true for a prefix and false after it (as `slice::partition_point`).
    pub fn partition_point(&self, before: impl Fn(&T) -> bool) -> usize {
        let whole = self
            .full
            .partition_point(|chunk| chunk.last().is_some_and(&before));
        match self.full.get(whole) {
            Some(chunk) => whole * CHUNK + chunk.partition_point(&before),
            None => whole * CHUNK + self.tail.partition_point(&before),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_prefix_and_partition_point_agree_with_a_vec_across_chunk_edges() {
        let lengths = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 7];
        for length in lengths {
            let mut records = Records::default();
            (0..length as u64).for_each(|value| records.push(value * 2));
            let plain: Vec<u64> = (0..length as u64).map(|value| value * 2).collect();
            assert_eq!(records.len(), length);
            assert_eq!(records.iter().copied().collect::<Vec<_>>(), plain);
            assert_eq!(records.get(length), None);
            for cut in lengths.into_iter().filter(|cut| *cut <= length + 1) {
                let prefix = records.prefix(cut);
                let expected = &plain[..cut.min(length)];
                assert_eq!(prefix.iter().copied().collect::<Vec<_>>(), expected);
                for index in [0, cut.saturating_sub(1), cut] {
                    assert_eq!(prefix.get(index), expected.get(index));
                }
                let value = cut as u64 * 2 - u64::from(cut % 2 == 1);
                let point = |slice: &[u64]| slice.partition_point(|v| *v < value);
                assert_eq!(records.partition_point(|v| *v < value), point(&plain));
            }
        }
    }
}
