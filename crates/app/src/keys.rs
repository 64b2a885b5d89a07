//! The keys that protect personal numbers at rest: opened with the store (finishing or undoing a rotation a
//! crash interrupted), and rotated by the operator with `wangge keys rotate`.

use crate::{App, AppError, Result};
use std::path::Path;
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;
use wangge_store::crypto::{Keyring, StoredKey, key_id};
use wangge_store::{Crypto, Store};

fn key_error(e: impl std::fmt::Display) -> AppError {
    AppError::new(crate::ErrorKind::Internal, format!("密钥 / keys: {e}"))
}

/// Loads the keys and checks them against the data: a rotation cut short is finished or undone, and keys that
/// cannot read the stored numbers stop the start-up with a clear message rather than failing row by row later.
pub async fn open_keys(data_dir: &Path, store: &Store) -> Result<Crypto> {
    let mut ring = Keyring::load_or_create(data_dir).map_err(key_error)?;
    let sample = store.sample_ciphertext().await?;
    if ring.file.next.is_some() {
        let finished = ring.recover(sample.as_deref()).map_err(key_error)?;
        tracing::warn!(finished, "an interrupted key rotation was {}", if finished { "finished" } else { "undone" });
    }
    if let Some(id) = sample.as_deref().and_then(key_id)
        && id != ring.file.current.id
    {
        return Err(key_error(format!(
            "存储的号码使用密钥 {id}，当前密钥为 {} / the stored numbers use key {id} but the configured key is {}{}",
            ring.file.current.id,
            ring.file.current.id,
            if ring.from_env_keys() { " (check WANGGE_KEY)" } else { "" }
        )));
    }
    ring.crypto().map_err(key_error)
}

#[derive(Debug, Clone)]
pub struct Rotation {
    pub people: usize,
    pub old_key: u32,
    pub new_key: u32,
    /// With `WANGGE_KEY`, the value the operator must set from now on.
    pub new_env_value: Option<String>,
}

impl App {
    /// Re-encrypts every personal number and recomputes every blind index with a new key. Every server using
    /// this data must be stopped first: a running one would keep writing with the old key.
    ///
    /// Crash-safe in three steps: the new key is written next to the old one; the rows are rewritten in one
    /// transaction; the old key is dropped. `open_keys` finishes or undoes a rotation cut short between them.
    /// With `WANGGE_KEY`, the new key comes from `new_env` (`ID:BASE64`, see `wangge keys generate`).
    pub async fn rotate_keys(&self, actor: &Actor, new_env: Option<&str>) -> Result<Rotation> {
        self.authorize_anywhere(actor, Permission::ManageSettings)?;
        let mut ring = Keyring::load_or_create(&self.config.data_dir).map_err(key_error)?;
        let old_key = ring.file.current.id;
        let next = match (ring.from_env_keys(), new_env.filter(|v| !v.trim().is_empty())) {
            (_, Some(v)) => StoredKey::from_env(v).map_err(key_error)?,
            (false, None) => StoredKey::generate(old_key + 1),
            (true, None) => {
                return Err(AppError::field(
                    "WANGGE_NEW_KEY",
                    "使用 WANGGE_KEY 时须用 WANGGE_NEW_KEY 提供新密钥（wangge keys generate 生成）/ with WANGGE_KEY, give the new key in WANGGE_NEW_KEY (made by `wangge keys generate`)",
                ));
            }
        };
        let write = ring.begin_rotation(next.clone()).map_err(key_error)?;
        let read = ring.crypto().map_err(key_error)?;
        let people = self.store.reencrypt_people(&read, &write).await?;
        ring.finish_rotation().map_err(key_error)?;
        let mut tx = self.store.begin().await?;
        Store::audit(
            &mut tx,
            wangge_store::audit::NewAudit {
                actor: &actor.username,
                action: "rotate_keys",
                object: &format!("keys:{old_key}->{}", next.id),
                reason: Some(&format!("{people} people")),
                region_code: None,
            },
        )
        .await?;
        tx.commit().await.map_err(wangge_store::StoreError::from)?;
        Ok(Rotation { people, old_key, new_key: next.id, new_env_value: ring.from_env_keys().then(|| next.to_env()) })
    }
}

/// A new random key in the `WANGGE_KEY` form, for operators who keep keys outside the data directory.
pub fn generate_env_key(id: u32) -> String {
    StoredKey::generate(id).to_env()
}
