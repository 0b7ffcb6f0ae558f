//! `impact-ledger verify --checkpoint FILE [--against URL | --export FILE]`: checks a signed
//! checkpoint (from a report, or saved from `GET /api/v1/checkpoint`) against the log it names.
//!
//! Against a data dir or an export, the chain is verified while the event hashes are read, the
//! tree is built from them, and the checkpoint's root must be the root of the tree of its size;
//! a consistency proof from the checkpoint to the head is then made and checked. Against a
//! running server only proofs travel: its head checkpoint (signed by the same key) and the
//! consistency proof from the checkpoint's size to the head, checked here.

use std::path::Path;

use anyhow::Context;
use impact_events::merkle::{self, verify_consistency};
use impact_events::Hash;

use super::{CheckpointKey, NoteVerifier};
use crate::audit::Checker;

/// Where the log to check the checkpoint against is.
pub enum Against<'a> {
    DataDir(&'a Path),
    Export(&'a Path),
    Server(&'a str),
}

/// Checks the checkpoint in `file`; on success returns what was proved, in words.
pub fn verify_checkpoint(
    file: &Path,
    against: Against<'_>,
    key: Option<&str>,
) -> anyhow::Result<String> {
    let note = std::fs::read_to_string(file)
        .with_context(|| format!("reading the checkpoint {}", file.display()))?;
    let verifier = match (key, &against) {
        (Some(key), _) => read_verifier(key)?,
        (None, Against::DataDir(dir)) => {
            let key = CheckpointKey::open(dir)?;
            NoteVerifier::parse(&key.verifier()).map_err(anyhow::Error::msg)?
        }
        (None, _) => anyhow::bail!(
            "give the ledger's public key with --key (the text of GET /api/v1/checkpoint/key, \
             or a file holding it): a checkpoint is only worth the key it is checked with"
        ),
    };
    let checkpoint = verifier.verify(&note).map_err(anyhow::Error::msg)?;
    let leaves = match against {
        Against::DataDir(dir) => data_dir_leaves(dir)?,
        Against::Export(file) => export_leaves(file)?,
        Against::Server(url) => return against_server(url, &verifier, &checkpoint),
    };
    check_against_leaves(&checkpoint, &leaves)
}

/// A verifier string given on the command line, or the name of a file holding one.
fn read_verifier(key: &str) -> anyhow::Result<NoteVerifier> {
    let text = match std::fs::read_to_string(key) {
        Ok(text) => text,
        Err(_) => key.to_owned(),
    };
    NoteVerifier::parse(&text).map_err(|error| anyhow::anyhow!("--key: {error}"))
}

/// The root at the checkpoint's size, then consistency from it to the head.
fn check_against_leaves(checkpoint: &super::Checkpoint, leaves: &[Hash]) -> anyhow::Result<String> {
    let head = leaves.len() as u64;
    let size = checkpoint.size;
    anyhow::ensure!(
        size <= head,
        "the checkpoint names a tree of {size} events, but the log has only {head}: \
         events the checkpoint covers are missing"
    );
    let root = merkle::root(leaves, size);
    anyhow::ensure!(
        root == checkpoint.root,
        "the log's tree of {size} events has the root {}, not the checkpoint's {}: \
         the history behind the checkpoint was changed",
        root.to_hex(),
        checkpoint.root.to_hex()
    );
    let head_root = merkle::root(leaves, head);
    if size > 0 {
        let proof = merkle::proof(leaves, size, head);
        verify_consistency(size, head, &proof, &root, &head_root)
            .context("the log's head is not consistent with the checkpoint")?;
    }
    Ok(format!(
        "checkpoint of {size} events verified: signed by {}, root {} is the log's; \
         the log's head of {head} events (root {}) extends it\n",
        checkpoint.origin,
        root.to_hex(),
        head_root.to_hex()
    ))
}

/// The leaf hashes of a data dir's log, its chain verified on the way.
fn data_dir_leaves(dir: &Path) -> anyhow::Result<Vec<Hash>> {
    let log = crate::audit::open_existing_log(dir)?;
    let until = log.last_position()?;
    let mut checker = Checker::default();
    let mut leaves = Vec::with_capacity(usize::try_from(until).unwrap_or(0));
    for event in log.range(0, until) {
        let event = event?;
        checker
            .check_event(&event)
            .map_err(|broken| anyhow::anyhow!("the log's chain is broken: {broken}"))?;
        leaves.push(merkle::leaf_hash(&event.hash.0));
    }
    Ok(leaves)
}

/// The leaf hashes of an export, its chain verified on the way.
fn export_leaves(file: &Path) -> anyhow::Result<Vec<Hash>> {
    let reader =
        std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let mut leaves = Vec::new();
    let summary = crate::audit::verify_export(std::io::BufReader::new(reader), |event| {
        leaves.push(merkle::leaf_hash(&event.hash.0));
        Ok(())
    })?;
    if let Some(broken) = summary.broken {
        anyhow::bail!("the export's chain is broken: {broken}");
    }
    Ok(leaves)
}

/// Asks a running server for its head checkpoint and the consistency proof to it.
fn against_server(
    url: &str,
    verifier: &NoteVerifier,
    checkpoint: &super::Checkpoint,
) -> anyhow::Result<String> {
    let base = url.trim_end_matches('/');
    let head_note = get_text(&format!("{base}/api/v1/checkpoint"))?;
    let head = verifier
        .verify(&head_note)
        .map_err(|error| anyhow::anyhow!("the server's own checkpoint: {error}"))?;
    let size = checkpoint.size;
    anyhow::ensure!(
        size <= head.size,
        "the checkpoint names a tree of {size} events, but the server's log has only {}: \
         events the checkpoint covers are missing",
        head.size
    );
    if size == 0 {
        return Ok(format!("checkpoint of 0 events verified against {base}\n"));
    }
    let path = format!(
        "{base}/api/v1/proofs/consistency?from={size}&to={}",
        head.size
    );
    let answer: serde_json::Value =
        serde_json::from_str(&get_text(&path)?).context("the consistency proof is not JSON")?;
    let proof = answer["hashes"]
        .as_array()
        .context("the consistency proof has no `hashes`")?
        .iter()
        .map(|hash| Hash::from_hex(hash.as_str().unwrap_or("")).map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<Vec<Hash>>>()?;
    verify_consistency(size, head.size, &proof, &checkpoint.root, &head.root).map_err(|error| {
        anyhow::anyhow!(
            "the server's log of {} events does not extend the checkpoint of {size}: {error}; \
             the history behind the checkpoint was changed",
            head.size
        )
    })?;
    Ok(format!(
        "checkpoint of {size} events verified: signed by {}; the server's head of {} events \
         extends it (consistency proof of {} hashes checked)\n",
        checkpoint.origin,
        head.size,
        proof.len()
    ))
}

/// GET `url` as text (plain HTTP: for HTTPS, use ops/verify_proofs.py).
fn get_text(url: &str) -> anyhow::Result<String> {
    let mut response = ureq::get(url)
        .call()
        .with_context(|| format!("GET {url}"))?;
    response
        .body_mut()
        .read_to_string()
        .with_context(|| format!("reading the answer of GET {url}"))
}
