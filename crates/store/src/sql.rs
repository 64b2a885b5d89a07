//! Statements built at run time from list filters: SQL text with `$n` binds in order, and the region-subtree
//! condition every scoped list shares.

use crate::prefix_range;
use sqlx::Any;

/// A statement under construction: SQL text and its text/int binds, numbered `$n` in order.
#[derive(Default)]
pub(crate) struct Sql {
    pub text: String,
    pub binds: Vec<Bind>,
}

pub(crate) enum Bind {
    Text(String),
    Int(i64),
}

impl Sql {
    pub fn arg(&mut self, b: Bind) -> String {
        self.binds.push(b);
        format!("${}", self.binds.len())
    }

    pub fn query(&self) -> sqlx::query::Query<'_, Any, sqlx::any::AnyArguments<'_>> {
        let mut q = sqlx::query(&self.text);
        for b in &self.binds {
            q = match b {
                Bind::Text(s) => q.bind(s.as_str()),
                Bind::Int(i) => q.bind(*i),
            };
        }
        q
    }
}

/// `(col >= lo AND col < hi) OR …` for the roots, or `1=1` without roots (`1=0` for an empty list).
pub(crate) fn roots_clause(sql: &mut Sql, col: &str, roots: Option<&[String]>) -> String {
    match roots {
        None => "1=1".into(),
        Some([]) => "1=0".into(),
        Some(rs) => {
            let parts: Vec<String> = rs
                .iter()
                .map(|r| {
                    let (lo, hi) = prefix_range(r);
                    let a = sql.arg(Bind::Text(lo));
                    let b = sql.arg(Bind::Text(hi));
                    format!("({col} >= {a} AND {col} < {b})")
                })
                .collect();
            format!("({})", parts.join(" OR "))
        }
    }
}
