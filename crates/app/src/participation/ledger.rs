//! The co-building fund ledger (共建资金台账, 清单式“阳光管理”): income from co-building units, the government and
//! donations, expenditure by category, each with its vouchers. An entry counts once someone other than who entered
//! it approved it. Nothing is ever changed or deleted: a wrong approved entry is corrected by a reversing entry
//! (红字冲销, the negated amount) that is approved the same way. Totals are sums of approved entries, per year with
//! the balance carried over.

use super::{FileOwner, fmt, hide, refused, yuan};
use crate::attachments::view;
use crate::disputes::text_block;
use crate::events::AttachmentView;
use crate::paging::{self, Page};
use crate::people::{parse_date, text_field, today};
use crate::{App, AppError, Result};
use chrono::Datelike;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use wangge_domain::participation::{
    self as rules, LedgerDecision, LedgerDirection, LedgerStatus, LedgerTotals, ledger_category, ledger_category_label,
};
use wangge_domain::region::RegionLevel;
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;
use wangge_store::audit::NewAudit;
use wangge_store::participation::{LedgerEntryRow, LedgerFilter, LedgerSum, NewLedgerEntry};
use wangge_store::{Store, StoreError};

/// Most vouchers on one entry.
const MAX_VOUCHERS: usize = 20;
/// The largest single entry (yuan): a typo guard, not a policy.
const MAX_ENTRY_FEN: i64 = 100_000_000 * 100;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LedgerEntryInput {
    /// The community whose fund it is.
    pub region_code: String,
    /// `income` | `expense`.
    pub direction: String,
    /// Income: `co_building_unit` | `government` | `donation` | `other_income`; expenditure: `activities` |
    /// `facilities` | `assistance` | `environment` | `volunteers` | `office` | `other_expense` (or the Chinese names).
    pub category: String,
    /// Yuan: a positive number, or text such as "1.2万".
    #[schema(value_type = Object)]
    pub amount: Value,
    /// The day of the transaction (`YYYY-MM-DD`); its year is the year the entry counts in.
    pub occurred_on: String,
    /// Who paid or was paid (the co-building unit, the supplier), as the voucher states it.
    #[serde(default)]
    pub counterparty: String,
    /// 摘要: what the money is for.
    pub summary: String,
    /// Ids of the caller's uploads: receipts, invoices, bank slips.
    #[serde(default)]
    pub vouchers: Vec<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LedgerDecisionInput {
    /// `approve` | `reject`.
    pub decision: String,
    /// Why (required to reject).
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LedgerReversalInput {
    /// Why the entry is reversed (required).
    pub reason: String,
    /// The day of the correction (default today): the reversal counts in its own year.
    pub occurred_on: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LedgerEntryView {
    pub id: i64,
    pub region_code: String,
    pub direction: String,
    pub direction_name: String,
    pub category: String,
    pub category_name: String,
    /// Yuan; negative on a reversal.
    pub amount: f64,
    pub amount_fen: i64,
    pub occurred_on: String,
    pub year: i64,
    pub counterparty: String,
    pub summary: String,
    /// The entry this one reverses.
    pub reverses_id: Option<i64>,
    /// The reversal of this entry (approved or awaiting approval).
    pub reversed_by: Option<i64>,
    /// `entered` | `approved` | `rejected`.
    pub status: String,
    pub status_name: String,
    pub entered_by: String,
    pub entered_at: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decision_note: Option<String>,
    pub vouchers: Vec<AttachmentView>,
    /// What the caller may do now: `approve`, `reject`, `reverse`.
    pub actions: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct YearTotals {
    pub year: i64,
    /// Carried over from the years before (yuan).
    pub opening: f64,
    pub income: f64,
    pub expense: f64,
    /// opening + income − expense.
    pub closing: f64,
    pub entries: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryTotal {
    pub direction: String,
    pub category: String,
    pub name: String,
    pub amount: f64,
    pub entries: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MonthTotals {
    /// `YYYY-MM`.
    pub month: String,
    pub income: f64,
    pub expense: f64,
}

/// Totals of approved entries: every year with its carried-over balance, and the chosen year by category and month.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LedgerSummary {
    pub region_code: String,
    pub region_name: String,
    pub years: Vec<YearTotals>,
    pub year: i64,
    pub by_category: Vec<CategoryTotal>,
    pub months: Vec<MonthTotals>,
    /// Entries awaiting approval (staff views only; 0 on the portal).
    pub pending: i64,
}

#[derive(Debug, Clone, Default)]
pub struct LedgerQuery<'a> {
    pub region: Option<&'a str>,
    pub year: Option<i64>,
    pub direction: Option<&'a str>,
    pub status: Option<&'a str>,
    pub cursor: Option<&'a str>,
    pub limit: Option<i64>,
}

pub(crate) fn status_of(e: &LedgerEntryRow) -> LedgerStatus {
    match e.decision.as_deref() {
        Some("approve") => LedgerStatus::Approved,
        Some("reject") => LedgerStatus::Rejected,
        _ => LedgerStatus::Entered,
    }
}

fn direction_of(e: &LedgerEntryRow) -> LedgerDirection {
    LedgerDirection::parse("direction", &e.direction).unwrap_or(LedgerDirection::Income)
}

/// Every year from the first with an approved entry to `upto`, with the balance carried over; and the chosen
/// year by category and month.
pub(crate) fn summarize(
    sums: &[LedgerSum],
    months: &[(String, String, i64)],
    year: i64,
) -> (Vec<YearTotals>, Vec<CategoryTotal>, Vec<MonthTotals>) {
    let mut per_year: BTreeMap<i64, (LedgerTotals, i64)> = BTreeMap::new();
    for s in sums {
        let d = LedgerDirection::parse("direction", &s.direction).unwrap_or(LedgerDirection::Income);
        let e = per_year.entry(s.year).or_default();
        e.0.add(d, s.amount_fen);
        e.1 += s.entries;
    }
    let mut years = Vec::new();
    let mut carried = 0i64;
    for (y, (t, n)) in &per_year {
        years.push(YearTotals {
            year: *y,
            opening: yuan(carried),
            income: yuan(t.income_fen),
            expense: yuan(t.expense_fen),
            closing: yuan(carried + t.balance_fen()),
            entries: *n,
        });
        carried += t.balance_fen();
    }
    let mut by_category: Vec<CategoryTotal> = sums
        .iter()
        .filter(|s| s.year == year)
        .map(|s| CategoryTotal {
            direction: s.direction.clone(),
            category: s.category.clone(),
            name: ledger_category_label(&s.category).0.to_string(),
            amount: yuan(s.amount_fen),
            entries: s.entries,
        })
        .collect();
    by_category.sort_by(|a, b| a.direction.cmp(&b.direction).reverse().then(b.amount.total_cmp(&a.amount)));
    let mut per_month: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for m in 1..=12 {
        per_month.insert(format!("{year}-{m:02}"), (0, 0));
    }
    for (month, direction, fen) in months {
        let e = per_month.entry(month.clone()).or_default();
        if direction == "income" {
            e.0 += fen;
        } else {
            e.1 += fen;
        }
    }
    let months =
        per_month.into_iter().map(|(month, (i, e))| MonthTotals { month, income: yuan(i), expense: yuan(e) }).collect();
    (years, by_category, months)
}

impl App {
    async fn ledger_entry_for(&self, actor: &Actor, id: i64) -> Result<LedgerEntryRow> {
        let e = self.store.ledger_entry(id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::not_found(&format!("ledger entry {id}")),
            e => e.into(),
        })?;
        self.authorize(actor, Permission::ReadParticipation, &e.region_code)
            .map_err(|err| hide(err, &format!("ledger entry {id}")))?;
        Ok(e)
    }

    fn ledger_actions(&self, actor: &Actor, e: &LedgerEntryRow) -> Vec<String> {
        let mut out = Vec::new();
        let status = status_of(e);
        if actor.may(Permission::ApproveLedger, &e.region_code)
            && rules::ledger_decision_allowed(status, &e.entered_by, &actor.username).is_ok()
        {
            out.extend(["approve".to_string(), "reject".to_string()]);
        }
        if actor.may(Permission::KeepLedger, &e.region_code)
            && rules::reversal_allowed(status, e.reverses_id.is_some(), e.reversed_by.is_some()).is_ok()
        {
            out.push("reverse".into());
        }
        out
    }

    pub(crate) async fn ledger_view(&self, actor: Option<&Actor>, e: &LedgerEntryRow) -> Result<LedgerEntryView> {
        let status = status_of(e);
        let direction = direction_of(e);
        let vouchers = match actor {
            Some(_) => self.store.participation_files("ledger", e.id).await?.iter().map(view).collect(),
            None => Vec::new(),
        };
        Ok(LedgerEntryView {
            id: e.id,
            region_code: e.region_code.clone(),
            direction: e.direction.clone(),
            direction_name: direction.label_zh().into(),
            category: e.category.clone(),
            category_name: ledger_category_label(&e.category).0.into(),
            amount: yuan(e.amount_fen),
            amount_fen: e.amount_fen,
            occurred_on: e.occurred_on.clone(),
            year: e.year,
            counterparty: e.counterparty.clone(),
            summary: e.summary.clone(),
            reverses_id: e.reverses_id,
            reversed_by: e.reversed_by,
            status: status.as_str().into(),
            status_name: status.label_zh().into(),
            entered_by: e.entered_by.clone(),
            entered_at: fmt(e.entered_at),
            decided_by: e.decided_by.clone(),
            decided_at: e.decided_at.map(fmt),
            decision_note: e.decision_note.clone(),
            vouchers,
            actions: actor.map(|a| self.ledger_actions(a, e)).unwrap_or_default(),
        })
    }

    pub async fn ledger_entry(&self, actor: &Actor, id: i64) -> Result<LedgerEntryView> {
        let e = self.ledger_entry_for(actor, id).await?;
        self.ledger_view(Some(actor), &e).await
    }

    pub async fn list_ledger(&self, actor: &Actor, q: LedgerQuery<'_>) -> Result<Page<LedgerEntryView>> {
        self.authorize_anywhere(actor, Permission::ReadParticipation)?;
        let roots = match q.region.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => {
                self.authorize(actor, Permission::ReadParticipation, r)?;
                Some(vec![r.to_string()])
            }
            None => actor.roots(Permission::ReadParticipation),
        };
        let direction = q
            .direction
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| LedgerDirection::parse("direction", d).map(|d| d.as_str().to_string()))
            .transpose()?;
        let status = q
            .status
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| LedgerStatus::parse("status", d).map(|d| d.as_str().to_string()))
            .transpose()?;
        let limit = paging::limit(q.limit)?;
        let before = paging::int_cursor(q.cursor)?;
        let filter = LedgerFilter { roots, year: q.year, direction, status };
        let (rows, total) = self.store.ledger_entries(&filter, before, limit).await?;
        let mut items = Vec::with_capacity(rows.len());
        for e in &rows {
            items.push(self.ledger_view(Some(actor), e).await?);
        }
        Ok(paging::page(items, limit, total, |e| e.id.to_string()))
    }

    /// Enters an income or expenditure with its vouchers; it counts once someone else approves it.
    pub async fn add_ledger_entry(&self, actor: &Actor, input: LedgerEntryInput) -> Result<LedgerEntryView> {
        self.authorize_anywhere(actor, Permission::KeepLedger)?;
        let region = self
            .participation_region(
                actor,
                Permission::KeepLedger,
                "region_code",
                &input.region_code,
                &[RegionLevel::Community],
            )
            .await?;
        let direction = LedgerDirection::parse("direction", &input.direction)?;
        let category = ledger_category("category", direction, &input.category)?;
        let amount_fen = match &input.amount {
            Value::Number(n) => rules::parse_amount("amount", &n.to_string())?,
            Value::String(s) => rules::parse_amount("amount", s)?,
            _ => return Err(AppError::field("amount", "请填写金额 / the amount is required")),
        }
        .ok_or_else(|| AppError::field("amount", "请填写金额 / the amount is required"))?;
        if amount_fen <= 0 || amount_fen > MAX_ENTRY_FEN {
            return Err(AppError::field(
                "amount",
                "金额应大于0且不超过1亿元 / more than 0 and at most 100 million yuan",
            ));
        }
        let day = parse_date("occurred_on", &input.occurred_on)?;
        if day > today() {
            return Err(AppError::field("occurred_on", "日期不能晚于今天 / the day is in the future"));
        }
        let counterparty = text_field("counterparty", &input.counterparty, 100)?;
        let summary = text_block("summary", &input.summary, 500)?;
        if summary.chars().count() < 2 {
            return Err(AppError::field("summary", "请填写摘要 / write what the money is for"));
        }
        if input.vouchers.len() > MAX_VOUCHERS {
            return Err(AppError::field(
                "vouchers",
                format!("最多{MAX_VOUCHERS}张凭证 / at most {MAX_VOUCHERS} vouchers"),
            ));
        }
        let row = NewLedgerEntry {
            region_code: region.region.code.clone(),
            direction: direction.as_str().into(),
            category: category.into(),
            amount_fen,
            occurred_on: day.format("%Y-%m-%d").to_string(),
            year: i64::from(day.year()),
            counterparty,
            summary,
            reverses_id: None,
            reversal_key: None,
            entered_by: actor.username.clone(),
        };
        let mut tx = self.store.begin().await?;
        let id = Store::insert_ledger_entry(&mut tx, &row).await?;
        let files: Vec<(usize, i64)> = input.vouchers.iter().copied().enumerate().collect();
        self.claim_participation_files(
            &mut tx,
            actor,
            "vouchers",
            &files,
            FileOwner { kind: "ledger", id, region: &row.region_code },
        )
        .await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "create",
                object: &format!("ledger:{id}"),
                reason: Some(&format!("{} {}", direction.as_str(), amount_fen)),
                region_code: Some(&row.region_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.ledger_entry(actor, id).await
    }

    /// Approves or rejects an entry someone else entered. Exactly one decision per entry, even when two approvers
    /// act at once (the second gets 409).
    pub async fn decide_ledger_entry(
        &self,
        actor: &Actor,
        id: i64,
        input: LedgerDecisionInput,
    ) -> Result<LedgerEntryView> {
        let e = self.ledger_entry_for(actor, id).await?;
        let decision = LedgerDecision::parse("decision", input.decision.trim())?;
        self.authorize(actor, Permission::ApproveLedger, &e.region_code)?;
        rules::ledger_decision_allowed(status_of(&e), &e.entered_by, &actor.username)
            .map_err(|r| refused(r, decision.label_zh()))?;
        let note = text_field("note", &input.note, 500)?;
        if decision == LedgerDecision::Reject && note.is_empty() {
            return Err(AppError::field("note", "驳回须说明理由 / say why it is rejected"));
        }
        let mut tx = self.store.begin().await?;
        Store::insert_ledger_decision(&mut tx, id, decision.as_str(), &actor.username, &note).await.map_err(
            |e| match e {
                StoreError::Conflict(_) => AppError::conflict("该账目已被审核 / the entry was decided meanwhile"),
                e => e.into(),
            },
        )?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: decision.as_str(),
                object: &format!("ledger:{id}"),
                reason: (!note.is_empty()).then_some(note.as_str()),
                region_code: Some(&e.region_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.ledger_entry(actor, id).await
    }

    /// Reverses an approved entry (红字冲销): a new entry of the negated amount, awaiting approval like any other.
    pub async fn reverse_ledger_entry(
        &self,
        actor: &Actor,
        id: i64,
        input: LedgerReversalInput,
    ) -> Result<LedgerEntryView> {
        let e = self.ledger_entry_for(actor, id).await?;
        self.authorize(actor, Permission::KeepLedger, &e.region_code)?;
        rules::reversal_allowed(status_of(&e), e.reverses_id.is_some(), e.reversed_by.is_some())
            .map_err(|r| refused(r, "冲销"))?;
        let reason = text_field("reason", &input.reason, 500)?;
        if reason.chars().count() < 2 {
            return Err(AppError::field("reason", "请说明冲销原因 / say why it is reversed"));
        }
        let day = match input.occurred_on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => parse_date("occurred_on", s)?,
            None => today(),
        };
        if day > today() {
            return Err(AppError::field("occurred_on", "日期不能晚于今天 / the day is in the future"));
        }
        let attempt = self.store.rejected_reversals(id).await?;
        let row = NewLedgerEntry {
            region_code: e.region_code.clone(),
            direction: e.direction.clone(),
            category: e.category.clone(),
            amount_fen: -e.amount_fen,
            occurred_on: day.format("%Y-%m-%d").to_string(),
            year: i64::from(day.year()),
            counterparty: e.counterparty.clone(),
            summary: format!("冲销第{id}号：{reason}"),
            reverses_id: Some(id),
            reversal_key: Some(format!("{id}:{attempt}")),
            entered_by: actor.username.clone(),
        };
        let mut tx = self.store.begin().await?;
        let new_id = Store::insert_ledger_entry(&mut tx, &row).await.map_err(|e| match e {
            StoreError::Conflict(_) => AppError::conflict("该账目已在冲销中 / the entry is being reversed already"),
            e => e.into(),
        })?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "reverse",
                object: &format!("ledger:{id}"),
                reason: Some(&format!("ledger:{new_id} {reason}")),
                region_code: Some(&e.region_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.ledger_entry(actor, new_id).await
    }

    /// Totals of approved entries of a community (or the caller's scope): every year and the chosen one (default:
    /// this year) by category and month.
    pub async fn ledger_summary(
        &self,
        actor: &Actor,
        region: Option<&str>,
        year: Option<i64>,
    ) -> Result<LedgerSummary> {
        self.authorize_anywhere(actor, Permission::ReadParticipation)?;
        let (roots, code) = match region.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => {
                self.authorize(actor, Permission::ReadParticipation, r)?;
                (Some(vec![r.to_string()]), r.to_string())
            }
            None => (actor.roots(Permission::ReadParticipation), String::new()),
        };
        let name = if code.is_empty() { String::new() } else { self.region_name(&code).await? };
        let mut summary = self.ledger_summary_of(roots.as_deref(), (&code, &name), year).await?;
        let pending = LedgerFilter { roots, status: Some("entered".into()), ..Default::default() };
        summary.pending = self.store.ledger_entries(&pending, None, 1).await?.1;
        Ok(summary)
    }

    /// Totals of approved entries in the subtrees; `region` is the (code, name) the summary is labelled with.
    pub(crate) async fn ledger_summary_of(
        &self,
        roots: Option<&[String]>,
        (code, name): (&str, &str),
        year: Option<i64>,
    ) -> Result<LedgerSummary> {
        let year = match year {
            Some(y) if (2000..=2100).contains(&y) => y,
            Some(_) => return Err(AppError::field("year", "年份应在2000到2100之间 / a year from 2000 to 2100")),
            None => i64::from(today().year()),
        };
        let sums = self.store.ledger_sums(roots, None).await?;
        let months = self.store.ledger_months(roots, year).await?;
        let (years, by_category, months) = summarize(&sums, &months, year);
        Ok(LedgerSummary {
            region_code: code.to_string(),
            region_name: name.to_string(),
            years,
            year,
            by_category,
            months,
            pending: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(year: i64, direction: &str, category: &str, fen: i64) -> LedgerSum {
        LedgerSum { year, direction: direction.into(), category: category.into(), amount_fen: fen, entries: 1 }
    }

    #[test]
    fn years_carry_their_balance_over() {
        let sums = [
            sum(2025, "income", "government", 100_000),
            sum(2025, "expense", "activities", 40_000),
            sum(2026, "income", "donation", 10_000),
            sum(2026, "expense", "facilities", 5_000),
            sum(2026, "expense", "facilities", -1_000),
        ];
        let (years, cats, months) = summarize(
            &sums,
            &[("2026-03".into(), "income".into(), 10_000), ("2026-03".into(), "expense".into(), 4_000)],
            2026,
        );
        assert_eq!(years.len(), 2);
        assert_eq!((years[0].opening, years[0].closing), (0.0, 600.0));
        assert_eq!(
            (years[1].opening, years[1].income, years[1].expense, years[1].closing),
            (600.0, 100.0, 40.0, 660.0)
        );
        assert_eq!(cats.len(), 3, "only the chosen year's categories");
        assert_eq!(cats[0].direction, "income");
        assert_eq!(months.len(), 12);
        assert_eq!((months[2].income, months[2].expense), (100.0, 40.0));
    }
}
