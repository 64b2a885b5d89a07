//! Dispute mediation (矛盾纠纷多元化解, issue #7): register a dispute with its parties (people of the register or
//! outsiders), route it by difficulty to the community, the street or the district, mediate (sessions, agreement,
//! follow-up visit), refer it (公调对接, 诉调对接, 劳动仲裁, 信访, 行政调解) and track the outcome; statistics.
//!
//! Scope: a dispute is seen by whoever reads disputes in its grid; it is acted on by whoever mediates in the
//! region that holds it now (a community-level dispute by the community or the street's 司法所 above it; an
//! escalated one only from the level it was escalated to).

use crate::audit::format_time;
use crate::paging::{self, Page};
use crate::people::text_field;
use crate::{App, AppError, ErrorKind, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use wangge_domain::dispute::{
    self as rules, ActionFacts, Difficulty, DisputeAction, DisputeSource, DisputeStatus, PartyRole, ReferralTarget,
    Refusal,
};
use wangge_domain::event::calendar::cst_day_start_ms;
use wangge_domain::idcard::IdCardNo;
use wangge_domain::phone::Phone;
use wangge_domain::region::RegionLevel;
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;
use wangge_store::audit::NewAudit;
use wangge_store::disputes::{DisputeFilter, DisputeRow, PartyRow};
use wangge_store::{Store, StoreError, now_ms};

/// The seeded taxonomy (about 28 types, as 矛盾纠纷 registers in Zhejiang's 矛调中心 list them): (code, 名称, English).
pub const DEFAULT_TYPES: &[(&str, &str, &str)] = &[
    ("marriage_family", "婚姻家庭纠纷", "Marriage and family"),
    ("neighbour", "邻里纠纷", "Neighbours"),
    ("housing_homestead", "房屋宅基地纠纷", "Housing and homestead"),
    ("land_forest", "山林土地纠纷", "Land and forest"),
    ("contract", "合同纠纷", "Contract"),
    ("damages", "损害赔偿纠纷", "Damages"),
    ("labour", "劳动争议", "Labour"),
    ("wage_arrears", "欠薪纠纷", "Unpaid wages"),
    ("property_management", "物业纠纷", "Property management"),
    ("land_acquisition", "征地拆迁纠纷", "Land acquisition and demolition"),
    ("medical", "医疗纠纷", "Medical"),
    ("traffic", "道路交通事故纠纷", "Traffic accident"),
    ("consumer", "消费纠纷", "Consumer"),
    ("debt", "借贷纠纷", "Debt"),
    ("inheritance", "继承纠纷", "Inheritance"),
    ("support", "赡养抚养纠纷", "Support of elders and children"),
    ("construction", "建设工程纠纷", "Construction"),
    ("environment", "环境污染纠纷", "Environmental pollution"),
    ("water_conservancy", "水利纠纷", "Water use"),
    ("rural_collective", "村务管理纠纷", "Village affairs"),
    ("land_contract", "土地承包经营纠纷", "Land contracting"),
    ("enterprise_restructure", "企业改制纠纷", "Enterprise restructuring"),
    ("tenancy", "房屋租赁纠纷", "Tenancy"),
    ("school", "校园纠纷", "School"),
    ("tourism", "旅游纠纷", "Tourism"),
    ("internet", "网络纠纷", "Online"),
    ("insurance", "保险纠纷", "Insurance"),
    ("other", "其他纠纷", "Other"),
];

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DisputeType {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub active: bool,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeTypeInput {
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyInput {
    /// `applicant` | `respondent` | `third` (or 申请人/被申请人/第三人).
    pub role: String,
    /// A person of the register (then name and numbers come from the register).
    pub person_id: Option<i64>,
    /// An outsider: name required, phone and 身份证号 optional (stored encrypted, shown masked).
    pub name: Option<String>,
    pub phone: Option<String>,
    pub id_number: Option<String>,
    #[serde(default)]
    pub address: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDisputeInput {
    /// A code of `GET /api/v1/dispute-types`.
    pub type_code: String,
    pub title: String,
    /// 纠纷主要事实、争议事项.
    pub facts: String,
    /// The grid where it arose; default: the grid of the event, or of the first party from the register.
    pub grid_code: Option<String>,
    /// `simple` (简易: community) | `complex` (复杂: street) | `hard` (疑难: district). Default simple.
    pub difficulty: Option<String>,
    /// Amount involved in yuan: a number, or text such as "1.2万".
    #[schema(value_type = Option<Object>)]
    pub amount: Option<Value>,
    /// 民转刑 risk: could turn into a criminal case.
    #[serde(default)]
    pub risk_escalation: bool,
    /// `grid_worker` | `walk_in` | `police` | `court` | `event` | `hotline` | `petition`.
    pub source: Option<String>,
    /// The event it started as (then the source is `event`).
    pub event_id: Option<i64>,
    pub parties: Vec<PartyInput>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeActionInput {
    /// accept | session | agree | fail | refer | referral_outcome | escalate | follow_up | close | withdraw.
    pub action: String,
    #[serde(default)]
    pub note: String,
    /// accept: the mediator's username (default: the caller).
    pub mediator: Option<String>,
    /// session: the day (`YYYY-MM-DD`, default today) and who attended.
    pub date: Option<String>,
    #[serde(default)]
    pub attendees: String,
    /// agree: the terms (协议内容), and how and when they are carried out.
    #[serde(default)]
    pub agreement: String,
    /// refer: police | court | arbitration | petition | department.
    pub target: Option<String>,
    /// referral_outcome: whether the referral resolved it.
    pub resolved: Option<bool>,
    /// follow_up: whether the agreement held.
    pub held: Option<bool>,
    /// The version the caller saw; when given and stale, 409.
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PartyView {
    pub role: String,
    pub role_name: String,
    pub person_id: Option<i64>,
    pub name: String,
    /// Masked.
    pub phone: Option<String>,
    /// Masked.
    pub id_number: Option<String>,
    pub address: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DisputeStep {
    pub action: String,
    pub action_name: String,
    pub actor: String,
    pub at: String,
    pub note: String,
    #[schema(value_type = Object)]
    pub data: Value,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DisputeView {
    pub id: i64,
    pub grid_code: String,
    /// The region mediating it now, and its level (`community` | `street` | `district`).
    pub region_code: String,
    pub level: String,
    pub difficulty: String,
    pub type_code: String,
    pub type_name: String,
    pub title: String,
    pub status: String,
    pub status_name: String,
    pub risk_escalation: bool,
    /// Yuan.
    pub amount: Option<f64>,
    pub source: String,
    pub mediator: String,
    pub registered_at: String,
    pub due_at: Option<String>,
    pub follow_up_due_at: Option<String>,
    pub overdue: bool,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DisputeDetail {
    #[serde(flatten)]
    pub dispute: DisputeView,
    pub facts: String,
    pub event_id: Option<i64>,
    pub registered_by: String,
    pub agreement: String,
    pub agreed_at: Option<String>,
    pub fulfilled: Option<bool>,
    pub referral_target: String,
    pub referral_outcome: String,
    pub referral_resolved: Option<bool>,
    pub closed_at: Option<String>,
    pub parties: Vec<PartyView>,
    pub steps: Vec<DisputeStep>,
    /// Actions the caller may take now.
    pub actions: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct DisputeQuery<'a> {
    pub region: Option<&'a str>,
    pub status: Option<&'a str>,
    pub type_code: Option<&'a str>,
    /// `overdue`: mediation or follow-up past due.
    pub view: Option<&'a str>,
    pub person_id: Option<i64>,
    pub cursor: Option<&'a str>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CountBy {
    pub key: String,
    pub name: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MonthTrend {
    pub month: String,
    pub registered: i64,
    pub resolved: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DisputeStats {
    pub total: i64,
    pub risk_flagged: i64,
    /// 调解成功率: agreements / (agreements + failed mediations); null when none ended.
    pub success_rate: Option<f64>,
    /// 协议履行率: agreements that held at the follow-up / follow-ups done.
    pub fulfilment_rate: Option<f64>,
    /// Mean days from registration to closing, over closed disputes.
    pub mean_days_to_resolution: Option<f64>,
    pub by_status: Vec<CountBy>,
    pub by_type: Vec<CountBy>,
    pub by_grid: Vec<CountBy>,
    pub trend: Vec<MonthTrend>,
}

fn fmt(ms: i64) -> String {
    format_time(ms)
}

fn status_of(row: &DisputeRow) -> DisputeStatus {
    DisputeStatus::parse("status", &row.status).unwrap_or(DisputeStatus::Registered)
}

fn level_of(row: &DisputeRow) -> RegionLevel {
    match row.level.as_str() {
        "district" => RegionLevel::District,
        "street" => RegionLevel::Street,
        _ => RegionLevel::Community,
    }
}

fn is_overdue(d: &DisputeRow, now: i64) -> bool {
    match d.status.as_str() {
        "mediating" => d.due_at.is_some_and(|t| t < now),
        "agreed" => d.follow_up_due_at.is_some_and(|t| t < now),
        _ => false,
    }
}

const DAY_MS: i64 = 86_400_000;

/// A text of several lines (facts, the agreement's clauses, a note): like `text_field`, but line breaks are
/// kept (a browser's CRLF read as LF), since an agreement is written as numbered clauses one per line.
pub(crate) fn text_block(field: &str, s: &str, max: usize) -> Result<String> {
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(AppError::field(field, "含有控制字符 / holds control characters"));
    }
    // The length and the other checks as for one line.
    text_field(field, &s.replace(['\n', '\t'], " "), max)?;
    Ok(s.trim().to_string())
}

impl App {
    /// Seeds the dispute types when none exist. Safe to call at every start.
    pub async fn ensure_dispute_types(&self) -> Result<()> {
        if !self.store.dispute_types().await?.is_empty() {
            return Ok(());
        }
        let mut tx = self.store.begin().await?;
        for (i, (code, name, en)) in DEFAULT_TYPES.iter().enumerate() {
            Store::upsert_dispute_type(&mut tx, code, name, en, true, i as i64).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    async fn type_names(&self) -> Result<HashMap<String, (String, bool)>> {
        Ok(self.store.dispute_types().await?.into_iter().map(|(c, n, _, a, _)| (c, (n, a))).collect())
    }

    pub async fn dispute_types(&self, actor: &Actor) -> Result<Vec<DisputeType>> {
        self.authorize_anywhere(actor, Permission::ReadDisputeStats)?;
        Ok(self
            .store
            .dispute_types()
            .await?
            .into_iter()
            .map(|(code, name, name_en, active, _)| DisputeType { code, name, name_en, active })
            .collect())
    }

    /// Adds or renames a dispute type (admins, district staff). Types are never deleted, only deactivated.
    pub async fn put_dispute_type(&self, actor: &Actor, code: &str, input: DisputeTypeInput) -> Result<DisputeType> {
        self.authorize_anywhere(actor, Permission::ManageDisputeTypes)?;
        let code = code.trim();
        if code.is_empty()
            || code.len() > 40
            || !code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit())
        {
            return Err(AppError::field("code", "应为小写字母、数字或下划线 / lowercase letters, digits or _"));
        }
        let name = text_field("name", &input.name, 40)?;
        if name.is_empty() {
            return Err(AppError::field("name", "请填写名称 / a name is required"));
        }
        let name_en = text_field("name_en", &input.name_en, 80)?;
        let existing = self.store.dispute_types().await?;
        if existing.iter().any(|t| t.1 == name && t.0 != code) {
            return Err(AppError::field("name", "已有同名类型 / a type with this name exists"));
        }
        let sort = existing.iter().find(|t| t.0 == code).map(|t| t.4).unwrap_or(existing.len() as i64);
        let mut tx = self.store.begin().await?;
        Store::upsert_dispute_type(&mut tx, code, &name, &name_en, input.active, sort).await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "put",
                object: &format!("dispute_type:{code}"),
                reason: None,
                region_code: None,
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(DisputeType { code: code.to_string(), name, name_en, active: input.active })
    }

    /// Registers a dispute, routed by difficulty to the region that mediates it first.
    pub async fn register_dispute(&self, actor: &Actor, input: NewDisputeInput) -> Result<DisputeDetail> {
        self.authorize_anywhere(actor, Permission::ReadDisputes)?;
        let types = self.type_names().await?;
        let type_code = input.type_code.trim().to_string();
        if !types.get(&type_code).is_some_and(|t| t.1) {
            return Err(AppError::field("type_code", format!("未知的纠纷类型 / unknown dispute type: {type_code}")));
        }
        let title = text_field("title", &input.title, 100)?;
        if title.is_empty() {
            return Err(AppError::field("title", "请填写纠纷名称 / a title is required"));
        }
        let facts = text_block("facts", &input.facts, 5000)?;
        if facts.chars().count() < 5 {
            return Err(AppError::field("facts", "请写明纠纷主要事实 / describe the facts (at least 5 characters)"));
        }
        let difficulty = match input.difficulty.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(d) => Difficulty::parse("difficulty", d)?,
            None => Difficulty::Simple,
        };
        let amount_fen = match &input.amount {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => rules::parse_amount("amount", &n.to_string())?,
            Some(Value::String(s)) => rules::parse_amount("amount", s)?,
            Some(_) => return Err(AppError::field("amount", "金额应为数字 / the amount must be a number")),
        };
        let mut source = match input.source.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => DisputeSource::parse("source", s)?,
            None => DisputeSource::WalkIn,
        };
        // Where it arose: the given grid, the event's, or the first registered party's.
        let mut grid = input.grid_code.as_deref().map(str::trim).filter(|g| !g.is_empty()).map(str::to_string);
        if let Some(eid) = input.event_id {
            let ev = self.event_detail(actor, eid).await.map_err(|e| match e.kind {
                ErrorKind::NotFound | ErrorKind::Forbidden => AppError::field("event_id", "事件不存在 / no such event"),
                _ => e,
            })?;
            source = DisputeSource::Event;
            grid.get_or_insert(ev.event.grid_code.clone());
        }
        if input.parties.len() < 2 || input.parties.len() > 20 {
            return Err(AppError::field("parties", "应有2到20个当事人 / 2 to 20 parties"));
        }
        let mut parties = Vec::with_capacity(input.parties.len());
        for (i, p) in input.parties.iter().enumerate() {
            let f = |name: &str| format!("parties[{i}].{name}");
            let role = PartyRole::parse(&f("role"), &p.role)?;
            let address = text_field(&f("address"), &p.address, 200)?;
            let row = match p.person_id {
                Some(pid) => {
                    if p.name.is_some() || p.phone.is_some() || p.id_number.is_some() {
                        return Err(AppError::field(
                            &f("person_id"),
                            "登记在册的人员不需再填姓名和号码 / a register person needs no name or numbers",
                        ));
                    }
                    let person = self.person_for(actor, Permission::ReadRegister, pid).await.map_err(|e| {
                        if e.kind == ErrorKind::NotFound { AppError::field(&f("person_id"), e.message) } else { e }
                    })?;
                    grid.get_or_insert(person.grid_code.clone());
                    PartyRow {
                        role: role.as_str().into(),
                        person_id: Some(pid),
                        name: person.name.clone(),
                        phone_enc: person.phone_enc.clone(),
                        phone_masked: person.phone_masked.clone(),
                        id_number_enc: Some(person.id_number_enc.clone()),
                        id_number_masked: Some(person.id_number_masked.clone()),
                        address,
                        ..Default::default()
                    }
                }
                None => {
                    let name = text_field(&f("name"), p.name.as_deref().unwrap_or(""), 50)?;
                    if name.is_empty() {
                        return Err(AppError::field(&f("name"), "请填写当事人姓名 / a party needs a name"));
                    }
                    let phone = p
                        .phone
                        .as_deref()
                        .filter(|s| !s.trim().is_empty())
                        .map(|s| Phone::parse(&f("phone"), s))
                        .transpose()?;
                    let id = p
                        .id_number
                        .as_deref()
                        .filter(|s| !s.trim().is_empty())
                        .map(|s| IdCardNo::parse(&f("id_number"), s))
                        .transpose()?;
                    PartyRow {
                        role: role.as_str().into(),
                        person_id: None,
                        name,
                        phone_enc: phone.as_ref().map(|x| self.crypto.encrypt(x.as_str())),
                        phone_masked: phone.as_ref().map(Phone::masked),
                        id_number_enc: id.as_ref().map(|x| self.crypto.encrypt(x.as_str())),
                        id_number_masked: id.as_ref().map(|x| x.masked()),
                        address,
                        ..Default::default()
                    }
                }
            };
            parties.push(row);
        }
        for (role, zh) in [(PartyRole::Applicant, "申请人"), (PartyRole::Respondent, "被申请人")] {
            if !parties.iter().any(|p| p.role == role.as_str()) {
                return Err(AppError::field("parties", format!("至少要有一个{zh} / at least one {}", role.as_str())));
            }
        }
        let grid = grid.ok_or_else(|| AppError::field("grid_code", "请选择纠纷发生的网格 / choose the grid"))?;
        let region = self.store.region(&grid).await?;
        if region.as_ref().is_none_or(|r| r.region.level != RegionLevel::Grid) {
            return Err(AppError::field("grid_code", "应为网格编码 / must be a grid's code"));
        }
        self.authorize(actor, Permission::ReadDisputes, &grid)
            .map_err(|e| if e.kind == ErrorKind::NotFound { AppError::field("grid_code", e.message) } else { e })?;
        let level = rules::level_for(difficulty);
        let region_code = rules::ancestor(&grid, level)
            .ok_or_else(|| AppError::field("grid_code", "网格编码长度不对 / the grid code is too short"))?;
        let now = now_ms();
        let row = DisputeRow {
            grid_code: grid.clone(),
            region_code,
            level: level.as_str().into(),
            difficulty: difficulty.as_str().into(),
            type_code,
            title,
            facts,
            amount_fen,
            risk_escalation: input.risk_escalation,
            source: source.as_str().into(),
            event_id: input.event_id,
            status: DisputeStatus::Registered.as_str().into(),
            registered_by: actor.username.clone(),
            registered_at: now,
            ..Default::default()
        };
        let mut tx = self.store.begin().await?;
        let id = Store::insert_dispute(&mut tx, &row).await?;
        for p in &mut parties {
            p.dispute_id = id;
            Store::insert_party(&mut tx, p).await?;
        }
        let data = json!({ "difficulty": row.difficulty, "level": row.level, "region_code": row.region_code });
        Store::insert_dispute_action(&mut tx, id, "register", &actor.username, "", &data.to_string()).await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "create",
                object: &format!("dispute:{id}"),
                reason: None,
                region_code: Some(&grid),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.dispute_detail(actor, id).await
    }

    /// A dispute the caller may read (404 outside their scope, like a dispute that does not exist).
    async fn dispute_for(&self, actor: &Actor, id: i64) -> Result<DisputeRow> {
        let d = self.store.dispute(id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::not_found(&format!("dispute {id}")),
            e => e.into(),
        })?;
        self.authorize(actor, Permission::ReadDisputes, &d.grid_code).map_err(|e| {
            if e.kind == ErrorKind::NotFound { AppError::not_found(&format!("dispute {id}")) } else { e }
        })?;
        Ok(d)
    }

    fn dispute_view(&self, d: &DisputeRow, types: &HashMap<String, (String, bool)>, now: i64) -> DisputeView {
        let status = status_of(d);
        DisputeView {
            id: d.id,
            grid_code: d.grid_code.clone(),
            region_code: d.region_code.clone(),
            level: d.level.clone(),
            difficulty: d.difficulty.clone(),
            type_code: d.type_code.clone(),
            type_name: types.get(&d.type_code).map(|t| t.0.clone()).unwrap_or_default(),
            title: d.title.clone(),
            status: d.status.clone(),
            status_name: status.label_zh().to_string(),
            risk_escalation: d.risk_escalation,
            amount: d.amount_fen.map(|f| f as f64 / 100.0),
            source: d.source.clone(),
            mediator: d.mediator.clone(),
            registered_at: fmt(d.registered_at),
            due_at: d.due_at.map(fmt),
            follow_up_due_at: d.follow_up_due_at.map(fmt),
            overdue: is_overdue(d, now),
            version: d.version,
        }
    }

    /// The actions the caller may take on `d` now.
    fn dispute_actions_for(&self, actor: &Actor, d: &DisputeRow) -> Vec<String> {
        if !actor.may(Permission::MediateDisputes, &d.region_code) {
            return Vec::new();
        }
        let facts = ActionFacts {
            has_note: true,
            has_agreement: true,
            has_target: true,
            held: Some(true),
            level: Some(level_of(d)),
        };
        DisputeAction::ALL
            .iter()
            .filter(|a| rules::plan(**a, status_of(d), &facts).is_ok())
            .map(|a| a.as_str().to_string())
            .collect()
    }

    pub async fn dispute_detail(&self, actor: &Actor, id: i64) -> Result<DisputeDetail> {
        let d = self.dispute_for(actor, id).await?;
        let types = self.type_names().await?;
        let parties = self
            .store
            .dispute_parties(id)
            .await?
            .into_iter()
            .map(|p| PartyView {
                role_name: PartyRole::parse("role", &p.role).map(|r| r.label_zh()).unwrap_or("").to_string(),
                role: p.role,
                person_id: p.person_id,
                name: p.name,
                phone: p.phone_masked,
                id_number: p.id_number_masked,
                address: p.address,
            })
            .collect();
        let steps = self
            .store
            .dispute_actions(id)
            .await?
            .into_iter()
            .map(|s| DisputeStep {
                action_name: if s.action == "register" {
                    "登记".to_string()
                } else {
                    DisputeAction::parse("action", &s.action).map(|a| a.label_zh()).unwrap_or("").to_string()
                },
                action: s.action,
                actor: s.actor,
                at: fmt(s.at),
                note: s.note,
                data: serde_json::from_str(&s.data).unwrap_or(Value::Null),
            })
            .collect();
        let actions = self.dispute_actions_for(actor, &d);
        Ok(DisputeDetail {
            dispute: self.dispute_view(&d, &types, now_ms()),
            facts: d.facts.clone(),
            event_id: d.event_id,
            registered_by: d.registered_by.clone(),
            agreement: d.agreement.clone(),
            agreed_at: d.agreed_at.map(fmt),
            fulfilled: d.fulfilled,
            referral_target: d.referral_target.clone(),
            referral_outcome: d.referral_outcome.clone(),
            referral_resolved: d.referral_resolved,
            closed_at: d.closed_at.map(fmt),
            parties,
            steps,
            actions,
        })
    }

    pub async fn list_disputes(&self, actor: &Actor, q: DisputeQuery<'_>) -> Result<Page<DisputeView>> {
        self.authorize_anywhere(actor, Permission::ReadDisputes)?;
        let roots = match q.region.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => {
                self.authorize(actor, Permission::ReadDisputes, r)?;
                Some(vec![r.to_string()])
            }
            None => actor.roots(Permission::ReadDisputes),
        };
        let statuses = match q.status.map(str::trim).filter(|s| !s.is_empty()) {
            Some("open") => ["registered", "mediating", "agreed", "failed", "referred"].map(String::from).to_vec(),
            Some(s) => vec![DisputeStatus::parse("status", s)?.as_str().to_string()],
            None => Vec::new(),
        };
        let now = now_ms();
        let mut filter = DisputeFilter {
            roots,
            statuses,
            type_code: q.type_code.map(str::trim).filter(|t| !t.is_empty()).map(str::to_string),
            person_id: q.person_id,
            ..Default::default()
        };
        match q.view.map(str::trim).filter(|v| !v.is_empty()) {
            None => {}
            Some("overdue") => filter.overdue_at = Some(now),
            Some(v) => return Err(AppError::field("view", format!("应为 overdue / must be overdue: {v}"))),
        }
        let limit = paging::limit(q.limit)?;
        let before = paging::int_cursor(q.cursor)?;
        let (rows, total) = self.store.disputes(&filter, before, limit).await?;
        let types = self.type_names().await?;
        let items: Vec<DisputeView> = rows.iter().map(|d| self.dispute_view(d, &types, now)).collect();
        Ok(paging::page(items, limit, total, |d| d.id.to_string()))
    }

    /// Moves a dispute on (docs: `domain::dispute::plan`): role and scope first (403/404), then state (409),
    /// then the action's own rules (400/422); the row, its step and the audit record in one transaction.
    pub async fn act_on_dispute(&self, actor: &Actor, id: i64, input: DisputeActionInput) -> Result<DisputeDetail> {
        let mut d = self.dispute_for(actor, id).await?;
        let action = DisputeAction::parse("action", input.action.trim())?;
        self.authorize(actor, Permission::MediateDisputes, &d.region_code).map_err(|e| {
            // Someone who may read it but not mediate at its level is refused, not told it does not exist.
            if e.kind == ErrorKind::NotFound { AppError::forbidden() } else { e }
        })?;
        if input.version.is_some_and(|v| v != d.version) {
            return Err(AppError::conflict("纠纷已被他人更新，请刷新 / the dispute changed meanwhile; reload it"));
        }
        let note = text_block("note", &input.note, 2000)?;
        let agreement = text_block("agreement", &input.agreement, 5000)?;
        let target = input
            .target
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| ReferralTarget::parse("target", t))
            .transpose()?;
        let facts = ActionFacts {
            has_note: !note.is_empty(),
            has_agreement: !agreement.is_empty(),
            has_target: target.is_some(),
            held: input.held,
            level: Some(level_of(&d)),
        };
        let status = status_of(&d);
        let next = rules::plan(action, status, &facts).map_err(|r| match r {
            Refusal::State(s) => AppError::conflict(format!(
                "纠纷当前为“{}”，不能{} / not possible while the dispute is {}",
                s.label_zh(),
                action.label_zh(),
                s.as_str()
            )),
            Refusal::Rule(field, msg) => AppError::field(field, msg),
        })?;
        let now = now_ms();
        let mut data = json!({ "from": status.as_str(), "to": next.as_str() });
        match action {
            DisputeAction::Accept => {
                let mediator = match input.mediator.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
                    Some(m) => {
                        let u = self
                            .store
                            .user_by_name(m)
                            .await?
                            .filter(|u| !u.disabled)
                            .ok_or_else(|| AppError::field("mediator", "用户不存在 / no such user"))?;
                        // Whoever is named must be able to mediate at the dispute's level themselves.
                        let named = Actor {
                            user_id: u.id,
                            username: u.username.clone(),
                            display_name: u.display_name.clone(),
                            grants: u.grants.clone(),
                        };
                        if !named.may(Permission::MediateDisputes, &d.region_code) {
                            return Err(AppError::field(
                                "mediator",
                                "此人不能调解这一级的纠纷 / this user does not mediate at this level",
                            ));
                        }
                        u.username
                    }
                    None => actor.username.clone(),
                };
                d.mediator = mediator.clone();
                d.accepted_at = Some(now);
                d.due_at = Some(now + rules::MEDIATION_DAYS * DAY_MS);
                data["mediator"] = json!(mediator);
            }
            DisputeAction::Session => {
                let day = match input.date.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                    Some(s) => {
                        let day = crate::people::parse_date("date", s)?;
                        if day > crate::people::today() {
                            return Err(AppError::field("date", "日期不能晚于今天 / the date is in the future"));
                        }
                        day
                    }
                    None => crate::people::today(),
                };
                let attendees = text_field("attendees", &input.attendees, 500)?;
                data["date"] = json!(day.format("%Y-%m-%d").to_string());
                data["attendees"] = json!(attendees);
            }
            DisputeAction::Agree => {
                d.agreement = agreement.clone();
                d.agreed_at = Some(now);
                d.follow_up_due_at = Some(now + rules::FOLLOW_UP_DAYS * DAY_MS);
            }
            DisputeAction::Refer => {
                let t = target.expect("checked by plan");
                d.referral_target = t.as_str().into();
                data["target"] = json!(t.as_str());
            }
            DisputeAction::ReferralOutcome => {
                let resolved = input.resolved.ok_or_else(|| {
                    AppError::field("resolved", "请填写移送后是否化解 / say whether the referral resolved it")
                })?;
                d.referral_outcome = note.clone();
                d.referral_resolved = Some(resolved);
                d.closed_at = Some(now);
                data["resolved"] = json!(resolved);
            }
            DisputeAction::Escalate => {
                let up = rules::level_above(level_of(&d)).expect("checked by plan");
                let region = rules::ancestor(&d.grid_code, up).unwrap_or_else(|| d.region_code.clone());
                data["from_region"] = json!(d.region_code);
                data["region_code"] = json!(region);
                d.level = up.as_str().into();
                d.region_code = region;
                d.mediator.clear();
                d.accepted_at = None;
                d.due_at = None;
            }
            DisputeAction::FollowUp => {
                let held = input.held.expect("checked by plan");
                d.followed_up_at = Some(now);
                d.fulfilled = Some(held);
                if held {
                    d.closed_at = Some(now);
                }
                data["held"] = json!(held);
            }
            DisputeAction::Fail | DisputeAction::Close | DisputeAction::Withdraw => {
                if next.is_final() {
                    d.closed_at = Some(now);
                }
            }
        }
        d.status = next.as_str().into();
        let mut tx = self.store.begin().await?;
        Store::save_dispute(&mut tx, &d).await.map_err(|e| match e {
            StoreError::Conflict(_) => {
                AppError::conflict("纠纷已被他人更新，请刷新 / the dispute changed meanwhile; reload it")
            }
            e => e.into(),
        })?;
        Store::insert_dispute_action(&mut tx, id, action.as_str(), &actor.username, &note, &data.to_string()).await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: action.as_str(),
                object: &format!("dispute:{id}"),
                reason: (!note.is_empty()).then_some(note.as_str()),
                region_code: Some(&d.grid_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.dispute_detail(actor, id).await
    }

    /// Counts and rates for the disputes registered in `[from, to]` (`YYYY-MM-DD`, default the last 12 months).
    pub async fn dispute_stats(
        &self,
        actor: &Actor,
        region: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<DisputeStats> {
        self.authorize_anywhere(actor, Permission::ReadDisputeStats)?;
        let roots = match region.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => {
                self.authorize(actor, Permission::ReadDisputeStats, r)?;
                Some(vec![r.to_string()])
            }
            None => actor.roots(Permission::ReadDisputeStats),
        };
        let day_ms = |field: &str, s: Option<&str>| -> Result<Option<i64>> {
            s.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| crate::people::parse_date(field, s).map(cst_day_start_ms))
                .transpose()
        };
        let to_ms = day_ms("to", to)?.map(|t| t + DAY_MS).unwrap_or_else(|| now_ms() + DAY_MS);
        let from_ms = day_ms("from", from)?.unwrap_or(to_ms - 365 * DAY_MS);
        if from_ms >= to_ms {
            return Err(AppError::field("from", "开始日期应早于结束日期 / from must be before to"));
        }
        let facts = self.store.dispute_facts(&roots, from_ms, to_ms).await?;
        let types = self.type_names().await?;
        let mut by_status: BTreeMap<String, i64> = BTreeMap::new();
        let mut by_type: BTreeMap<String, i64> = BTreeMap::new();
        let mut by_grid: BTreeMap<String, i64> = BTreeMap::new();
        let mut trend: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let (mut agreed, mut failed, mut followed, mut held, mut closed, mut days) = (0, 0, 0, 0, 0, 0.0);
        let month = |ms: i64| crate::events::day_month(ms).1;
        for f in &facts {
            *by_status.entry(f.status.clone()).or_default() += 1;
            *by_type.entry(f.type_code.clone()).or_default() += 1;
            *by_grid.entry(f.grid_code.clone()).or_default() += 1;
            trend.entry(month(f.registered_at)).or_default().0 += 1;
            if f.agreed_at.is_some() {
                agreed += 1;
            }
            if f.failed {
                failed += 1;
            }
            if let Some(h) = f.fulfilled {
                followed += 1;
                held += i64::from(h);
            }
            if let Some(c) = f.closed_at.filter(|_| f.status == "closed") {
                closed += 1;
                days += (c - f.registered_at) as f64 / DAY_MS as f64;
                trend.entry(month(c)).or_default().1 += 1;
            }
        }
        let ratio = |a: i64, b: i64| (b > 0).then(|| a as f64 / b as f64);
        let counts = |m: BTreeMap<String, i64>, name: &dyn Fn(&str) -> String| {
            let mut v: Vec<CountBy> =
                m.into_iter().map(|(key, count)| CountBy { name: name(&key), key, count }).collect();
            v.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
            v
        };
        Ok(DisputeStats {
            total: facts.len() as i64,
            risk_flagged: facts.iter().filter(|f| f.risk_escalation).count() as i64,
            success_rate: ratio(agreed, agreed + failed),
            fulfilment_rate: ratio(held, followed),
            mean_days_to_resolution: (closed > 0).then(|| (days / closed as f64 * 10.0).round() / 10.0),
            by_status: counts(by_status, &|k| {
                DisputeStatus::parse("status", k).map(|s| s.label_zh().to_string()).unwrap_or_default()
            }),
            by_type: counts(by_type, &|k| types.get(k).map(|t| t.0.clone()).unwrap_or_default()),
            by_grid: counts(by_grid, &|k| k.to_string()),
            trend: trend
                .into_iter()
                .map(|(month, (registered, resolved))| MonthTrend { month, registered, resolved })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::text_block;

    #[test]
    fn clauses_keep_their_lines_and_other_control_characters_are_refused() {
        assert_eq!(text_block("agreement", " 一、赔偿。\r\n二、道歉。 ", 100).unwrap(), "一、赔偿。\n二、道歉。");
        assert_eq!(text_block("agreement", "a\u{7}", 100).unwrap_err().field_name(), Some("agreement"));
        assert_eq!(text_block("facts", &"字\n".repeat(60), 100).unwrap_err().field_name(), Some("facts"));
    }
}
