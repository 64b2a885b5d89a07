//! Logical backup of every table, read in one snapshot, restorable into either backend.
//! (A SQLite backup can be restored into PostgreSQL and back: the dump holds only portable values.)

use crate::migrate::TABLES;
use crate::register::{Val, insert_batch};
use crate::{Backend, Result, Store, StoreError};
use serde_json::Value;
use sqlx::{Column, Executor, Row};

#[derive(Clone, Copy)]
enum Kind {
    Int,
    Real,
    Text,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TableDump {
    pub table: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

fn cell(row: &sqlx::any::AnyRow, i: usize) -> Result<Value> {
    if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
        return Ok(v.map(Value::from).unwrap_or(Value::Null));
    }
    if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
        return Ok(v.map(Value::from).unwrap_or(Value::Null));
    }
    if let Ok(v) = row.try_get::<Option<String>, _>(i) {
        return Ok(v.map(Value::from).unwrap_or(Value::Null));
    }
    Err(StoreError::Other(format!("column {} has a type backup cannot carry", row.column(i).name())))
}

impl Store {
    /// Reads every table inside one transaction, so the backup is a single consistent point in time.
    pub async fn dump(&self) -> Result<Vec<TableDump>> {
        let mut tx = self.pool().begin().await?;
        if self.backend() == Backend::Postgres {
            tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY").await?;
        }
        let mut out = Vec::with_capacity(TABLES.len());
        for table in TABLES {
            let rows = sqlx::query(&format!("SELECT * FROM {table} ORDER BY 1")).fetch_all(&mut *tx).await?;
            let columns: Vec<String> = match rows.first() {
                Some(r) => r.columns().iter().map(|c| c.name().to_string()).collect(),
                None => Vec::new(),
            };
            let mut data = Vec::with_capacity(rows.len());
            for r in &rows {
                data.push((0..columns.len()).map(|i| cell(r, i)).collect::<Result<Vec<_>>>()?);
            }
            out.push(TableDump { table: table.to_string(), columns, rows: data });
        }
        tx.commit().await?;
        Ok(out)
    }

    /// True when nothing but the schema is there: restore refuses to merge into live data.
    pub async fn is_empty(&self) -> Result<bool> {
        for table in ["regions", "users", "people"] {
            let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(self.pool()).await?;
            if n > 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Writes a dump into an empty database in one transaction: all of it or none of it.
    pub async fn load(&self, dumps: &[TableDump]) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        for table in TABLES {
            let Some(d) = dumps.iter().find(|d| d.table == *table) else { continue };
            if d.rows.is_empty() {
                continue;
            }
            // A NULL must be bound with its column's type on PostgreSQL: take the type from the column's other
            // values, and leave out columns that are NULL in every row (they default to NULL).
            let kinds: Vec<Option<Kind>> = (0..d.columns.len())
                .map(|c| {
                    d.rows.iter().filter_map(|r| r.get(c)).fold(None, |k, v| match v {
                        Value::Null => k,
                        Value::Number(n) if n.is_i64() => k.or(Some(Kind::Int)),
                        Value::Number(_) => Some(Kind::Real),
                        _ => Some(Kind::Text),
                    })
                })
                .collect();
            let keep: Vec<usize> = (0..d.columns.len()).filter(|c| kinds[*c].is_some()).collect();
            let rows: Vec<Vec<Val>> = d
                .rows
                .iter()
                .map(|r| {
                    keep.iter()
                        .map(|&c| match (r.get(c).unwrap_or(&Value::Null), kinds[c]) {
                            (Value::Null, Some(Kind::Int)) => Val::IntOpt(None),
                            (Value::Null, Some(Kind::Real)) => Val::Real(None),
                            (Value::Null, _) => Val::Text(None),
                            (Value::Number(n), Some(Kind::Real)) => Val::Real(n.as_f64()),
                            (Value::Number(n), _) if n.is_i64() => Val::Int(n.as_i64().unwrap_or_default()),
                            (Value::Number(n), _) => Val::Real(n.as_f64()),
                            (Value::String(s), _) => Val::Text(Some(s.clone())),
                            (other, _) => Val::Text(Some(other.to_string())),
                        })
                        .collect()
                })
                .collect();
            let cols: Vec<&str> = keep.iter().map(|&c| d.columns[c].as_str()).collect();
            insert_batch(&mut tx, table, &cols, &rows).await?;
            if self.backend() == Backend::Postgres && d.columns.iter().any(|c| c == "id") {
                // Explicit ids bypass the identity sequence; move it past the restored rows.
                sqlx::query(&format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
                ))
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
