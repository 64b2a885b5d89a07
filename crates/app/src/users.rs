//! Accounts and their (role, region[, department]) grants, managed by administrators.

use crate::auth::{check_password_rules, hash_password};
use crate::paging::{self, Page};
use crate::{App, AppError, Result};
use serde::{Deserialize, Serialize};
use wangge_domain::role::{Permission, Role};
use wangge_domain::scope::{Actor, Grant};
use wangge_store::audit::NewAudit;
use wangge_store::{Store, StoreError};

/// A user as the API shows it (never the password hash).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub disabled: bool,
    #[schema(value_type = Vec<Object>)]
    pub roles: Vec<Grant>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantInput {
    pub role: String,
    #[serde(default)]
    pub region_code: String,
    #[serde(default)]
    pub department_code: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    pub password: String,
    pub roles: Vec<GrantInput>,
}

fn view(u: wangge_store::users::UserRow) -> UserView {
    UserView { id: u.id, username: u.username, display_name: u.display_name, disabled: u.disabled, roles: u.grants }
}

pub fn check_username(username: &str) -> Result<String> {
    // Usernames are case-insensitive (people type "Admin" and "admin" alike), so they are kept in lower case.
    let u = username.trim().to_ascii_lowercase();
    let ok_chars = u.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if u.is_empty() || u.len() > 64 || !ok_chars {
        return Err(AppError::field(
            "username",
            "用户名为 1–64 位字母、数字、_-. / username must be 1–64 letters, digits or _-.",
        ));
    }
    Ok(u)
}

impl App {
    /// Checks one grant: known role, existing region of a sensible level, department where needed.
    pub async fn check_grant(&self, index: usize, g: &GrantInput) -> Result<Grant> {
        let f = |name: &str| format!("roles[{index}].{name}");
        let role = Role::parse(g.role.trim())
            .ok_or_else(|| AppError::field(&f("role"), format!("未知角色 / unknown role: {}", g.role)))?;
        let region_code = g.region_code.trim().to_string();
        if role == Role::Admin && region_code.is_empty() {
            return Ok(Grant { role, region_code, department_code: None });
        }
        let parsed = self.config.code_rules.parse(&f("region_code"), &region_code)?;
        if !role.allowed_levels().contains(&parsed.level()) {
            let levels: Vec<&str> = role.allowed_levels().iter().map(|l| l.label_zh()).collect();
            return Err(AppError::field(
                &f("region_code"),
                format!(
                    "{}只能分配到{}级区域 / a {} grant must name a {} region",
                    role.label_zh(),
                    levels.join("、"),
                    role.as_str(),
                    role.allowed_levels().iter().map(|l| l.as_str()).collect::<Vec<_>>().join(" or ")
                ),
            ));
        }
        if self.store.region(parsed.as_str()).await?.is_none() {
            return Err(AppError::field(&f("region_code"), format!("区域不存在 / no such region: {region_code}")));
        }
        let department_code = g.department_code.as_deref().map(str::trim).filter(|d| !d.is_empty());
        match (role.needs_department(), department_code) {
            (true, None) => {
                return Err(AppError::field(
                    &f("department_code"),
                    "职能部门角色需要部门编码 / department role needs a department code",
                ));
            }
            (true, Some(d)) if !self.store.department_exists(d).await? => {
                return Err(AppError::field(&f("department_code"), format!("部门不存在 / no such department: {d}")));
            }
            (false, Some(_)) => {
                return Err(AppError::field(
                    &f("department_code"),
                    "只有职能部门角色需要部门编码 / only the department role takes a department code",
                ));
            }
            _ => {}
        }
        Ok(Grant { role, region_code, department_code: department_code.map(str::to_string) })
    }

    pub async fn create_user(&self, actor: &Actor, input: NewUser) -> Result<UserView> {
        self.authorize_anywhere(actor, Permission::ManageUsers)?;
        let username = check_username(&input.username)?;
        check_password_rules("password", &input.password)?;
        if input.roles.is_empty() {
            return Err(AppError::field("roles", "至少分配一个角色 / assign at least one role"));
        }
        let mut grants = Vec::with_capacity(input.roles.len());
        for (i, g) in input.roles.iter().enumerate() {
            let grant = self.check_grant(i, g).await?;
            if grants.contains(&grant) {
                return Err(AppError::field(&format!("roles[{i}]"), "重复的角色 / the same role is listed twice"));
            }
            grants.push(grant);
        }
        let display =
            if input.display_name.trim().is_empty() { username.clone() } else { input.display_name.trim().to_string() };
        if display.chars().count() > 64 {
            return Err(AppError::field("display_name", "姓名过长 / display name is longer than 64 characters"));
        }
        let id = self.create_user_unchecked(actor, &username, &display, &input.password, &grants).await?;
        let u = self.store.user_by_id(id).await?.ok_or_else(|| AppError::not_found("user"))?;
        Ok(view(u))
    }

    /// Writes a user whose fields were already checked, with its grants and an audit record, atomically.
    pub async fn create_user_unchecked(
        &self,
        actor: &Actor,
        username: &str,
        display_name: &str,
        password: &str,
        grants: &[Grant],
    ) -> Result<i64> {
        let hash = hash_password(password).await?;
        let mut tx = self.store.begin().await?;
        let id = Store::insert_user(&mut tx, username, display_name, &hash).await.map_err(|e| match e {
            StoreError::Conflict(_) => {
                AppError::conflict(format!("用户名已存在 / username already exists: {username}"))
            }
            other => other.into(),
        })?;
        for g in grants {
            Store::insert_grant(&mut tx, id, g).await?;
        }
        // One record per grant, in that grant's region, so district staff see every account created for their area.
        for g in grants {
            Store::audit(
                &mut tx,
                NewAudit {
                    actor: &actor.username,
                    action: "create",
                    object: &format!("user:{username}"),
                    reason: Some(&format!("{}@{}", g.role.as_str(), g.region_code)),
                    region_code: Some(g.region_code.as_str()).filter(|c| !c.is_empty()),
                },
            )
            .await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(id)
    }

    pub async fn list_users(
        &self,
        actor: &Actor,
        role: Option<&str>,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<Page<UserView>> {
        self.authorize_anywhere(actor, Permission::ManageUsers)?;
        let role = match role.filter(|r| !r.is_empty()) {
            None => None,
            Some(r) => {
                Some(Role::parse(r).ok_or_else(|| AppError::field("role", format!("未知角色 / unknown role: {r}")))?)
            }
        };
        let limit = paging::limit(limit)?;
        let after = paging::int_cursor(cursor)?.unwrap_or(0);
        let (rows, total) = self.store.list_users(role, after, limit).await?;
        Ok(paging::page(rows.into_iter().map(view).collect(), limit, total, |u| u.id.to_string()))
    }

    pub async fn user(&self, actor: &Actor, username: &str) -> Result<UserView> {
        self.authorize_anywhere(actor, Permission::ManageUsers)?;
        let username = &username.trim().to_ascii_lowercase();
        let u = self.store.user_by_name(username).await?.ok_or_else(|| AppError::not_found(username))?;
        Ok(view(u))
    }

    /// Adds a (role, region[, department]) pair to an existing user.
    pub async fn add_grant(&self, actor: &Actor, username: &str, g: GrantInput) -> Result<UserView> {
        self.authorize_anywhere(actor, Permission::ManageUsers)?;
        let username = username.trim().to_ascii_lowercase();
        let username = username.as_str();
        let u = self.store.user_by_name(username).await?.ok_or_else(|| AppError::not_found(username))?;
        let grant = self.check_grant(0, &g).await?;
        let mut tx = self.store.begin().await?;
        Store::insert_grant(&mut tx, u.id, &grant).await.map_err(|e| match e {
            StoreError::Conflict(_) => AppError::conflict("该用户已有此角色 / the user already holds this role"),
            other => other.into(),
        })?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "grant",
                object: &format!("user:{username}"),
                reason: Some(&format!("{}@{}", grant.role.as_str(), grant.region_code)),
                region_code: Some(&grant.region_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.actors.clear();
        self.user(actor, username).await
    }

    /// Removes one (role, region[, department]) pair from a user. The last grant of an account cannot be
    /// removed (disable the account instead), nor an administrator's own admin grant.
    pub async fn remove_grant(&self, actor: &Actor, username: &str, g: GrantInput) -> Result<UserView> {
        self.authorize_anywhere(actor, Permission::ManageUsers)?;
        let username = username.trim().to_ascii_lowercase();
        let u = self.store.user_by_name(&username).await?.ok_or_else(|| AppError::not_found(&username))?;
        let role = Role::parse(g.role.trim())
            .ok_or_else(|| AppError::field("role", format!("未知角色 / unknown role: {}", g.role)))?;
        let department_code = g.department_code.as_deref().map(str::trim).filter(|d| !d.is_empty()).map(String::from);
        let grant = Grant { role, region_code: g.region_code.trim().to_string(), department_code };
        if !u.grants.contains(&grant) {
            return Err(AppError::not_found("grant"));
        }
        if u.grants.len() == 1 {
            return Err(AppError::rule(
                "role",
                "不能删除账号的最后一个角色，请停用账号 / an account keeps at least one role; disable it instead",
            ));
        }
        if u.id == actor.user_id && role == Role::Admin {
            return Err(AppError::rule("role", "不能删除自己的管理员角色 / you cannot remove your own admin role"));
        }
        let mut tx = self.store.begin().await?;
        Store::delete_grant(&mut tx, u.id, &grant).await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "revoke",
                object: &format!("user:{username}"),
                reason: Some(&format!("{}@{}", grant.role.as_str(), grant.region_code)),
                region_code: Some(&grant.region_code).filter(|c| !c.is_empty()).map(|c| c.as_str()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.actors.clear();
        self.user(actor, &username).await
    }

    /// Disables an account (its sessions end at once) or enables it again. Nobody disables themselves.
    pub async fn set_user_disabled(&self, actor: &Actor, username: &str, disabled: bool) -> Result<UserView> {
        self.authorize_anywhere(actor, Permission::ManageUsers)?;
        let username = username.trim().to_ascii_lowercase();
        let u = self.store.user_by_name(&username).await?.ok_or_else(|| AppError::not_found(&username))?;
        if u.id == actor.user_id && disabled {
            return Err(AppError::rule("disabled", "不能停用自己的账号 / you cannot disable your own account"));
        }
        let mut tx = self.store.begin().await?;
        Store::set_disabled_tx(&mut tx, u.id, disabled).await?;
        let region = u.grants.iter().map(|g| g.region_code.as_str()).find(|c| !c.is_empty());
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: if disabled { "disable" } else { "enable" },
                object: &format!("user:{username}"),
                reason: None,
                region_code: region,
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.actors.clear();
        self.user(actor, &username).await
    }
}
