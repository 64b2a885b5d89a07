//! 物业服务考评 (issue #10): property-management companies registered by a community or street for the
//! communities and grids (小区) they serve, scored per period from the residents' satisfaction survey (a
//! participation poll's scale question linked to the company), the community's inspection items entered with
//! evidence, and the on-time closure of property-related events in the company's areas; ranked, with the
//! 以奖代补 award of the score's band. Every number comes with the records behind it.

use super::{MetricValue, RecordRef, ScoreInput, Subj, centi, day_of, from_centi, metric_value};
use crate::people::text_field;
use crate::{App, AppError, Result};
use chrono::Datelike;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use wangge_domain::assessment::{self as rules, Metric, Period, Score, Subject};
use wangge_domain::organization::CreditCode;
use wangge_domain::phone::Phone;
use wangge_domain::region::{RegionLevel, ancestor, is_within};
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;
use wangge_store::assessment::{InspectionRow, PropertyCompanyRow};
use wangge_store::audit::NewAudit;
use wangge_store::{Store, StoreError, now_ms};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AreaView {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PropertyCompany {
    pub id: i64,
    /// The community or street that registered it.
    pub region_code: String,
    pub region_name: String,
    pub name: String,
    /// 统一社会信用代码 (GB 32100).
    pub credit_code: String,
    pub contact_name: String,
    pub contact_phone: String,
    /// The communities and grids (小区) it serves.
    pub areas: Vec<AreaView>,
    pub version: i64,
    /// Whether the caller may edit it, score its inspections and link its surveys.
    pub may_manage: bool,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PropertyCompanyInput {
    /// The registering community or street (within the caller's scope).
    pub region_code: String,
    pub name: String,
    pub credit_code: String,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub contact_phone: String,
    /// Community or grid codes inside `region_code`, at least one.
    pub areas: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PropertyCompanyPatch {
    pub name: Option<String>,
    pub credit_code: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub areas: Option<Vec<String>>,
    /// The version read; a stale one answers 409.
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectionInput {
    /// `2026-09`, `2026-Q3` or `2026`.
    pub period: String,
    /// Inspection items (reviewed indicators of the property scheme): score 0…points, evidence required.
    pub scores: Vec<ScoreInput>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyLink {
    pub poll_id: i64,
    /// Index of a scale question of the poll (0-based).
    pub question: i64,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveysInput {
    pub period: String,
    /// Replaces the polls linked for the period (empty: unlink).
    pub surveys: Vec<SurveyLink>,
}

/// An inspection item's entries in the period (several when a year averages its quarters).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InspectionEntry {
    pub period: String,
    pub indicator_code: String,
    pub score: f64,
    pub evidence: String,
    pub entered_by: String,
    pub entered_at: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PropertyScore {
    pub rank: usize,
    pub company: PropertyCompany,
    pub period: String,
    pub scheme_code: String,
    /// Each indicator with `earned`; an inspection item nobody scored, or a survey not linked, is `pending`.
    #[schema(value_type = Object)]
    pub score: Score,
    /// Objective indicators (survey satisfaction, property events) with their records.
    pub metrics: Vec<MetricValue>,
    /// The inspection entries behind each inspection item (their average is the item's score).
    pub inspections: Vec<InspectionEntry>,
    /// 以奖代补: the award of the score's band, in cents.
    pub award_cents: i64,
    /// Inspection items and surveys still missing.
    pub pending: Vec<String>,
}

fn company_view(actor: &Actor, c: &PropertyCompanyRow) -> PropertyCompany {
    PropertyCompany {
        id: c.id,
        region_code: c.region_code.clone(),
        region_name: c.region_name.clone(),
        name: c.name.clone(),
        credit_code: c.credit_code.clone(),
        contact_name: c.contact_name.clone(),
        contact_phone: c.contact_phone.clone(),
        areas: c.areas.iter().map(|(code, name)| AreaView { code: code.clone(), name: name.clone() }).collect(),
        version: c.version,
        may_manage: may_on(actor, c, Permission::ManagePropertyCompanies),
    }
}

/// The places a company is found at: where it was registered and the areas it serves.
fn places(c: &PropertyCompanyRow) -> impl Iterator<Item = &str> {
    std::iter::once(c.region_code.as_str()).chain(c.areas.iter().map(|(a, _)| a.as_str()))
}

fn may_on(actor: &Actor, c: &PropertyCompanyRow, perm: Permission) -> bool {
    places(c).any(|p| actor.may(perm, p))
}

fn changed(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict(m) if m.contains("changed meanwhile") => {
            AppError::conflict("已被他人修改，请刷新 / changed meanwhile, reload")
        }
        StoreError::Conflict(_) => AppError::field(
            "credit_code",
            "本辖区已登记该统一社会信用代码的企业 / a company with this credit code is already registered here",
        ),
        e => e.into(),
    }
}

impl App {
    /// A company the caller can see (registered in or serving their subtree, or serving an area containing it);
    /// 404 otherwise. `perm` decides 403 for a visible one.
    async fn company_for(&self, actor: &Actor, id: i64, perms: &[Permission]) -> Result<PropertyCompanyRow> {
        let c = self.store.property_company(id).await?.ok_or_else(|| AppError::not_found("property company"))?;
        let visible = places(&c)
            .any(|p| actor.may(Permission::ReadRegions, p) || actor.sees_ancestor(Permission::ReadRegions, p));
        if !visible {
            return Err(AppError::not_found("property company"));
        }
        if !perms.iter().any(|perm| may_on(actor, &c, *perm)) {
            return Err(AppError::forbidden());
        }
        Ok(c)
    }

    /// Checks the served areas: communities or grids inside `region`, each one the caller manages.
    async fn property_areas(&self, actor: &Actor, region: &str, areas: &[String]) -> Result<Vec<String>> {
        if areas.is_empty() {
            return Err(AppError::field("areas", "请至少选择一个服务的社区或网格 / at least one area served"));
        }
        let mut out: Vec<String> = Vec::new();
        for (i, a) in areas.iter().enumerate() {
            let f = format!("areas[{i}]");
            let a = a.trim();
            let r = self.store.region(a).await?.ok_or_else(|| AppError::field(&f, "无此区域 / no such region"))?;
            if !matches!(r.region.level, RegionLevel::Community | RegionLevel::Grid) {
                return Err(AppError::field(&f, "应为社区或网格 / must be a community or a grid"));
            }
            if !is_within(a, region) || !actor.may(Permission::ManagePropertyCompanies, a) {
                return Err(AppError::field(&f, "不在登记单位辖区内 / outside the registering region"));
            }
            if !out.iter().any(|x| x == a) {
                out.push(a.to_string());
            }
        }
        out.sort();
        Ok(out)
    }

    /// Registers a company (community or street staff, within their subtree).
    pub async fn create_property_company(&self, actor: &Actor, input: PropertyCompanyInput) -> Result<PropertyCompany> {
        let region = input.region_code.trim();
        self.authorize(actor, Permission::ManagePropertyCompanies, region)?;
        let r = self.store.region(region).await?.ok_or_else(|| AppError::not_found(region))?;
        if !matches!(r.region.level, RegionLevel::Street | RegionLevel::Community) {
            return Err(AppError::field("region_code", "应为街道或社区 / must be a street or a community"));
        }
        let mut row = PropertyCompanyRow {
            id: 0,
            region_code: region.to_string(),
            region_name: String::new(),
            name: String::new(),
            credit_code: String::new(),
            contact_name: String::new(),
            contact_phone: String::new(),
            version: 1,
            created_by: actor.username.clone(),
            created_at: 0,
            updated_at: 0,
            areas: Vec::new(),
        };
        fill(
            &mut row,
            Some(&input.name),
            Some(&input.credit_code),
            Some(&input.contact_name),
            Some(&input.contact_phone),
        )?;
        let areas = self.property_areas(actor, region, &input.areas).await?;
        let now = now_ms();
        let mut tx = self.store.begin().await?;
        let id = Store::insert_property_company(&mut tx, &row, now).await.map_err(changed)?;
        Store::set_property_areas(&mut tx, id, &areas).await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "create_property_company",
                object: &format!("property_company:{id}"),
                reason: None,
                region_code: Some(region),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.property_company(actor, id).await
    }

    pub async fn property_company(&self, actor: &Actor, id: i64) -> Result<PropertyCompany> {
        let c = self.company_for(actor, id, &[Permission::ReadAssessment, Permission::ManagePropertyCompanies]).await?;
        Ok(company_view(actor, &c))
    }

    /// Edits a company's registration (staff of the registering region).
    pub async fn update_property_company(
        &self,
        actor: &Actor,
        id: i64,
        patch: PropertyCompanyPatch,
    ) -> Result<PropertyCompany> {
        let mut c = self.company_for(actor, id, &[Permission::ManagePropertyCompanies]).await?;
        self.authorize(actor, Permission::ManagePropertyCompanies, &c.region_code)?;
        if patch.version.is_some_and(|v| v != c.version) {
            return Err(AppError::conflict("已被他人修改，请刷新 / changed meanwhile, reload"));
        }
        fill(
            &mut c,
            patch.name.as_deref(),
            patch.credit_code.as_deref(),
            patch.contact_name.as_deref(),
            patch.contact_phone.as_deref(),
        )?;
        let areas = match &patch.areas {
            Some(a) => Some(self.property_areas(actor, &c.region_code, a).await?),
            None => None,
        };
        let mut tx = self.store.begin().await?;
        Store::save_property_company(&mut tx, &c, now_ms()).await.map_err(changed)?;
        if let Some(a) = &areas {
            Store::set_property_areas(&mut tx, id, a).await?;
        }
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "update_property_company",
                object: &format!("property_company:{id}"),
                reason: None,
                region_code: Some(&c.region_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.property_company(actor, id).await
    }

    /// Companies of a region (registered in it or serving part of it).
    pub async fn property_companies(&self, actor: &Actor, region: Option<&str>) -> Result<Vec<PropertyCompany>> {
        let region = self.property_region(actor, region).await?;
        Ok(self.store.property_companies(&region).await?.iter().map(|c| company_view(actor, c)).collect())
    }

    async fn property_region(&self, actor: &Actor, region: Option<&str>) -> Result<String> {
        if actor.may_somewhere(Permission::ReadAssessment) {
            self.region_for(actor, Permission::ReadAssessment, region).await
        } else {
            self.authorize_anywhere(actor, Permission::ManagePropertyCompanies)?;
            self.region_for(actor, Permission::ManagePropertyCompanies, region).await
        }
    }

    /// The period asked for, or this quarter (the default scheme's period).
    fn property_period(period: Option<&str>) -> Result<Period> {
        match period.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => Ok(Period::parse("period", p)?),
            None => {
                let t = crate::people::today();
                Ok(Period::parse("period", &format!("{}-Q{}", t.year(), t.month0() / 3 + 1))?)
            }
        }
    }

    /// Enters inspection items' scores for a period, each with evidence (community or street staff).
    pub async fn put_property_inspections(
        &self,
        actor: &Actor,
        id: i64,
        input: InspectionInput,
    ) -> Result<PropertyScore> {
        let c = self.company_for(actor, id, &[Permission::ManagePropertyCompanies]).await?;
        let p = Period::parse("period", &input.period)?;
        let scheme = self.active_scheme(Subject::Property, p.from.year()).await?;
        if input.scores.is_empty() {
            return Err(AppError::field("scores", "请至少填写一项 / at least one score"));
        }
        let now = now_ms();
        let mut rows = Vec::new();
        for (i, sc) in input.scores.iter().enumerate() {
            let f = |k: &str| format!("scores[{i}].{k}");
            let ind = super::reviewed_indicator(&scheme, i, &sc.indicator_code, sc.score)?;
            let evidence = text_field(&f("evidence"), &sc.evidence, 2000)?;
            if evidence.is_empty() {
                return Err(AppError::field(&f("evidence"), "检查评分须附佐证 / evidence required"));
            }
            rows.push(InspectionRow {
                period: p.code(),
                indicator_code: ind.code.clone(),
                score_centi: centi(sc.score),
                evidence,
                entered_by: actor.username.clone(),
                entered_at: now,
            });
        }
        let code = p.code();
        let mut tx = self.store.begin().await?;
        for r in &rows {
            Store::put_property_inspection(&mut tx, id, (&code, &p.from_day(), &p.to_day()), r).await?;
        }
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "property_inspection",
                object: &format!("property_company:{id}:{code}"),
                reason: None,
                region_code: Some(&c.region_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.property_score(actor, id, Some(&code)).await
    }

    /// Links polls' scale questions as the company's satisfaction survey for a period (replacing the period's
    /// links). The poll must be one the caller reads, asked in the company's areas.
    pub async fn put_property_surveys(&self, actor: &Actor, id: i64, input: SurveysInput) -> Result<PropertyScore> {
        let c = self.company_for(actor, id, &[Permission::ManagePropertyCompanies]).await?;
        let p = Period::parse("period", &input.period)?;
        let mut links = Vec::new();
        for (i, l) in input.surveys.iter().enumerate() {
            let f = |k: &str| format!("surveys[{i}].{k}");
            let poll = self.poll_for(actor, l.poll_id).await.map_err(|e| match e.kind {
                crate::ErrorKind::NotFound | crate::ErrorKind::Forbidden => {
                    AppError::field(&f("poll_id"), "无此问卷 / no such poll")
                }
                _ => e,
            })?;
            let overlaps =
                c.areas.iter().any(|(a, _)| is_within(a, &poll.region_code) || is_within(&poll.region_code, a));
            if !overlaps {
                return Err(AppError::field(
                    &f("poll_id"),
                    "问卷不在该企业服务的社区或网格 / the poll is not asked in the company's areas",
                ));
            }
            let questions = crate::participation::polls::questions_of(&poll);
            let q = usize::try_from(l.question).ok().and_then(|q| questions.get(q));
            if q.is_none_or(|q| q.kind() != wangge_domain::participation::QuestionKind::Scale) {
                return Err(AppError::field(&f("question"), "应为打分题 / must be a scale question"));
            }
            links.push((l.poll_id, l.question));
        }
        let code = p.code();
        let now = now_ms();
        let mut tx = self.store.begin().await?;
        Store::set_property_surveys(&mut tx, id, (&code, &p.from_day(), &p.to_day()), &links, &actor.username, now)
            .await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "property_survey",
                object: &format!("property_company:{id}:{code}"),
                reason: None,
                region_code: Some(&c.region_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.property_score(actor, id, Some(&code)).await
    }

    /// 居民满意度测评: the linked scale questions' answers by residents of the company's communities, each put on
    /// 1–5 (a 0–10 scale's 8 reads 4.2). One record per poll and community.
    pub(super) async fn survey_satisfaction(&self, c: &PropertyCompanyRow, p: &Period) -> Result<MetricValue> {
        let mut communities: Vec<String> =
            c.areas.iter().filter_map(|(a, _)| ancestor(a, RegionLevel::Community)).collect();
        communities.sort();
        communities.dedup();
        let (mut sum, mut n) = (0.0, 0i64);
        let mut records = Vec::new();
        for link in self.store.property_surveys(c.id, &p.from_day(), &p.to_day()).await? {
            let poll = match self.store.poll(link.poll_id).await {
                Ok(p) => p,
                Err(StoreError::NotFound) => continue,
                Err(e) => return Err(e.into()),
            };
            let questions = crate::participation::polls::questions_of(&poll);
            let Some(q) = usize::try_from(link.question).ok().and_then(|i| questions.get(i)) else { continue };
            let (lo, hi) = q.bounds();
            let on5 = |v: i64| if hi > lo { 1.0 + (v - lo) as f64 / (hi - lo) as f64 * 4.0 } else { 5.0 };
            for community in &communities {
                let cells = self.store.poll_tallies(&[poll.id], Some(community)).await?;
                let (mut cn, mut csum) = (0i64, 0.0);
                for (_, (_, _, question, choice, count)) in cells {
                    if question == link.question && (lo..=hi).contains(&choice) {
                        cn += count;
                        csum += on5(choice) * count as f64;
                    }
                }
                if cn == 0 {
                    continue;
                }
                n += cn;
                sum += csum;
                records.push(RecordRef {
                    kind: "poll".into(),
                    id: poll.id,
                    label: format!(
                        "问卷#{} {} · {} · {} 份 · 均分 {:.2}/5",
                        poll.id,
                        poll.title,
                        self.region_name(community).await?,
                        cn,
                        csum / cn as f64
                    ),
                    day: day_of(poll.closed_at.or(poll.opened_at).unwrap_or(poll.created_at)),
                    counted: true,
                    href: format!("/participation/polls/{}", poll.id),
                });
            }
        }
        let value = (n > 0).then(|| rules::round2(sum / n as f64));
        Ok(metric_value(Metric::SurveySatisfaction, value, rules::round2(sum), n as f64, records))
    }

    async fn score_company(&self, actor: &Actor, c: &PropertyCompanyRow, p: &Period) -> Result<PropertyScore> {
        let scheme = self.active_scheme(Subject::Property, p.from.year()).await?;
        let rule = scheme.property.clone().unwrap_or_default();
        let subj = Subj {
            roots: c.areas.iter().map(|(a, _)| a.clone()).collect(),
            user: None,
            department: None,
            community: None,
            categories: rule.event_categories.clone(),
            company: Some(c),
        };
        let mut metrics = Vec::new();
        for m in scheme.metrics() {
            metrics.push(self.metric(actor, m, &subj, p).await?);
        }
        let values: HashMap<Metric, Option<f64>> = metrics.iter().map(|m| (m.metric, m.value)).collect();
        // An item scored in several periods inside this one (a year's quarters) counts their average.
        let rows = self.store.property_inspections(c.id, &p.from_day(), &p.to_day()).await?;
        let mut by: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
        for r in &rows {
            by.entry(r.indicator_code.as_str()).or_default().push(r.score_centi);
        }
        let reviews: HashMap<String, f64> = by
            .iter()
            .map(|(k, v)| (k.to_string(), rules::round2(from_centi(v.iter().sum()) / v.len() as f64)))
            .collect();
        let score = rules::score(&scheme, &values, &reviews, &HashMap::new());
        let pending = score.indicators.iter().filter(|i| i.pending).map(|i| i.code.clone()).collect();
        Ok(PropertyScore {
            rank: 0,
            company: company_view(actor, c),
            period: p.code(),
            scheme_code: scheme.code.clone(),
            award_cents: rule.award(score.total),
            score,
            metrics,
            inspections: rows
                .into_iter()
                .map(|r| InspectionEntry {
                    period: r.period,
                    indicator_code: r.indicator_code,
                    score: from_centi(r.score_centi),
                    evidence: r.evidence,
                    entered_by: r.entered_by,
                    entered_at: r.entered_at,
                })
                .collect(),
            pending,
        })
    }

    /// One company's score for a period (default: this quarter) with the records behind each number.
    pub async fn property_score(&self, actor: &Actor, id: i64, period: Option<&str>) -> Result<PropertyScore> {
        let p = Self::property_period(period)?;
        let c = self.company_for(actor, id, &[Permission::ReadAssessment, Permission::ManagePropertyCompanies]).await?;
        self.score_company(actor, &c, &p).await
    }

    /// The region's companies ranked by score for a period, best first (records left out).
    pub async fn property_ranking(
        &self,
        actor: &Actor,
        region: Option<&str>,
        period: Option<&str>,
    ) -> Result<Vec<PropertyScore>> {
        let region = self.property_region(actor, region).await?;
        let p = Self::property_period(period)?;
        let mut out = Vec::new();
        for c in self.store.property_companies(&region).await? {
            let mut s = self.score_company(actor, &c, &p).await?;
            s.metrics.iter_mut().for_each(|m| m.records.clear());
            s.inspections.clear();
            out.push(s);
        }
        out.sort_by(|a, b| b.score.total.total_cmp(&a.score.total).then(a.company.id.cmp(&b.company.id)));
        for (i, s) in out.iter_mut().enumerate() {
            s.rank = i + 1;
        }
        Ok(out)
    }
}

/// Applies the given fields, validated by name.
fn fill(
    row: &mut PropertyCompanyRow,
    name: Option<&str>,
    credit_code: Option<&str>,
    contact_name: Option<&str>,
    contact_phone: Option<&str>,
) -> Result<()> {
    if let Some(n) = name {
        let n = text_field("name", n, 100)?;
        if n.is_empty() {
            return Err(AppError::field("name", "请填写企业名称 / name required"));
        }
        row.name = n;
    }
    if let Some(c) = credit_code {
        row.credit_code = CreditCode::parse("credit_code", c)?.as_str().to_string();
    }
    if let Some(n) = contact_name {
        row.contact_name = text_field("contact_name", n, 50)?;
    }
    if let Some(p) = contact_phone {
        row.contact_phone =
            if p.trim().is_empty() { String::new() } else { Phone::parse("contact_phone", p)?.as_str().to_string() };
    }
    Ok(())
}
