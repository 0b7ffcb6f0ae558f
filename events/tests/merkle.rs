//! The Merkle tree of `impact_events::merkle` against the published RFC 6962 test vectors (the
//! reference leaves, the root of every prefix, inclusion and consistency proofs, as in
//! transparency-dev/merkle's testdata), and property tests over random sizes: every proof the
//! kept tree makes verifies, and changing or dropping a leaf makes it fail.

use impact_events::merkle::{
    self, leaf_hash, mth, path, proof, root, verify_consistency, verify_inclusion, Leaves,
    MerkleTree, ProofError,
};
use impact_events::Hash;
use proptest::prelude::*;

/// The reference leaves of the RFC 6962 test suite (hex of the leaf input bytes).
const LEAF_INPUTS: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// The root of every prefix of those leaves, by size 0 to 8.
const ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// The leaf hashes of those leaves.
const LEAF_HASHES: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
];

/// Inclusion proofs: (leaf index, tree size, audit path).
const INCLUSION: [(u64, u64, &[&str]); 5] = [
    (0, 1, &[]),
    (
        0,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        3,
        &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    ),
    (
        1,
        5,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
];

/// Consistency proofs: (first size, second size, proof).
const CONSISTENCY: [(u64, u64, &[&str]); 5] = [
    (1, 1, &[]),
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
];

fn hash(text: &str) -> Hash {
    Hash::from_hex(text).expect("a test vector is 64 hex digits")
}

fn hashes(texts: &[&str]) -> Vec<Hash> {
    texts.iter().map(|text| hash(text)).collect()
}

fn vector_leaves() -> Vec<Hash> {
    LEAF_INPUTS
        .iter()
        .map(|input| leaf_hash(&hex::decode(input).expect("hex")))
        .collect()
}

/// Leaf hashes in memory, as the service's read model hands them to the tree.
struct Memory(Vec<Hash>);

impl Leaves for Memory {
    fn leaf_hashes(&self, start: u64, end: u64, out: &mut Vec<Hash>) {
        out.extend_from_slice(&self.0[start as usize..end as usize]);
    }
}

fn kept(leaves: &[Hash]) -> MerkleTree {
    let mut tree = MerkleTree::default();
    leaves.iter().for_each(|leaf| tree.push(*leaf));
    tree
}

#[test]
fn leaf_hashes_and_the_root_of_every_prefix_are_the_published_ones() {
    let leaves = vector_leaves();
    assert_eq!(leaves, hashes(&LEAF_HASHES));
    for (size, expected) in ROOTS.iter().enumerate() {
        assert_eq!(mth(&leaves[..size]), hash(expected), "MTH of {size} leaves");
        let tree = kept(&leaves[..size]);
        let memory = Memory(leaves.clone());
        assert_eq!(root(&tree.with(&memory), size as u64), hash(expected));
    }
}

#[test]
fn inclusion_proofs_are_the_published_ones_and_verify() {
    let leaves = vector_leaves();
    for (index, size, expected) in INCLUSION {
        let made = path(leaves.as_slice(), index, size);
        assert_eq!(made, hashes(expected), "PATH({index}, D[{size}])");
        let root = hash(ROOTS[size as usize]);
        let leaf = leaves[index as usize];
        assert_eq!(verify_inclusion(index, size, &leaf, &made, &root), Ok(()));
        // The published proof fails for a neighbouring leaf, a wrong size, a shortened proof.
        let other = leaves[(index as usize + 1) % 8];
        if size > 1 {
            assert!(verify_inclusion(index, size, &other, &made, &root).is_err());
            assert!(verify_inclusion(index, size, &leaf, &made[1..], &root).is_err());
        }
        assert!(verify_inclusion(index, size * 2, &leaf, &made, &root).is_err());
        assert!(verify_inclusion(size, size, &leaf, &made, &root).is_err());
    }
}

#[test]
fn consistency_proofs_are_the_published_ones_and_verify() {
    let leaves = vector_leaves();
    for (first, second, expected) in CONSISTENCY {
        let made = proof(leaves.as_slice(), first, second);
        assert_eq!(made, hashes(expected), "PROOF({first}, D[{second}])");
        let (old, new) = (hash(ROOTS[first as usize]), hash(ROOTS[second as usize]));
        assert_eq!(verify_consistency(first, second, &made, &old, &new), Ok(()));
        if first != second {
            assert!(verify_consistency(first, second, &made, &new, &old).is_err());
            assert!(verify_consistency(first, second, &made[1..], &old, &new).is_err());
        }
        assert_eq!(
            verify_consistency(second, first, &made, &old, &new).is_err(),
            first != second
        );
    }
    assert_eq!(
        verify_consistency(0, 3, &[], &hash(ROOTS[0]), &hash(ROOTS[3])),
        Err(ProofError::EmptyTree)
    );
}

/// Leaves for the property tests: the leaf hashes of `count` distinct 32-byte event hashes.
fn random_leaves(count: u64, seed: u64) -> Vec<Hash> {
    (0..count)
        .map(|n| leaf_hash(&merkle::leaf_hash(&(seed ^ n).to_le_bytes()).0))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_inclusion_proof_verifies_and_a_changed_leaf_fails(
        size in 1u64..1200, pick in any::<u64>(), seed in any::<u64>()
    ) {
        let leaves = random_leaves(size, seed);
        let tree = kept(&leaves);
        let memory = Memory(leaves.clone());
        let source = tree.with(&memory);
        let tree_size = 1 + pick % size;
        let index = (pick / size) % tree_size;
        let made = path(&source, index, tree_size);
        prop_assert_eq!(&made, &path(leaves.as_slice(), index, tree_size));
        let root_hash = root(&source, tree_size);
        prop_assert_eq!(root_hash, mth(&leaves[..tree_size as usize]));
        let leaf = leaves[index as usize];
        prop_assert_eq!(verify_inclusion(index, tree_size, &leaf, &made, &root_hash), Ok(()));
        // An event changed: its leaf no longer proves into the root.
        let changed = leaf_hash(b"changed");
        prop_assert!(verify_inclusion(index, tree_size, &changed, &made, &root_hash).is_err());
        // An event dropped (the later ones moved up, the tree as long as before when there
        // are more leaves): the published root no longer matches, so the proof of the same
        // leaf in the rewritten tree fails against it.
        let mut dropped = leaves;
        dropped.remove(index as usize);
        let available = tree_size.min(dropped.len() as u64);
        prop_assert!(mth(&dropped[..available as usize]) != root_hash);
        if index < available {
            let rewritten = path(dropped.as_slice(), index, available);
            let moved_up = dropped[index as usize];
            prop_assert!(verify_inclusion(index, tree_size, &moved_up, &rewritten, &root_hash).is_err());
        }
    }

    #[test]
    fn every_consistency_proof_verifies_and_a_rewritten_prefix_fails(
        size in 1u64..1200, pick in any::<u64>(), seed in any::<u64>()
    ) {
        let leaves = random_leaves(size, seed);
        let tree = kept(&leaves);
        let memory = Memory(leaves.clone());
        let source = tree.with(&memory);
        let second = 1 + pick % size;
        let first = 1 + (pick / size) % second;
        let made = proof(&source, first, second);
        prop_assert_eq!(&made, &proof(leaves.as_slice(), first, second));
        let (old, new) = (root(&source, first), root(&source, second));
        prop_assert_eq!(verify_consistency(first, second, &made, &old, &new), Ok(()));
        // A leaf of the old tree changed (or dropped and the rest moved up): the old root no
        // longer matches, so the proof from the published old root fails.
        let victim = ((pick >> 32) % first) as usize;
        let mut rewritten = leaves.clone();
        rewritten[victim] = leaf_hash(b"rewritten");
        let rewritten_tree = kept(&rewritten);
        let rewritten_memory = Memory(rewritten.clone());
        let rewritten_source = rewritten_tree.with(&rewritten_memory);
        let forged = proof(&rewritten_source, first, second);
        let forged_new = root(&rewritten_source, second);
        prop_assert!(verify_consistency(first, second, &forged, &old, &forged_new).is_err());
        let mut dropped = leaves;
        dropped.remove(victim);
        if second <= dropped.len() as u64 {
            let dropped_new = mth(&dropped[..second as usize]);
            prop_assert!(verify_consistency(first, second, &made, &old, &dropped_new).is_err());
        }
    }
}

/// Counts the leaves a proof reads back from the caller.
struct Counting {
    leaves: Vec<Hash>,
    read: std::cell::Cell<u64>,
}

impl Leaves for Counting {
    fn leaf_hashes(&self, start: u64, end: u64, out: &mut Vec<Hash>) {
        self.read.set(self.read.get() + end - start);
        out.extend_from_slice(&self.leaves[start as usize..end as usize]);
    }
}

/// The cost of a proof does not grow with the log: at 300,000 leaves an inclusion proof reads at
/// most two blocks of leaves back (its own block and the partial one at the tree's edge), and a
/// consistency proof at most four; the tree keeps about 2 hashes per block.
#[test]
fn a_proof_reads_a_bounded_number_of_leaves_whatever_the_size() {
    let size = 300_000u64;
    let leaves = random_leaves(size, 7);
    let tree = kept(&leaves);
    assert!(tree.kept_hashes() as u64 <= 2 * size / merkle::BLOCK + 64);
    let counting = Counting {
        leaves,
        read: std::cell::Cell::new(0),
    };
    let source = tree.with(&counting);
    for (index, tree_size) in [
        (0, size),
        (123_456, 200_001),
        (size - 1, size),
        (77, 256 * 900),
    ] {
        counting.read.set(0);
        let made = path(&source, index, tree_size);
        assert!(
            counting.read.get() <= 2 * merkle::BLOCK,
            "inclusion read {}",
            counting.read.get()
        );
        let root_hash = root(&source, tree_size);
        let leaf = counting.leaves[index as usize];
        assert_eq!(
            verify_inclusion(index, tree_size, &leaf, &made, &root_hash),
            Ok(())
        );
        counting.read.set(0);
        let consistency = proof(&source, index + 1, tree_size);
        assert!(
            counting.read.get() <= 4 * merkle::BLOCK,
            "consistency read {}",
            counting.read.get()
        );
        let old = root(&source, index + 1);
        assert_eq!(
            verify_consistency(index + 1, tree_size, &consistency, &old, &root_hash),
            Ok(())
        );
    }
}
