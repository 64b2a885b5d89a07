//! Paged lists (DESIGN.md §4): `?limit=&cursor=` → `{items, next_cursor, total}`.

use crate::{AppError, Result};
use serde::Serialize;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
    pub total: i64,
    /// Present and true when the list has more than `total` matches (big lists stop counting at a cap).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub total_is_lower_bound: bool,
}

/// Checks `limit` (1..=500, default 50).
pub fn limit(limit: Option<i64>) -> Result<i64> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => {
            Err(AppError::field("limit", format!("应在 1 到 {MAX_LIMIT} 之间 / must be between 1 and {MAX_LIMIT}")))
        }
    }
}

/// Cursors are opaque to clients; these are the last key seen.
pub fn int_cursor(cursor: Option<&str>) -> Result<Option<i64>> {
    match cursor.filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) => c.parse().map(Some).map_err(|_| AppError::field("cursor", "无效的游标 / invalid cursor")),
    }
}

pub fn page<T>(items: Vec<T>, limit: i64, total: i64, key: impl Fn(&T) -> String) -> Page<T> {
    let next_cursor = if items.len() as i64 == limit { items.last().map(key) } else { None };
    Page { items, next_cursor, total, total_is_lower_bound: false }
}

/// A page whose total was counted only up to `cap` (+1 meaning "more than `cap`").
pub fn capped_page<T>(items: Vec<T>, limit: i64, counted: i64, cap: i64, key: impl Fn(&T) -> String) -> Page<T> {
    let mut p = page(items, limit, counted.min(cap), key);
    p.total_is_lower_bound = counted > cap;
    p
}
