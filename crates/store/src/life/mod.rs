//! Community life as stored (issue #9): meetings, co-building and social organizations, volunteers and the time
//! bank, party building. Plain rows; the app decides what they may become.

pub mod co_building;
pub mod meetings;
pub mod party;
pub mod volunteers;

use crate::events::AttachmentRow;
use crate::{Result, Store, StoreError};
use sqlx::{Any, Row, Transaction};

/// Implements `from_row` (every field read by its own name) and `COLS` (the names, in order) for a row struct.
macro_rules! row {
    ($ty:ident { $($f:ident),+ $(,)? }) => {
        impl $ty {
            #[allow(dead_code)]
            pub(crate) const COLS: &'static str = stringify!($($f),+);
            pub(crate) fn from_row(r: &sqlx::any::AnyRow) -> std::result::Result<Self, sqlx::Error> {
                use sqlx::Row;
                Ok($ty { $($f: r.try_get(stringify!($f))?),+ })
            }
        }
    };
}
pub(crate) use row;

/// Rows of a query mapped with `f`.
pub(crate) fn map_rows<T>(
    rows: &[sqlx::any::AnyRow],
    f: fn(&sqlx::any::AnyRow) -> std::result::Result<T, sqlx::Error>,
) -> Result<Vec<T>> {
    Ok(rows.iter().map(f).collect::<std::result::Result<Vec<_>, _>>()?)
}

/// `$1, $2, …` for `n` values starting at `from`.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// The one statement that counts a filtered list: `SELECT COUNT(*) …` as i64.
pub(crate) async fn count(store: &Store, sql: &crate::sql::Sql) -> Result<i64> {
    Ok(sql.query().fetch_one(store.pool()).await?.try_get::<i64, _>(0)?)
}

impl Store {
    /// Ties an upload (not yet used, made by `uploader`) to a record of this area, e.g. (`meeting`, 12): NotFound
    /// when it is already claimed by anything (an event, a visit, another record) or was uploaded by someone else.
    pub async fn claim_attachment_for_owner(
        tx: &mut Transaction<'static, Any>,
        id: i64,
        owner_kind: &str,
        owner_id: i64,
        uploader: &str,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE attachments SET owner_kind = $1, owner_id = $2 WHERE id = $3 AND event_id IS NULL \
             AND visit_id IS NULL AND owner_kind IS NULL AND uploader = $4",
        )
        .bind(owner_kind)
        .bind(owner_id)
        .bind(id)
        .bind(uploader)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The attachments a record of this area owns, oldest first.
    pub async fn owned_attachments(&self, owner_kind: &str, owner_ids: &[i64]) -> Result<Vec<(i64, AttachmentRow)>> {
        if owner_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT owner_id, id, event_id, action_id, name, content_type, size, sha256, path, thumb_path, created_at \
             FROM attachments WHERE owner_kind = $1 AND owner_id IN ({}) ORDER BY id",
            placeholders(2, owner_ids.len())
        );
        let mut q = sqlx::query(&sql).bind(owner_kind);
        for id in owner_ids {
            q = q.bind(*id);
        }
        let rows = q.fetch_all(self.pool()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push((
                r.try_get("owner_id")?,
                AttachmentRow {
                    id: r.try_get("id")?,
                    event_id: r.try_get("event_id")?,
                    action_id: r.try_get("action_id")?,
                    name: r.try_get("name")?,
                    content_type: r.try_get("content_type")?,
                    size: r.try_get("size")?,
                    sha256: r.try_get("sha256")?,
                    path: r.try_get("path")?,
                    thumb_path: r.try_get("thumb_path")?,
                    created_at: r.try_get("created_at")?,
                },
            ));
        }
        Ok(out)
    }

    /// Which record of this area owns an attachment, if any.
    pub async fn attachment_owner(&self, id: i64) -> Result<Option<(String, i64)>> {
        let row: Option<(Option<String>, Option<i64>)> =
            sqlx::query_as("SELECT owner_kind, owner_id FROM attachments WHERE id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.and_then(|(k, o)| Some((k?, o?))))
    }
}
