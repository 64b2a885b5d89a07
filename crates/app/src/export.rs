//! Exports and import templates (DESIGN.md §3): what a user downloads to edit in Excel and import back.
//! Exports hold only what the caller may see; templates carry Chinese headers and a notes sheet.

use crate::{App, AppError, Result};
use std::path::Path;
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;

/// Columns of the regions file, in the order the template and the export use (the import accepts them).
pub const REGION_HEADERS: [&str; 5] = ["区域编码", "区域名称", "上级编码", "层级", "边界"];

fn fail(path: &Path, e: impl std::fmt::Display) -> AppError {
    AppError::field("FILE", format!("无法写入 / cannot write {}: {e}", path.display()))
}

fn ext(path: &Path) -> String {
    path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase()
}

/// Writes a table as .csv (UTF-8 with BOM, so Excel shows Chinese correctly) or .xlsx, by extension.
pub fn write_table(path: &Path, headers: &[&str], rows: &[Vec<String>], notes: &[&str]) -> Result<()> {
    match ext(path).as_str() {
        "csv" => {
            let mut bytes = b"\xEF\xBB\xBF".to_vec();
            {
                let mut w = csv::Writer::from_writer(&mut bytes);
                w.write_record(headers).map_err(|e| fail(path, e))?;
                for r in rows {
                    w.write_record(r).map_err(|e| fail(path, e))?;
                }
                w.flush().map_err(|e| fail(path, e))?;
            }
            write_atomically(path, &bytes)
        }
        "xlsx" => {
            let mut wb = rust_xlsxwriter::Workbook::new();
            let bold = rust_xlsxwriter::Format::new().set_bold();
            let ws = wb.add_worksheet();
            ws.set_name("数据").map_err(|e| fail(path, e))?;
            for (c, h) in headers.iter().enumerate() {
                ws.write_string_with_format(0, c as u16, *h, &bold).map_err(|e| fail(path, e))?;
                ws.set_column_width(c as u16, if *h == "边界" { 40 } else { 18 }).map_err(|e| fail(path, e))?;
            }
            // Codes are text: typed into a number cell, Excel would turn 14 digits into 3.30199E+13.
            let text = rust_xlsxwriter::Format::new().set_num_format("@");
            for c in 0..headers.len() {
                ws.set_column_format(c as u16, &text).map_err(|e| fail(path, e))?;
            }
            ws.set_freeze_panes(1, 0).map_err(|e| fail(path, e))?;
            for (r, row) in rows.iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    ws.write_string((r + 1) as u32, c as u16, v).map_err(|e| fail(path, e))?;
                }
            }
            if !notes.is_empty() {
                let ns = wb.add_worksheet();
                ns.set_name("填写说明").map_err(|e| fail(path, e))?;
                ns.set_column_width(0, 100).map_err(|e| fail(path, e))?;
                for (i, n) in notes.iter().enumerate() {
                    ns.write_string(i as u32, 0, *n).map_err(|e| fail(path, e))?;
                }
            }
            let bytes = wb.save_to_buffer().map_err(|e| fail(path, e))?;
            write_atomically(path, &bytes)
        }
        _ => Err(AppError::field("FILE", "文件扩展名应为 .csv 或 .xlsx / the file must end in .csv or .xlsx")),
    }
}

/// Never leaves a half-written file: write beside, then rename.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.partial"));
    std::fs::write(&tmp, bytes).map_err(|e| fail(path, e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(path, e)
    })
}

pub const REGION_NOTES: &[&str] = &[
    "区域导入模板 / regions import template",
    "区域编码：区/县6位（GB/T 2260），镇/街道9位，社区/村12位，网格在社区编码后加2位（共14位）。编码必须以上级编码开头。",
    "区域名称：必填，不超过100字。",
    "上级编码：可不填，系统按编码自动推断；填写时必须与编码前缀一致。",
    "示例：330199001001, 翠苑一社区, 330199001",
    "层级：导出时给出（district/street/community/grid），导入时忽略。",
    "边界：可选，GeoJSON Polygon 或 MultiPolygon（WGS84 经纬度），环必须闭合且不自相交。",
    "导入：wangge import regions 文件.xlsx；有错误的行写入 文件.errors.xlsx 并在“错误原因”列说明，其余行照常导入。",
];

impl App {
    /// Every region the caller may see as rows of the regions file (boundaries as GeoJSON text).
    pub async fn region_rows(&self, actor: &Actor, with_boundaries: bool) -> Result<Vec<Vec<String>>> {
        self.authorize_anywhere(actor, Permission::ReadRegions)?;
        let roots = match actor.roots(Permission::ReadRegions) {
            Some(r) => r,
            None => self.store.top_regions(None, 100_000).await?.into_iter().map(|r| r.region.code).collect(),
        };
        let mut rows = Vec::new();
        for root in roots {
            let boundaries: std::collections::HashMap<String, String> = if with_boundaries {
                self.store
                    .grids_in(&root)
                    .await?
                    .into_iter()
                    .filter_map(|g| Some((g.region.code, g.boundary?)))
                    .collect()
            } else {
                Default::default()
            };
            for r in self.store.region_subtree(&root).await? {
                let b = boundaries.get(&r.region.code).cloned().unwrap_or_default();
                rows.push(vec![
                    r.region.code,
                    r.region.name,
                    r.region.parent_code.unwrap_or_default(),
                    r.region.level.as_str().into(),
                    b,
                ]);
            }
        }
        Ok(rows)
    }

    /// `wangge export regions FILE.csv|.xlsx`.
    pub async fn export_regions(&self, actor: &Actor, path: &Path) -> Result<usize> {
        let rows = self.region_rows(actor, true).await?;
        write_table(path, &REGION_HEADERS, &rows, &[])?;
        Ok(rows.len())
    }

    /// `wangge export grids FILE.geojson`: the grids the caller may see, ready to import elsewhere.
    pub async fn export_grids(&self, actor: &Actor, path: &Path) -> Result<usize> {
        if ext(path) != "geojson" && ext(path) != "json" {
            return self.export_regions(actor, path).await;
        }
        self.authorize_anywhere(actor, Permission::ReadRegions)?;
        let roots = match actor.roots(Permission::ReadRegions) {
            Some(r) => r,
            None => self.store.top_regions(None, 100_000).await?.into_iter().map(|r| r.region.code).collect(),
        };
        let mut features = Vec::new();
        for root in roots {
            let fc = self.grids_geojson(actor, &root).await?;
            if let Some(serde_json::Value::Array(fs)) = fc.get("features") {
                features.extend(fs.iter().cloned());
            }
        }
        let n = features.len();
        let doc = serde_json::json!({ "type": "FeatureCollection", "features": features });
        write_atomically(path, &serde_json::to_vec_pretty(&doc).map_err(|e| fail(path, e))?)?;
        Ok(n)
    }
}

/// `wangge template regions FILE.xlsx`: headers and the notes sheet (with an example).
pub fn write_region_template(path: &Path) -> Result<()> {
    if ext(path) != "xlsx" {
        return Err(AppError::field("FILE", "模板为 .xlsx 文件 / templates are .xlsx files"));
    }
    // No example row in the data sheet: a template imported unchanged must import nothing.
    write_table(path, &REGION_HEADERS, &[], REGION_NOTES)
}
