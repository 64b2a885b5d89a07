//! Personal data at rest (DESIGN.md §4): 身份证号 and phone numbers are stored encrypted (AES-256-GCM,
//! random nonce) and found by a keyed hash (HMAC-SHA256 blind index), never in clear.
//!
//! Keys live outside the database — in `keys.json` in the data directory (created on first start, readable by
//! the owner only) or in the `WANGGE_KEY` environment variable — so a stolen database or dump alone reveals
//! nothing. Every ciphertext names the key that wrote it (`v<id>:…`), which is what makes rotation safe: see
//! [`Keyring::begin_rotation`] and `Store::reencrypt_people`.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::path::{Path, PathBuf};

pub const KEY_FILE: &str = "keys.json";
/// `ID:BASE64` of 64 bytes (32 for encryption, 32 for the blind index); overrides the key file.
pub const KEY_ENV: &str = "WANGGE_KEY";

#[derive(Clone)]
struct KeySet {
    id: u32,
    cipher: Aes256Gcm,
    /// HMAC keyed with the blind-index key, its pads computed once (cloned per hash).
    index_mac: Hmac<Sha256>,
}

fn index_mac(key: &[u8; 32]) -> Hmac<Sha256> {
    <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length")
}

/// Encrypts with the current key, decrypts with whichever key a value names, hashes with the current key.
#[derive(Clone)]
pub struct Crypto {
    current: KeySet,
    others: Vec<KeySet>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredKey {
    pub id: u32,
    pub enc_key: String,
    pub index_key: String,
}

/// The key file. `next` is set only while a rotation is under way (see [`Keyring::begin_rotation`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KeyFile {
    pub version: u32,
    pub current: StoredKey,
    #[serde(default)]
    pub next: Option<StoredKey>,
}

/// The first key-file format (a single key, id 1), still read.
#[derive(serde::Deserialize)]
struct KeyFileV1 {
    enc_key: String,
    index_key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("key file {0}: {1}")]
    KeyFile(String, String),
    #[error("{KEY_ENV}: {0}")]
    Env(String),
    #[error("encrypted value is damaged or was written with another key")]
    Damaged,
}

impl std::fmt::Debug for Crypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Crypto(key {})", self.current.id)
    }
}

fn decode_key(s: &str) -> Option<[u8; 32]> {
    B64.decode(s).ok()?.try_into().ok()
}

fn random_key() -> [u8; 32] {
    let mut k = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut k);
    k
}

impl StoredKey {
    pub fn generate(id: u32) -> StoredKey {
        StoredKey { id, enc_key: B64.encode(random_key()), index_key: B64.encode(random_key()) }
    }

    fn open(&self) -> Option<KeySet> {
        let enc = decode_key(&self.enc_key)?;
        let index_key = decode_key(&self.index_key)?;
        Some(KeySet { id: self.id, cipher: Aes256Gcm::new(&enc.into()), index_mac: index_mac(&index_key) })
    }

    /// The `ID:BASE64` form used by `WANGGE_KEY`.
    pub fn to_env(&self) -> String {
        let mut raw = decode_key(&self.enc_key).unwrap_or_default().to_vec();
        raw.extend_from_slice(&decode_key(&self.index_key).unwrap_or_default());
        format!("{}:{}", self.id, B64.encode(raw))
    }

    pub fn from_env(value: &str) -> Result<StoredKey, CryptoError> {
        let (id, b64) = value.trim().split_once(':').unwrap_or(("1", value.trim()));
        let id: u32 = id.parse().map_err(|_| CryptoError::Env("the key id before ':' must be a number".into()))?;
        let raw = B64.decode(b64).map_err(|_| CryptoError::Env("not base64".into()))?;
        if raw.len() != 64 {
            return Err(CryptoError::Env(format!("expected 64 bytes of key, got {}", raw.len())));
        }
        Ok(StoredKey { id, enc_key: B64.encode(&raw[..32]), index_key: B64.encode(&raw[32..]) })
    }
}

/// Where the keys come from and how they change: the key file in the data directory, or `WANGGE_KEY`.
pub struct Keyring {
    path: PathBuf,
    from_env: bool,
    pub file: KeyFile,
}

impl Keyring {
    /// `WANGGE_KEY` when set, else `DATA/keys.json`, created (owner-only) on first use.
    pub fn load_or_create(data_dir: &Path) -> Result<Keyring, CryptoError> {
        let path = data_dir.join(KEY_FILE);
        if let Ok(v) = std::env::var(KEY_ENV)
            && !v.trim().is_empty()
        {
            let current = StoredKey::from_env(&v)?;
            return Ok(Keyring { path, from_env: true, file: KeyFile { version: 2, current, next: None } });
        }
        let err = |e: String| CryptoError::KeyFile(path.display().to_string(), e);
        if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(|e| err(e.to_string()))?;
            let file = match serde_json::from_str::<KeyFile>(&text) {
                Ok(f) => f,
                Err(_) => {
                    let v1: KeyFileV1 = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
                    KeyFile {
                        version: 2,
                        current: StoredKey { id: 1, enc_key: v1.enc_key, index_key: v1.index_key },
                        next: None,
                    }
                }
            };
            let ring = Keyring { path, from_env: false, file };
            ring.crypto()?;
            return Ok(ring);
        }
        std::fs::create_dir_all(data_dir).map_err(|e| err(e.to_string()))?;
        let ring = Keyring {
            path,
            from_env: false,
            file: KeyFile { version: 2, current: StoredKey::generate(1), next: None },
        };
        ring.save()?;
        Ok(ring)
    }

    pub fn from_env_keys(&self) -> bool {
        self.from_env
    }

    /// The working keys: the current one for writing, a pending next one (if any) also for reading.
    pub fn crypto(&self) -> Result<Crypto, CryptoError> {
        let bad = |what: &str| CryptoError::KeyFile(self.path.display().to_string(), format!("bad {what}"));
        let current = self.file.current.open().ok_or_else(|| bad("current key"))?;
        let others = match &self.file.next {
            Some(n) => vec![n.open().ok_or_else(|| bad("next key"))?],
            None => vec![],
        };
        Ok(Crypto { current, others })
    }

    /// Step 1 of rotation: write the new key next to the current one, before any row changes, so a crash at
    /// any later point leaves a key file that can read every row.
    pub fn begin_rotation(&mut self, next: StoredKey) -> Result<Crypto, CryptoError> {
        if next.id == self.file.current.id {
            return Err(CryptoError::Env(format!("the new key must have another id than {}", next.id)));
        }
        self.file.next = Some(next.clone());
        if !self.from_env {
            self.save()?;
        }
        let new = next.open().ok_or_else(|| CryptoError::Env("bad new key".into()))?;
        Ok(Crypto { current: new, others: vec![] })
    }

    /// Step 3: the rows now use the new key; it becomes the only one.
    pub fn finish_rotation(&mut self) -> Result<(), CryptoError> {
        if let Some(next) = self.file.next.take() {
            self.file.current = next;
        }
        if !self.from_env { self.save() } else { Ok(()) }
    }

    /// After a crash mid-rotation: `sample` is one stored ciphertext (or None when nothing is stored). If it names
    /// the next key the rotation committed, so finish it; otherwise it never did, so forget the next key.
    pub fn recover(&mut self, sample: Option<&str>) -> Result<bool, CryptoError> {
        let Some(next) = self.file.next.clone() else { return Ok(false) };
        let committed = sample.is_none_or(|s| key_id(s) == Some(next.id));
        if committed {
            self.finish_rotation()?;
        } else {
            self.file.next = None;
            if !self.from_env {
                self.save()?;
            }
        }
        Ok(committed)
    }

    /// Written beside and renamed into place: the key file is never half-written.
    fn save(&self) -> Result<(), CryptoError> {
        let err = |e: String| CryptoError::KeyFile(self.path.display().to_string(), e);
        let text = serde_json::to_string_pretty(&self.file).map_err(|e| err(e.to_string()))?;
        let tmp = self.path.with_extension("json.partial");
        let _ = std::fs::remove_file(&tmp);
        write_private(&tmp, text.as_bytes()).map_err(|e| err(e.to_string()))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| err(e.to_string()))
    }
}

/// The key id a ciphertext names (`v<id>:`).
pub fn key_id(stored: &str) -> Option<u32> {
    stored.strip_prefix('v')?.split_once(':')?.0.parse().ok()
}

impl Crypto {
    /// Loads the keys for a data directory (see [`Keyring::load_or_create`]).
    pub fn load_or_create(data_dir: &Path) -> Result<Crypto, CryptoError> {
        Keyring::load_or_create(data_dir)?.crypto()
    }

    /// A single key with id 1 (tests).
    pub fn from_keys(enc_key: [u8; 32], index_key: [u8; 32]) -> Crypto {
        Crypto {
            current: KeySet { id: 1, cipher: Aes256Gcm::new(&enc_key.into()), index_mac: index_mac(&index_key) },
            others: vec![],
        }
    }

    pub fn key_id(&self) -> u32 {
        self.current.id
    }

    pub fn encrypt(&self, plain: &str) -> String {
        // A random 96-bit nonce from the thread's CSPRNG (ChaCha, seeded and reseeded from the OS): unique in
        // practice like one read from the OS each time, without a system call per value.
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        // Encryption with a fresh 96-bit nonce and an in-memory buffer cannot fail.
        let ct = self.current.cipher.encrypt(Nonce::from_slice(&nonce), plain.as_bytes()).unwrap_or_default();
        let mut out = Vec::with_capacity(12 + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        format!("v{}:{}", self.current.id, B64.encode(out))
    }

    pub fn decrypt(&self, stored: &str) -> Result<String, CryptoError> {
        let id = key_id(stored).ok_or(CryptoError::Damaged)?;
        let key =
            std::iter::once(&self.current).chain(&self.others).find(|k| k.id == id).ok_or(CryptoError::Damaged)?;
        let b = stored.split_once(':').ok_or(CryptoError::Damaged)?.1;
        let raw = B64.decode(b).map_err(|_| CryptoError::Damaged)?;
        if raw.len() < 12 {
            return Err(CryptoError::Damaged);
        }
        let (nonce, ct) = raw.split_at(12);
        let pt = key.cipher.decrypt(Nonce::from_slice(nonce), ct).map_err(|_| CryptoError::Damaged)?;
        String::from_utf8(pt).map_err(|_| CryptoError::Damaged)
    }

    /// Keyed hash for exact lookups; `kind` keeps an id number and a phone with equal digits apart.
    pub fn blind_index(&self, kind: &str, value: &str) -> String {
        let mut mac = self.current.index_mac.clone();
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

impl crate::Store {
    /// Step 2 of rotation: every personal number decrypted with `read` (which knows the old and new keys) and
    /// written again with `write`, blind indexes recomputed, in one transaction — all rows move or none do.
    /// Returns the number of people rewritten.
    pub async fn reencrypt_people(&self, read: &Crypto, write: &Crypto) -> crate::Result<usize> {
        let mut tx = self.begin().await?;
        let mut after = 0i64;
        let mut n = 0usize;
        loop {
            type Row = (i64, String, Option<String>);
            let rows: Vec<Row> =
                sqlx::query_as("SELECT id, id_number_enc, phone_enc FROM people WHERE id > $1 ORDER BY id LIMIT 1000")
                    .bind(after)
                    .fetch_all(&mut *tx)
                    .await?;
            let Some(last) = rows.last() else { break };
            after = last.0;
            for (id, id_enc, phone_enc) in rows {
                let damaged = |e: CryptoError| crate::StoreError::Other(format!("person {id}: {e}"));
                let id_number = read.decrypt(&id_enc).map_err(damaged)?;
                let phone = phone_enc.as_deref().map(|p| read.decrypt(p)).transpose().map_err(damaged)?;
                sqlx::query(
                    "UPDATE people SET id_number_enc = $1, id_number_hash = $2, phone_enc = $3, phone_hash = $4 WHERE id = $5",
                )
                .bind(write.encrypt(&id_number))
                .bind(write.blind_index("id_number", &id_number))
                .bind(phone.as_deref().map(|p| write.encrypt(p)))
                .bind(phone.as_deref().map(|p| write.blind_index("phone", p)))
                .bind(id)
                .execute(&mut *tx)
                .await?;
                n += 1;
            }
        }
        // Organizations' contact phones move in the same transaction.
        let orgs: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, phone_enc FROM organizations WHERE phone_enc IS NOT NULL ORDER BY id")
                .fetch_all(&mut *tx)
                .await?;
        for (id, enc) in orgs {
            let phone = read.decrypt(&enc).map_err(|e| crate::StoreError::Other(format!("organization {id}: {e}")))?;
            sqlx::query("UPDATE organizations SET phone_enc = $1, phone_hash = $2 WHERE id = $3")
                .bind(write.encrypt(&phone))
                .bind(write.blind_index("phone", &phone))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        // So do safety team members' phones.
        let members: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, phone_enc FROM safety_team_members WHERE phone_enc IS NOT NULL ORDER BY id")
                .fetch_all(&mut *tx)
                .await?;
        for (id, enc) in members {
            let phone = read.decrypt(&enc).map_err(|e| crate::StoreError::Other(format!("team member {id}: {e}")))?;
            sqlx::query("UPDATE safety_team_members SET phone_enc = $1, phone_hash = $2 WHERE id = $3")
                .bind(write.encrypt(&phone))
                .bind(write.blind_index("phone", &phone))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(n)
    }

    /// One stored ciphertext, to tell which key the rows use (crash recovery of a rotation).
    pub async fn sample_ciphertext(&self) -> crate::Result<Option<String>> {
        let r: Option<(String,)> =
            sqlx::query_as("SELECT id_number_enc FROM people ORDER BY id LIMIT 1").fetch_optional(self.pool()).await?;
        Ok(r.map(|(s,)| s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_no_clear_text() {
        let dir = tempfile::tempdir().unwrap();
        let c = Crypto::load_or_create(dir.path()).unwrap();
        let enc = c.encrypt("110101199003071234");
        assert!(!enc.contains("110101199003071234"));
        assert!(enc.starts_with("v1:"));
        assert_eq!(c.decrypt(&enc).unwrap(), "110101199003071234");
        // Same key file → same blind index; nonces differ per encryption.
        let c2 = Crypto::load_or_create(dir.path()).unwrap();
        assert_eq!(c.blind_index("id", "x"), c2.blind_index("id", "x"));
        assert_ne!(c.blind_index("id", "x"), c.blind_index("phone", "x"));
        assert_ne!(c.encrypt("a"), c.encrypt("a"));
    }

    #[test]
    fn tampering_is_detected() {
        let c = Crypto::from_keys([1; 32], [2; 32]);
        let mut enc = c.encrypt("13800138000");
        // Change the last character (to something else: one time in 64 it already was 'A').
        let last = enc.pop().unwrap();
        enc.push(if last == 'A' { 'B' } else { 'A' });
        assert!(c.decrypt(&enc).is_err());
        assert!(Crypto::from_keys([3; 32], [2; 32]).decrypt(&c.encrypt("x")).is_err());
    }

    #[test]
    fn first_format_key_files_are_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let k = StoredKey::generate(1);
        std::fs::write(
            dir.path().join(KEY_FILE),
            format!(r#"{{"version":1,"enc_key":"{}","index_key":"{}"}}"#, k.enc_key, k.index_key),
        )
        .unwrap();
        let ring = Keyring::load_or_create(dir.path()).unwrap();
        assert_eq!(ring.file.current, k);
    }

    #[test]
    fn env_keys_round_trip() {
        let k = StoredKey::generate(7);
        assert_eq!(StoredKey::from_env(&k.to_env()).unwrap(), k);
        assert!(StoredKey::from_env("x:abc").is_err());
        assert!(StoredKey::from_env("2:AAAA").is_err());
    }

    #[test]
    fn rotation_recovers_from_a_crash_at_any_step() {
        let dir = tempfile::tempdir().unwrap();
        let mut ring = Keyring::load_or_create(dir.path()).unwrap();
        let old = ring.crypto().unwrap();
        let stored = old.encrypt("11010519491231002X");
        // Crash after step 1: the file holds both keys; rows still use the old one → the rotation is dropped.
        let new = ring.begin_rotation(StoredKey::generate(2)).unwrap();
        let reloaded = Keyring::load_or_create(dir.path()).unwrap();
        assert_eq!(reloaded.crypto().unwrap().decrypt(&stored).unwrap(), "11010519491231002X");
        let mut r = Keyring::load_or_create(dir.path()).unwrap();
        assert!(!r.recover(Some(&stored)).unwrap());
        assert_eq!(r.file.current.id, 1);
        assert!(Keyring::load_or_create(dir.path()).unwrap().file.next.is_none());
        // Crash after step 2 (rows re-encrypted with key 2, file not finished) → recovery finishes it.
        let mut ring = Keyring::load_or_create(dir.path()).unwrap();
        let new2 = ring.begin_rotation(StoredKey::generate(2)).unwrap();
        let rewritten = new2.encrypt("11010519491231002X");
        let mut r = Keyring::load_or_create(dir.path()).unwrap();
        assert!(r.recover(Some(&rewritten)).unwrap());
        let done = Keyring::load_or_create(dir.path()).unwrap();
        assert_eq!(done.file.current.id, 2);
        assert_eq!(done.crypto().unwrap().decrypt(&rewritten).unwrap(), "11010519491231002X");
        assert!(done.crypto().unwrap().decrypt(&stored).is_err(), "the old key is gone");
        let _ = new;
    }
}
