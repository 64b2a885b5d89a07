//! Photos and files attached to reports and actions, through one storage interface (a local directory under
//! the data dir by default, or an S3-compatible object store). Content types are sniffed from the bytes,
//! never trusted from the client; sizes are limited; images from the public are re-encoded so no EXIF (GPS,
//! camera serial) survives; every image gets a small JPEG thumbnail for phones.

use crate::events::AttachmentView;
use crate::{App, AppError, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use wangge_domain::scope::Actor;
use wangge_store::events::AttachmentRow;
use wangge_store::{Store, StoreError, now_ms};

/// Largest file accepted (phones take 3–8 MB photos).
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// Longest side of a thumbnail, in pixels.
const THUMB_PX: u32 = 320;

/// Where attachment bytes live. Keys are relative paths like `ab/abcdef….jpg` (content-addressed: the same
/// bytes always get the same key, so writing one twice is harmless).
pub trait BlobStore: Send + Sync {
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> BoxFuture<'a, std::io::Result<()>>;
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, std::io::Result<Vec<u8>>>;
}

type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Keys come from our own rows, but never let one climb out of its directory or bucket prefix.
fn check_key(key: &str) -> std::io::Result<()> {
    if key.is_empty() || key.contains("..") || Path::new(key).is_absolute() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "bad key"));
    }
    Ok(())
}

/// Files under `<data dir>/files`, written to a temporary name and renamed, so a crash never leaves half a file.
pub struct LocalDir(pub PathBuf);

impl BlobStore for LocalDir {
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> BoxFuture<'a, std::io::Result<()>> {
        Box::pin(async move {
            check_key(key)?;
            let path = self.0.join(key);
            tokio::task::spawn_blocking(move || {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                let tmp = path.with_extension("part");
                std::fs::write(&tmp, bytes)?;
                std::fs::File::open(&tmp)?.sync_all()?;
                std::fs::rename(&tmp, &path)
            })
            .await
            .map_err(std::io::Error::other)?
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, std::io::Result<Vec<u8>>> {
        Box::pin(async move {
            check_key(key)?;
            tokio::fs::read(self.0.join(key)).await
        })
    }
}

/// An S3-compatible object store (MinIO, Ceph, 阿里云 OSS, 华为云 OBS, AWS…), for servers that share files or keep
/// them off the application disk. Chosen with `WANGGE_S3_BUCKET`; anything [`S3Settings`] leaves empty comes from
/// the usual `AWS_ENDPOINT`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_ALLOW_HTTP`.
pub struct S3(object_store::aws::AmazonS3);

/// Where the S3 store is; empty fields fall back to the standard `AWS_*` environment variables.
#[derive(Debug, Clone, Default)]
pub struct S3Settings {
    pub bucket: String,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// A plain-http endpoint (an object store inside a government network).
    pub allow_http: bool,
}

impl S3 {
    pub fn open(s: &S3Settings) -> std::result::Result<S3, String> {
        let mut b = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(&s.bucket);
        if let Some(v) = &s.endpoint {
            b = b.with_endpoint(v);
        }
        if let Some(v) = &s.region {
            b = b.with_region(v);
        }
        if let Some(v) = &s.access_key_id {
            b = b.with_access_key_id(v);
        }
        if let Some(v) = &s.secret_access_key {
            b = b.with_secret_access_key(v);
        }
        if s.allow_http {
            b = b.with_allow_http(true);
        }
        b.build().map(S3).map_err(|e| format!("S3 store for bucket {}: {e}", s.bucket))
    }
}

impl BlobStore for S3 {
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> BoxFuture<'a, std::io::Result<()>> {
        use object_store::ObjectStore;
        Box::pin(async move {
            check_key(key)?;
            // One PUT: the object appears whole or not at all.
            self.0.put(&object_store::path::Path::from(key), bytes.into()).await.map_err(std::io::Error::other)?;
            Ok(())
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, std::io::Result<Vec<u8>>> {
        use object_store::ObjectStore;
        Box::pin(async move {
            check_key(key)?;
            let got = self.0.get(&object_store::path::Path::from(key)).await.map_err(std::io::Error::other)?;
            Ok(got.bytes().await.map_err(std::io::Error::other)?.to_vec())
        })
    }
}

/// The store the configuration names: S3 when `s3` is set, else the data directory's `files`.
pub fn open_blobs(config: &crate::Config) -> std::result::Result<std::sync::Arc<dyn BlobStore>, String> {
    Ok(match &config.s3 {
        Some(s) => std::sync::Arc::new(S3::open(s)?),
        None => std::sync::Arc::new(LocalDir(config.data_dir.join("files"))),
    })
}

/// What the bytes are, from their first bytes.
pub fn sniff(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    match bytes {
        [0xFF, 0xD8, 0xFF, ..] => Some(("image/jpeg", "jpg")),
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(("image/png", "png")),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some(("image/webp", "webp")),
        [b'%', b'P', b'D', b'F', b'-', ..] => Some(("application/pdf", "pdf")),
        _ => None,
    }
}

fn is_image(content_type: &str) -> bool {
    content_type.starts_with("image/")
}

/// Decodes and re-encodes an image as JPEG (dropping every metadata block), plus a thumbnail.
fn reencode(bytes: &[u8], keep_original: bool) -> std::result::Result<(Option<Vec<u8>>, Vec<u8>), String> {
    let img = image::load_from_memory(bytes).map_err(|e| e.to_string())?;
    let jpeg = |img: &image::DynamicImage| -> std::result::Result<Vec<u8>, String> {
        let mut out = std::io::Cursor::new(Vec::new());
        img.to_rgb8().write_to(&mut out, image::ImageFormat::Jpeg).map_err(|e| e.to_string())?;
        Ok(out.into_inner())
    };
    let clean = if keep_original { None } else { Some(jpeg(&img)?) };
    let thumb = jpeg(&img.thumbnail(THUMB_PX, THUMB_PX))?;
    Ok((clean, thumb))
}

fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let s: String = base.chars().filter(|c| !c.is_control()).take(100).collect();
    if s.trim().is_empty() { "附件".into() } else { s.trim().to_string() }
}

pub fn view(a: &AttachmentRow) -> AttachmentView {
    AttachmentView {
        id: a.id,
        name: a.name.clone(),
        content_type: a.content_type.clone(),
        size: a.size,
        url: format!("/api/v1/attachments/{}", a.id),
        thumb_url: a.thumb_path.as_ref().map(|_| format!("/api/v1/attachments/{}?thumb=1", a.id)),
    }
}

/// Who may claim an upload by a signed-in user: that user only.
pub fn uploader_key(actor: &Actor) -> String {
    format!("user:{}", actor.user_id)
}

/// Who may claim an upload from the public report page: the same browser, known by a random value it holds in a
/// cookie (hashed, so the key stored with the file is not the cookie itself).
pub fn public_uploader_key(browser_secret: &str) -> String {
    format!("public:{}", &hex::encode(Sha256::digest(browser_secret.as_bytes()))[..32])
}

impl App {
    pub fn blobs(&self) -> &dyn BlobStore {
        &*self.blobs
    }

    /// Stores an upload (not yet tied to an event: the report or action that names its id claims it, and only
    /// `uploader` may — see [`uploader_key`] and [`public_uploader_key`]).
    /// `public`: from someone without an account — images are re-encoded so their EXIF (GPS) is gone.
    pub async fn save_attachment(
        &self,
        uploader: &str,
        public: bool,
        name: &str,
        bytes: Vec<u8>,
    ) -> Result<AttachmentView> {
        if bytes.is_empty() {
            return Err(AppError::field("file", "文件为空 / the file is empty"));
        }
        if bytes.len() > MAX_BYTES {
            return Err(AppError::field(
                "file",
                format!("文件不能超过{} MB / at most {} MB", MAX_BYTES >> 20, MAX_BYTES >> 20),
            ));
        }
        let (mut content_type, mut ext) = sniff(&bytes).ok_or_else(|| {
            AppError::field("file", "只接受 JPEG、PNG、WebP 图片或 PDF / only JPEG, PNG, WebP images or PDF")
        })?;
        let name = clean_name(name);
        let (stored, thumb) = if is_image(content_type) {
            let (clean, thumb) =
                tokio::task::spawn_blocking(move || reencode(&bytes, !public).map(|(c, t)| (c, t, bytes)))
                    .await
                    .map_err(|e| AppError::internal(e.to_string()))?
                    .map_err(|_| AppError::field("file", "图片无法读取 / the image cannot be read"))
                    .map(|(clean, thumb, original)| (clean.unwrap_or(original), thumb))?;
            if public {
                (content_type, ext) = ("image/jpeg", "jpg");
            }
            (clean, Some(thumb))
        } else {
            (bytes, None)
        };
        let sha = hex::encode(Sha256::digest(&stored));
        let key = format!("{}/{}.{ext}", &sha[..2], sha);
        let size = stored.len() as i64;
        let blobs = self.blobs();
        blobs.put(&key, stored).await.map_err(|e| AppError::file_store("storing attachment", &e))?;
        let thumb_key = match thumb {
            Some(t) => {
                let k = format!("{}/{}.thumb.jpg", &sha[..2], sha);
                blobs.put(&k, t).await.map_err(|e| AppError::file_store("storing thumbnail", &e))?;
                Some(k)
            }
            None => None,
        };
        let row = AttachmentRow {
            id: 0,
            event_id: None,
            action_id: None,
            name,
            content_type: content_type.into(),
            size,
            sha256: sha,
            path: key,
            thumb_path: thumb_key,
            created_at: now_ms(),
        };
        let mut tx = self.store.begin().await?;
        let id = Store::insert_attachment(&mut tx, &row, uploader).await?;
        tx.commit().await.map_err(StoreError::from)?;
        tracing::debug!(uploader, id, "attachment stored");
        Ok(view(&AttachmentRow { id, ..row }))
    }

    /// The bytes of an attachment the actor may see (through the event it belongs to).
    pub async fn attachment_for(&self, actor: &Actor, id: i64, thumb: bool) -> Result<(String, Vec<u8>)> {
        let a = self.store.attachment(id).await.map_err(|_| AppError::not_found("attachment"))?;
        // A notice's file or a ledger voucher: whoever may see its owner (crate::participation).
        if let Some(allowed) = self.participation_file_access(actor, id).await? {
            return if allowed {
                self.read_attachment(&a, thumb).await
            } else {
                Err(AppError::not_found("attachment"))
            };
        }
        let (application, uploader) = self.store.attachment_application(id).await?;
        match (a.event_id, application) {
            (Some(e), _) => {
                self.event_detail(actor, e).await.map_err(|_| AppError::not_found("attachment"))?;
            }
            // An application's material: whoever may read the application (the applicant included).
            (None, Some(app)) => {
                self.application_for(actor, app).await.map_err(|_| AppError::not_found("attachment"))?;
            }
            (None, None) => match self.store.attachment_owner(id).await? {
                // Owned by a community-life record (meeting minutes, evidence of a commitment): whoever reads it.
                Some((kind, owner)) => {
                    if !self.may_read_life_attachment(actor, &kind, owner).await {
                        return Err(AppError::not_found("attachment"));
                    }
                }
                // Not yet attached: its uploader (a preview right after upload), or staff who may report.
                None if uploader == uploader_key(actor) => {}
                None => self.authorize_anywhere(actor, wangge_domain::role::Permission::ReportEvents)?,
            },
        }
        self.read_attachment(&a, thumb).await
    }

    /// The bytes of an attachment of the event behind a tracking token.
    pub async fn attachment_by_token(&self, token: &str, id: i64, thumb: bool) -> Result<(String, Vec<u8>)> {
        let detail = self.event_by_token(token).await?;
        let a = self.store.attachment(id).await.map_err(|_| AppError::not_found("attachment"))?;
        if a.event_id != Some(detail.event.id) {
            return Err(AppError::not_found("attachment"));
        }
        self.read_attachment(&a, thumb).await
    }

    async fn read_attachment(&self, a: &AttachmentRow, thumb: bool) -> Result<(String, Vec<u8>)> {
        let (key, ct) = match (&a.thumb_path, thumb) {
            (Some(t), true) => (t.as_str(), "image/jpeg".to_string()),
            _ => (a.path.as_str(), a.content_type.clone()),
        };
        let bytes = self
            .blobs()
            .get(key)
            .await
            .map_err(|e| AppError::unavailable("file store", format!("reading attachment {}: {e}", a.id)))?;
        Ok((ct, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg_with_exif() -> Vec<u8> {
        let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 90]));
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        let plain = out.into_inner();
        // Splice an APP1 Exif segment (with a fake GPS tag marker) right after SOI.
        let payload = b"Exif\0\0GPSLatitude=30.27";
        let len = (payload.len() + 2) as u16;
        let mut v = vec![0xFF, 0xD8, 0xFF, 0xE1];
        v.extend_from_slice(&len.to_be_bytes());
        v.extend_from_slice(payload);
        v.extend_from_slice(&plain[2..]);
        v
    }

    #[test]
    fn sniffing_trusts_bytes_not_names() {
        assert_eq!(sniff(&jpeg_with_exif()).unwrap().0, "image/jpeg");
        assert_eq!(sniff(b"%PDF-1.7 ...").unwrap().0, "application/pdf");
        assert_eq!(sniff(b"<html>"), None);
        assert_eq!(sniff(b"MZ\x90\x00"), None);
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\photos\\井盖.jpg"), "井盖.jpg");
        assert_eq!(clean_name(""), "附件");
    }

    #[test]
    fn public_images_lose_their_exif_and_get_a_thumbnail() {
        let original = jpeg_with_exif();
        assert!(original.windows(11).any(|w| w == b"GPSLatitude"));
        let (clean, thumb) = reencode(&original, false).unwrap();
        let clean = clean.unwrap();
        assert!(!clean.windows(11).any(|w| w == b"GPSLatitude"), "EXIF survived re-encoding");
        assert_eq!(sniff(&clean).unwrap().0, "image/jpeg");
        let t = image::load_from_memory(&thumb).unwrap();
        assert!(t.width() <= THUMB_PX && t.height() <= THUMB_PX);
        // Staff uploads keep the original bytes (the re-encode is skipped), still with a thumbnail.
        let (kept, _) = reencode(&original, true).unwrap();
        assert!(kept.is_none());
        assert!(reencode(b"\xFF\xD8\xFFnot really", false).is_err());
    }
}
