//! Tokens and roles. A token is a random secret; only its SHA-256 is kept, with a name (which
//! becomes `actor`) and a role, in the token file: the vault record `tokens` (`tokens.json` in
//! the data dir, or an entry of the cluster's key-value bucket, `vault/`).
//!
//! The file is the one place tokens live, so `impact-ledger token new` works while the server
//! runs: the server re-reads the file when it changes (checked at most once a second), and
//! with a cluster every ledger server reads the same one.

use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::vault::dir::DirVault;
use crate::vault::Vault;

/// How stale the server's copy of `tokens.json` may be.
const RELOAD_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Appends events and reads everything but the export.
    Staff,
    /// Reads everything, verifies and exports; cannot append.
    Auditor,
    /// Everything.
    Admin,
    /// The political committee: reads the figures, the annual report and the lists (CONTRACT
    /// §9: every role); records nothing, and reads neither the events one by one nor the
    /// audit trail (export, verify, access log).
    Committee,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
            Role::Committee => "committee",
        }
    }
}

/// One token as stored: never the secret itself.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TokenRecord {
    pub name: String,
    pub role: Role,
    /// Lower-case hex SHA-256 of the secret.
    pub sha256: String,
    pub created_at: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct TokenFile {
    tokens: Vec<TokenRecord>,
}

/// Who is calling: the token's name and role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub name: String,
    pub role: Role,
}

/// The vault record that holds the tokens (`tokens.json` in a data dir).
const TOKENS: &str = "tokens";

/// The SHA-256 of a secret, as the token file keeps it.
pub fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// The token file and its revision (`None` when there is none yet).
fn read_file(vault: &dyn Vault) -> anyhow::Result<(TokenFile, Option<u64>)> {
    match vault.read(TOKENS)? {
        Some(record) => {
            let file = serde_json::from_slice(&record.value)
                .map_err(|error| anyhow::anyhow!("the token file is not valid: {error}"))?;
            Ok((file, Some(record.revision)))
        }
        None => Ok((TokenFile::default(), None)),
    }
}

/// How often a change of the tokens is tried again when another writer changed them first.
const WRITE_ATTEMPTS: usize = 8;

/// Changes the token file with `change` (which may refuse, or say there is nothing to write),
/// written only over the version it read: two servers or commands changing tokens at once
/// both land.
fn change_file<T>(
    vault: &dyn Vault,
    mut change: impl FnMut(&mut TokenFile) -> anyhow::Result<(T, bool)>,
) -> anyhow::Result<T> {
    for _ in 0..WRITE_ATTEMPTS {
        let (mut file, revision) = read_file(vault)?;
        let (answer, changed) = change(&mut file)?;
        if !changed || vault.write(TOKENS, &serde_json::to_vec_pretty(&file)?, revision)? {
            return Ok(answer);
        }
    }
    anyhow::bail!("the tokens kept changing while this change was written; try again")
}

/// Replaces `path` atomically with a file (mode 0600) only the service's user may read: write
/// `<path>.tmp`, fsync, rename, fsync the directory. Also the checkpoint key's writer.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)?;
    out.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    out.write_all(bytes)?;
    out.sync_all()?;
    std::fs::rename(&temporary, path)?;
    let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty());
    std::fs::File::open(dir.unwrap_or(Path::new(".")))?.sync_all()
}

/// Checks a token name: it becomes `actor` on every event it appends, so it is kept to what
/// reads as a name: 1 to 64 letters (of any alphabet: `søren` too) or digits, and `. _ - @`.
pub fn check_name(name: &str) -> anyhow::Result<()> {
    let valid = (1..=64).contains(&name.chars().count())
        && name
            .chars()
            .all(|character| character.is_alphanumeric() || "._-@".contains(character));
    anyhow::ensure!(
        valid,
        "a token name is 1 to 64 letters (æ, ø, å and other alphabets too), digits or . _ - @, \
         not `{name}`"
    );
    Ok(())
}

/// Creates a token in the data dir `dir` and returns its secret (see `create_token_in`).
pub fn create_token(dir: &Path, name: &str, role: Role) -> anyhow::Result<String> {
    create_token_in(&DirVault::new(dir), name, role)
}

/// Creates a token and returns its secret, which is shown once and never stored.
pub fn create_token_in(vault: &dyn Vault, name: &str, role: Role) -> anyhow::Result<String> {
    check_name(name)?;
    let mut random = [0u8; 32];
    getrandom::fill(&mut random).map_err(|error| anyhow::anyhow!("no randomness: {error}"))?;
    let secret = format!("il_{}", hex::encode(random));
    let record = TokenRecord {
        name: name.to_owned(),
        role,
        sha256: hex::encode(digest(&secret)),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    change_file(vault, |file| {
        anyhow::ensure!(
            !file.tokens.iter().any(|token| token.name == name),
            "a token named `{name}` already exists; revoke it first or choose another name"
        );
        file.tokens.push(record.clone());
        Ok(((), true))
    })?;
    Ok(secret)
}

/// Removes the token with this name from the data dir `dir` (see `revoke_token_in`).
pub fn revoke_token(dir: &Path, name: &str, force: bool) -> anyhow::Result<bool> {
    revoke_token_in(&DirVault::new(dir), name, force)
}

/// Removes the token with this name; returns whether there was one.
///
/// The last admin token is kept unless `force`: without one nobody can make or revoke tokens
/// over the API's roles, and a server that finds no token at all makes a new admin token.
pub fn revoke_token_in(vault: &dyn Vault, name: &str, force: bool) -> anyhow::Result<bool> {
    change_file(vault, |file| {
        let is_admin = |token: &TokenRecord| token.role == Role::Admin;
        let last_admin = file
            .tokens
            .iter()
            .any(|token| token.name == name && is_admin(token))
            && file.tokens.iter().filter(|token| is_admin(token)).count() == 1;
        anyhow::ensure!(
            !last_admin || force,
            "`{name}` is the last admin token; make another first \
             (impact-ledger token new --role admin --name NAME) or revoke it with --force"
        );
        let before = file.tokens.len();
        file.tokens.retain(|token| token.name != name);
        let revoked = file.tokens.len() != before;
        Ok((revoked, revoked))
    })
}

pub fn list_tokens(dir: &Path) -> anyhow::Result<Vec<TokenRecord>> {
    list_tokens_in(&DirVault::new(dir))
}

pub fn list_tokens_in(vault: &dyn Vault) -> anyhow::Result<Vec<TokenRecord>> {
    Ok(read_file(vault)?.0.tokens)
}

struct Loaded {
    tokens: Vec<([u8; 32], Caller)>,
    revision: Option<u64>,
    checked: Instant,
}

/// The server's view of the token file.
pub struct Tokens {
    vault: Arc<dyn Vault>,
    loaded: RwLock<Loaded>,
}

impl Tokens {
    /// The tokens of the data dir `dir`.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        Self::open_in(Arc::new(DirVault::new(dir)))
    }

    /// The tokens kept in `vault` (the data dir's, or the cluster's).
    pub fn open_in(vault: Arc<dyn Vault>) -> anyhow::Result<Self> {
        let tokens = Tokens {
            vault,
            loaded: RwLock::new(Loaded {
                tokens: Vec::new(),
                revision: None,
                checked: Instant::now(),
            }),
        };
        tokens.reload()?;
        Ok(tokens)
    }

    pub fn is_empty(&self) -> bool {
        self.loaded.read().expect("tokens lock").tokens.is_empty()
    }

    /// The vault the tokens are kept in.
    pub fn vault(&self) -> &dyn Vault {
        self.vault.as_ref()
    }

    /// Reads the token file again now.
    pub fn reload(&self) -> anyhow::Result<()> {
        let (file, revision) = read_file(self.vault.as_ref())?;
        let mut parsed = Vec::new();
        for record in file.tokens {
            let mut hash = [0u8; 32];
            if hex::decode_to_slice(&record.sha256, &mut hash).is_ok() {
                parsed.push((
                    hash,
                    Caller {
                        name: record.name,
                        role: record.role,
                    },
                ));
            }
        }
        *self.loaded.write().expect("tokens lock") = Loaded {
            tokens: parsed,
            revision,
            checked: Instant::now(),
        };
        Ok(())
    }

    fn refresh_if_stale(&self) {
        let stale = self.loaded.read().expect("tokens lock").checked.elapsed() >= RELOAD_INTERVAL;
        if !stale {
            return;
        }
        let revision = match self.vault.revision(TOKENS) {
            Ok(revision) => revision,
            Err(error) => {
                tracing::error!(%error, "keeping the tokens loaded before");
                self.loaded.write().expect("tokens lock").checked = Instant::now();
                return;
            }
        };
        let changed = self.loaded.read().expect("tokens lock").revision != revision;
        if changed {
            if let Err(error) = self.reload() {
                tracing::error!(%error, "keeping the tokens loaded before");
            }
        } else {
            self.loaded.write().expect("tokens lock").checked = Instant::now();
        }
    }

    /// Finds the caller a secret belongs to, comparing every hash in constant time.
    pub fn authenticate(&self, secret: &str) -> Option<Caller> {
        self.authenticate_digest(&digest(secret))
    }

    /// Finds the caller whose secret has this SHA-256: a web session keeps the digest, never
    /// the secret, and asks again on every request, so a revoked token ends its sessions.
    pub fn authenticate_digest(&self, presented: &[u8; 32]) -> Option<Caller> {
        self.refresh_if_stale();
        let loaded = self.loaded.read().expect("tokens lock");
        let mut found = None;
        for (hash, caller) in &loaded.tokens {
            if bool::from(hash.ct_eq(presented)) {
                found = Some(caller.clone());
            }
        }
        found
    }
}
