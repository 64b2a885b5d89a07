//! Imports with row-level errors (DESIGN.md §5): every row is checked on its own, accepted rows are
//! committed together, rejected rows are written next to the input with a 错误原因 column.

use crate::{App, AppError, Result};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use wangge_domain::region::{Region, RegionLevel, validate_new_region};
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;
use wangge_store::audit::NewAudit;
use wangge_store::{Store, StoreError};

pub const REASON_HEADER: &str = "错误原因";

#[derive(Debug, Clone, PartialEq)]
pub struct RejectedRow {
    /// 1-based row number in the file as a user sees it (header = row 1), or feature number for GeoJSON.
    pub row: usize,
    pub values: Vec<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportReport {
    pub imported: usize,
    pub headers: Vec<String>,
    /// Rejected rows in file order; a large import keeps only the first [`KEEP_REJECTED`] here and the rest in
    /// `spilled`, so that re-importing a million-row file does not hold a million rows in memory.
    pub rejected: Vec<RejectedRow>,
    pub spilled: Option<std::sync::Arc<RejectedSpill>>,
}

/// Rejected rows an import keeps in memory before it writes the rest to a temporary file.
pub const KEEP_REJECTED: usize = 10_000;

impl ImportReport {
    /// Every rejected row, in memory or spilled.
    pub fn rejected_count(&self) -> usize {
        self.rejected.len() + self.spilled.as_ref().map_or(0, |s| s.count)
    }

    /// Calls `f` with every rejected row in file order (the spilled ones are read back one at a time).
    pub fn for_each_rejected(&self, mut f: impl FnMut(&RejectedRow) -> Result<()>) -> Result<()> {
        for r in &self.rejected {
            f(r)?;
        }
        if let Some(s) = &self.spilled {
            s.for_each(f)?;
        }
        Ok(())
    }
}

/// Rejected rows beyond [`KEEP_REJECTED`]: a temporary CSV file (row, reason, cells…), removed on drop.
#[derive(Debug, PartialEq)]
pub struct RejectedSpill {
    path: PathBuf,
    pub count: usize,
}

impl Drop for RejectedSpill {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl RejectedSpill {
    fn for_each(&self, mut f: impl FnMut(&RejectedRow) -> Result<()>) -> Result<()> {
        let fail = |e: csv::Error| AppError::internal(format!("reading {}: {e}", self.path.display()));
        let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_path(&self.path).map_err(fail)?;
        for rec in r.records() {
            let rec = rec.map_err(fail)?;
            let row = rec.get(0).and_then(|s| s.parse().ok()).unwrap_or(0);
            let reason = rec.get(1).unwrap_or("").to_string();
            f(&RejectedRow { row, reason, values: rec.iter().skip(2).map(str::to_string).collect() })?;
        }
        Ok(())
    }
}

/// Collects an import's rejected rows: the first [`KEEP_REJECTED`] in the report, the rest in a spill file.
#[derive(Default)]
pub struct RejectedSink {
    spill: Option<(PathBuf, csv::Writer<std::fs::File>, usize)>,
}

impl RejectedSink {
    pub fn push(&mut self, report: &mut ImportReport, r: RejectedRow) -> Result<()> {
        if report.rejected.len() < KEEP_REJECTED && self.spill.is_none() {
            report.rejected.push(r);
            return Ok(());
        }
        if self.spill.is_none() {
            let path = std::env::temp_dir().join(format!(
                "wangge-rejected-{}-{:016x}.csv",
                std::process::id(),
                rand::random::<u64>()
            ));
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(|e| AppError::file_store(format!("creating {}", path.display()), &e))?;
            self.spill = Some((path, csv::WriterBuilder::new().flexible(true).from_writer(file), 0));
        }
        if let Some((path, w, n)) = &mut self.spill {
            let fail = |e: csv::Error| match e.into_kind() {
                csv::ErrorKind::Io(io) => AppError::file_store(format!("writing {}", path.display()), &io),
                other => AppError::internal(format!("writing {}: {other:?}", path.display())),
            };
            w.write_field(r.row.to_string()).map_err(fail)?;
            w.write_field(&r.reason).map_err(fail)?;
            for v in &r.values {
                w.write_field(v).map_err(fail)?;
            }
            w.write_record(None::<&[u8]>).map_err(fail)?;
            *n += 1;
        }
        Ok(())
    }

    /// Hands the spill file (if any) to the report.
    pub fn finish(self, report: &mut ImportReport) -> Result<()> {
        if let Some((path, mut w, count)) = self.spill {
            let spill = RejectedSpill { path, count };
            w.flush().map_err(|e| AppError::file_store(format!("writing {}", spill.path.display()), &e))?;
            report.spilled = Some(std::sync::Arc::new(spill));
        }
        Ok(())
    }
}

/// A table read from CSV or XLSX: header row and data rows as text.
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

fn unreadable(path: &Path, e: impl std::fmt::Display) -> AppError {
    AppError::field("FILE", format!("无法读取 / cannot read {}: {e}", path.display()))
}

/// Reads a whole (small) table: the region and boundary lists. Blank and `#` comment rows are left out; the
/// first row kept is the header.
pub fn read_table(path: &Path) -> Result<Table> {
    struct All(Vec<Vec<String>>);
    impl wangge_tables::RowSink for All {
        fn expect(&mut self, _: usize) {}
        fn push(&mut self, _: usize, cells: Vec<String>) -> bool {
            if wangge_tables::keep(&cells) {
                self.0.push(cells);
            }
            true
        }
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let mut all = All(Vec::new());
    wangge_tables::read(&ext, wangge_tables::Input::Path(path.to_path_buf()), &mut all)
        .map_err(|e| unreadable(path, e))?;
    let mut rows = all.0;
    if rows.is_empty() {
        return Err(unreadable(path, "文件为空 / the file is empty"));
    }
    let headers = rows.remove(0);
    Ok(Table { headers, rows })
}

/// Finds a column by any of its accepted names (Chinese template header first).
fn column(headers: &[String], names: &[&str]) -> Option<usize> {
    headers.iter().position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
}

/// Where rejected rows go: `regions.csv` → `regions.errors.csv`, `.xlsx` likewise, GeoJSON → `.errors.csv`.
pub fn errors_path(input: &Path) -> PathBuf {
    let ext = input.extension().and_then(|e| e.to_str()).unwrap_or("csv").to_ascii_lowercase();
    let out_ext = if ext == "xlsx" { "xlsx" } else { "csv" };
    let stem = input.file_stem().and_then(|s| s.to_str()).unwrap_or("import");
    input.with_file_name(format!("{stem}.errors.{out_ext}"))
}

pub fn write_errors(input: &Path, report: &ImportReport) -> Result<Option<PathBuf>> {
    if report.rejected.is_empty() {
        return Ok(None);
    }
    let path = errors_path(input);
    let mut headers = report.headers.clone();
    headers.push(REASON_HEADER.to_string());
    let rows: Vec<Vec<String>> = report
        .rejected
        .iter()
        .map(|r| {
            let mut v = r.values.clone();
            v.resize(report.headers.len(), String::new());
            v.push(format!("第{}行: {}", r.row, r.reason));
            v
        })
        .collect();
    let fail = |e: String| AppError::internal(format!("writing {}: {e}", path.display()));
    if path.extension().is_some_and(|e| e == "xlsx") {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (r, row) in std::iter::once(&headers).chain(rows.iter()).enumerate() {
            for (c, v) in row.iter().enumerate() {
                ws.write_string(r as u32, c as u16, v).map_err(|e| fail(e.to_string()))?;
            }
        }
        wb.save(&path).map_err(|e| fail(e.to_string()))?;
    } else {
        let mut w = csv::Writer::from_path(&path).map_err(|e| fail(e.to_string()))?;
        w.write_record(&headers).map_err(|e| fail(e.to_string()))?;
        for r in &rows {
            w.write_record(r).map_err(|e| fail(e.to_string()))?;
        }
        w.flush().map_err(|e| fail(e.to_string()))?;
    }
    Ok(Some(path))
}

struct Candidate {
    row: usize,
    values: Vec<String>,
    region: Region,
    boundary: Option<String>,
}

impl App {
    /// Checks one candidate region against the database, the rows accepted so far and the caller's scope.
    async fn check_candidate(&self, actor: &Actor, c: &Candidate, accepted: &HashSet<String>) -> Result<()> {
        match &c.region.parent_code {
            Some(p) => {
                if !accepted.contains(p) && self.store.region(p).await?.is_none() {
                    return Err(AppError::field(
                        "parent_code",
                        format!("上级区域不存在 / parent region does not exist: {p}"),
                    ));
                }
                self.authorize(actor, Permission::ManageRegions, p)?;
            }
            None if actor.is_admin() => {}
            None => return Err(AppError::forbidden()),
        }
        Ok(())
    }

    /// Writes accepted candidates in one transaction (insert or rename/redraw), audited one by one.
    async fn commit_candidates(&self, actor: &Actor, what: &str, accepted: &[Candidate]) -> Result<()> {
        let mut tx = self.store.begin().await?;
        for c in accepted {
            let new = Store::upsert_region(&mut tx, &c.region, c.boundary.as_deref()).await?;
            Store::audit(
                &mut tx,
                NewAudit {
                    actor: &actor.username,
                    action: if new { "create" } else { "update" },
                    object: &format!("region:{}", c.region.code),
                    reason: Some(what),
                    region_code: Some(&c.region.code),
                },
            )
            .await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    async fn import_candidates(
        &self,
        actor: &Actor,
        what: &str,
        headers: Vec<String>,
        mut candidates: Vec<Candidate>,
        mut rejected: Vec<RejectedRow>,
    ) -> Result<ImportReport> {
        // Parents first, whatever order the file lists them in.
        candidates.sort_by_key(|c| (c.region.code.len(), c.row));
        let mut seen = HashSet::new();
        let mut accepted = Vec::new();
        for c in candidates {
            if !seen.insert(c.region.code.clone()) {
                rejected.push(RejectedRow {
                    row: c.row,
                    values: c.values,
                    reason: format!("编码重复 / duplicate code in file: {}", c.region.code),
                });
                continue;
            }
            let ok: HashSet<String> = accepted.iter().map(|a: &Candidate| a.region.code.clone()).collect();
            match self.check_candidate(actor, &c, &ok).await {
                Ok(()) => accepted.push(c),
                Err(e) => rejected.push(RejectedRow { row: c.row, values: c.values, reason: e.message }),
            }
        }
        self.commit_candidates(actor, what, &accepted).await?;
        if accepted.iter().any(|c| c.region.level == RegionLevel::Grid && c.boundary.is_some()) {
            self.rebuild_locator().await?;
        }
        rejected.sort_by_key(|r| r.row);
        Ok(ImportReport { imported: accepted.len(), headers, rejected, spilled: None })
    }

    /// Regions from CSV/XLSX with columns 区域编码, 区域名称, 上级编码 (optional, derived from the code), 边界 (optional GeoJSON).
    pub async fn import_regions(&self, actor: &Actor, path: &Path) -> Result<ImportReport> {
        self.authorize_anywhere(actor, Permission::ManageRegions)?;
        let t = read_table(path)?;
        let code_col = column(&t.headers, &["区域编码", "编码", "code"])
            .ok_or_else(|| AppError::field("区域编码", "缺少“区域编码”列 / missing column 区域编码 (code)"))?;
        let name_col = column(&t.headers, &["区域名称", "名称", "name"])
            .ok_or_else(|| AppError::field("区域名称", "缺少“区域名称”列 / missing column 区域名称 (name)"))?;
        let parent_col = column(&t.headers, &["上级编码", "parent_code"]);
        let boundary_col = column(&t.headers, &["边界", "boundary"]);
        let mut candidates = Vec::new();
        let mut rejected = Vec::new();
        for (i, row) in t.rows.into_iter().enumerate() {
            let row_no = i + 2;
            let get = |c: Option<usize>| c.and_then(|c| row.get(c)).map(|s| s.trim().to_string()).unwrap_or_default();
            let code = get(Some(code_col));
            let parent = get(parent_col);
            let parsed = (|| -> Result<Candidate> {
                let parsed = self.config.code_rules.parse("区域编码", &code)?;
                let parent =
                    if parent.is_empty() { self.config.code_rules.parent_of(&parsed) } else { Some(parent.clone()) };
                let region =
                    validate_new_region(&self.config.code_rules, &code, &get(Some(name_col)), parent.as_deref())
                        .map_err(|e| {
                            let header = match e.field.as_str() {
                                "name" => "区域名称",
                                "parent_code" => "上级编码",
                                _ => "区域编码",
                            };
                            e.in_field(header)
                        })?;
                let b = get(boundary_col);
                let boundary = if b.is_empty() {
                    None
                } else {
                    let mp = wangge_domain::geometry::parse_boundary_json("边界", &b)?;
                    Some(wangge_domain::geometry::to_geojson(&mp).to_string())
                };
                Ok(Candidate { row: row_no, values: Vec::new(), region, boundary })
            })();
            match parsed {
                Ok(mut c) => {
                    c.values = row;
                    candidates.push(c);
                }
                Err(e) => rejected.push(RejectedRow { row: row_no, values: row, reason: e.message }),
            }
        }
        self.import_candidates(actor, "import regions", t.headers, candidates, rejected).await
    }

    /// Grid boundaries from a GeoJSON FeatureCollection; each feature has `properties.code` and `properties.name`
    /// (or 编码/名称). Existing grids are renamed and redrawn, so importing the same file twice changes nothing.
    pub async fn import_grids(&self, actor: &Actor, path: &Path) -> Result<ImportReport> {
        self.authorize_anywhere(actor, Permission::ManageRegions)?;
        let text = std::fs::read_to_string(path).map_err(|e| unreadable(path, e))?;
        let gj: geojson::GeoJson = text.parse().map_err(|e| unreadable(path, e))?;
        let geojson::GeoJson::FeatureCollection(fc) = gj else {
            return Err(unreadable(path, "应为 FeatureCollection / expected a FeatureCollection"));
        };
        let headers: Vec<String> = ["序号", "编码", "名称"].iter().map(|s| s.to_string()).collect();
        let mut candidates = Vec::new();
        let mut rejected = Vec::new();
        for (i, f) in fc.features.iter().enumerate() {
            let prop = |names: &[&str]| -> String {
                names
                    .iter()
                    .find_map(|n| f.property(n))
                    .map(|v| match v {
                        serde_json::Value::String(s) => s.trim().to_string(),
                        other => other.to_string(),
                    })
                    .unwrap_or_default()
            };
            let code = prop(&["code", "编码", "grid_code"]);
            let name = prop(&["name", "名称"]);
            let values = vec![(i + 1).to_string(), code.clone(), name.clone()];
            let field = format!("features[{i}]");
            let parsed = (|| -> Result<Candidate> {
                let parsed = self.config.code_rules.parse(&format!("{field}.properties.code"), &code)?;
                if parsed.level() != RegionLevel::Grid {
                    return Err(AppError::field(
                        &format!("{field}.properties.code"),
                        format!("不是网格编码 / not a grid code: {code}"),
                    ));
                }
                let parent = self.config.code_rules.parent_of(&parsed);
                let region =
                    validate_new_region(&self.config.code_rules, &code, &name, parent.as_deref()).map_err(|e| {
                        let name = format!("{field}.properties.{}", e.field);
                        e.in_field(name)
                    })?;
                let geom = f
                    .geometry
                    .as_ref()
                    .ok_or_else(|| AppError::field(&format!("{field}.geometry"), "缺少边界 / geometry is missing"))?;
                let mp = wangge_domain::geometry::parse_boundary(&format!("{field}.geometry"), geom)?;
                Ok(Candidate {
                    row: i + 1,
                    values: Vec::new(),
                    region,
                    boundary: Some(wangge_domain::geometry::to_geojson(&mp).to_string()),
                })
            })();
            match parsed {
                Ok(mut c) => {
                    c.values = values;
                    candidates.push(c);
                }
                Err(e) => rejected.push(RejectedRow { row: i + 1, values, reason: e.message }),
            }
        }
        self.import_candidates(actor, "import grids", headers, candidates, rejected).await
    }
}
