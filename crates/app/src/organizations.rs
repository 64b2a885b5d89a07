//! Organizations placed on houses (组织: 企业, 学校, 医院, 社会组织, 机关事业单位, 个体工商户, 其他): list them in a
//! region, open one, register one on a house and change it. Like people, scope is the grid of the house they
//! sit in; outside the caller's subtree an organization answers exactly like one that does not exist. The
//! contact phone is encrypted at rest and shown masked.

use crate::audit::format_time;
use crate::paging::{self, Page};
use crate::{App, AppError, ErrorKind, Result};
use serde::{Deserialize, Serialize};
use serde_json::json;
use wangge_domain::organization::CreditCode;
use wangge_domain::phone::Phone;
use wangge_domain::register::{OrgKind, OrgStatus};
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;
use wangge_store::audit::NewAudit;
use wangge_store::organizations::{OrgFilter, OrgRow, OrgWrite};
use wangge_store::{Store, StoreError};

/// An organization as lists and pages show it: the phone masked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrgView {
    pub id: i64,
    pub name: String,
    /// `enterprise` | `school` | `hospital` | `social_organization` | `public_institution` |
    /// `individual_business` | `other`.
    pub kind: String,
    /// 统一社会信用代码 (GB 32100), when known.
    pub credit_code: Option<String>,
    /// 法定代表人 / 负责人.
    pub legal_rep: String,
    /// Masked: `138****0000`.
    pub phone: Option<String>,
    pub employees: Option<i64>,
    pub house_id: i64,
    pub house_code: String,
    pub address: String,
    pub grid_code: String,
    /// `operating` (在营) | `suspended` (停业) | `deregistered` (注销).
    pub status: String,
    pub note: String,
    /// RFC 3339, China Standard Time.
    pub updated_at: String,
}

/// A new organization (`POST /api/v1/organizations`). `kind` and `status` take the code or the Chinese label.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrgInput {
    pub name: String,
    pub kind: String,
    /// The house it sits in (房屋编码); its grid places the organization.
    pub house_code: String,
    #[serde(default)]
    pub credit_code: Option<String>,
    #[serde(default)]
    pub legal_rep: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub employees: Option<i64>,
    /// Default `operating`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Changes to an organization (`PATCH`): only the fields given change; an empty `credit_code` or `phone`
/// clears it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgUpdate {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub house_code: Option<String>,
    pub credit_code: Option<String>,
    pub legal_rep: Option<String>,
    pub phone: Option<String>,
    pub employees: Option<i64>,
    pub status: Option<String>,
    pub note: Option<String>,
}

/// What a list asks for.
#[derive(Debug, Clone, Default)]
pub struct OrgQuery<'a> {
    pub region: Option<&'a str>,
    /// Part of the name, or the whole credit code.
    pub q: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub status: Option<&'a str>,
    pub limit: Option<i64>,
    pub cursor: Option<&'a str>,
}

fn text(field: &str, s: &str, min: usize, max: usize) -> Result<String> {
    let s = s.trim();
    let n = s.chars().count();
    if n < min {
        return Err(AppError::field(field, "必填 / required"));
    }
    if n > max {
        return Err(AppError::field(field, format!("不能超过{max}字 / longer than {max} characters")));
    }
    if s.chars().any(char::is_control) {
        return Err(AppError::field(field, "含有控制字符 / holds control characters"));
    }
    Ok(s.to_string())
}

fn employees(n: i64) -> Result<i64> {
    if (0..=1_000_000).contains(&n) {
        Ok(n)
    } else {
        Err(AppError::field("employees", "从业人数应在0到1000000之间 / employees must be 0–1,000,000"))
    }
}

fn not_found(id: i64) -> AppError {
    AppError::not_found(&format!("organization {id}"))
}

fn view(o: OrgRow) -> OrgView {
    OrgView {
        id: o.id,
        name: o.name,
        kind: o.kind,
        credit_code: o.credit_code,
        legal_rep: o.legal_rep,
        phone: o.phone_masked,
        employees: o.employees,
        house_id: o.house_id,
        house_code: o.house_code,
        address: o.address,
        grid_code: o.grid_code,
        status: o.status,
        note: o.note,
        updated_at: format_time(o.updated_at),
    }
}

impl App {
    /// Authorizes `perm` in `grid`, answering "not found" (naming only `what`) outside the scope.
    fn authorize_org(&self, actor: &Actor, perm: Permission, grid: &str, what: &str) -> Result<()> {
        self.authorize(actor, perm, grid)
            .map_err(|e| if e.kind == ErrorKind::NotFound { AppError::not_found(what) } else { e })
    }

    /// The house an organization is placed on, by code: unknown 400, outside the scope 404.
    async fn org_house(&self, actor: &Actor, code: &str) -> Result<wangge_store::people::HouseRow> {
        let code = code.trim();
        if code.is_empty() {
            return Err(AppError::field("house_code", "必填 / required"));
        }
        let h = self
            .store
            .house_by_code(code)
            .await?
            .ok_or_else(|| AppError::field("house_code", format!("房屋编码不存在 / no such house: {code}")))?;
        self.authorize_org(actor, Permission::ManageRegister, &h.grid_code, &format!("house {code}"))?;
        Ok(h)
    }

    /// A credit code no other organization holds.
    async fn free_credit_code(&self, code: &str, own: Option<i64>) -> Result<String> {
        let c = CreditCode::parse("credit_code", code)?;
        if let Some(other) = self.store.organization_by_credit_code(c.as_str()).await?
            && Some(other) != own
        {
            let mut e = AppError::conflict(format!(
                "该统一社会信用代码已登记 / an organization with this credit code exists: {}",
                c.as_str()
            ));
            e.details = Some(json!({ "field": "credit_code" }));
            return Err(e);
        }
        Ok(c.as_str().to_string())
    }

    fn phone_columns(&self, phone: &str) -> Result<(Option<String>, Option<String>, Option<String>)> {
        if phone.trim().is_empty() {
            return Ok((None, None, None));
        }
        let p = Phone::parse("phone", phone)?;
        Ok((
            Some(self.crypto.encrypt(p.as_str())),
            Some(self.crypto.blind_index("phone", p.as_str())),
            Some(p.masked()),
        ))
    }

    /// Organizations in the caller's scope (or `region` within it), by name or credit code, kind and status.
    pub async fn list_organizations(&self, actor: &Actor, q: OrgQuery<'_>) -> Result<Page<OrgView>> {
        self.authorize_anywhere(actor, Permission::ReadRegister)?;
        let limit = paging::limit(q.limit)?;
        let roots = match q.region.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => {
                self.authorize(actor, Permission::ReadRegister, r)?;
                self.store.region(r).await?.ok_or_else(|| AppError::not_found(r))?;
                Some(vec![r.to_string()])
            }
            None => actor.roots(Permission::ReadRegister),
        };
        let kind = match q.kind.map(str::trim).filter(|s| !s.is_empty()) {
            Some(k) => Some(OrgKind::parse("kind", k)?.as_str().to_string()),
            None => None,
        };
        let status = match q.status.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(OrgStatus::parse("status", s)?.as_str().to_string()),
            None => None,
        };
        let text = match q.q.map(str::trim).filter(|s| !s.is_empty()) {
            Some(t) => Some(text("q", t, 1, 100)?),
            None => None,
        };
        let filter = OrgFilter { roots, kind, status, q: text };
        let (rows, total) = self.store.list_organizations(&filter, paging::int_cursor(q.cursor)?, limit).await?;
        Ok(paging::page(rows.into_iter().map(view).collect(), limit, total, |o| o.id.to_string()))
    }

    /// One organization the caller may read.
    pub async fn organization(&self, actor: &Actor, id: i64) -> Result<OrgView> {
        let o = self.store.organization(id).await?.ok_or_else(|| not_found(id))?;
        self.authorize_org(actor, Permission::ReadRegister, &o.grid_code, &format!("organization {id}"))?;
        Ok(view(o))
    }

    /// The organizations on one house (the house page lists them).
    pub async fn house_organizations(&self, actor: &Actor, house_id: i64) -> Result<Vec<OrgView>> {
        let what = format!("house {house_id}");
        let h = self.store.house(house_id).await?.ok_or_else(|| AppError::not_found(&what))?;
        self.authorize_org(actor, Permission::ReadRegister, &h.grid_code, &what)?;
        Ok(self.store.organizations_in_house(house_id).await?.into_iter().map(view).collect())
    }

    /// Registers an organization on a house, audited in the same transaction.
    pub async fn create_organization(&self, actor: &Actor, input: NewOrgInput) -> Result<OrgView> {
        self.authorize_anywhere(actor, Permission::ManageRegister)?;
        let name = text("name", &input.name, 1, 100)?;
        let kind = OrgKind::parse("kind", &input.kind)?;
        let house = self.org_house(actor, &input.house_code).await?;
        let credit_code = match input.credit_code.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(c) => Some(self.free_credit_code(c, None).await?),
            None => None,
        };
        let legal_rep = text("legal_rep", input.legal_rep.as_deref().unwrap_or(""), 0, 50)?;
        let (phone_enc, phone_hash, phone_masked) = self.phone_columns(input.phone.as_deref().unwrap_or(""))?;
        let employees = input.employees.map(employees).transpose()?;
        let status = match input.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => OrgStatus::parse("status", s)?,
            None => OrgStatus::Operating,
        };
        let note = text("note", input.note.as_deref().unwrap_or(""), 0, 500)?;
        let w = OrgWrite {
            name,
            kind: kind.as_str().into(),
            credit_code,
            legal_rep,
            phone_enc,
            phone_hash,
            phone_masked,
            employees,
            house_id: house.id,
            grid_code: house.grid_code.clone(),
            status: status.as_str().into(),
            note,
        };
        let mut tx = self.store.begin().await?;
        let id = Store::insert_organization_tx(&mut tx, &w).await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "create",
                object: &format!("organization:{id}"),
                reason: None,
                region_code: Some(&house.grid_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.organization(actor, id).await
    }

    /// Changes the fields given; moving to another house needs that house in the caller's scope too.
    pub async fn update_organization(&self, actor: &Actor, id: i64, u: OrgUpdate) -> Result<OrgView> {
        let o = self.store.organization(id).await?.ok_or_else(|| not_found(id))?;
        self.authorize_org(actor, Permission::ManageRegister, &o.grid_code, &format!("organization {id}"))?;
        let none_given = u.name.is_none()
            && u.kind.is_none()
            && u.house_code.is_none()
            && u.credit_code.is_none()
            && u.legal_rep.is_none()
            && u.phone.is_none()
            && u.employees.is_none()
            && u.status.is_none()
            && u.note.is_none();
        if none_given {
            return Err(AppError::field("body", "没有要修改的字段 / no field to change"));
        }
        let (phone_hash, current_phone) = match &o.phone_enc {
            Some(e) => {
                let plain =
                    self.crypto.decrypt(e).map_err(|e| AppError::internal(format!("organization {id}: {e}")))?;
                (Some(self.crypto.blind_index("phone", &plain)), Some(plain))
            }
            None => (None, None),
        };
        let mut w = OrgWrite {
            name: o.name.clone(),
            kind: o.kind.clone(),
            credit_code: o.credit_code.clone(),
            legal_rep: o.legal_rep.clone(),
            phone_enc: o.phone_enc.clone(),
            phone_hash,
            phone_masked: o.phone_masked.clone(),
            employees: o.employees,
            house_id: o.house_id,
            grid_code: o.grid_code.clone(),
            status: o.status.clone(),
            note: o.note.clone(),
        };
        let mut changed: Vec<&str> = Vec::new();
        if let Some(n) = &u.name {
            w.name = text("name", n, 1, 100)?;
        }
        if let Some(k) = &u.kind {
            w.kind = OrgKind::parse("kind", k)?.as_str().into();
        }
        if let Some(c) = &u.house_code {
            let h = self.org_house(actor, c).await?;
            w.house_id = h.id;
            w.grid_code = h.grid_code;
        }
        if let Some(c) = &u.credit_code {
            w.credit_code = match c.trim() {
                "" => None,
                c => Some(self.free_credit_code(c, Some(id)).await?),
            };
        }
        if let Some(l) = &u.legal_rep {
            w.legal_rep = text("legal_rep", l, 0, 50)?;
        }
        if let Some(p) = &u.phone {
            let same = match Phone::parse("phone", p) {
                Ok(ph) => current_phone.as_deref() == Some(ph.as_str()),
                Err(_) => p.trim().is_empty() && current_phone.is_none(),
            };
            if !same {
                (w.phone_enc, w.phone_hash, w.phone_masked) = self.phone_columns(p)?;
                changed.push("phone");
            }
        }
        if let Some(n) = u.employees {
            w.employees = Some(employees(n)?);
        }
        if let Some(s) = &u.status {
            w.status = OrgStatus::parse("status", s)?.as_str().into();
        }
        if let Some(n) = &u.note {
            w.note = text("note", n, 0, 500)?;
        }
        for (field, differs) in [
            ("name", w.name != o.name),
            ("kind", w.kind != o.kind),
            ("house_code", w.house_id != o.house_id),
            ("credit_code", w.credit_code != o.credit_code),
            ("legal_rep", w.legal_rep != o.legal_rep),
            ("employees", w.employees != o.employees),
            ("status", w.status != o.status),
            ("note", w.note != o.note),
        ] {
            if differs {
                changed.push(field);
            }
        }
        if !changed.is_empty() {
            let mut tx = self.store.begin().await?;
            Store::update_organization_tx(&mut tx, id, &w).await?;
            Store::audit(
                &mut tx,
                NewAudit {
                    actor: &actor.username,
                    action: "update",
                    object: &format!("organization:{id}"),
                    reason: Some(&changed.join(",")),
                    region_code: Some(&w.grid_code),
                },
            )
            .await?;
            tx.commit().await.map_err(StoreError::from)?;
        }
        self.organization(actor, id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fields_name_themselves() {
        assert_eq!(text("name", "  甲公司 ", 1, 100).unwrap(), "甲公司");
        assert_eq!(text("name", " ", 1, 100).unwrap_err().field_name(), Some("name"));
        assert_eq!(text("note", &"字".repeat(501), 0, 500).unwrap_err().field_name(), Some("note"));
        assert_eq!(text("legal_rep", "a\u{7}", 0, 50).unwrap_err().field_name(), Some("legal_rep"));
        assert_eq!(employees(-1).unwrap_err().field_name(), Some("employees"));
        assert_eq!(employees(12).unwrap(), 12);
    }
}
