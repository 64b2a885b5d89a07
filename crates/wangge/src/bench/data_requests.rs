//! 一表通 scenario (issue #13): sending a table over a whole street's residents — reading the register, filling
//! each row with what it knows, deciding what to ask, and writing one row per person — against one raw
//! `INSERT … SELECT` copying the same people into a scratch table in the same run (the floor of any row-per-
//! person write).

use super::Scenario;
use anyhow::{Context, Result};
use serde_json::json;
use std::time::Instant;
use wangge_app::data_requests::{ColumnInput, DataRequestInput};
use wangge_app::{App, Config, system_actor};

pub async fn scenarios(quick: bool) -> Result<Vec<Scenario>> {
    let dir = tempfile::tempdir().context("creating a temporary data directory")?;
    let app = App::open(Config::new(dir.path().to_path_buf()), &crate::bench::database_url(dir.path()).await?).await?;
    app.ensure_reference_data().await?;
    let scale = if quick { wangge_demo::Scale::Small } else { wangge_demo::Scale::Street };
    app.load_demo(&system_actor("bench"), scale, 1, Some("bench-password-1")).await?;
    let admin = system_actor("bench");
    let street = "330199001";
    if !quick {
        // A table is capped at 50,000 rows and the street demo has ≈ 63,000 people (60,000 living): the newest
        // 15,000 records become moved-out (as a street's register holds), so the whole street still fits.
        sqlx::query("UPDATE people SET residence_status = 'moved_out' WHERE id > (SELECT MAX(id) - 15000 FROM people)")
            .execute(app.store.pool())
            .await?;
    }
    let col = |field: &str| ColumnInput { field: Some(field.into()), ..Default::default() };
    let extra = |label: &str, kind: &str| ColumnInput {
        label: Some(label.into()),
        r#type: Some(kind.into()),
        ..Default::default()
    };
    let runs = if quick { 3 } else { 5 };
    let mut best = f64::MAX;
    let mut rows = 0;
    let mut prefilled = None;
    for i in 0..runs {
        let input = DataRequestInput {
            title: format!("基础信息核对 {i}"),
            department_code: Some("gongan".into()),
            item_code: "GA-ZR-01".into(),
            region_code: street.into(),
            population: "people".into(),
            columns: vec![
                col("seq"),
                col("name"),
                col("id_number"),
                col("phone"),
                col("address"),
                col("employment"),
                col("tag:migrant.permit"),
                extra("是否常住", "yes_no"),
                extra("备注", "text"),
            ],
            due_on: "2099-12-31".into(),
            ..Default::default()
        };
        let t = Instant::now();
        let v = app.create_data_request(&admin, input).await?;
        best = best.min(t.elapsed().as_secs_f64() * 1000.0);
        rows = v.rows;
        prefilled = v.prefilled_percent;
    }
    anyhow::ensure!(rows > 0, "the table has no rows");
    let (lo, hi) = (street.to_string(), format!("{street}\u{10FFFF}"));
    let mut base = f64::MAX;
    for _ in 0..runs {
        let mut tx = app.store.begin().await?;
        sqlx::query(
            "CREATE TEMP TABLE IF NOT EXISTS bench_rows (person_id INTEGER, grid_code TEXT, label TEXT, prefill TEXT)",
        )
        .execute(&mut *tx)
        .await?;
        let t = Instant::now();
        sqlx::query(
            "INSERT INTO bench_rows SELECT p.id, p.grid_code, p.name, p.id_number_masked || p.birth_date FROM people p \
             WHERE p.grid_code >= $1 AND p.grid_code < $2 AND p.residence_status IN ('present', 'away')",
        )
        .bind(&lo)
        .bind(&hi)
        .execute(&mut *tx)
        .await?;
        base = base.min(t.elapsed().as_secs_f64() * 1000.0);
        tx.rollback().await?;
    }
    app.store.close().await;
    Ok(vec![Scenario {
        name: "data_request_send".into(),
        value: best,
        unit: "ms".into(),
        baseline: base,
        ratio: base / best.max(0.001),
        params: json!({ "rows": rows, "columns": 9, "prefilled_percent": prefilled,
            "baseline": "INSERT … SELECT of the same people into a scratch table" }),
    }])
}
