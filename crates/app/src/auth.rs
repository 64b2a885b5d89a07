//! Passwords (argon2id), sessions and bearer tokens, API keys, throttling of failed logins.

use crate::{App, AppError, Result};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use wangge_domain::scope::Actor;
use wangge_store::audit::NewAudit;
use wangge_store::{Store, now_ms};

pub const MIN_PASSWORD_LEN: usize = 8;

/// A fresh random token: 256 bits, hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// Tokens are stored only as hashes, so a leaked database holds no usable session.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn check_password_rules(field: &str, password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(AppError::field(
            field,
            format!("密码至少 {MIN_PASSWORD_LEN} 位 / at least {MIN_PASSWORD_LEN} characters"),
        ));
    }
    if password.trim().chars().count() < MIN_PASSWORD_LEN {
        return Err(AppError::field(field, "密码不能以空格凑数 / a password cannot be made of spaces"));
    }
    if password.len() > 256 {
        return Err(AppError::field(field, "密码过长 / password is too long"));
    }
    Ok(())
}

/// Hashing is deliberately slow, so it runs off the async threads.
pub async fn hash_password(password: &str) -> Result<String> {
    let pw = password.to_string();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(pw.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|e| AppError::internal(e.to_string()))?
    .map_err(|e| AppError::internal(e.to_string()))
}

async fn verify_password(password: &str, hash: &str) -> bool {
    let (pw, h) = (password.to_string(), hash.to_string());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&h).is_ok_and(|parsed| Argon2::default().verify_password(pw.as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// Failed logins per key (username or client address) within a sliding window.
/// Who is behind a session token, remembered for [`ACTOR_TTL`] so that every API call does not read the
/// session, the user and their grants again (three queries that dominated small requests). A logout or a change
/// of grants in this process takes effect at once; another server process sees it within `ACTOR_TTL`.
#[derive(Default)]
pub struct ActorCache(Mutex<HashMap<String, CachedActor>>);

struct CachedActor {
    actor: Actor,
    csrf: String,
    until: Instant,
    session_expires_ms: i64,
}

pub const ACTOR_TTL: Duration = Duration::from_secs(2);
/// Bounds memory when many distinct tokens arrive (the map is simply emptied).
const ACTOR_CACHE_MAX: usize = 10_000;

impl ActorCache {
    fn get(&self, hash: &str) -> Option<(Actor, String)> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let c = map.get(hash)?;
        (c.until > Instant::now() && c.session_expires_ms > wangge_store::now_ms())
            .then(|| (c.actor.clone(), c.csrf.clone()))
    }

    fn put(&self, hash: String, actor: &Actor, csrf: &str, session_expires_ms: i64) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= ACTOR_CACHE_MAX {
            map.clear();
        }
        let until = Instant::now() + ACTOR_TTL;
        map.insert(hash, CachedActor { actor: actor.clone(), csrf: csrf.into(), until, session_expires_ms });
    }

    fn forget(&self, hash: &str) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(hash);
    }

    /// After a change to users or grants: nobody's cached permissions may outlive it.
    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// The address a rate limit counts: IPv4 as is, IPv6 by its /64 (one household or phone holds a whole /64 and
/// could otherwise rotate through it).
pub fn rate_addr(client: &str) -> String {
    match client.parse::<std::net::Ipv6Addr>() {
        Ok(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        _ => client.chars().take(64).collect(),
    }
}

/// Public posts (reports, photos, ratings) one client address may make per window.
pub const PUBLIC_POSTS_PER_WINDOW: i64 = 30;
pub const PUBLIC_POST_WINDOW_MS: i64 = 600_000;

/// A new session: the token goes to the client once (cookie or bearer), the CSRF token goes into forms.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf: String,
    pub actor: Actor,
}

impl App {
    pub async fn login(&self, username: &str, password: &str, client: &str) -> Result<NewSession> {
        let username = &username.trim().to_ascii_lowercase();
        if username.is_empty() {
            return Err(AppError::field("username", "请输入用户名 / username is required"));
        }
        if password.is_empty() {
            return Err(AppError::field("password", "请输入密码 / password is required"));
        }
        // Keys are bounded: no username is longer than 64 characters, and an IPv6 client counts by its /64.
        let keys =
            [format!("u:{}", username.chars().take(64).collect::<String>()), format!("ip:{}", rate_addr(client))];
        let attempt = self.attempt(&keys, self.config.login_max_failures as i64, self.login_window_ms()).await?;
        let user = self.store.user_by_name(username).await?;
        let ok = match &user {
            Some(u) if !u.disabled => verify_password(password, &u.password_hash).await,
            _ => {
                // Spend the same time as a real check so response time does not reveal which usernames exist.
                let _ = verify_password(password, DUMMY_HASH).await;
                false
            }
        };
        let Some(user) = user.filter(|_| ok) else {
            return Err(AppError::bad_credentials()); // the attempt stays counted
        };
        self.store.rate_forget_attempt(&attempt).await?;
        self.store.rate_clear(&keys[0]).await?;
        self.start_session(user).await
    }

    /// Opens a session for a user who proved who they are (a login, or a resident who just signed up).
    pub(crate) async fn start_session(&self, user: wangge_store::users::UserRow) -> Result<NewSession> {
        let token = random_token();
        let csrf = random_token();
        self.store.insert_session(&token_hash(&token), user.id, &csrf, self.config.session_hours * 3_600_000).await?;
        let actor =
            Actor { user_id: user.id, username: user.username, display_name: user.display_name, grants: user.grants };
        // The login is filed under the user's first region, so district staff see their own people's logins.
        let region = actor.grants.iter().map(|g| g.region_code.as_str()).find(|c| !c.is_empty());
        self.audit_now(&actor, "login", &format!("user:{}", actor.username), None, region).await?;
        Ok(NewSession { token, csrf, actor })
    }

    /// Counts an attempt against `keys` before anything is checked, so a burst of parallel attempts cannot all
    /// pass the limit: 429 (and the attempt not counted) once a key has had `max` attempts within the window.
    /// Answers the attempt's token; a successful attempt is taken back with `store.rate_forget_attempt`. For
    /// logins and public forms that check secrets (a resident proving who they are), and public posts. Counted
    /// in the database, so every node sees the same attempts.
    pub(crate) async fn attempt(&self, keys: &[String], max: i64, window_ms: i64) -> Result<String> {
        let token = random_token();
        let since = now_ms() - window_ms.min(wangge_store::users::RATE_KEEP_MS);
        if self.store.rate_attempt(keys, &token, since).await? > max {
            self.store.rate_forget_attempt(&token).await?;
            return Err(AppError::too_many());
        }
        Ok(token)
    }

    pub(crate) fn login_window_ms(&self) -> i64 {
        self.config.login_window_secs as i64 * 1000
    }

    /// Counts one public post (a report, a photo, a rating) from a client address: 429 after
    /// [`PUBLIC_POSTS_PER_WINDOW`] within [`PUBLIC_POST_WINDOW_MS`].
    pub async fn allow_public_post(&self, client: &str) -> Result<()> {
        let key = [format!("post:{}", rate_addr(client))];
        match self.attempt(&key, PUBLIC_POSTS_PER_WINDOW, PUBLIC_POST_WINDOW_MS).await {
            Ok(_) => Ok(()),
            Err(e) if e.kind == crate::ErrorKind::TooManyRequests => Err(AppError::new(
                crate::ErrorKind::TooManyRequests,
                "提交过于频繁，请稍后再试 / too many posts, try later",
            )),
            Err(e) => Err(e),
        }
    }

    /// The actor behind a session cookie or bearer token, with the session's CSRF token.
    pub async fn actor_for_token(&self, token: &str) -> Result<(Actor, String)> {
        let hash = token_hash(token);
        if let Some(hit) = self.actors.get(&hash) {
            return Ok(hit);
        }
        let s = self.store.session(&hash).await?.ok_or_else(AppError::unauthorized)?;
        let u = self.store.user_by_id(s.user_id).await?.ok_or_else(AppError::unauthorized)?;
        if u.disabled {
            return Err(AppError::unauthorized());
        }
        let actor = Actor { user_id: u.id, username: u.username, display_name: u.display_name, grants: u.grants };
        self.actors.put(hash, &actor, &s.csrf, s.expires_at);
        Ok((actor, s.csrf))
    }

    pub async fn logout(&self, token: &str) -> Result<()> {
        let hash = token_hash(token);
        self.store.delete_session(&hash).await?;
        self.actors.forget(&hash);
        Ok(())
    }

    /// Creates an API key for a client application (Open311 `api_key`); returns the key, shown once.
    pub async fn create_api_key(&self, actor: &Actor, name: &str) -> Result<String> {
        self.authorize_anywhere(actor, wangge_domain::role::Permission::ManageApiKeys)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AppError::field("name", "名称为 1–100 个字 / name must be 1–100 characters"));
        }
        let key = random_token();
        let mut tx = self.store.begin().await?;
        let id = Store::insert_api_key(&mut tx, name, &token_hash(&key)).await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "create",
                object: &format!("api_key:{id}:{name}"),
                reason: None,
                region_code: None,
            },
        )
        .await?;
        tx.commit().await.map_err(wangge_store::StoreError::from)?;
        Ok(key)
    }

    /// Whether an API key is valid; returns the client application's name.
    pub async fn check_api_key(&self, key: &str) -> Result<String> {
        match self.store.api_key(&token_hash(key)).await? {
            Some((_, name)) => Ok(name),
            None => Err(AppError::new(crate::ErrorKind::Unauthorized, "api_key 无效 / invalid api_key")),
        }
    }

    /// Creates the `admin` account on first start. Returns the generated password when none was given.
    pub async fn ensure_admin(&self, password: Option<&str>) -> Result<Option<String>> {
        if self.store.user_by_name("admin").await?.is_some() {
            return Ok(None);
        }
        let (pw, generated) = match password.filter(|p| !p.is_empty()) {
            Some(p) => {
                check_password_rules("WANGGE_ADMIN_PASSWORD", p)?;
                (p.to_string(), false)
            }
            None => (random_password(), true),
        };
        let system = crate::system_actor("setup");
        self.create_user_unchecked(
            &system,
            "admin",
            "系统管理员",
            &pw,
            &[wangge_domain::scope::Grant {
                role: wangge_domain::role::Role::Admin,
                region_code: String::new(),
                department_code: None,
            }],
        )
        .await?;
        Ok(generated.then_some(pw))
    }
}

/// A readable random password (no look-alike characters) for printing once.
pub fn random_password() -> String {
    const CHARS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b.iter().map(|x| CHARS[*x as usize % CHARS.len()] as char).collect()
}

/// A valid argon2id hash of a random string, used to equalise timing for unknown usernames.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Qm1uZ2h2b3V0aW1pbmdlcXVhbGlzZXJoYXNo";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_passwords_are_long_enough() {
        assert!(check_password_rules("p", &random_password()).is_ok());
        assert!(check_password_rules("p", "short").is_err());
    }
}
