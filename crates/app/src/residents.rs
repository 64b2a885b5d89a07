//! Residents' accounts (居民账号). An account is tied to one person of the register, verified either by the
//! resident (name, 身份证号 and the phone number the community registered, all three matching) or by community
//! staff at the service window who saw the ID card. One account per person: a resident's reports, applications
//! and votes are that person's, so one person cannot vote twice by signing up twice.
//!
//! The self-service check answers the same refusal whichever detail does not match, and counts failures per
//! client address like logins do, so it cannot be used to find out whose 身份证号 is registered where.

use crate::auth::{NewSession, check_password_rules, hash_password};
use crate::users::check_username;
use crate::{App, AppError, ErrorKind, Result};
use serde::{Deserialize, Serialize};
use wangge_domain::idcard::IdCardNo;
use wangge_domain::phone::Phone;
use wangge_domain::region::{RegionLevel, ancestor};
use wangge_domain::register::parse_name;
use wangge_domain::role::{Permission, Role};
use wangge_domain::scope::{Actor, Grant};
use wangge_store::audit::NewAudit;
use wangge_store::people::PersonRow;
use wangge_store::{Store, StoreError};

/// A resident signing up: the three details are checked against the register.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResidentSignUp {
    pub username: String,
    pub password: String,
    /// 姓名 as registered.
    pub name: String,
    /// 公民身份号码 (18 digits, or a 15-digit legacy number).
    pub id_number: String,
    /// The mobile number the community registered for the person.
    pub phone: String,
}

/// Staff open an account for a person at the window (they have seen the ID card).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResidentAccountInput {
    pub username: String,
    pub password: String,
}

/// What a resident sees of themselves: numbers masked, where they live.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResidentProfile {
    pub user_id: i64,
    pub username: String,
    pub person_id: i64,
    pub name: String,
    /// Masked: `110101********1234`.
    pub id_number: String,
    /// Masked: `138****0000`.
    pub phone: Option<String>,
    pub address: Option<String>,
    pub grid_code: String,
    pub grid_name: String,
    pub community_code: String,
    pub community_name: String,
}

/// The account of a person, as staff see it on the person's page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResidentAccount {
    pub username: String,
    pub disabled: bool,
}

fn not_matching() -> AppError {
    AppError::new(
        ErrorKind::RuleViolated,
        "姓名、身份证号或手机号与社区登记信息不一致，请到社区服务站核实开通 / the name, ID number or phone number \
         does not match the register; please ask your community service station",
    )
}

fn lives_here(p: &PersonRow) -> bool {
    p.merged_into.is_none() && matches!(p.residence_status.as_str(), "present" | "away")
}

impl App {
    /// A resident signs up: name, 身份证号 and registered phone must all match one person who lives in the district.
    /// Answers a signed-in session (the resident goes straight to their page).
    pub async fn sign_up_resident(&self, input: ResidentSignUp, client: &str) -> Result<(NewSession, ResidentProfile)> {
        let username = check_username(&input.username)?;
        check_password_rules("password", &input.password)?;
        let name = parse_name("name", &input.name)?;
        let id = IdCardNo::parse("id_number", &input.id_number)?;
        let phone = Phone::parse("phone", &input.phone)?;
        // Only well-formed tries count: a slip in a field is not a guess.
        let keys = [format!("signup:{}", crate::auth::rate_addr(client))];
        let attempt = self.attempt(&keys, self.config.login_max_failures as i64, self.login_window_ms()).await?;
        let mut found = None;
        for pid in self.store.people_by_id_number_hash(&self.crypto.blind_index("id_number", id.as_str())).await? {
            let Some(p) = self.store.person(pid).await? else { continue };
            let same_phone = match &p.phone_enc {
                Some(enc) => self.crypto.decrypt(enc).map_err(|e| AppError::internal(e.to_string()))? == phone.as_str(),
                None => false,
            };
            if lives_here(&p) && p.name == name && same_phone {
                found = Some(p);
                break;
            }
        }
        let Some(person) = found else {
            return Err(not_matching()); // the attempt stays counted
        };
        self.store.rate_forget_attempt(&attempt).await?;
        let actor = Actor {
            user_id: 0,
            username: format!("signup:{username}"),
            display_name: person.name.clone(),
            grants: Vec::new(),
        };
        let user_id = self.create_resident_account(&actor, &person, &username, &input.password, "signup").await?;
        let user = self.store.user_by_id(user_id).await?.ok_or_else(|| AppError::not_found("user"))?;
        let session = self.start_session(user).await?;
        let profile = self.resident_profile(&session.actor).await?;
        Ok((session, profile))
    }

    /// Community staff open an account for a person of their subtree (seen in person, ID card in hand).
    pub async fn open_resident_account(
        &self,
        actor: &Actor,
        person_id: i64,
        input: ResidentAccountInput,
    ) -> Result<ResidentAccount> {
        let person = self.store.person(person_id).await?.ok_or_else(|| AppError::not_found("person"))?;
        self.authorize(actor, Permission::ManageRegister, &person.grid_code)?;
        let username = check_username(&input.username)?;
        check_password_rules("password", &input.password)?;
        if !lives_here(&person) {
            return Err(AppError::rule(
                "person",
                "该人员已迁出、死亡或被合并，不能开通账号 / the person moved out, died or was merged",
            ));
        }
        self.create_resident_account(actor, &person, &username, &input.password, "create").await?;
        Ok(ResidentAccount { username, disabled: false })
    }

    /// The account tied to a person, for staff who may read that person.
    pub async fn resident_account(&self, actor: &Actor, person_id: i64) -> Result<Option<ResidentAccount>> {
        let person = self.store.person(person_id).await?.ok_or_else(|| AppError::not_found("person"))?;
        self.authorize(actor, Permission::ReadRegister, &person.grid_code)?;
        Ok(self
            .store
            .user_of_person(person_id)
            .await?
            .map(|u| ResidentAccount { username: u.username, disabled: u.disabled }))
    }

    /// The signed-in resident's own record (404 for accounts that are not tied to a person).
    pub async fn resident_profile(&self, actor: &Actor) -> Result<ResidentProfile> {
        let person_id =
            self.store.person_of_user(actor.user_id).await?.ok_or_else(|| AppError::not_found("resident"))?;
        let p = self.store.person(person_id).await?.ok_or_else(|| AppError::not_found("person"))?;
        let community_code = ancestor(&p.grid_code, RegionLevel::Community).unwrap_or_default();
        let name_of = |code: String| async move {
            Ok::<_, AppError>(self.store.region(&code).await?.map(|r| r.region.name).unwrap_or_default())
        };
        Ok(ResidentProfile {
            user_id: actor.user_id,
            username: actor.username.clone(),
            person_id,
            name: p.name,
            id_number: p.id_number_masked,
            phone: p.phone_masked,
            address: p.address,
            grid_name: name_of(p.grid_code.clone()).await?,
            grid_code: p.grid_code,
            community_name: name_of(community_code.clone()).await?,
            community_code,
        })
    }

    /// The person a signed-in resident is (for polls, applications: "who is this, really").
    pub async fn resident_person(&self, actor: &Actor) -> Result<Option<PersonRow>> {
        match self.store.person_of_user(actor.user_id).await? {
            Some(id) => Ok(self.store.person(id).await?.filter(lives_here)),
            None => Ok(None),
        }
    }

    /// Writes the account, its resident grant on the person's grid, the tie to the person and the audit record
    /// in one transaction.
    async fn create_resident_account(
        &self,
        actor: &Actor,
        person: &PersonRow,
        username: &str,
        password: &str,
        action: &str,
    ) -> Result<i64> {
        if self.store.user_of_person(person.id).await?.is_some() {
            return Err(AppError::conflict("该居民已开通账号 / this resident already has an account"));
        }
        let hash = hash_password(password).await?;
        let grant = Grant { role: Role::Resident, region_code: person.grid_code.clone(), department_code: None };
        let mut tx = self.store.begin().await?;
        let id = Store::insert_user(&mut tx, username, &person.name, &hash).await.map_err(|e| match e {
            StoreError::Conflict(_) => {
                let mut e = AppError::conflict(format!("用户名已被使用 / username already taken: {username}"));
                e.details = Some(serde_json::json!({ "field": "username" }));
                e
            }
            other => other.into(),
        })?;
        Store::insert_grant(&mut tx, id, &grant).await?;
        // Two sign-ups for one person at once: the unique index lets only one through.
        Store::link_person_tx(&mut tx, id, person.id).await.map_err(|e| match e {
            StoreError::Conflict(_) => AppError::conflict("该居民已开通账号 / this resident already has an account"),
            other => other.into(),
        })?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action,
                object: &format!("user:{username}"),
                reason: Some(&format!("resident@{} person:{}", person.grid_code, person.id)),
                region_code: Some(&person.grid_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(id)
    }
}
