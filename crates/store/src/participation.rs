//! Participation and transparency as stored: notices and their revisions, the files notices and ledger entries
//! claimed, the co-building fund ledger (rows are only ever inserted: there is no UPDATE or DELETE of a ledger row
//! anywhere, and the database refuses one by trigger), and polls with their voters' keyed hashes, tallies and
//! free texts.

use crate::events::{ATTACHMENT_COLS, AttachmentRow, attachment_row};
use crate::register::{Val, add_to_counters, insert_returning_ids};
use crate::sql::{Bind, Sql, roots_clause};
use crate::{Result, Store, StoreError, now_ms};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

// ───────────────────────────── notices ─────────────────────────────

#[derive(Debug, Clone, PartialEq, Default)]
pub struct NoticeRow {
    pub id: i64,
    pub region_code: String,
    pub category: String,
    pub title: String,
    pub body: String,
    pub status: String,
    pub pinned: bool,
    pub expires_on: Option<String>,
    /// Attachment ids, JSON.
    pub attachments: String,
    pub published_at: Option<i64>,
    pub version: i64,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const NOTICE_COLS: &str = "id, region_code, category, title, body, status, pinned, expires_on, attachments, \
     published_at, version, created_by, created_at, updated_at";

fn notice_row(r: &AnyRow) -> std::result::Result<NoticeRow, sqlx::Error> {
    Ok(NoticeRow {
        id: r.try_get("id")?,
        region_code: r.try_get("region_code")?,
        category: r.try_get("category")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        status: r.try_get("status")?,
        pinned: r.try_get::<i64, _>("pinned")? != 0,
        expires_on: r.try_get("expires_on")?,
        attachments: r.try_get("attachments")?,
        published_at: r.try_get("published_at")?,
        version: r.try_get("version")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct NoticeRevisionRow {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub status: String,
    pub category: String,
    pub title: String,
    pub body: String,
    pub attachments: String,
}

/// Which notices a staff list shows.
#[derive(Debug, Clone, Default)]
pub struct NoticeFilter {
    /// Subtrees by the notice's region; `None` = everywhere.
    pub roots: Option<Vec<String>>,
    pub statuses: Vec<String>,
    pub category: Option<String>,
}

/// Which notices a portal shows: published ones of these exact regions (the community and its ancestors), not
/// past their last day.
#[derive(Debug, Clone, Default)]
pub struct PortalNotices {
    pub regions: Vec<String>,
    pub today: String,
    pub category: Option<String>,
}

// ───────────────────────────── ledger ─────────────────────────────

#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewLedgerEntry {
    pub region_code: String,
    pub direction: String,
    pub category: String,
    pub amount_fen: i64,
    pub occurred_on: String,
    pub year: i64,
    pub counterparty: String,
    pub summary: String,
    pub reverses_id: Option<i64>,
    pub reversal_key: Option<String>,
    pub entered_by: String,
}

/// A ledger entry with its decision and whether a reversal (approved or awaiting approval) exists.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LedgerEntryRow {
    pub id: i64,
    pub region_code: String,
    pub direction: String,
    pub category: String,
    pub amount_fen: i64,
    pub occurred_on: String,
    pub year: i64,
    pub counterparty: String,
    pub summary: String,
    pub reverses_id: Option<i64>,
    pub entered_by: String,
    pub entered_at: i64,
    /// `approve` | `reject`, by whom, when, why.
    pub decision: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub decision_note: Option<String>,
    /// The reversal of this entry that is not rejected, if any.
    pub reversed_by: Option<i64>,
}

const LEDGER_SELECT: &str = "SELECT e.id, e.region_code, e.direction, e.category, e.amount_fen, e.occurred_on, e.year, \
     e.counterparty, e.summary, e.reverses_id, e.entered_by, e.entered_at, d.decision, d.decided_by, d.decided_at, \
     d.note AS decision_note, (SELECT MIN(r.id) FROM ledger_entries r LEFT JOIN ledger_decisions rd ON rd.entry_id = r.id \
     WHERE r.reverses_id = e.id AND (rd.decision IS NULL OR rd.decision = 'approve')) AS reversed_by \
     FROM ledger_entries e LEFT JOIN ledger_decisions d ON d.entry_id = e.id";

fn ledger_row(r: &AnyRow) -> std::result::Result<LedgerEntryRow, sqlx::Error> {
    Ok(LedgerEntryRow {
        id: r.try_get("id")?,
        region_code: r.try_get("region_code")?,
        direction: r.try_get("direction")?,
        category: r.try_get("category")?,
        amount_fen: r.try_get("amount_fen")?,
        occurred_on: r.try_get("occurred_on")?,
        year: r.try_get("year")?,
        counterparty: r.try_get("counterparty")?,
        summary: r.try_get("summary")?,
        reverses_id: r.try_get("reverses_id")?,
        entered_by: r.try_get("entered_by")?,
        entered_at: r.try_get("entered_at")?,
        decision: r.try_get("decision")?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
        decision_note: r.try_get("decision_note")?,
        reversed_by: r.try_get("reversed_by")?,
    })
}

/// Which ledger entries a list shows.
#[derive(Debug, Clone, Default)]
pub struct LedgerFilter {
    pub roots: Option<Vec<String>>,
    pub year: Option<i64>,
    pub direction: Option<String>,
    /// `entered` (no decision yet), `approved`, `rejected`.
    pub status: Option<String>,
}

/// Sum of approved entries of one (year, direction, category).
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerSum {
    pub year: i64,
    pub direction: String,
    pub category: String,
    pub amount_fen: i64,
    pub entries: i64,
}

// ───────────────────────────── polls ─────────────────────────────

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PollRow {
    pub id: i64,
    pub region_code: String,
    pub kind: String,
    pub title: String,
    pub description: String,
    /// JSON list of questions.
    pub questions: String,
    pub status: String,
    pub min_age: Option<i64>,
    pub closes_at: Option<i64>,
    pub opened_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub results_public: bool,
    pub version: i64,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const POLL_COLS: &str = "id, region_code, kind, title, description, questions, status, min_age, closes_at, opened_at, \
     closed_at, results_public, version, created_by, created_at, updated_at";

fn poll_row(r: &AnyRow) -> std::result::Result<PollRow, sqlx::Error> {
    Ok(PollRow {
        id: r.try_get("id")?,
        region_code: r.try_get("region_code")?,
        kind: r.try_get("kind")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        questions: r.try_get("questions")?,
        status: r.try_get("status")?,
        min_age: r.try_get("min_age")?,
        closes_at: r.try_get("closes_at")?,
        opened_at: r.try_get("opened_at")?,
        closed_at: r.try_get("closed_at")?,
        results_public: r.try_get::<i64, _>("results_public")? != 0,
        version: r.try_get("version")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Which polls a list shows.
#[derive(Debug, Clone, Default)]
pub struct PollFilter {
    /// Subtrees by the poll's region.
    pub roots: Option<Vec<String>>,
    /// Also polls of exactly these regions (the ancestors of the roots: polls covering the caller's subtree).
    pub covering: Vec<String>,
    /// Only polls of exactly these regions (a resident's grid and its ancestors; a portal's community and its
    /// ancestors).
    pub regions: Option<Vec<String>>,
    pub statuses: Vec<String>,
    pub kind: Option<String>,
    /// Only those whose results are public.
    pub public_only: bool,
}

/// One tally cell: (voter's community, channel, question, choice, count).
pub type TallyCell = (String, String, i64, i64, i64);

fn one_id(ids: Vec<i64>, what: &str) -> Result<i64> {
    ids.first().copied().ok_or_else(|| StoreError::Other(format!("{what} insert returned no id")))
}

fn exact_in(sql: &mut Sql, col: &str, codes: &[String]) -> String {
    if codes.is_empty() {
        return "1=0".into();
    }
    let list: Vec<String> = codes.iter().map(|c| sql.arg(Bind::Text(c.clone()))).collect();
    format!("{col} IN ({})", list.join(", "))
}

impl Store {
    // ───── notices ─────

    pub async fn insert_notice(tx: &mut Transaction<'static, Any>, n: &NoticeRow) -> Result<i64> {
        let cols = [
            "region_code",
            "category",
            "title",
            "body",
            "status",
            "pinned",
            "expires_on",
            "attachments",
            "published_at",
            "created_by",
            "created_at",
            "updated_at",
        ];
        let row = vec![
            Val::from(n.region_code.as_str()),
            Val::from(n.category.as_str()),
            Val::from(n.title.as_str()),
            Val::from(n.body.as_str()),
            Val::from(n.status.as_str()),
            Val::Int(i64::from(n.pinned)),
            Val::Text(n.expires_on.clone()),
            Val::from(n.attachments.as_str()),
            Val::IntOpt(n.published_at),
            Val::from(n.created_by.as_str()),
            Val::Int(n.created_at),
            Val::Int(n.created_at),
        ];
        one_id(insert_returning_ids(tx, "notices", &cols, &[row]).await?, "notice")
    }

    /// Writes a changed notice if nobody changed it meanwhile (Conflict otherwise).
    pub async fn save_notice(tx: &mut Transaction<'static, Any>, n: &NoticeRow) -> Result<()> {
        let done = sqlx::query(
            "UPDATE notices SET category = $1, title = $2, body = $3, status = $4, pinned = $5, expires_on = $6, \
             attachments = $7, published_at = $8, version = version + 1, updated_at = $9 WHERE id = $10 AND version = $11",
        )
        .bind(&n.category)
        .bind(&n.title)
        .bind(&n.body)
        .bind(&n.status)
        .bind(i64::from(n.pinned))
        .bind(&n.expires_on)
        .bind(&n.attachments)
        .bind(n.published_at)
        .bind(now_ms())
        .bind(n.id)
        .bind(n.version)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("notice {} changed meanwhile", n.id)));
        }
        Ok(())
    }

    /// Records what the notice says after `action`.
    pub async fn insert_notice_revision(
        tx: &mut Transaction<'static, Any>,
        n: &NoticeRow,
        actor: &str,
        action: &str,
    ) -> Result<()> {
        let row = vec![
            Val::Int(n.id),
            Val::Int(now_ms()),
            Val::from(actor),
            Val::from(action),
            Val::from(n.status.as_str()),
            Val::from(n.category.as_str()),
            Val::from(n.title.as_str()),
            Val::from(n.body.as_str()),
            Val::from(n.attachments.as_str()),
        ];
        let cols = ["notice_id", "at", "actor", "action", "status", "category", "title", "body", "attachments"];
        insert_returning_ids(tx, "notice_revisions", &cols, &[row]).await?;
        Ok(())
    }

    pub async fn notice(&self, id: i64) -> Result<NoticeRow> {
        let r = sqlx::query(&format!("SELECT {NOTICE_COLS} FROM notices WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(notice_row(&r)?)
    }

    pub async fn notice_revisions(&self, notice_id: i64) -> Result<Vec<NoticeRevisionRow>> {
        let rows = sqlx::query(
            "SELECT id, at, actor, action, status, category, title, body, attachments FROM notice_revisions \
             WHERE notice_id = $1 ORDER BY id",
        )
        .bind(notice_id)
        .fetch_all(self.pool())
        .await?;
        let rev = |r: &AnyRow| -> std::result::Result<NoticeRevisionRow, sqlx::Error> {
            Ok(NoticeRevisionRow {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                status: r.try_get("status")?,
                category: r.try_get("category")?,
                title: r.try_get("title")?,
                body: r.try_get("body")?,
                attachments: r.try_get("attachments")?,
            })
        };
        Ok(rows.iter().map(rev).collect::<std::result::Result<Vec<_>, _>>()?)
    }

    /// Newest first, a page before `before_id`, with the total matching.
    pub async fn notices(&self, f: &NoticeFilter, before_id: Option<i64>, limit: i64) -> Result<(Vec<NoticeRow>, i64)> {
        let clause = |sql: &mut Sql| {
            let mut wh = vec![roots_clause(sql, "region_code", f.roots.as_deref())];
            if !f.statuses.is_empty() {
                wh.push(exact_in(sql, "status", &f.statuses));
            }
            if let Some(c) = &f.category {
                wh.push(format!("category = {}", sql.arg(Bind::Text(c.clone()))));
            }
            wh.join(" AND ")
        };
        let mut count = Sql::default();
        let wh = clause(&mut count);
        count.text = format!("SELECT COUNT(*) FROM notices WHERE {wh}");
        let total: i64 = count.query().fetch_one(self.pool()).await?.try_get(0)?;
        let mut page = Sql::default();
        let mut wh = clause(&mut page);
        if let Some(b) = before_id {
            wh.push_str(&format!(" AND id < {}", page.arg(Bind::Int(b))));
        }
        let lim = page.arg(Bind::Int(limit));
        page.text = format!("SELECT {NOTICE_COLS} FROM notices WHERE {wh} ORDER BY id DESC LIMIT {lim}");
        let rows = page.query().fetch_all(self.pool()).await?;
        Ok((rows.iter().map(notice_row).collect::<std::result::Result<Vec<_>, _>>()?, total))
    }

    /// A portal's notices: pinned first, then the latest published; `offset`/`limit` page them; with the total.
    pub async fn portal_notices(&self, f: &PortalNotices, offset: i64, limit: i64) -> Result<(Vec<NoticeRow>, i64)> {
        let clause = |sql: &mut Sql| {
            let mut wh = vec![exact_in(sql, "region_code", &f.regions), "status = 'published'".to_string()];
            wh.push(format!("(expires_on IS NULL OR expires_on >= {})", sql.arg(Bind::Text(f.today.clone()))));
            if let Some(c) = &f.category {
                wh.push(format!("category = {}", sql.arg(Bind::Text(c.clone()))));
            }
            wh.join(" AND ")
        };
        let mut count = Sql::default();
        let wh = clause(&mut count);
        count.text = format!("SELECT COUNT(*) FROM notices WHERE {wh}");
        let total: i64 = count.query().fetch_one(self.pool()).await?.try_get(0)?;
        let mut page = Sql::default();
        let wh = clause(&mut page);
        let (lim, off) = (page.arg(Bind::Int(limit)), page.arg(Bind::Int(offset)));
        page.text = format!(
            "SELECT {NOTICE_COLS} FROM notices WHERE {wh} ORDER BY pinned DESC, published_at DESC, id DESC \
             LIMIT {lim} OFFSET {off}"
        );
        let rows = page.query().fetch_all(self.pool()).await?;
        Ok((rows.iter().map(notice_row).collect::<std::result::Result<Vec<_>, _>>()?, total))
    }

    /// Districts, streets and communities (no grids) in the subtree of `root` (everywhere when None), by code:
    /// (code, name, level).
    pub async fn portal_regions(&self, root: Option<&str>) -> Result<Vec<(String, String, String)>> {
        let mut sql = Sql::default();
        let roots = root.map(|r| vec![r.to_string()]);
        let wh = roots_clause(&mut sql, "code", roots.as_deref());
        sql.text = format!("SELECT code, name, level FROM regions WHERE {wh} AND level <> 'grid' ORDER BY code");
        let rows = sql.query().fetch_all(self.pool()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push((r.try_get("code")?, r.try_get("name")?, r.try_get("level")?));
        }
        Ok(out)
    }

    /// People living in the subtree of `root` born on or before `born_by` (`YYYY-MM-DD`), by id: (id, grid).
    /// For demo and benchmark ballots.
    pub async fn adults_in(&self, root: &str, born_by: &str) -> Result<Vec<(i64, String)>> {
        let mut sql = Sql::default();
        let roots = vec![root.to_string()];
        let wh = roots_clause(&mut sql, "grid_code", Some(&roots));
        let b = sql.arg(Bind::Text(born_by.to_string()));
        sql.text = format!(
            "SELECT id, grid_code FROM people WHERE {wh} AND birth_date <= {b} AND residence_status = 'present' \
             AND merged_into IS NULL ORDER BY id"
        );
        let rows = sql.query().fetch_all(self.pool()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push((r.try_get("id")?, r.try_get("grid_code")?));
        }
        Ok(out)
    }

    // ───── files ─────

    /// Ties an upload (not yet used, made by `uploader`) to a notice or ledger entry. Its uploader key is marked
    /// claimed in the same statement, so no other record (event, visit, …) can claim it afterwards; NotFound when
    /// the upload is someone else's or already used.
    pub async fn claim_participation_file(
        tx: &mut Transaction<'static, Any>,
        attachment_id: i64,
        uploader: &str,
        owner_kind: &str,
        owner_id: i64,
        region_code: &str,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE attachments SET uploader = 'claimed:' || uploader WHERE id = $1 AND uploader = $2 \
             AND event_id IS NULL AND visit_id IS NULL",
        )
        .bind(attachment_id)
        .bind(uploader)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "INSERT INTO participation_files (attachment_id, owner_kind, owner_id, region_code) VALUES ($1, $2, $3, $4)",
        )
        .bind(attachment_id)
        .bind(owner_kind)
        .bind(owner_id)
        .bind(region_code)
        .execute(&mut **tx)
        .await
        .map_err(|e| match StoreError::from_db(e, "file") {
            StoreError::Conflict(_) => StoreError::NotFound,
            e => e,
        })?;
        Ok(())
    }

    /// Who owns an upload among notices and ledger entries: (kind, owner id, region).
    pub async fn participation_file(&self, attachment_id: i64) -> Result<Option<(String, i64, String)>> {
        Ok(sqlx::query_as("SELECT owner_kind, owner_id, region_code FROM participation_files WHERE attachment_id = $1")
            .bind(attachment_id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// The files a notice or ledger entry ever claimed, oldest first.
    pub async fn participation_files(&self, owner_kind: &str, owner_id: i64) -> Result<Vec<AttachmentRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {ATTACHMENT_COLS} FROM attachments WHERE id IN \
             (SELECT attachment_id FROM participation_files WHERE owner_kind = $1 AND owner_id = $2) ORDER BY id"
        ))
        .bind(owner_kind)
        .bind(owner_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(attachment_row).collect::<std::result::Result<Vec<_>, _>>()?)
    }

    // ───── ledger (INSERT only) ─────

    /// Appends an entry. A second reversal with the same key (two at once) is a Conflict.
    pub async fn insert_ledger_entry(tx: &mut Transaction<'static, Any>, e: &NewLedgerEntry) -> Result<i64> {
        let cols = [
            "region_code",
            "direction",
            "category",
            "amount_fen",
            "occurred_on",
            "year",
            "counterparty",
            "summary",
            "reverses_id",
            "reversal_key",
            "entered_by",
            "entered_at",
        ];
        let row = vec![
            Val::from(e.region_code.as_str()),
            Val::from(e.direction.as_str()),
            Val::from(e.category.as_str()),
            Val::Int(e.amount_fen),
            Val::from(e.occurred_on.as_str()),
            Val::Int(e.year),
            Val::from(e.counterparty.as_str()),
            Val::from(e.summary.as_str()),
            Val::IntOpt(e.reverses_id),
            Val::Text(e.reversal_key.clone()),
            Val::from(e.entered_by.as_str()),
            Val::Int(now_ms()),
        ];
        one_id(insert_returning_ids(tx, "ledger_entries", &cols, &[row]).await?, "ledger entry")
    }

    /// Appends the one decision of an entry; a second one (two approvers at once) is a Conflict.
    pub async fn insert_ledger_decision(
        tx: &mut Transaction<'static, Any>,
        entry_id: i64,
        decision: &str,
        decided_by: &str,
        note: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO ledger_decisions (entry_id, decision, decided_by, decided_at, note) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(entry_id)
        .bind(decision)
        .bind(decided_by)
        .bind(now_ms())
        .bind(note)
        .execute(&mut **tx)
        .await
        .map_err(|e| StoreError::from_db(e, "ledger decision"))?;
        Ok(())
    }

    pub async fn ledger_entry(&self, id: i64) -> Result<LedgerEntryRow> {
        let r = sqlx::query(&format!("{LEDGER_SELECT} WHERE e.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(ledger_row(&r)?)
    }

    /// How many reversals of an entry were rejected (the next reversal's attempt number).
    pub async fn rejected_reversals(&self, id: i64) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM ledger_entries r JOIN ledger_decisions d ON d.entry_id = r.id \
             WHERE r.reverses_id = $1 AND d.decision = 'reject'",
        )
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(n)
    }

    fn ledger_where(f: &LedgerFilter, sql: &mut Sql) -> String {
        let mut wh = vec![roots_clause(sql, "e.region_code", f.roots.as_deref())];
        if let Some(y) = f.year {
            wh.push(format!("e.year = {}", sql.arg(Bind::Int(y))));
        }
        if let Some(d) = &f.direction {
            wh.push(format!("e.direction = {}", sql.arg(Bind::Text(d.clone()))));
        }
        match f.status.as_deref() {
            Some("entered") => wh.push("d.decision IS NULL".into()),
            Some("approved") => wh.push("d.decision = 'approve'".into()),
            Some("rejected") => wh.push("d.decision = 'reject'".into()),
            _ => {}
        }
        wh.join(" AND ")
    }

    /// Newest first, a page before `before_id`, with the total matching.
    pub async fn ledger_entries(
        &self,
        f: &LedgerFilter,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<LedgerEntryRow>, i64)> {
        let mut count = Sql::default();
        let wh = Self::ledger_where(f, &mut count);
        count.text = format!(
            "SELECT COUNT(*) FROM ledger_entries e LEFT JOIN ledger_decisions d ON d.entry_id = e.id WHERE {wh}"
        );
        let total: i64 = count.query().fetch_one(self.pool()).await?.try_get(0)?;
        let mut page = Sql::default();
        let mut wh = Self::ledger_where(f, &mut page);
        if let Some(b) = before_id {
            wh.push_str(&format!(" AND e.id < {}", page.arg(Bind::Int(b))));
        }
        let lim = page.arg(Bind::Int(limit));
        page.text = format!("{LEDGER_SELECT} WHERE {wh} ORDER BY e.id DESC LIMIT {lim}");
        let rows = page.query().fetch_all(self.pool()).await?;
        Ok((rows.iter().map(ledger_row).collect::<std::result::Result<Vec<_>, _>>()?, total))
    }

    /// Sums of approved entries by (year, direction, category) in the subtrees, optionally of one year.
    pub async fn ledger_sums(&self, roots: Option<&[String]>, year: Option<i64>) -> Result<Vec<LedgerSum>> {
        let mut sql = Sql::default();
        let mut wh = vec![roots_clause(&mut sql, "e.region_code", roots)];
        if let Some(y) = year {
            wh.push(format!("e.year = {}", sql.arg(Bind::Int(y))));
        }
        sql.text = format!(
            "SELECT e.year, e.direction, e.category, CAST(SUM(e.amount_fen) AS BIGINT) AS amount, COUNT(*) AS entries \
             FROM ledger_entries e JOIN ledger_decisions d ON d.entry_id = e.id AND d.decision = 'approve' \
             WHERE {} GROUP BY e.year, e.direction, e.category ORDER BY e.year, e.direction, e.category",
            wh.join(" AND ")
        );
        let rows = sql.query().fetch_all(self.pool()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(LedgerSum {
                year: r.try_get("year")?,
                direction: r.try_get("direction")?,
                category: r.try_get("category")?,
                amount_fen: r.try_get("amount")?,
                entries: r.try_get("entries")?,
            });
        }
        Ok(out)
    }

    /// Approved sums by month (`YYYY-MM`) and direction for one year in the subtrees.
    pub async fn ledger_months(&self, roots: Option<&[String]>, year: i64) -> Result<Vec<(String, String, i64)>> {
        let mut sql = Sql::default();
        let r = roots_clause(&mut sql, "e.region_code", roots);
        let y = sql.arg(Bind::Int(year));
        sql.text = format!(
            "SELECT SUBSTR(e.occurred_on, 1, 7) AS month, e.direction, CAST(SUM(e.amount_fen) AS BIGINT) AS amount \
             FROM ledger_entries e JOIN ledger_decisions d ON d.entry_id = e.id AND d.decision = 'approve' \
             WHERE {r} AND e.year = {y} GROUP BY SUBSTR(e.occurred_on, 1, 7), e.direction ORDER BY month"
        );
        let rows = sql.query().fetch_all(self.pool()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push((r.try_get("month")?, r.try_get("direction")?, r.try_get("amount")?));
        }
        Ok(out)
    }

    // ───── polls ─────

    pub async fn insert_poll(tx: &mut Transaction<'static, Any>, p: &PollRow) -> Result<i64> {
        let cols = [
            "region_code",
            "kind",
            "title",
            "description",
            "questions",
            "status",
            "min_age",
            "closes_at",
            "results_public",
            "created_by",
            "created_at",
            "updated_at",
        ];
        let row = vec![
            Val::from(p.region_code.as_str()),
            Val::from(p.kind.as_str()),
            Val::from(p.title.as_str()),
            Val::from(p.description.as_str()),
            Val::from(p.questions.as_str()),
            Val::from(p.status.as_str()),
            Val::IntOpt(p.min_age),
            Val::IntOpt(p.closes_at),
            Val::Int(i64::from(p.results_public)),
            Val::from(p.created_by.as_str()),
            Val::Int(p.created_at),
            Val::Int(p.created_at),
        ];
        one_id(insert_returning_ids(tx, "polls", &cols, &[row]).await?, "poll")
    }

    /// Writes a changed poll if nobody changed it meanwhile (Conflict otherwise).
    pub async fn save_poll(tx: &mut Transaction<'static, Any>, p: &PollRow) -> Result<()> {
        let done = sqlx::query(
            "UPDATE polls SET title = $1, description = $2, questions = $3, status = $4, min_age = $5, closes_at = $6, \
             opened_at = $7, closed_at = $8, results_public = $9, version = version + 1, updated_at = $10 \
             WHERE id = $11 AND version = $12",
        )
        .bind(&p.title)
        .bind(&p.description)
        .bind(&p.questions)
        .bind(&p.status)
        .bind(p.min_age)
        .bind(p.closes_at)
        .bind(p.opened_at)
        .bind(p.closed_at)
        .bind(i64::from(p.results_public))
        .bind(now_ms())
        .bind(p.id)
        .bind(p.version)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("poll {} changed meanwhile", p.id)));
        }
        Ok(())
    }

    pub async fn poll(&self, id: i64) -> Result<PollRow> {
        let r = sqlx::query(&format!("SELECT {POLL_COLS} FROM polls WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(poll_row(&r)?)
    }

    /// Newest first, a page before `before_id`, with the total matching.
    pub async fn polls(&self, f: &PollFilter, before_id: Option<i64>, limit: i64) -> Result<(Vec<PollRow>, i64)> {
        let clause = |sql: &mut Sql| {
            let mut wh = vec![if f.covering.is_empty() || f.roots.is_none() {
                roots_clause(sql, "region_code", f.roots.as_deref())
            } else {
                let within = roots_clause(sql, "region_code", f.roots.as_deref());
                format!("({within} OR {})", exact_in(sql, "region_code", &f.covering))
            }];
            if let Some(r) = &f.regions {
                wh.push(exact_in(sql, "region_code", r));
            }
            if !f.statuses.is_empty() {
                wh.push(exact_in(sql, "status", &f.statuses));
            }
            if let Some(k) = &f.kind {
                wh.push(format!("kind = {}", sql.arg(Bind::Text(k.clone()))));
            }
            if f.public_only {
                wh.push("results_public = 1".into());
            }
            wh.join(" AND ")
        };
        let mut count = Sql::default();
        let wh = clause(&mut count);
        count.text = format!("SELECT COUNT(*) FROM polls WHERE {wh}");
        let total: i64 = count.query().fetch_one(self.pool()).await?.try_get(0)?;
        let mut page = Sql::default();
        let mut wh = clause(&mut page);
        if let Some(b) = before_id {
            wh.push_str(&format!(" AND id < {}", page.arg(Bind::Int(b))));
        }
        let lim = page.arg(Bind::Int(limit));
        page.text = format!("SELECT {POLL_COLS} FROM polls WHERE {wh} ORDER BY id DESC LIMIT {lim}");
        let rows = page.query().fetch_all(self.pool()).await?;
        Ok((rows.iter().map(poll_row).collect::<std::result::Result<Vec<_>, _>>()?, total))
    }

    /// Records that a voter voted; a second time (even two at once) is a Conflict.
    pub async fn insert_poll_voter(tx: &mut Transaction<'static, Any>, poll_id: i64, voter_key: &str) -> Result<()> {
        sqlx::query("INSERT INTO poll_voters (poll_id, voter_key) VALUES ($1, $2)")
            .bind(poll_id)
            .bind(voter_key)
            .execute(&mut **tx)
            .await
            .map_err(|e| StoreError::from_db(e, "vote"))?;
        Ok(())
    }

    /// Records many voters at once (a bulk load); any repeated voter is a Conflict and nothing is written.
    pub async fn insert_poll_voters(tx: &mut Transaction<'static, Any>, poll_id: i64, keys: &[String]) -> Result<()> {
        let rows: Vec<Vec<Val>> = keys.iter().map(|k| vec![Val::Int(poll_id), Val::from(k.as_str())]).collect();
        crate::register::insert_batch(tx, "poll_voters", &["poll_id", "voter_key"], &rows).await
    }

    pub async fn has_voted(&self, poll_id: i64, voter_key: &str) -> Result<bool> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT poll_id FROM poll_voters WHERE poll_id = $1 AND voter_key = $2")
                .bind(poll_id)
                .bind(voter_key)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.is_some())
    }

    /// Adds ballots' cells `(question, choice, count)` to the tallies of a community and channel.
    pub async fn add_poll_tallies(
        tx: &mut Transaction<'static, Any>,
        poll_id: i64,
        community_code: &str,
        channel: &str,
        cells: &[(i64, i64, i64)],
    ) -> Result<()> {
        let rows: Vec<(Vec<Val>, i64)> = cells
            .iter()
            .map(|(q, c, n)| {
                (vec![Val::Int(poll_id), Val::from(community_code), Val::from(channel), Val::Int(*q), Val::Int(*c)], *n)
            })
            .collect();
        add_to_counters(tx, "poll_tallies", &["poll_id", "community_code", "channel", "question", "choice"], "n", &rows)
            .await
    }

    /// Keeps a free-text answer under a random token.
    pub async fn insert_poll_text(
        tx: &mut Transaction<'static, Any>,
        token: &str,
        poll_id: i64,
        question: i64,
        community_code: &str,
        body: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO poll_texts (token, poll_id, question, community_code, body) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token)
        .bind(poll_id)
        .bind(question)
        .bind(community_code)
        .bind(body)
        .execute(&mut **tx)
        .await
        .map_err(|e| StoreError::from_db(e, "answer"))?;
        Ok(())
    }

    /// The tally cells of some polls, optionally of the voters of one community: (poll, cell).
    pub async fn poll_tallies(&self, poll_ids: &[i64], community: Option<&str>) -> Result<Vec<(i64, TallyCell)>> {
        if poll_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::default();
        let ids: Vec<String> = poll_ids.iter().map(|i| sql.arg(Bind::Int(*i))).collect();
        let mut wh = format!("poll_id IN ({})", ids.join(", "));
        if let Some(c) = community {
            wh.push_str(&format!(" AND community_code = {}", sql.arg(Bind::Text(c.to_string()))));
        }
        sql.text = format!(
            "SELECT poll_id, community_code, channel, question, choice, n FROM poll_tallies WHERE {wh} AND n <> 0"
        );
        let rows = sql.query().fetch_all(self.pool()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push((
                r.try_get("poll_id")?,
                (
                    r.try_get("community_code")?,
                    r.try_get("channel")?,
                    r.try_get("question")?,
                    r.try_get("choice")?,
                    r.try_get("n")?,
                ),
            ));
        }
        Ok(out)
    }

    /// Free-text answers to one question, in token order (not the order they came): (community, text).
    pub async fn poll_texts(&self, poll_id: i64, question: i64, limit: i64) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as(
            "SELECT community_code, body FROM poll_texts WHERE poll_id = $1 AND question = $2 ORDER BY token LIMIT $3",
        )
        .bind(poll_id)
        .bind(question)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}
