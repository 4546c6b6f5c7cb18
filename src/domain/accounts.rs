//! Accounts and the audit log. Credentials are checked by `crate::auth`;
//! the domain stores their results (hashes, counters, token digests) and
//! decides who may manage accounts.

use super::actor::{Actor, Role, UserStatus};
use super::validate;
use super::{Catalog, ListParams, Page, Stored};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};

pub type User = Stored<UserFields>;

#[derive(Clone, Debug, PartialEq)]
pub struct UserFields {
    pub username: String,
    /// Lower-cased.
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub status: UserStatus,
    /// The company of an `OPERATOR` account.
    pub operator_id: Option<i64>,
    pub last_login_at: Option<DateTime<Utc>>,
}

/// What sign-in needs besides the public fields; never leaves the server.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub user: User,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Raised on password change, suspension and role change: access tokens
    /// issued before carry the old value and are refused.
    pub session_epoch: i64,
    pub failed_attempts: i64,
    pub locked_until: Option<DateTime<Utc>>,
}

/// A new account as an administrator (or the CLI) sends it.
#[derive(Clone, Debug)]
pub struct UserDraft {
    pub username: String,
    pub email: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub operator_id: Option<i64>,
    /// Already hashed by `crate::auth`: the domain never sees a password.
    pub password_hash: String,
}

/// Changes to an account; `None` keeps the value.
#[derive(Clone, Debug, Default)]
pub struct UserPatch {
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub operator_id: Option<Option<i64>>,
    pub status: Option<UserStatus>,
}

/// A stored refresh token (its digest, never the token).
#[derive(Clone, Debug)]
pub struct RefreshTokenRecord {
    pub id: i64,
    pub user_id: i64,
    pub family: String,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// One change, as the audit log keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    /// `deposit`, `exploitation_area`, `infrastructure`, `operator`, `commodity`, `user`.
    pub entity: String,
    pub entity_id: String,
    /// `CREATE`, `UPDATE`, `DELETE`, `PASSWORD`.
    pub action: String,
    /// API names of the fields that changed.
    pub changed_fields: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub user_id: Option<i64>,
}

#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    pub roles: Vec<Role>,
    pub statuses: Vec<UserStatus>,
}

/// Usernames are kept in lower case: `Marie.Nguema` and `marie.nguema` are one account.
fn validate_username(value: &str) -> AppResult<String> {
    let v = value.trim().to_lowercase();
    let ok = (3..=64).contains(&v.len())
        && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && !v.contains('@');
    if !ok {
        return Err(AppError::invalid("username", "must be 3 to 64 letters, digits, '.', '_' or '-'"));
    }
    Ok(v)
}

fn validate_email(value: &str) -> AppResult<String> {
    let v = value.trim().to_lowercase();
    let valid = v.len() <= 254
        && !v.contains(char::is_whitespace)
        && v.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        });
    if !valid {
        return Err(AppError::invalid("email", "is not an email address"));
    }
    Ok(v)
}

impl Catalog {
    async fn check_role_company(&self, role: Role, operator_id: Option<i64>) -> AppResult<()> {
        match (role, operator_id) {
            (Role::Operator, None) => Err(AppError::invalid("operatorId", "an OPERATOR account needs its company")),
            (Role::Operator, Some(id)) => {
                if self.store.operator(id).await?.is_none() {
                    return Err(AppError::invalid("operatorId", format!("operator {id} does not exist")));
                }
                Ok(())
            }
            (_, Some(_)) => Err(AppError::invalid("operatorId", "only an OPERATOR account belongs to a company")),
            (_, None) => Ok(()),
        }
    }

    pub async fn users(&self, actor: &Actor, filter: &UserFilter, params: &ListParams) -> AppResult<Page<User>> {
        actor.require_admin()?;
        Ok(self.store.list_users(filter, params).await?)
    }

    pub async fn user(&self, actor: &Actor, id: i64) -> AppResult<Option<User>> {
        let own = matches!(actor, Actor::User(p) if p.user_id == id);
        if !own {
            actor.require_admin()?;
        }
        Ok(self.store.credentials(id).await?.map(|c| c.user))
    }

    pub async fn create_user(&self, actor: &Actor, draft: UserDraft) -> AppResult<User> {
        actor.require_admin()?;
        let username = validate_username(&draft.username)?;
        let email = validate_email(&draft.email)?;
        let display_name = match validate::optional_text("displayName", draft.display_name, 200)? {
            Some(name) => name,
            None => username.clone(),
        };
        self.check_role_company(draft.role, draft.operator_id).await?;
        if self.store.credentials_by_identifier(&username).await?.is_some()
            || self.store.credentials_by_identifier(&email).await?.is_some()
        {
            return Err(AppError::Conflict("an account with this username or email already exists".into()));
        }
        let fields = UserFields {
            username,
            email,
            display_name,
            role: draft.role,
            status: UserStatus::Active,
            operator_id: draft.operator_id,
            last_login_at: None,
        };
        let user = self.store.insert_user(&fields, &draft.password_hash).await?;
        let mut changed = vec!["username", "email", "displayName", "role"];
        if user.fields.operator_id.is_some() {
            changed.push("operatorId");
        }
        self.audit(actor, "user", user.id, "CREATE", &changed).await?;
        Ok(user)
    }

    pub async fn update_user(&self, actor: &Actor, id: i64, patch: UserPatch) -> AppResult<User> {
        actor.require_admin()?;
        let current = self.store.credentials(id).await?.ok_or_else(|| AppError::not_found("user", id))?;
        let old = current.user.fields;
        let mut new = old.clone();
        if let Some(email) = patch.email {
            new.email = validate_email(&email)?;
        }
        if let Some(name) = patch.display_name {
            new.display_name = validate::required_text("displayName", &name, 200)?;
        }
        if let Some(role) = patch.role {
            new.role = role;
        }
        if let Some(operator_id) = patch.operator_id {
            new.operator_id = operator_id;
        }
        if let Some(status) = patch.status {
            new.status = status;
        }
        self.check_role_company(new.role, new.operator_id).await?;
        if let Actor::User(me) = actor
            && me.user_id == id
            && (new.role != Role::Admin || new.status != UserStatus::Active)
        {
            return Err(AppError::Forbidden("an administrator cannot demote or suspend their own account".into()));
        }
        if new.email != old.email
            && let Some(other) = self.store.credentials_by_identifier(&new.email).await?
            && other.user.id != id
        {
            return Err(AppError::Conflict("another account already uses this email".into()));
        }
        // A new role or a suspension ends every session at once.
        let end_sessions = new.role != old.role || new.operator_id != old.operator_id || new.status != old.status;
        let user =
            self.store.update_user(id, &new, end_sessions).await?.ok_or_else(|| AppError::not_found("user", id))?;
        let mut changed = Vec::new();
        for (name, differs) in [
            ("email", new.email != old.email),
            ("displayName", new.display_name != old.display_name),
            ("role", new.role != old.role),
            ("operatorId", new.operator_id != old.operator_id),
            ("status", new.status != old.status),
        ] {
            if differs {
                changed.push(name);
            }
        }
        if !changed.is_empty() {
            self.audit(actor, "user", id, "UPDATE", &changed).await?;
        }
        Ok(user)
    }

    pub async fn delete_user(&self, actor: &Actor, id: i64) -> AppResult<()> {
        actor.require_admin()?;
        if matches!(actor, Actor::User(me) if me.user_id == id) {
            return Err(AppError::Forbidden("an administrator cannot delete their own account".into()));
        }
        if !self.store.delete_user(id).await? {
            return Err(AppError::not_found("user", id));
        }
        self.audit(actor, "user", id, "DELETE", &[]).await
    }

    /// Sets a new password hash, ends every session of the account, and
    /// lifts any lockout. Admins may reset anyone's; users change their own.
    pub async fn set_password(&self, actor: &Actor, id: i64, password_hash: &str) -> AppResult<()> {
        if !matches!(actor, Actor::User(me) if me.user_id == id) {
            actor.require_admin()?;
        }
        if !self.store.set_password(id, password_hash).await? {
            return Err(AppError::not_found("user", id));
        }
        self.audit(actor, "user", id, "PASSWORD", &["password"]).await
    }

    /// An account by username or email (case-insensitive), for sign-in.
    pub async fn credentials_by_identifier(&self, identifier: &str) -> AppResult<Option<Credentials>> {
        Ok(self.store.credentials_by_identifier(identifier.trim()).await?)
    }

    pub async fn credentials(&self, id: i64) -> AppResult<Option<Credentials>> {
        Ok(self.store.credentials(id).await?)
    }

    pub async fn record_login_failure(
        &self,
        id: i64,
        attempts: i64,
        locked_until: Option<DateTime<Utc>>,
    ) -> AppResult<()> {
        Ok(self.store.record_login_failure(id, attempts, locked_until).await?)
    }

    pub async fn record_login_success(&self, id: i64) -> AppResult<()> {
        Ok(self.store.record_login_success(id).await?)
    }

    pub async fn store_refresh_token(
        &self,
        user_id: i64,
        token_hash: &str,
        family: &str,
        expires_at: DateTime<Utc>,
    ) -> AppResult<()> {
        Ok(self.store.insert_refresh_token(user_id, token_hash, family, expires_at).await?)
    }

    pub async fn refresh_token(&self, token_hash: &str) -> AppResult<Option<RefreshTokenRecord>> {
        Ok(self.store.refresh_token(token_hash).await?)
    }

    /// Marks a refresh token used; `false` if it already was (a concurrent
    /// or replayed use), which the caller treats as theft.
    pub async fn use_refresh_token(&self, id: i64) -> AppResult<bool> {
        Ok(self.store.use_refresh_token(id).await?)
    }

    pub async fn revoke_refresh_family(&self, family: &str) -> AppResult<()> {
        Ok(self.store.revoke_refresh_family(family).await?)
    }

    pub async fn revoke_refresh_tokens_of(&self, user_id: i64) -> AppResult<()> {
        Ok(self.store.revoke_refresh_tokens_of(user_id).await?)
    }

    pub async fn audit_entries(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
        params: &ListParams,
    ) -> AppResult<Page<AuditEntry>> {
        actor.require_admin()?;
        Ok(self.store.list_audit(filter, params).await?)
    }

    /// Records one change in the audit log.
    pub(super) async fn audit(
        &self,
        actor: &Actor,
        entity: &str,
        id: i64,
        action: &str,
        changed: &[&str],
    ) -> AppResult<()> {
        let (user_id, username) = actor.audit_identity();
        Ok(self.store.insert_audit(user_id, username.as_deref(), entity, &id.to_string(), action, changed).await?)
    }
}
