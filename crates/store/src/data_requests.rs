//! 一表通 (issue #13): data requests, their rows (one per person, household or house, with what the register
//! pre-filled and what the grid worker answered) and the register reads that build them.

use crate::sql::{Bind, Sql, roots_clause};
use crate::{Result, Store, StoreError};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataRequestRow {
    pub id: i64,
    pub title: String,
    pub department_code: String,
    pub item_code: String,
    pub region_code: String,
    pub population: String,
    pub population_tag: String,
    pub house_usage: String,
    /// JSON: the columns in the requester's order.
    pub columns: String,
    /// JSON: the requester's template (title rows above the header), `{}` without one.
    pub layout: String,
    pub description: String,
    pub due_on: String,
    pub month: String,
    pub row_count: i64,
    pub prefilled_cells: i64,
    pub asked_cells: i64,
    pub created_by: String,
    pub created_at: i64,
}

const REQUEST_COLS: &str = "id, title, department_code, item_code, region_code, population, population_tag, \
    house_usage, columns, layout, description, due_on, month, row_count, prefilled_cells, asked_cells, created_by, \
    created_at";

fn request_row(r: &AnyRow) -> std::result::Result<DataRequestRow, sqlx::Error> {
    Ok(DataRequestRow {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        department_code: r.try_get("department_code")?,
        item_code: r.try_get("item_code")?,
        region_code: r.try_get("region_code")?,
        population: r.try_get("population")?,
        population_tag: r.try_get("population_tag")?,
        house_usage: r.try_get("house_usage")?,
        columns: r.try_get("columns")?,
        layout: r.try_get("layout")?,
        description: r.try_get("description")?,
        due_on: r.try_get("due_on")?,
        month: r.try_get("month")?,
        row_count: r.try_get("row_count")?,
        prefilled_cells: r.try_get("prefilled_cells")?,
        asked_cells: r.try_get("asked_cells")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestRowRecord {
    pub id: i64,
    pub request_id: i64,
    pub community_code: String,
    pub grid_code: String,
    pub subject_id: i64,
    pub person_id: Option<i64>,
    pub label: String,
    pub prefill: String,
    pub answers: String,
    pub status: String,
    pub late: bool,
    pub answered_by: String,
    pub answered_at: Option<i64>,
    pub prefilled_cells: i64,
    pub asked_cells: i64,
    pub version: i64,
}

const ROW_COLS: &str = "id, request_id, community_code, grid_code, subject_id, person_id, label, prefill, answers, \
    status, late, answered_by, answered_at, prefilled_cells, asked_cells, version";

fn row_record(r: &AnyRow) -> std::result::Result<RequestRowRecord, sqlx::Error> {
    Ok(RequestRowRecord {
        id: r.try_get("id")?,
        request_id: r.try_get("request_id")?,
        community_code: r.try_get("community_code")?,
        grid_code: r.try_get("grid_code")?,
        subject_id: r.try_get("subject_id")?,
        person_id: r.try_get("person_id")?,
        label: r.try_get("label")?,
        prefill: r.try_get("prefill")?,
        answers: r.try_get("answers")?,
        status: r.try_get("status")?,
        late: r.try_get::<i64, _>("late")? != 0,
        answered_by: r.try_get("answered_by")?,
        answered_at: r.try_get("answered_at")?,
        prefilled_cells: r.try_get("prefilled_cells")?,
        asked_cells: r.try_get("asked_cells")?,
        version: r.try_get("version")?,
    })
}

/// Rows answered and due per community and grid.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressRow {
    pub community_code: String,
    pub grid_code: String,
    pub rows: i64,
    pub answered: i64,
    pub late: i64,
}

/// A house as a 出租屋 table needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct HouseFacts {
    pub id: i64,
    pub grid_code: String,
    pub address: String,
    pub building: String,
    pub unit: String,
    pub room: String,
    pub area_m2: Option<f64>,
    pub usage: String,
    pub owner_name: String,
    pub occupants: i64,
}

/// A household as a household table needs it; `head` is the 户主 (else the first member) answers go to.
#[derive(Debug, Clone, PartialEq)]
pub struct HouseholdFacts {
    pub id: i64,
    pub number: String,
    pub grid_code: String,
    pub address: String,
    pub usage: String,
    pub members: i64,
    pub head: Option<i64>,
}

impl Store {
    pub async fn insert_data_request(tx: &mut Transaction<'static, Any>, r: &DataRequestRow) -> Result<i64> {
        let row: (i64,) = sqlx::query_as(
            "INSERT INTO data_requests (title, department_code, item_code, region_code, population, population_tag, \
             house_usage, columns, layout, description, due_on, month, row_count, prefilled_cells, asked_cells, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
             RETURNING id",
        )
        .bind(&r.title)
        .bind(&r.department_code)
        .bind(&r.item_code)
        .bind(&r.region_code)
        .bind(&r.population)
        .bind(&r.population_tag)
        .bind(&r.house_usage)
        .bind(&r.columns)
        .bind(&r.layout)
        .bind(&r.description)
        .bind(&r.due_on)
        .bind(&r.month)
        .bind(r.row_count)
        .bind(r.prefilled_cells)
        .bind(r.asked_cells)
        .bind(&r.created_by)
        .bind(r.created_at)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| StoreError::from_db(e, "data request"))?;
        Ok(row.0)
    }

    /// The rows of a new request, many per statement (a street's 独居老人 are hundreds of rows).
    pub async fn insert_data_request_rows(
        tx: &mut Transaction<'static, Any>,
        request_id: i64,
        rows: &[RequestRowRecord],
    ) -> Result<()> {
        for chunk in rows.chunks(100) {
            let mut sql = Sql::default();
            let mut values = Vec::with_capacity(chunk.len());
            for r in chunk {
                let v = [
                    sql.arg(Bind::Int(request_id)),
                    sql.arg(Bind::Text(r.community_code.clone())),
                    sql.arg(Bind::Text(r.grid_code.clone())),
                    sql.arg(Bind::Int(r.subject_id)),
                    match r.person_id {
                        Some(p) => sql.arg(Bind::Int(p)),
                        None => "NULL".into(),
                    },
                    sql.arg(Bind::Text(r.label.clone())),
                    sql.arg(Bind::Text(r.prefill.clone())),
                    sql.arg(Bind::Int(r.prefilled_cells)),
                    sql.arg(Bind::Int(r.asked_cells)),
                ];
                values.push(format!("({})", v.join(", ")));
            }
            sql.text = format!(
                "INSERT INTO data_request_rows (request_id, community_code, grid_code, subject_id, person_id, label, \
                 prefill, prefilled_cells, asked_cells) VALUES {}",
                values.join(", ")
            );
            sql.query().execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Links the community's pushed task to the request it carries.
    pub async fn link_task_to_request(tx: &mut Transaction<'static, Any>, task_id: i64, request_id: i64) -> Result<()> {
        sqlx::query("UPDATE community_tasks SET data_request_id = $1 WHERE id = $2")
            .bind(request_id)
            .bind(task_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    pub async fn data_request(&self, id: i64) -> Result<Option<DataRequestRow>> {
        let row = sqlx::query(&format!("SELECT {REQUEST_COLS} FROM data_requests WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(request_row).transpose()?)
    }

    /// Requests whose area lies within `roots`, or that have rows within `row_roots` (the communities and grids a
    /// request lands on see it too), newest first. `departments` narrows to those departments' requests.
    pub async fn data_requests(
        &self,
        roots: Option<&[String]>,
        row_roots: Option<&[String]>,
        departments: Option<&[String]>,
        month: Option<&str>,
        limit: i64,
    ) -> Result<Vec<DataRequestRow>> {
        let mut sql = Sql::default();
        let own = roots_clause(&mut sql, "region_code", roots);
        let landed = match row_roots {
            Some(rr) => {
                let c = roots_clause(&mut sql, "r.grid_code", Some(rr));
                format!("EXISTS (SELECT 1 FROM data_request_rows r WHERE r.request_id = data_requests.id AND {c})")
            }
            None => "1=0".into(),
        };
        let mut wh = vec![format!("({own} OR {landed})")];
        if let Some(ds) = departments {
            let list: Vec<String> = ds.iter().map(|d| sql.arg(Bind::Text(d.clone()))).collect();
            wh.push(if list.is_empty() { "1=0".into() } else { format!("department_code IN ({})", list.join(", ")) });
        }
        if let Some(m) = month {
            let a = sql.arg(Bind::Text(m.to_string()));
            wh.push(format!("month = {a}"));
        }
        let lim = sql.arg(Bind::Int(limit));
        sql.text =
            format!("SELECT {REQUEST_COLS} FROM data_requests WHERE {} ORDER BY id DESC LIMIT {lim}", wh.join(" AND "));
        let rows = sql.query().fetch_all(self.pool()).await?;
        Ok(rows.iter().map(request_row).collect::<std::result::Result<_, _>>()?)
    }

    /// Whether a request has rows within `roots`.
    pub async fn data_request_lands_in(&self, request_id: i64, roots: &[String]) -> Result<bool> {
        let mut sql = Sql::default();
        let id = sql.arg(Bind::Int(request_id));
        let c = roots_clause(&mut sql, "grid_code", Some(roots));
        sql.text =
            format!("SELECT COUNT(*) FROM (SELECT 1 FROM data_request_rows WHERE request_id = {id} AND {c} LIMIT 1) x");
        let n: i64 = sql.query().fetch_one(self.pool()).await?.try_get(0)?;
        Ok(n > 0)
    }

    pub async fn data_request_progress(&self, request_id: i64) -> Result<Vec<ProgressRow>> {
        let rows = sqlx::query(
            "SELECT community_code, grid_code, COUNT(*) AS n, \
             SUM(CASE WHEN status = 'answered' THEN 1 ELSE 0 END) AS answered, \
             SUM(CASE WHEN late <> 0 THEN 1 ELSE 0 END) AS late \
             FROM data_request_rows WHERE request_id = $1 GROUP BY community_code, grid_code \
             ORDER BY community_code, grid_code",
        )
        .bind(request_id)
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(ProgressRow {
                community_code: r.try_get("community_code")?,
                grid_code: r.try_get("grid_code")?,
                rows: r.try_get("n")?,
                answered: r.try_get::<Option<i64>, _>("answered")?.unwrap_or(0),
                late: r.try_get::<Option<i64>, _>("late")?.unwrap_or(0),
            });
        }
        Ok(out)
    }

    /// A request's rows within `roots` (`None` = all), optionally one status, in id order after `after`.
    pub async fn data_request_rows(
        &self,
        request_id: i64,
        roots: Option<&[String]>,
        status: Option<&str>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<RequestRowRecord>> {
        let mut sql = Sql::default();
        let rid = sql.arg(Bind::Int(request_id));
        let mut wh = vec![format!("request_id = {rid}"), roots_clause(&mut sql, "grid_code", roots)];
        if let Some(s) = status {
            let a = sql.arg(Bind::Text(s.to_string()));
            wh.push(format!("status = {a}"));
        }
        let a = sql.arg(Bind::Int(after));
        let lim = sql.arg(Bind::Int(limit));
        sql.text = format!(
            "SELECT {ROW_COLS} FROM data_request_rows WHERE {} AND id > {a} ORDER BY id LIMIT {lim}",
            wh.join(" AND ")
        );
        let rows = sql.query().fetch_all(self.pool()).await?;
        Ok(rows.iter().map(row_record).collect::<std::result::Result<_, _>>()?)
    }

    /// Unanswered rows in `roots` of requests whose deadline is not more than 30 days past: a grid worker's list.
    pub async fn pending_request_rows(
        &self,
        roots: &[String],
        due_after: &str,
        limit: i64,
    ) -> Result<Vec<RequestRowRecord>> {
        let mut sql = Sql::default();
        let c = roots_clause(&mut sql, "r.grid_code", Some(roots));
        let d = sql.arg(Bind::Text(due_after.to_string()));
        let lim = sql.arg(Bind::Int(limit));
        let cols: Vec<String> = ROW_COLS.split(", ").map(|c| format!("r.{c}")).collect();
        sql.text = format!(
            "SELECT {} FROM data_request_rows r JOIN data_requests q ON q.id = r.request_id \
             WHERE {c} AND r.status = 'pending' AND q.due_on >= {d} ORDER BY q.due_on, r.request_id, r.id LIMIT {lim}",
            cols.join(", ")
        );
        let rows = sql.query().fetch_all(self.pool()).await?;
        Ok(rows.iter().map(row_record).collect::<std::result::Result<_, _>>()?)
    }

    pub async fn data_request_row(&self, id: i64) -> Result<Option<RequestRowRecord>> {
        let row = sqlx::query(&format!("SELECT {ROW_COLS} FROM data_request_rows WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(row_record).transpose()?)
    }

    /// Stores an answer if the row is still at `version` (someone else answering first is a 409, not a loss).
    pub async fn save_row_answer(tx: &mut Transaction<'static, Any>, r: &RequestRowRecord) -> Result<()> {
        let done = sqlx::query(
            "UPDATE data_request_rows SET answers = $1, status = $2, late = $3, answered_by = $4, answered_at = $5, \
             version = version + 1 WHERE id = $6 AND version = $7",
        )
        .bind(&r.answers)
        .bind(&r.status)
        .bind(r.late as i64)
        .bind(&r.answered_by)
        .bind(r.answered_at)
        .bind(r.id)
        .bind(r.version)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict("data request row".into()));
        }
        Ok(())
    }

    /// When a community's last row is answered its pushed task is completed.
    pub async fn complete_request_task_if_done(
        tx: &mut Transaction<'static, Any>,
        request_id: i64,
        community: &str,
        by: &str,
        at: i64,
    ) -> Result<()> {
        // Lock the community's task first: two "last" answers at once on PostgreSQL (READ COMMITTED) would each
        // count the other's row as pending; the second now waits here and counts after the first committed.
        sqlx::query(
            "UPDATE community_tasks SET updated_at = updated_at WHERE data_request_id = $1 AND community_code = $2",
        )
        .bind(request_id)
        .bind(community)
        .execute(&mut **tx)
        .await?;
        let (left,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM data_request_rows WHERE request_id = $1 AND community_code = $2 AND status = 'pending'",
        )
        .bind(request_id)
        .bind(community)
        .fetch_one(&mut **tx)
        .await?;
        if left == 0 {
            sqlx::query(
                "UPDATE community_tasks SET status = 'completed', completed_by = $1, completed_at = $2, \
                 result = '数据已全部填报 / all rows answered', version = version + 1, updated_at = $2 \
                 WHERE data_request_id = $3 AND community_code = $4 AND status IN ('pushed', 'accepted')",
            )
            .bind(by)
            .bind(at)
            .bind(request_id)
            .bind(community)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// Houses in `roots` (of one use when given), with how many people live there, in id order.
    pub async fn houses_for_request(&self, roots: &[String], usage: Option<&str>) -> Result<Vec<HouseFacts>> {
        let mut sql = Sql::default();
        let mut wh = vec![roots_clause(&mut sql, "ho.grid_code", Some(roots))];
        if let Some(u) = usage {
            let a = sql.arg(Bind::Text(u.to_string()));
            wh.push(format!("ho.usage = {a}"));
        }
        sql.text = format!(
            "SELECT ho.id, ho.grid_code, ho.address, ho.building, ho.unit, ho.room, ho.area_m2, ho.usage, ho.owner_name, \
             (SELECT COUNT(*) FROM households h JOIN people p ON p.household_id = h.id \
              WHERE h.house_id = ho.id AND p.residence_status IN ('present', 'away') AND p.merged_into IS NULL) AS occupants \
             FROM houses ho WHERE {} ORDER BY ho.id",
            wh.join(" AND ")
        );
        let rows = sql.query().fetch_all(self.pool()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(HouseFacts {
                id: r.try_get("id")?,
                grid_code: r.try_get("grid_code")?,
                address: r.try_get("address")?,
                building: r.try_get("building")?,
                unit: r.try_get("unit")?,
                room: r.try_get("room")?,
                area_m2: r.try_get("area_m2")?,
                usage: r.try_get("usage")?,
                owner_name: r.try_get("owner_name")?,
                occupants: r.try_get("occupants")?,
            });
        }
        Ok(out)
    }

    /// Households in `roots` with living members; with `tag`, only those holding it (a household tag) or with a
    /// member holding it (a person tag).
    pub async fn households_for_request(
        &self,
        roots: &[String],
        tag: Option<(&str, bool)>,
    ) -> Result<Vec<HouseholdFacts>> {
        let mut sql = Sql::default();
        let mut wh = vec![roots_clause(&mut sql, "h.grid_code", Some(roots))];
        match tag {
            Some((t, true)) => {
                let a = sql.arg(Bind::Text(t.to_string()));
                wh.push(format!("EXISTS (SELECT 1 FROM household_tags t WHERE t.household_id = h.id AND t.tag = {a})"));
            }
            Some((t, false)) => {
                let a = sql.arg(Bind::Text(t.to_string()));
                wh.push(format!(
                    "EXISTS (SELECT 1 FROM people p JOIN person_tags t ON t.person_id = p.id WHERE p.household_id = h.id \
                     AND t.tag = {a} AND p.residence_status IN ('present', 'away') AND p.merged_into IS NULL)"
                ));
            }
            None => {}
        }
        sql.text = format!(
            "SELECT h.id, h.number, h.grid_code, ho.address, ho.usage, \
             (SELECT COUNT(*) FROM people p WHERE p.household_id = h.id AND p.residence_status IN ('present', 'away') \
              AND p.merged_into IS NULL) AS members, \
             (SELECT MIN(p.id) FROM people p WHERE p.household_id = h.id AND p.relation = '户主' AND p.merged_into IS NULL \
              AND p.residence_status IN ('present', 'away')) AS head, \
             (SELECT MIN(p.id) FROM people p WHERE p.household_id = h.id AND p.merged_into IS NULL \
              AND p.residence_status IN ('present', 'away')) AS first_member \
             FROM households h JOIN houses ho ON ho.id = h.house_id WHERE {} ORDER BY h.id",
            wh.join(" AND ")
        );
        let rows = sql.query().fetch_all(self.pool()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let members: i64 = r.try_get("members")?;
            if members == 0 {
                continue;
            }
            let head: Option<i64> = r.try_get("head")?;
            let first: Option<i64> = r.try_get("first_member")?;
            out.push(HouseholdFacts {
                id: r.try_get("id")?,
                number: r.try_get("number")?,
                grid_code: r.try_get("grid_code")?,
                address: r.try_get("address")?,
                usage: r.try_get("usage")?,
                members,
                head: head.or(first),
            });
        }
        Ok(out)
    }

    pub async fn set_house_usage_tx(tx: &mut Transaction<'static, Any>, house_id: i64, usage: &str) -> Result<()> {
        sqlx::query("UPDATE houses SET usage = $1, updated_at = $2 WHERE id = $3")
            .bind(usage)
            .bind(crate::now_ms())
            .bind(house_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// 户号 of households by id.
    pub async fn household_numbers(&self, ids: &[i64]) -> Result<std::collections::HashMap<i64, String>> {
        let mut out = std::collections::HashMap::new();
        for chunk in ids.chunks(1000) {
            let mut sql = Sql::default();
            let list: Vec<String> = chunk.iter().map(|i| sql.arg(Bind::Int(*i))).collect();
            if list.is_empty() {
                continue;
            }
            sql.text = format!("SELECT id, number FROM households WHERE id IN ({})", list.join(", "));
            for r in sql.query().fetch_all(self.pool()).await? {
                out.insert(r.try_get::<i64, _>(0)?, r.try_get::<String, _>(1)?);
            }
        }
        Ok(out)
    }

    /// Household-level tags of households by id: household → tag → data.
    pub async fn tags_of_households(&self, ids: &[i64]) -> Result<TagMap> {
        self.tag_map("SELECT household_id, tag, data FROM household_tags WHERE household_id IN", ids).await
    }

    /// Person-level tags of the living members of households by id: household → tag → data (the first member's).
    pub async fn tags_of_members(&self, ids: &[i64]) -> Result<Vec<(i64, String, String)>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(1000) {
            let mut sql = Sql::default();
            let list: Vec<String> = chunk.iter().map(|i| sql.arg(Bind::Int(*i))).collect();
            if list.is_empty() {
                continue;
            }
            sql.text = format!(
                "SELECT p.household_id, t.tag, t.data FROM person_tags t JOIN people p ON p.id = t.person_id \
                 WHERE p.household_id IN ({}) AND p.residence_status IN ('present', 'away') AND p.merged_into IS NULL \
                 ORDER BY p.id",
                list.join(", ")
            );
            for r in sql.query().fetch_all(self.pool()).await? {
                out.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?));
            }
        }
        Ok(out)
    }

    async fn tag_map(&self, select: &str, ids: &[i64]) -> Result<TagMap> {
        let mut out = TagMap::new();
        for chunk in ids.chunks(1000) {
            let mut sql = Sql::default();
            let list: Vec<String> = chunk.iter().map(|i| sql.arg(Bind::Int(*i))).collect();
            if list.is_empty() {
                continue;
            }
            sql.text = format!("{select} ({})", list.join(", "));
            for r in sql.query().fetch_all(self.pool()).await? {
                let data: String = r.try_get(2)?;
                out.entry(r.try_get(0)?)
                    .or_default()
                    .insert(r.try_get(1)?, serde_json::from_str(&data).unwrap_or_default());
            }
        }
        Ok(out)
    }
}

/// owner id → tag → the tag's data.
pub type TagMap =
    std::collections::HashMap<i64, std::collections::HashMap<String, serde_json::Map<String, serde_json::Value>>>;
