//! `wangge backup FILE` / `wangge restore FILE`: one .tar.gz with a manifest, the database as portable
//! JSON (read in one snapshot, so the server can keep serving), the key file and uploaded files.
//! The archive is written to a temporary name and renamed, so a crash never leaves a half backup.

use crate::cli::{Global, database_url};
use anyhow::{Context, Result, bail};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use wangge_app::App;
use wangge_store::Store;
use wangge_store::backup::TableDump;

const FORMAT: u32 = 1;
const KEY_FILE: &str = "keys.json";
const FILES_DIR: &str = "files";

#[derive(serde::Serialize, serde::Deserialize)]
struct Manifest {
    format: u32,
    created_at: String,
    wangge_version: String,
    tables: Vec<(String, usize)>,
}

fn add_bytes<W: Write>(tar: &mut tar::Builder<W>, name: &str, bytes: &[u8]) -> Result<()> {
    let mut h = tar::Header::new_gnu();
    h.set_size(bytes.len() as u64);
    h.set_mode(0o600);
    h.set_mtime(chrono::Utc::now().timestamp().max(0) as u64);
    h.set_cksum();
    tar.append_data(&mut h, name, bytes)?;
    Ok(())
}

/// Writes the backup; returns the number of database rows in it.
pub async fn backup(app: &App, data_dir: &Path, file: &Path, with_keys: bool) -> Result<usize> {
    let dumps = app.store.dump().await.context("reading the database")?;
    // With WANGGE_KEY the keys live outside the data directory, and stay out of the backup too; `--without-keys`
    // leaves the key file out, so that a stolen archive holds ciphertext only.
    let key_path = data_dir.join(KEY_FILE);
    let keys = if with_keys && key_path.exists() {
        Some(std::fs::read(&key_path).context("reading the key file")?)
    } else {
        None
    };
    let manifest = Manifest {
        format: FORMAT,
        created_at: chrono::Utc::now().to_rfc3339(),
        wangge_version: env!("CARGO_PKG_VERSION").into(),
        tables: dumps.iter().map(|d| (d.table.clone(), d.rows.len())).collect(),
    };
    let rows = dumps.iter().map(|d| d.rows.len()).sum();
    let tmp = temp_name(file);
    let write = || -> Result<()> {
        let out = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        let gz = flate2::write::GzEncoder::new(out, flate2::Compression::default());
        let mut tar = tar::Builder::new(gz);
        add_bytes(&mut tar, "manifest.json", &serde_json::to_vec_pretty(&manifest)?)?;
        add_bytes(&mut tar, "database.json", &serde_json::to_vec(&dumps)?)?;
        if let Some(keys) = &keys {
            add_bytes(&mut tar, KEY_FILE, keys)?;
        }
        let files = data_dir.join(FILES_DIR);
        if files.is_dir() {
            tar.append_dir_all(FILES_DIR, &files).context("adding uploaded files")?;
        }
        let gz = tar.into_inner()?;
        let f = gz.finish()?;
        f.sync_all()?;
        Ok(())
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, file).with_context(|| format!("moving the backup to {}", file.display()))?;
    Ok(rows)
}

fn temp_name(file: &Path) -> PathBuf {
    let name = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "backup".into());
    file.with_file_name(format!(".{name}.partial"))
}

struct Archive {
    dumps: Vec<TableDump>,
    keys: Option<Vec<u8>>,
    files: Vec<(PathBuf, Vec<u8>)>,
}

fn read_archive(file: &Path) -> Result<Archive> {
    let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(f));
    let (mut manifest, mut dumps, mut keys, mut files) = (None, None, None, Vec::new());
    for entry in tar.entries().context("not a wangge backup (.tar.gz)")? {
        let mut entry = entry.context("damaged backup archive")?;
        let path = entry.path()?.to_path_buf();
        if entry.header().entry_type().is_dir() {
            continue;
        }
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).context("damaged backup archive")?;
        match path.to_str() {
            Some("manifest.json") => {
                manifest = Some(serde_json::from_slice::<Manifest>(&bytes).context("bad manifest")?)
            }
            Some("database.json") => {
                dumps = Some(serde_json::from_slice::<Vec<TableDump>>(&bytes).context("bad database dump")?)
            }
            Some(KEY_FILE) => keys = Some(bytes),
            _ => {
                // Only plain relative paths under files/ are restored; nothing may escape the data directory.
                let safe = path.starts_with(FILES_DIR)
                    && path.components().all(|c| matches!(c, std::path::Component::Normal(_)));
                if !safe {
                    bail!("unexpected entry in backup: {}", path.display());
                }
                files.push((path, bytes));
            }
        }
    }
    let manifest = manifest.context("not a wangge backup: manifest.json missing")?;
    if manifest.format != FORMAT {
        bail!("backup format {} is not supported (expected {FORMAT})", manifest.format);
    }
    Ok(Archive { dumps: dumps.context("backup has no database.json")?, keys, files })
}

/// Restores into an empty data directory / database. Everything is checked before anything is written;
/// the database is loaded in one transaction, then the keys and files are put in place.
pub async fn restore(g: &Global, file: &Path) -> Result<()> {
    let archive = read_archive(file)?;
    let key_path = g.data.join(KEY_FILE);
    if key_path.exists() {
        bail!("{} already holds keys: restore only into an empty data directory", g.data.display());
    }
    std::fs::create_dir_all(&g.data).with_context(|| format!("creating {}", g.data.display()))?;
    let store = Store::open(&database_url(g)).await.context("opening the database")?;
    if !store.is_empty().await? {
        bail!("the database is not empty: restore only into an empty database");
    }
    store.load(&archive.dumps).await.context("loading the database")?;
    store.close().await;
    match &archive.keys {
        Some(keys) => {
            std::fs::write(&key_path, keys).context("writing the key file")?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600))?;
            }
        }
        None => eprintln!(
            "the backup holds no key file: before starting a server, put the original keys.json into {} or set the same WANGGE_KEY",
            g.data.display()
        ),
    }
    for (rel, bytes) in &archive.files {
        let dest = g.data.join(rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&dest, bytes).with_context(|| format!("writing {}", dest.display()))?;
    }
    Ok(())
}
