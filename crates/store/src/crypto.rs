//! Personal data at rest (DESIGN.md §4): 身份证号 and phone numbers are stored encrypted (AES-256-GCM,
//! random nonce) and found by a keyed hash (HMAC-SHA256 blind index), never in clear.
//! The keys live in `keys.json` in the data directory, outside the database, so a stolen database
//! or database dump alone reveals nothing.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::path::Path;

const KEY_FILE: &str = "keys.json";
const PREFIX: &str = "v1:";

#[derive(Clone)]
pub struct Crypto {
    cipher: Aes256Gcm,
    index_key: [u8; 32],
}

#[derive(serde::Serialize, serde::Deserialize)]
struct KeyFile {
    version: u32,
    enc_key: String,
    index_key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("key file {0}: {1}")]
    KeyFile(String, String),
    #[error("encrypted value is damaged or was written with another key")]
    Damaged,
}

impl std::fmt::Debug for Crypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Crypto(..)")
    }
}

impl Crypto {
    /// Loads the keys from the data directory, creating them on first use (readable by the owner only).
    pub fn load_or_create(data_dir: &Path) -> Result<Crypto, CryptoError> {
        let path = data_dir.join(KEY_FILE);
        let err = |e: String| CryptoError::KeyFile(path.display().to_string(), e);
        if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(|e| err(e.to_string()))?;
            let kf: KeyFile = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
            let enc = decode_key(&kf.enc_key).ok_or_else(|| err("bad enc_key".into()))?;
            let idx = decode_key(&kf.index_key).ok_or_else(|| err("bad index_key".into()))?;
            return Ok(Crypto::from_keys(enc, idx));
        }
        std::fs::create_dir_all(data_dir).map_err(|e| err(e.to_string()))?;
        let mut enc = [0u8; 32];
        let mut idx = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut enc);
        rand::rngs::OsRng.fill_bytes(&mut idx);
        let kf = KeyFile { version: 1, enc_key: B64.encode(enc), index_key: B64.encode(idx) };
        let text = serde_json::to_string_pretty(&kf).map_err(|e| err(e.to_string()))?;
        write_private(&path, text.as_bytes()).map_err(|e| err(e.to_string()))?;
        Ok(Crypto::from_keys(enc, idx))
    }

    pub fn from_keys(enc_key: [u8; 32], index_key: [u8; 32]) -> Crypto {
        Crypto { cipher: Aes256Gcm::new(&enc_key.into()), index_key }
    }

    pub fn encrypt(&self, plain: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        // Encryption with a fresh 96-bit nonce and an in-memory buffer cannot fail.
        let ct = self.cipher.encrypt(Nonce::from_slice(&nonce), plain.as_bytes()).unwrap_or_default();
        let mut out = Vec::with_capacity(12 + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        format!("{PREFIX}{}", B64.encode(out))
    }

    pub fn decrypt(&self, stored: &str) -> Result<String, CryptoError> {
        let b = stored.strip_prefix(PREFIX).ok_or(CryptoError::Damaged)?;
        let raw = B64.decode(b).map_err(|_| CryptoError::Damaged)?;
        if raw.len() < 12 {
            return Err(CryptoError::Damaged);
        }
        let (nonce, ct) = raw.split_at(12);
        let pt = self.cipher.decrypt(Nonce::from_slice(nonce), ct).map_err(|_| CryptoError::Damaged)?;
        String::from_utf8(pt).map_err(|_| CryptoError::Damaged)
    }

    /// Keyed hash for exact lookups; `kind` keeps an id number and a phone with equal digits apart.
    pub fn blind_index(&self, kind: &str, value: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key).expect("HMAC takes any key length");
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

fn decode_key(s: &str) -> Option<[u8; 32]> {
    B64.decode(s).ok()?.try_into().ok()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_no_clear_text() {
        let dir = tempfile::tempdir().unwrap();
        let c = Crypto::load_or_create(dir.path()).unwrap();
        let enc = c.encrypt("110101199003071234");
        assert!(!enc.contains("110101199003071234"));
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
        enc.pop();
        enc.push('A');
        assert!(c.decrypt(&enc).is_err());
        assert!(Crypto::from_keys([3; 32], [2; 32]).decrypt(&c.encrypt("x")).is_err());
    }
}
