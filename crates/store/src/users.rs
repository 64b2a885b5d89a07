//! Accounts, their (role, region[, department]) grants, login sessions and API keys.

use crate::{Result, Store, StoreError, now_ms};

/// How long counted attempts are kept: longer than any rate-limit window.
pub const RATE_KEEP_MS: i64 = 3_600_000;
use sqlx::{Any, Transaction};
use wangge_domain::role::Role;
use wangge_domain::scope::Grant;

#[derive(Debug, Clone, PartialEq)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: i64,
    pub grants: Vec<Grant>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    pub user_id: i64,
    pub csrf: String,
    pub expires_at: i64,
}

type URow = (i64, String, String, String, i64, i64);

impl Store {
    pub async fn insert_user(
        tx: &mut Transaction<'static, Any>,
        username: &str,
        display_name: &str,
        password_hash: &str,
    ) -> Result<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO users (username, display_name, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(username)
        .bind(display_name)
        .bind(password_hash)
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| StoreError::from_db(e, &format!("user {username}")))?;
        Ok(id)
    }

    pub async fn insert_grant(tx: &mut Transaction<'static, Any>, user_id: i64, g: &Grant) -> Result<()> {
        sqlx::query("INSERT INTO user_grants (user_id, role, region_code, department_code) VALUES ($1, $2, $3, $4)")
            .bind(user_id)
            .bind(g.role.as_str())
            .bind(&g.region_code)
            .bind(g.department_code.as_deref().unwrap_or(""))
            .execute(&mut **tx)
            .await
            .map_err(|e| StoreError::from_db(e, "grant"))?;
        Ok(())
    }

    pub async fn delete_grant(tx: &mut Transaction<'static, Any>, user_id: i64, g: &Grant) -> Result<bool> {
        let r = sqlx::query(
            "DELETE FROM user_grants WHERE user_id = $1 AND role = $2 AND region_code = $3 AND department_code = $4",
        )
        .bind(user_id)
        .bind(g.role.as_str())
        .bind(&g.region_code)
        .bind(g.department_code.as_deref().unwrap_or(""))
        .execute(&mut **tx)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    pub async fn set_password(tx: &mut Transaction<'static, Any>, user_id: i64, hash: &str) -> Result<()> {
        sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(user_id)
            .bind(hash)
            .execute(&mut **tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut **tx).await?;
        Ok(())
    }

    /// Ties a (resident's) account to the person of the register it was verified against.
    pub async fn link_person_tx(tx: &mut Transaction<'static, Any>, user_id: i64, person_id: i64) -> Result<()> {
        sqlx::query("UPDATE users SET person_id = $2 WHERE id = $1")
            .bind(user_id)
            .bind(person_id)
            .execute(&mut **tx)
            .await
            .map_err(|e| StoreError::from_db(e, &format!("account of person {person_id}")))?;
        Ok(())
    }

    /// The account tied to a person, if any.
    pub async fn user_of_person(&self, person_id: i64) -> Result<Option<UserRow>> {
        let r: Option<URow> = sqlx::query_as(
            "SELECT id, username, display_name, password_hash, disabled, created_at FROM users WHERE person_id = $1",
        )
        .bind(person_id)
        .fetch_optional(self.pool())
        .await?;
        match r {
            Some(r) => Ok(Some(self.with_grants(r).await?)),
            None => Ok(None),
        }
    }

    /// The person an account is tied to, if any.
    pub async fn person_of_user(&self, user_id: i64) -> Result<Option<i64>> {
        let r: Option<(Option<i64>,)> = sqlx::query_as("SELECT person_id FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(r.and_then(|(p,)| p))
    }

    /// Disables or re-enables an account; disabling ends its sessions.
    pub async fn set_disabled_tx(tx: &mut Transaction<'static, Any>, user_id: i64, disabled: bool) -> Result<()> {
        sqlx::query("UPDATE users SET disabled = $2 WHERE id = $1")
            .bind(user_id)
            .bind(i64::from(disabled))
            .execute(&mut **tx)
            .await?;
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut **tx).await?;
        }
        Ok(())
    }

    async fn grants_of(&self, user_id: i64) -> Result<Vec<Grant>> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT role, region_code, department_code FROM user_grants WHERE user_id = $1 ORDER BY role, region_code",
        )
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|(role, region_code, dep)| {
                let role = Role::parse(&role).ok_or_else(|| StoreError::Other(format!("unknown role {role}")))?;
                Ok(Grant { role, region_code, department_code: (!dep.is_empty()).then_some(dep) })
            })
            .collect()
    }

    async fn with_grants(&self, r: URow) -> Result<UserRow> {
        let grants = self.grants_of(r.0).await?;
        Ok(UserRow {
            id: r.0,
            username: r.1,
            display_name: r.2,
            password_hash: r.3,
            disabled: r.4 != 0,
            created_at: r.5,
            grants,
        })
    }

    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRow>> {
        let r: Option<URow> = sqlx::query_as(
            "SELECT id, username, display_name, password_hash, disabled, created_at FROM users WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(self.pool())
        .await?;
        match r {
            Some(r) => Ok(Some(self.with_grants(r).await?)),
            None => Ok(None),
        }
    }

    pub async fn user_by_id(&self, id: i64) -> Result<Option<UserRow>> {
        let r: Option<URow> = sqlx::query_as(
            "SELECT id, username, display_name, password_hash, disabled, created_at FROM users WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        match r {
            Some(r) => Ok(Some(self.with_grants(r).await?)),
            None => Ok(None),
        }
    }

    /// Users ordered by id after `after_id`, optionally only those holding `role`.
    pub async fn list_users(&self, role: Option<Role>, after_id: i64, limit: i64) -> Result<(Vec<UserRow>, i64)> {
        let role_s = role.map(|r| r.as_str()).unwrap_or("");
        let filter = "($1 = '' OR EXISTS (SELECT 1 FROM user_grants g WHERE g.user_id = users.id AND g.role = $1))";
        let rows: Vec<URow> = sqlx::query_as(&format!(
            "SELECT id, username, display_name, password_hash, disabled, created_at FROM users WHERE {filter} AND id > $2 ORDER BY id LIMIT $3"
        ))
        .bind(role_s)
        .bind(after_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM users WHERE {filter}"))
            .bind(role_s)
            .fetch_one(self.pool())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.with_grants(r).await?);
        }
        Ok((out, total))
    }

    pub async fn count_users(&self) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users").fetch_one(self.pool()).await?;
        Ok(n)
    }

    pub async fn insert_session(&self, token_hash: &str, user_id: i64, csrf: &str, ttl_ms: i64) -> Result<()> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf)
        .bind(now)
        .bind(now + ttl_ms)
        .execute(self.pool())
        .await?;
        // Expired sessions are swept on login so the table does not grow without bound.
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now).execute(self.pool()).await?;
        Ok(())
    }

    /// Counts an attempt against every key first, then answers the most attempts any key has had since `since`
    /// (Unix ms), this one included: parallel attempts see each other, so a burst cannot slip past the limit.
    pub async fn rate_attempt(&self, keys: &[String], attempt: &str, since: i64) -> Result<i64> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        for key in keys {
            sqlx::query("INSERT INTO rate_events (key, at, attempt) VALUES ($1, $2, $3)")
                .bind(key)
                .bind(now)
                .bind(attempt)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        let mut most = 0;
        for key in keys {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM rate_events WHERE key = $1 AND at > $2")
                .bind(key)
                .bind(since)
                .fetch_one(self.pool())
                .await?;
            most = most.max(n);
        }
        Ok(most)
    }

    /// Takes an attempt back (it succeeded, or it was refused and should not count).
    pub async fn rate_forget_attempt(&self, attempt: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM rate_events WHERE attempt = $1").bind(attempt).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Forgets every attempt of a key (a successful login clears the username's failures, not the address's).
    pub async fn rate_clear(&self, key: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM rate_events WHERE key = $1").bind(key).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Drops attempts older than [`RATE_KEEP_MS`] (every window is shorter); run by the minute's housekeeping.
    pub async fn rate_sweep(&self) -> Result<u64> {
        let mut tx = self.begin().await?;
        let done = sqlx::query("DELETE FROM rate_events WHERE at < $1")
            .bind(now_ms() - RATE_KEEP_MS)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    pub async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>> {
        let r: Option<(i64, String, i64)> =
            sqlx::query_as("SELECT user_id, csrf, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2")
                .bind(token_hash)
                .bind(now_ms())
                .fetch_optional(self.pool())
                .await?;
        Ok(r.map(|(user_id, csrf, expires_at)| SessionRow { user_id, csrf, expires_at }))
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(self.pool()).await?;
        Ok(())
    }

    pub async fn insert_api_key(tx: &mut Transaction<'static, Any>, name: &str, key_hash: &str) -> Result<i64> {
        let (id,): (i64,) =
            sqlx::query_as("INSERT INTO api_keys (name, key_hash, created_at) VALUES ($1, $2, $3) RETURNING id")
                .bind(name)
                .bind(key_hash)
                .bind(now_ms())
                .fetch_one(&mut **tx)
                .await?;
        Ok(id)
    }

    /// Every API key, newest first: (id, name, created_at, revoked_at). The keys themselves are never stored.
    pub async fn api_keys(&self) -> Result<Vec<(i64, String, i64, Option<i64>)>> {
        Ok(sqlx::query_as("SELECT id, name, created_at, revoked_at FROM api_keys ORDER BY id DESC")
            .fetch_all(self.pool())
            .await?)
    }

    /// Revokes a live key; returns its name, or None when there is no such live key.
    pub async fn revoke_api_key(tx: &mut Transaction<'static, Any>, id: i64) -> Result<Option<String>> {
        Ok(sqlx::query_as::<_, (String,)>(
            "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING name",
        )
        .bind(now_ms())
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| r.0))
    }

    /// The name of the live API key with this hash.
    pub async fn api_key(&self, key_hash: &str) -> Result<Option<(i64, String)>> {
        Ok(sqlx::query_as("SELECT id, name FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL")
            .bind(key_hash)
            .fetch_optional(self.pool())
            .await?)
    }
}
