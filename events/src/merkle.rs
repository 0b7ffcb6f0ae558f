//! The RFC 9162 (Certificate Transparency v2, hashing as RFC 6962) Merkle tree over the log.
//!
//! Leaf N is the 32 raw bytes of event N's `hash`; a leaf hashes as SHA-256(0x00 || leaf), a
//! node as SHA-256(0x01 || left || right). The algorithms are named as the RFC names them:
//! `mth` (MTH, 2.1.1), `path` (PATH, 2.1.3.1), `proof` (PROOF, 2.1.4.1) and their checks
//! `verify_inclusion` (2.1.3.2) and `verify_consistency` (2.1.4.2).
//!
//! `MerkleTree` keeps the tree as it grows: the hashes of every perfect subtree of at least
//! `2^FLOOR` leaves, added in amortised O(1) per leaf. Subtrees below that level are recomputed
//! from leaf hashes on demand (at most `2^FLOOR` leaves per subtree asked for), which keeps the
//! memory at about 64 bytes per `2^FLOOR` leaves. Proofs can be made for any past tree size.
//! No IO: the caller hands in the leaf hashes through `Leaves`.

use sha2::{Digest, Sha256};

use crate::stored::Hash;

/// Levels below this are not kept but recomputed from the leaves (256 leaves a block).
pub const FLOOR: u32 = 8;
/// The leaves under one kept hash of the lowest kept level.
pub const BLOCK: u64 = 1 << FLOOR;

/// SHA-256(0x00 || leaf).
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(leaf);
    Hash(hasher.finalize().into())
}

/// SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left.0);
    hasher.update(right.0);
    Hash(hasher.finalize().into())
}

/// The root of the empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash {
    Hash(Sha256::digest([]).into())
}

/// The largest power of two smaller than `n` (n > 1): where the RFC splits a tree of n leaves.
fn split(n: u64) -> u64 {
    debug_assert!(n > 1);
    1 << (63 - (n - 1).leading_zeros())
}

/// MTH over leaf hashes (already `leaf_hash`ed).
pub fn mth(leaf_hashes: &[Hash]) -> Hash {
    match leaf_hashes.len() {
        0 => empty_root(),
        1 => leaf_hashes[0],
        n => {
            let k = split(n as u64) as usize;
            node_hash(&mth(&leaf_hashes[..k]), &mth(&leaf_hashes[k..]))
        }
    }
}

/// Hashes of perfect subtrees: the source every proof is built from.
pub trait Subtrees {
    /// MTH of the `2^level` leaves from `index << level`; all of them exist.
    fn perfect(&self, level: u32, index: u64) -> Hash;
}

/// Leaf hashes of a slice: the reference source, for tests and small trees.
impl Subtrees for [Hash] {
    fn perfect(&self, level: u32, index: u64) -> Hash {
        let start = (index << level) as usize;
        mth(&self[start..start + (1usize << level)])
    }
}

/// MTH(D[start:end]) for a subtree of the RFC's recursion: `start` is a multiple of the
/// largest power of two not above `end - start`, so the left part is always perfect.
pub fn subtree_root(tree: &(impl Subtrees + ?Sized), start: u64, end: u64) -> Hash {
    let size = end - start;
    if size == 0 {
        return empty_root();
    }
    if size.is_power_of_two() {
        let level = size.trailing_zeros();
        return tree.perfect(level, start >> level);
    }
    let k = split(size);
    node_hash(
        &subtree_root(tree, start, start + k),
        &subtree_root(tree, start + k, end),
    )
}

/// The root of the tree of the first `size` leaves.
pub fn root(tree: &(impl Subtrees + ?Sized), size: u64) -> Hash {
    subtree_root(tree, 0, size)
}

/// PATH(m, D[size]): the audit path of leaf `m` (0-based) in the tree of `size` leaves,
/// from the leaf's sibling up. `m < size` is the caller's to check.
pub fn path(tree: &(impl Subtrees + ?Sized), m: u64, size: u64) -> Vec<Hash> {
    let mut hashes = Vec::new();
    path_of(tree, m, 0, size, &mut hashes);
    hashes
}

fn path_of(tree: &(impl Subtrees + ?Sized), m: u64, start: u64, end: u64, out: &mut Vec<Hash>) {
    let n = end - start;
    if n <= 1 {
        return;
    }
    let k = split(n);
    if m - start < k {
        path_of(tree, m, start, start + k, out);
        out.push(subtree_root(tree, start + k, end));
    } else {
        path_of(tree, m, start + k, end, out);
        out.push(subtree_root(tree, start, start + k));
    }
}

/// PROOF(m, D[size]): the consistency proof from the tree of `m` leaves to the tree of `size`
/// leaves; empty when they are equal. `0 < m <= size` is the caller's to check.
pub fn proof(tree: &(impl Subtrees + ?Sized), m: u64, size: u64) -> Vec<Hash> {
    let mut hashes = Vec::new();
    if m < size {
        subproof(tree, m, 0, size, true, &mut hashes);
    }
    hashes
}

/// SUBPROOF(m, D[start:end], b), with `m` counted from `start`.
fn subproof(
    tree: &(impl Subtrees + ?Sized),
    m: u64,
    start: u64,
    end: u64,
    complete: bool,
    out: &mut Vec<Hash>,
) {
    let n = end - start;
    if m == n {
        if !complete {
            out.push(subtree_root(tree, start, end));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(tree, m, start, start + k, complete, out);
        out.push(subtree_root(tree, start + k, end));
    } else {
        subproof(tree, m - k, start + k, end, false, out);
        out.push(subtree_root(tree, start, start + k));
    }
}

/// Why a proof did not verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf index {index} is not inside a tree of {size} leaves")]
    IndexBeyondSize { index: u64, size: u64 },
    #[error("the older tree size {first} is larger than the newer one {second}")]
    SizesReversed { first: u64, second: u64 },
    #[error("a tree of size 0 has nothing to prove")]
    EmptyTree,
    #[error("the proof has the wrong number of hashes for these sizes")]
    WrongLength,
    #[error("the proof does not lead to the given root hash")]
    RootMismatch,
}

/// Verifies an inclusion proof (RFC 9162 2.1.3.2).
pub fn verify_inclusion(
    leaf_index: u64,
    tree_size: u64,
    leaf: &Hash,
    inclusion_path: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if leaf_index >= tree_size {
        return Err(ProofError::IndexBeyondSize {
            index: leaf_index,
            size: tree_size,
        });
    }
    let (mut fn_, mut sn) = (leaf_index, tree_size - 1);
    let mut r = *leaf;
    for p in inclusion_path {
        if sn == 0 {
            return Err(ProofError::WrongLength);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongLength);
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Verifies a consistency proof (RFC 9162 2.1.4.2); equal sizes need an empty proof and
/// equal roots.
pub fn verify_consistency(
    first: u64,
    second: u64,
    consistency_path: &[Hash],
    first_hash: &Hash,
    second_hash: &Hash,
) -> Result<(), ProofError> {
    if first == 0 {
        return Err(ProofError::EmptyTree);
    }
    if first > second {
        return Err(ProofError::SizesReversed { first, second });
    }
    if first == second {
        if !consistency_path.is_empty() {
            return Err(ProofError::WrongLength);
        }
        if first_hash != second_hash {
            return Err(ProofError::RootMismatch);
        }
        return Ok(());
    }
    let Some((&head, rest)) = consistency_path.split_first() else {
        return Err(ProofError::WrongLength);
    };
    // When `first` is a power of two its root is the first node of the path, so it is not sent.
    let (start, rest) = if first.is_power_of_two() {
        (*first_hash, consistency_path)
    } else {
        (head, rest)
    };
    let (mut fn_, mut sn) = (first - 1, second - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (start, start);
    for c in rest {
        if sn == 0 {
            return Err(ProofError::WrongLength);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongLength);
    }
    if fr != *first_hash || sr != *second_hash {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Where a `MerkleTree` reads the leaf hashes it does not keep.
pub trait Leaves {
    /// Appends the leaf hashes of leaves `start..end` (0-based), all below the tree's size.
    fn leaf_hashes(&self, start: u64, end: u64, out: &mut Vec<Hash>);
}

/// The growing tree: the hashes of every perfect subtree of `BLOCK` leaves or more, and the
/// compact range (RFC 9162's "frontier") of the leaves after the last whole block.
#[derive(Clone, Debug, Default)]
pub struct MerkleTree {
    /// `levels[i][j]`: the root of the `j`-th perfect subtree of `2^(FLOOR + i)` leaves.
    levels: Vec<Vec<Hash>>,
    /// Roots of the perfect subtrees covering the leaves after the last whole block, largest
    /// first (at most FLOOR of them).
    frontier: Vec<Hash>,
    size: u64,
}

impl MerkleTree {
    /// The number of leaves added.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Adds the next leaf, given as its leaf hash: one node hash per leaf, amortised.
    pub fn push(&mut self, leaf: Hash) {
        self.frontier.push(leaf);
        self.size += 1;
        // Merge equal-sized neighbours: one merge per trailing zero bit of the new size.
        let filled = self.size % BLOCK;
        let merges = if filled == 0 {
            FLOOR
        } else {
            filled.trailing_zeros()
        };
        for _ in 0..merges {
            let right = self.frontier.pop().expect("a right subtree to merge");
            let left = self.frontier.pop().expect("a left subtree to merge");
            self.frontier.push(node_hash(&left, &right));
        }
        if self.size % BLOCK == 0 {
            let block = self.frontier.pop().expect("the whole block's root");
            debug_assert!(self.frontier.is_empty());
            self.keep(0, block);
        }
    }

    /// Keeps a perfect subtree's root at `level` (above FLOOR) and the parents it completes.
    fn keep(&mut self, level: usize, hash: Hash) {
        if self.levels.len() == level {
            self.levels.push(Vec::new());
        }
        self.levels[level].push(hash);
        let count = self.levels[level].len();
        if count % 2 == 0 {
            let parent = node_hash(
                &self.levels[level][count - 2],
                &self.levels[level][count - 1],
            );
            self.keep(level + 1, parent);
        }
    }

    /// The hashes kept in memory, for a statement of what the tree costs.
    pub fn kept_hashes(&self) -> usize {
        self.levels.iter().map(Vec::len).sum::<usize>() + self.frontier.len()
    }

    /// The tree with `leaves` as the source of what it does not keep.
    pub fn with<'a, L: Leaves + ?Sized>(&'a self, leaves: &'a L) -> Source<'a, L> {
        Source { tree: self, leaves }
    }
}

/// A `MerkleTree` and its leaves: answers for any perfect subtree inside its size.
pub struct Source<'a, L: ?Sized> {
    tree: &'a MerkleTree,
    leaves: &'a L,
}

impl<L: Leaves + ?Sized> Subtrees for Source<'_, L> {
    fn perfect(&self, level: u32, index: u64) -> Hash {
        let start = index << level;
        assert!(
            start + (1 << level) <= self.tree.size,
            "a subtree beyond the tree's size was asked for"
        );
        if level >= FLOOR {
            return self.tree.levels[(level - FLOOR) as usize][(index) as usize];
        }
        let mut hashes = Vec::with_capacity(1 << level);
        self.leaves
            .leaf_hashes(start, start + (1 << level), &mut hashes);
        mth(&hashes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(count: u64) -> Vec<Hash> {
        (0..count).map(|n| leaf_hash(&n.to_be_bytes())).collect()
    }

    impl Leaves for Vec<Hash> {
        fn leaf_hashes(&self, start: u64, end: u64, out: &mut Vec<Hash>) {
            out.extend_from_slice(&self[start as usize..end as usize]);
        }
    }

    #[test]
    fn the_kept_tree_answers_as_the_reference_for_every_size_around_blocks() {
        let all = leaves(3 * BLOCK + 5);
        let mut tree = MerkleTree::default();
        for (count, leaf) in all.iter().enumerate() {
            tree.push(*leaf);
            let size = count as u64 + 1;
            let source = tree.with(&all);
            assert_eq!(root(&source, size), mth(&all[..=count]), "size {size}");
        }
        let source = tree.with(&all);
        for size in [1, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK, 3 * BLOCK + 5] {
            for m in [0, size / 2, size - 1] {
                assert_eq!(path(&source, m, size), path(all.as_slice(), m, size));
            }
            assert_eq!(proof(&source, 1, size), proof(all.as_slice(), 1, size));
        }
        assert_eq!(tree.kept_hashes(), 3 + 1 + 2);
    }
}
