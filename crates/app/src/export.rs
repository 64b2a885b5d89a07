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

// ---------------------------------------------------------------------------------------------------------
// The population register: residents and houses (issue #4)

use crate::import_residents::{HOUSE_HEADERS, RESIDENT_HEADERS};
use wangge_domain::register::{HouseUsage, PopulationType};

pub const RESIDENT_NOTES: &[&str] = &[
    "实有人口导入模板 / residents import template",
    "每行一人。带 * 的说明为必填项；第一行为表头，请勿修改表头文字，列的顺序可以调整。",
    "姓名*：与身份证一致，可含“·”。",
    "公民身份号码*：18位（末位可为X），按 GB 11643 校验；15位旧号码自动升为18位。同一号码已登记或在本文件中重复的行不导入。",
    "性别、出生日期：可不填（由身份证号得出）；填写时必须与身份证号一致，日期写作 1980-02-15。",
    "民族：如“汉族”或“汉”。联系电话：11位手机号或带区号的固定电话。",
    "人口类型*：户籍人口 / 流动人口 / 境外人员。",
    "户号*：同一户的成员填相同户号；户号未登记时在该房屋下新建该户（户籍人口为户籍户）。",
    "与户主关系：户主、配偶、子、女、父亲、母亲、孙子、孙女……、其他。",
    "房屋地址 或 房屋编码*（至少一项）：填房屋编码时该房屋必须已登记且在同一网格；只填地址时，该网格未登记的地址自动新建房屋（用途“自住”）。",
    "网格编码*：14位网格编码，必须是您有权管理的网格。",
    "人群标签：多个标签用“;”或“、”分隔，如“残疾人、低保”；标签名称须为系统中已有的人群标签（低保/特困/低收入记在户上）。",
    "以 # 开头的行不导入（导出文件最后一行的导出信息）。",
    "导入：wangge import residents 文件.xlsx（或在系统“导入”页面上传）；有错误的行写入 文件.errors.xlsx，“错误原因”列写明第几行、哪一列、什么原因，其余行照常导入。同一文件重复导入不会重复登记。",
];

pub const HOUSE_NOTES: &[&str] = &[
    "实有房屋导入模板 / houses import template",
    "每行一套房屋。第一行为表头，请勿修改表头文字。",
    "房屋编码：可不填，系统生成“F+网格编码+4位序号”；填写时不能与已登记的房屋编码重复。",
    "网格编码*：14位网格编码，必须是您有权管理的网格。",
    "房屋地址*：完整地址；同一网格内已登记的地址不再导入。",
    "楼栋、单元、房号：可不填。面积：建筑面积（平方米），正数。",
    "房屋用途：自住 / 出租 / 空置 / 商用 / 其他，不填为自住。产权人：可不填。",
    "以 # 开头的行不导入。",
    "导入：wangge import houses 文件.xlsx；有错误的行写入 文件.errors.xlsx 并在“错误原因”列说明。",
];

/// `导出人 USER 导出时间 TIME（北京时间）`: written into every register export.
pub fn watermark(actor: &Actor, at: chrono::DateTime<chrono::Utc>) -> String {
    let beijing = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let name = if actor.display_name.is_empty() || actor.display_name == actor.username {
        actor.username.clone()
    } else {
        format!("{}（{}）", actor.display_name, actor.username)
    };
    format!("导出人 {name} 导出时间 {}（北京时间）", at.with_timezone(&beijing).format("%Y-%m-%d %H:%M:%S"))
}

/// An export: CSV (UTF-8 with BOM; the watermark as a last `#` row, which imports skip) or XLSX (a 数据
/// sheet and a separate 导出信息 sheet with the watermark). Code columns are text.
pub fn write_export(path: &Path, headers: &[&str], rows: &[Vec<String>], watermark: &str) -> Result<()> {
    match ext(path).as_str() {
        "csv" => {
            let mut bytes = b"\xEF\xBB\xBF".to_vec();
            {
                let mut w = csv::WriterBuilder::new().flexible(true).from_writer(&mut bytes);
                w.write_record(headers).map_err(|e| fail(path, e))?;
                for r in rows {
                    w.write_record(r).map_err(|e| fail(path, e))?;
                }
                w.write_record([format!("# {watermark}")]).map_err(|e| fail(path, e))?;
                w.flush().map_err(|e| fail(path, e))?;
            }
            write_atomically(path, &bytes)
        }
        "xlsx" => {
            let mut wb = rust_xlsxwriter::Workbook::new();
            let bold = rust_xlsxwriter::Format::new().set_bold();
            let text = rust_xlsxwriter::Format::new().set_num_format("@");
            let ws = wb.add_worksheet();
            ws.set_name("数据").map_err(|e| fail(path, e))?;
            for (c, h) in headers.iter().enumerate() {
                ws.set_column_format(c as u16, &text).map_err(|e| fail(path, e))?;
                ws.set_column_width(c as u16, if h.contains("地址") { 36 } else { 18 }).map_err(|e| fail(path, e))?;
                ws.write_string_with_format(0, c as u16, *h, &bold).map_err(|e| fail(path, e))?;
            }
            ws.set_freeze_panes(1, 0).map_err(|e| fail(path, e))?;
            for (r, row) in rows.iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    ws.write_string((r + 1) as u32, c as u16, v).map_err(|e| fail(path, e))?;
                }
            }
            ws.set_header(format!("&L{}", watermark.replace('&', "&&")));
            let info = wb.add_worksheet();
            info.set_name("导出信息").map_err(|e| fail(path, e))?;
            info.set_column_width(0, 80).map_err(|e| fail(path, e))?;
            info.write_string(0, 0, watermark).map_err(|e| fail(path, e))?;
            info.write_string(1, 0, format!("共 {} 行；公民身份号码、联系电话已脱敏 / numbers are masked", rows.len()))
                .map_err(|e| fail(path, e))?;
            let bytes = wb.save_to_buffer().map_err(|e| fail(path, e))?;
            write_atomically(path, &bytes)
        }
        _ => Err(AppError::field("FILE", "文件扩展名应为 .csv 或 .xlsx / the file must end in .csv or .xlsx")),
    }
}

/// An empty import template: headers, text-formatted columns, dropdowns, and the 填写说明 sheet.
fn write_register_template(path: &Path, headers: &[&str], notes: &[&str], lists: &[(&str, Vec<&str>)]) -> Result<()> {
    if ext(path) != "xlsx" {
        return Err(AppError::field("FILE", "模板为 .xlsx 文件 / templates are .xlsx files"));
    }
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    // Numbers and codes are text: typed into a number cell, Excel turns 18 digits into 3.30106E+17.
    let text = rust_xlsxwriter::Format::new().set_num_format("@");
    let ws = wb.add_worksheet();
    ws.set_name("数据").map_err(|e| fail(path, e))?;
    for (c, h) in headers.iter().enumerate() {
        ws.set_column_format(c as u16, &text).map_err(|e| fail(path, e))?;
        ws.set_column_width(c as u16, if h.contains("地址") { 36 } else { 18 }).map_err(|e| fail(path, e))?;
        ws.write_string_with_format(0, c as u16, *h, &bold).map_err(|e| fail(path, e))?;
        if let Some((_, list)) = lists.iter().find(|(name, _)| name == h) {
            let dv = rust_xlsxwriter::DataValidation::new()
                .allow_list_strings(list)
                .map_err(|e| fail(path, e))?
                .ignore_blank(true);
            ws.add_data_validation(1, c as u16, 100_000, c as u16, &dv).map_err(|e| fail(path, e))?;
        }
    }
    ws.set_freeze_panes(1, 0).map_err(|e| fail(path, e))?;
    let ns = wb.add_worksheet();
    ns.set_name("填写说明").map_err(|e| fail(path, e))?;
    ns.set_column_width(0, 120).map_err(|e| fail(path, e))?;
    for (i, n) in notes.iter().enumerate() {
        ns.write_string(i as u32, 0, *n).map_err(|e| fail(path, e))?;
    }
    let bytes = wb.save_to_buffer().map_err(|e| fail(path, e))?;
    write_atomically(path, &bytes)
}

/// `wangge template residents FILE.xlsx`.
pub fn write_residents_template(path: &Path) -> Result<()> {
    let ptypes: Vec<&str> = PopulationType::ALL.iter().map(|p| p.label_zh()).collect();
    write_register_template(
        path,
        &RESIDENT_HEADERS,
        RESIDENT_NOTES,
        &[
            ("性别", vec!["男", "女"]),
            ("人口类型", ptypes),
            ("与户主关系", wangge_domain::register::RELATIONS.to_vec()),
        ],
    )
}

/// `wangge template houses FILE.xlsx`.
pub fn write_houses_template(path: &Path) -> Result<()> {
    let usages: Vec<&str> = HouseUsage::ALL.iter().map(|u| u.label_zh()).collect();
    write_register_template(path, &HOUSE_HEADERS, HOUSE_NOTES, &[("房屋用途", usages)])
}

impl App {
    /// The roots of what the actor may read in the register (every top region for admins).
    async fn register_roots(&self, actor: &Actor) -> Result<Vec<String>> {
        self.authorize_anywhere(actor, Permission::ReadRegister)?;
        Ok(match actor.roots(Permission::ReadRegister) {
            Some(r) => r,
            None => self.store.top_regions(None, 100_000).await?.into_iter().map(|r| r.region.code).collect(),
        })
    }

    pub(crate) async fn audit_export(&self, actor: &Actor, what: &str, n: usize, roots: &[String]) -> Result<()> {
        let mut tx = self.store.begin().await?;
        wangge_store::Store::audit(
            &mut tx,
            wangge_store::audit::NewAudit {
                actor: &actor.username,
                action: "export",
                object: &format!("{what}:{n} rows"),
                reason: None,
                region_code: (roots.len() == 1).then(|| roots[0].as_str()),
            },
        )
        .await?;
        tx.commit().await.map_err(wangge_store::StoreError::from)?;
        Ok(())
    }

    /// The residents the actor may read, as rows of the residents file (numbers masked, sensitive tags only
    /// where the actor may read them).
    pub async fn resident_rows(&self, actor: &Actor) -> Result<Vec<Vec<String>>> {
        let roots = self.register_roots(actor).await?;
        let kinds: std::collections::HashMap<String, (String, bool)> =
            self.store.tag_kinds().await?.into_iter().map(|k| (k.code, (k.name, k.sensitive))).collect();
        let mut rows = Vec::new();
        for root in &roots {
            for p in self.store.export_people(root).await? {
                let sensitive_ok = actor.may(Permission::ReadSensitiveTags, &p.grid_code);
                let tags: Vec<&str> = p
                    .tags
                    .iter()
                    .filter_map(|t| kinds.get(t))
                    .filter(|(_, sensitive)| sensitive_ok || !sensitive)
                    .map(|(name, _)| name.as_str())
                    .collect();
                let gender = match p.gender.as_str() {
                    "male" => "男",
                    "female" => "女",
                    other => other,
                };
                let ptype = PopulationType::parse("人口类型", &p.population_type)
                    .map(|t| t.label_zh().to_string())
                    .unwrap_or(p.population_type.clone());
                rows.push(vec![
                    p.name,
                    p.id_number_masked,
                    gender.to_string(),
                    p.birth_date,
                    p.ethnicity,
                    p.phone_masked,
                    ptype,
                    p.household_number,
                    p.relation,
                    p.house_address,
                    p.house_code,
                    p.grid_code,
                    tags.join("、"),
                ]);
            }
        }
        Ok(rows)
    }

    /// `wangge export residents FILE.csv|.xlsx`: watermarked, masked, audited.
    pub async fn export_residents(&self, actor: &Actor, path: &Path) -> Result<usize> {
        let roots = self.register_roots(actor).await?;
        let rows = self.resident_rows(actor).await?;
        write_export(path, &RESIDENT_HEADERS, &rows, &watermark(actor, chrono::Utc::now()))?;
        self.audit_export(actor, "residents", rows.len(), &roots).await?;
        Ok(rows.len())
    }

    /// The houses the actor may read, as rows of the houses file.
    pub async fn house_rows(&self, actor: &Actor) -> Result<Vec<Vec<String>>> {
        let roots = self.register_roots(actor).await?;
        let mut rows = Vec::new();
        for root in &roots {
            for h in self.store.export_houses(root).await? {
                let usage = HouseUsage::parse("房屋用途", &h.usage)
                    .map(|u| u.label_zh().to_string())
                    .unwrap_or(h.usage.clone());
                rows.push(vec![
                    h.code,
                    h.grid_code,
                    h.address,
                    h.building,
                    h.unit,
                    h.room,
                    h.area_m2.map(|a| format!("{a}")).unwrap_or_default(),
                    usage,
                    h.owner_name,
                ]);
            }
        }
        Ok(rows)
    }

    /// `wangge export houses FILE.csv|.xlsx`: watermarked and audited.
    pub async fn export_houses(&self, actor: &Actor, path: &Path) -> Result<usize> {
        let roots = self.register_roots(actor).await?;
        let rows = self.house_rows(actor).await?;
        write_export(path, &HOUSE_HEADERS, &rows, &watermark(actor, chrono::Utc::now()))?;
        self.audit_export(actor, "houses", rows.len(), &roots).await?;
        Ok(rows.len())
    }
}

const EVENT_HEADERS: [&str; 16] = [
    "编号",
    "类别编码",
    "类别",
    "网格编码",
    "地址",
    "问题描述",
    "来源",
    "状态",
    "上报时间",
    "应结案时间",
    "结案时间",
    "处置部门",
    "返工次数",
    "督办",
    "满意度",
    "超期",
];

impl App {
    /// `wangge export events FILE.csv|.xlsx`: every event the actor may see (newest first), watermarked and
    /// audited; reporters are not exported.
    pub async fn export_events(&self, actor: &Actor, path: &Path) -> Result<usize> {
        let mut rows = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let q = crate::events::EventQuery { limit: Some(500), cursor: cursor.as_deref(), ..Default::default() };
            let page = self.list_events(actor, q).await?;
            for e in &page.items {
                rows.push(vec![
                    e.id.to_string(),
                    e.category.clone(),
                    e.category_name.clone(),
                    e.grid_code.clone(),
                    e.address.clone(),
                    e.description.clone(),
                    wangge_domain::event::Source::parse(&e.source)
                        .map(|s| s.label_zh().to_string())
                        .unwrap_or(e.source.clone()),
                    e.status_label.clone(),
                    e.reported_at.clone(),
                    e.due_at.clone().unwrap_or_default(),
                    e.closed_at.clone().unwrap_or_default(),
                    e.departments.join("、"),
                    e.rework_count.to_string(),
                    wangge_domain::event::Card::parse(&e.card).map(|c| c.label_zh().to_string()).unwrap_or_default(),
                    e.satisfaction.map(|s| s.to_string()).unwrap_or_default(),
                    if e.overdue { "是".into() } else { String::new() },
                ]);
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        write_export(path, &EVENT_HEADERS, &rows, &watermark(actor, chrono::Utc::now()))?;
        let roots = actor.roots(wangge_domain::role::Permission::ReadEvents).unwrap_or_default();
        self.audit_export(actor, "events", rows.len(), &roots).await?;
        Ok(rows.len())
    }
}

#[cfg(test)]
mod register_tests {
    use super::*;

    #[test]
    fn watermark_is_beijing_time() {
        let actor = crate::system_actor("export");
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-25T16:30:00Z").unwrap().with_timezone(&chrono::Utc);
        let w = watermark(&actor, at);
        assert!(w.starts_with("导出人 "), "{w}");
        assert!(w.contains("cli:export"), "{w}");
        assert!(w.ends_with("导出时间 2026-11-26 00:30:00（北京时间）"), "{w}");
    }

    #[test]
    fn templates_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("residents.xlsx");
        write_residents_template(&p).unwrap();
        write_houses_template(&dir.path().join("houses.xlsx")).unwrap();
        assert!(write_residents_template(&dir.path().join("residents.csv")).is_err());
        use calamine::Reader;
        let mut wb = calamine::open_workbook_auto(&p).unwrap();
        assert_eq!(wb.sheet_names(), vec!["数据".to_string(), "填写说明".to_string()]);
        let r = wb.worksheet_range("数据").unwrap();
        assert_eq!(r.height(), 1, "headers only");
        assert_eq!(r.get((0, 1)).unwrap().to_string(), "公民身份号码");
    }
}
