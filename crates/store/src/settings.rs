//! Small key/value settings editable at run time (e.g. the map tile URL).

use crate::{Result, Store};
use sqlx::{Any, Transaction};

impl Store {
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        let r: Option<(String,)> =
            sqlx::query_as("SELECT value FROM settings WHERE key = $1").bind(key).fetch_optional(self.pool()).await?;
        Ok(r.map(|(v,)| v))
    }

    pub async fn set_setting(tx: &mut Transaction<'static, Any>, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn departments(&self) -> Result<Vec<(String, String, String)>> {
        Ok(sqlx::query_as("SELECT code, name, name_en FROM departments ORDER BY code").fetch_all(self.pool()).await?)
    }

    pub async fn upsert_department(
        tx: &mut Transaction<'static, Any>,
        code: &str,
        name: &str,
        name_en: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO departments (code, name, name_en) VALUES ($1, $2, $3) ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en",
        )
        .bind(code)
        .bind(name)
        .bind(name_en)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn department_exists(&self, code: &str) -> Result<bool> {
        let r: Option<(String,)> = sqlx::query_as("SELECT code FROM departments WHERE code = $1")
            .bind(code)
            .fetch_optional(self.pool())
            .await?;
        Ok(r.is_some())
    }
}
