//! Authentication: who a request comes from, sign-in with throttling and
//! lockout, refresh-token rotation with theft detection, password changes.
//! Authorization rules themselves are the domain's (`domain::Actor`).

pub mod password;
pub mod tokens;

use crate::config::Config;
use crate::domain::{Actor, Catalog, Credentials, Principal, User, UserStatus};
use crate::error::{AppError, AppResult};
use chrono::{Duration, Utc};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use tokens::{JwtKeys, TokenProblem};

/// One message for every failed sign-in, so a caller cannot tell an
/// unknown account from a wrong password or a locked account.
const SIGN_IN_FAILED: &str =
    "sign-in failed: wrong identifier or password, or the account is locked for a while after too many failures";
/// Longest lockout, however many failures.
const MAX_LOCKOUT_SECS: i64 = 3600;
/// Keyed limiters keep one entry per client IP: prune above this many.
const MAX_TRACKED_IPS: usize = 10_000;

/// Tokens handed out at sign-in and refresh.
#[derive(Clone, Debug)]
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    pub user: User,
}

#[derive(Clone)]
pub struct Auth {
    keys: JwtKeys,
    access_ttl_secs: u64,
    refresh_ttl_days: u64,
    max_failures: i64,
    lockout_secs: i64,
    public_read: bool,
    per_ip: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl Auth {
    pub fn new(config: &Config) -> Auth {
        let keys = match &config.jwt_secret {
            Some(secret) => JwtKeys::from_secret(secret.expose().as_bytes()),
            None => {
                tracing::warn!(
                    "ODG_JWT_SECRET is not set: access tokens are signed with a random key and stop working when the server stops"
                );
                JwtKeys::random()
            }
        };
        let per_minute = NonZeroU32::new(config.login_attempts_per_minute).unwrap_or(NonZeroU32::MIN);
        Auth {
            keys,
            access_ttl_secs: config.access_token_ttl_secs,
            refresh_ttl_days: config.refresh_token_ttl_days,
            max_failures: i64::from(config.login_max_failures),
            lockout_secs: config.login_lockout_secs as i64,
            public_read: config.public_read,
            per_ip: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
        }
    }

    /// Whether anonymous clients may read public data.
    pub fn public_read(&self) -> bool {
        self.public_read
    }

    /// The actor behind an `Authorization: Bearer` token (none: anonymous).
    /// A token that is present but not valid is an error, not anonymity, so
    /// a client learns at once that it must refresh or sign in again.
    pub async fn actor(&self, catalog: &Catalog, bearer: Option<&str>) -> AppResult<Actor> {
        let Some(token) = bearer else { return Ok(Actor::Anonymous) };
        let claims = self.keys.verify(token).map_err(|problem| {
            AppError::Unauthenticated(match problem {
                TokenProblem::Expired => {
                    "the access token has expired: refresh it (refreshToken) or sign in again".into()
                }
                TokenProblem::Invalid => "the access token is not valid: sign in again".into(),
            })
        })?;
        let invalid = || AppError::Unauthenticated("the access token is not valid: sign in again".into());
        let user_id = claims.user_id().ok_or_else(invalid)?;
        // The account is read on every request: suspension, deletion, a new
        // password or a new role end the token at once.
        let account = catalog.credentials(user_id).await?.ok_or_else(invalid)?;
        if account.user.fields.status != UserStatus::Active || account.session_epoch != claims.ver {
            return Err(AppError::Unauthenticated(
                "this session has ended (password changed, account suspended or role changed): sign in again".into(),
            ));
        }
        Ok(Actor::User(principal(&account)))
    }

    /// Checks credentials and opens a session.
    pub async fn login(
        &self,
        catalog: &Catalog,
        identifier: &str,
        password: &str,
        ip: Option<IpAddr>,
    ) -> AppResult<Session> {
        if let Some(ip) = ip {
            if self.per_ip.len() > MAX_TRACKED_IPS {
                self.per_ip.retain_recent();
            }
            if self.per_ip.check_key(&throttle_key(ip)).is_err() {
                return Err(AppError::Unauthenticated(
                    "too many sign-in attempts from this address: wait a minute and try again".into(),
                ));
            }
        }
        let failed = || AppError::Unauthenticated(SIGN_IN_FAILED.into());
        let Some(account) = catalog.credentials_by_identifier(identifier).await? else {
            let password = password.to_string();
            let _ = tokio::task::spawn_blocking(move || password::verify_dummy(&password)).await;
            return Err(failed());
        };
        let now = Utc::now();
        if account.locked_until.is_some_and(|until| until > now) {
            let password = password.to_string();
            let _ = tokio::task::spawn_blocking(move || password::verify_dummy(&password)).await;
            return Err(failed());
        }
        if !verify_blocking(password, &account.password_hash).await {
            let attempts = account.failed_attempts + 1;
            let locked_until = (attempts >= self.max_failures).then(|| {
                let doublings = (attempts - self.max_failures).min(16) as u32;
                let secs = self.lockout_secs.saturating_mul(1i64 << doublings).min(MAX_LOCKOUT_SECS);
                now + Duration::seconds(secs)
            });
            catalog.record_login_failure(account.user.id, attempts, locked_until).await?;
            if locked_until.is_some() {
                tracing::warn!(user_id = account.user.id, attempts, "account locked after repeated sign-in failures");
            }
            return Err(failed());
        }
        // A suspended account gets the same answer: a right password is not confirmed.
        if account.user.fields.status != UserStatus::Active {
            return Err(failed());
        }
        catalog.record_login_success(account.user.id).await?;
        let account = catalog.credentials(account.user.id).await?.ok_or_else(failed)?;
        self.open_session(catalog, &account, &tokens::new_family()).await
    }

    /// Exchanges a refresh token for a new pair. A token used twice means
    /// it was copied: every token of its family is revoked.
    pub async fn refresh(&self, catalog: &Catalog, refresh_token: &str) -> AppResult<Session> {
        let refused = |why: &str| AppError::Unauthenticated(format!("{why}: sign in again"));
        let record = catalog
            .refresh_token(&tokens::digest(refresh_token))
            .await?
            .ok_or_else(|| refused("unknown refresh token"))?;
        if record.used_at.is_some() || record.revoked_at.is_some() || !catalog.use_refresh_token(record.id).await? {
            catalog.revoke_refresh_family(&record.family).await?;
            tracing::warn!(user_id = record.user_id, "refresh token reused: its session family is revoked");
            return Err(refused("this refresh token was already used or revoked; its sessions are now closed"));
        }
        if record.expires_at <= Utc::now() {
            return Err(refused("the refresh token has expired"));
        }
        let account =
            catalog.credentials(record.user_id).await?.ok_or_else(|| refused("the account no longer exists"))?;
        if account.user.fields.status != UserStatus::Active {
            catalog.revoke_refresh_family(&record.family).await?;
            return Err(refused("this account is suspended"));
        }
        self.open_session(catalog, &account, &record.family).await
    }

    /// Ends the session of `refresh_token` (must be the caller's), or every
    /// session of the caller when none is given.
    pub async fn logout(&self, catalog: &Catalog, actor: &Actor, refresh_token: Option<&str>) -> AppResult<()> {
        let me = actor.principal()?;
        match refresh_token {
            None => catalog.revoke_refresh_tokens_of(me.user_id).await,
            Some(token) => match catalog.refresh_token(&tokens::digest(token)).await? {
                Some(record) if record.user_id == me.user_id => catalog.revoke_refresh_family(&record.family).await,
                _ => Err(AppError::invalid("refreshToken", "is not a refresh token of this account")),
            },
        }
    }

    /// Changes the caller's password; every other session ends, and a new
    /// one is returned so the caller stays signed in.
    pub async fn change_password(
        &self,
        catalog: &Catalog,
        actor: &Actor,
        current: &str,
        new: &str,
    ) -> AppResult<Session> {
        let me = actor.principal()?;
        let account = catalog.credentials(me.user_id).await?.ok_or_else(AppError::authentication_required)?;
        if !verify_blocking(current, &account.password_hash).await {
            return Err(AppError::invalid("currentPassword", "is not the current password"));
        }
        let hash = self.hash_new_password("newPassword", new, &account.user).await?;
        catalog.set_password(actor, me.user_id, &hash).await?;
        let account = catalog.credentials(me.user_id).await?.ok_or_else(AppError::authentication_required)?;
        self.open_session(catalog, &account, &tokens::new_family()).await
    }

    /// Checks the policy and hashes, off the async threads.
    pub async fn hash_new_password(&self, field: &str, password: &str, user: &User) -> AppResult<String> {
        password::check_policy(field, password, &[&user.fields.username, &user.fields.email])?;
        hash_blocking(password).await
    }

    async fn open_session(&self, catalog: &Catalog, account: &Credentials, family: &str) -> AppResult<Session> {
        let (refresh_token, digest) = tokens::new_refresh_token();
        let expires_at = Utc::now() + Duration::days(self.refresh_ttl_days as i64);
        catalog.store_refresh_token(account.user.id, &digest, family, expires_at).await?;
        let access_token = self.keys.issue(&principal(account), account.session_epoch, self.access_ttl_secs);
        Ok(Session { access_token, refresh_token, expires_in: self.access_ttl_secs, user: account.user.clone() })
    }
}

/// The key of the per-address limiter: the address, or its /64 for IPv6,
/// since one IPv6 client holds a whole /64 and could rotate through it.
fn throttle_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

fn principal(account: &Credentials) -> Principal {
    Principal {
        user_id: account.user.id,
        username: account.user.fields.username.clone(),
        role: account.user.fields.role,
        operator_id: account.user.fields.operator_id,
    }
}

/// argon2 costs tens of milliseconds of CPU: never on an async worker.
async fn verify_blocking(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_string(), hash.to_string());
    tokio::task::spawn_blocking(move || password::verify(&password, &hash)).await.unwrap_or(false)
}

pub async fn hash_blocking(password: &str) -> AppResult<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("password hashing task: {e}")))?
}
