//! Sign-in, sessions, accounts (admin) and the audit log (admin).

use super::common::{self, auth, catalog, connection, parse_id, viewer};
use super::loaders::OperatorsLoader;
use super::reference::{ListTotal, Operator};
use crate::auth::Session;
use crate::domain::{self, AuditFilter, ListParams, UserDraft, UserFilter, UserPatch};
use crate::error::AppError;
use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use std::net::IpAddr;

/// The client address of the request, as the HTTP layer determined it.
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub Option<IpAddr>);

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::Role")]
pub enum Role {
    /// Everything, including accounts and the audit log.
    Admin,
    /// Writes any domain data.
    Editor,
    /// Reads everything; writes only its own company's records.
    Operator,
    /// Reads only.
    Partner,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::UserStatus")]
pub enum UserStatus {
    Active,
    Suspended,
}

/// An account.
pub struct User(pub domain::User);

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn username(&self) -> &str {
        &self.0.fields.username
    }
    async fn email(&self) -> &str {
        &self.0.fields.email
    }
    async fn display_name(&self) -> &str {
        &self.0.fields.display_name
    }
    async fn role(&self) -> Role {
        self.0.fields.role.into()
    }
    async fn status(&self) -> UserStatus {
        self.0.fields.status.into()
    }
    /// The company of an OPERATOR account.
    async fn operator(&self, ctx: &Context<'_>) -> Result<Option<Operator>> {
        let Some(id) = self.0.fields.operator_id else { return Ok(None) };
        Ok(ctx.data_unchecked::<OperatorsLoader>().load_one(id).await?.map(Operator))
    }
    async fn last_login_at(&self) -> Option<DateTime<Utc>> {
        self.0.fields.last_login_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// Tokens of a session. Send `accessToken` as `Authorization: Bearer …`;
/// exchange `refreshToken` (once) for a new pair before `expiresIn` runs out.
#[derive(SimpleObject)]
pub struct AuthPayload {
    pub access_token: String,
    /// Single use: each refresh returns a new one.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    pub user: User,
}

impl From<Session> for AuthPayload {
    fn from(s: Session) -> Self {
        AuthPayload {
            access_token: s.access_token,
            refresh_token: s.refresh_token,
            token_type: "Bearer",
            expires_in: s.expires_in,
            user: User(s.user),
        }
    }
}

/// One recorded change.
pub struct AuditEntry(pub domain::AuditEntry);

#[Object]
impl AuditEntry {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// The account that made the change (null for the server itself).
    async fn user_id(&self) -> Option<ID> {
        self.0.user_id.map(|id| ID(id.to_string()))
    }
    async fn username(&self) -> Option<&str> {
        self.0.username.as_deref()
    }
    /// `deposit`, `exploitation_area`, `infrastructure`, `operator`, `commodity` or `user`.
    async fn entity(&self) -> &str {
        &self.0.entity
    }
    async fn entity_id(&self) -> &str {
        &self.0.entity_id
    }
    /// `CREATE`, `UPDATE`, `DELETE` or `PASSWORD`.
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// API names of the fields that changed.
    async fn changed_fields(&self) -> &[String] {
        &self.0.changed_fields
    }
}

#[derive(InputObject, Default)]
pub struct UserFilterInput {
    /// Part of the username or email.
    pub search: Option<String>,
    pub role: Option<Vec<Role>>,
    pub status: Option<Vec<UserStatus>>,
}

#[derive(InputObject, Default)]
pub struct AuditFilterInput {
    /// e.g. `deposit`.
    pub entity: Option<String>,
    pub entity_id: Option<ID>,
    pub user_id: Option<ID>,
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in account (null when anonymous).
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let domain::Actor::User(me) = viewer(ctx)? else { return Ok(None) };
        let catalog = ctx.data_unchecked::<domain::Catalog>();
        Ok(catalog.user(viewer(ctx)?, me.user_id).await?.map(User))
    }

    /// Accounts, by username (admin).
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<UserFilterInput>,
    ) -> Result<Connection<String, User, ListTotal, EmptyFields>> {
        let (offset, limit) = common::page(ctx, first, after)?;
        let filter = filter.unwrap_or_default();
        let domain_filter = UserFilter {
            roles: filter.role.unwrap_or_default().into_iter().map(Into::into).collect(),
            statuses: filter.status.unwrap_or_default().into_iter().map(Into::into).collect(),
        };
        let params = ListParams {
            search: domain::search_term("filter.search", filter.search)?,
            offset,
            limit: Some(limit),
            ..ListParams::default()
        };
        let page = catalog(ctx)?.users(viewer(ctx)?, &domain_filter, &params).await?;
        let items = page.items.into_iter().map(User).collect();
        Ok(connection(items, offset, page.total, ListTotal { total_count: page.total }))
    }

    /// An account by id (admin, or the account itself).
    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<Option<User>> {
        Ok(catalog(ctx)?.user(viewer(ctx)?, parse_id("id", &id)?).await?.map(User))
    }

    /// Who changed what and when, newest first (admin).
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<AuditFilterInput>,
    ) -> Result<Connection<String, AuditEntry, ListTotal, EmptyFields>> {
        let (offset, limit) = common::page(ctx, first, after)?;
        let filter = filter.unwrap_or_default();
        let domain_filter = AuditFilter {
            entity: filter.entity,
            entity_id: filter.entity_id.map(|id| id.0),
            user_id: filter.user_id.as_ref().map(|id| parse_id("filter.userId", id)).transpose()?,
        };
        let params = ListParams { offset, limit: Some(limit), ..ListParams::default() };
        let page = catalog(ctx)?.audit_entries(viewer(ctx)?, &domain_filter, &params).await?;
        let items = page.items.into_iter().map(AuditEntry).collect();
        Ok(connection(items, offset, page.total, ListTotal { total_count: page.total }))
    }
}

#[derive(InputObject)]
pub struct UserInput {
    pub username: String,
    pub email: String,
    /// The username when absent.
    pub display_name: Option<String>,
    pub role: Role,
    /// Required for, and only for, role OPERATOR.
    pub operator_id: Option<ID>,
    /// At least 12 characters, not a common password.
    pub password: String,
}

/// Fields to change; absent fields keep their value.
#[derive(InputObject, Default)]
pub struct UserPatchInput {
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub operator_id: MaybeUndefined<ID>,
    pub status: Option<UserStatus>,
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Signs in with a username or email and a password.
    async fn login(&self, ctx: &Context<'_>, identifier: String, password: String) -> Result<AuthPayload> {
        let catalog = ctx.data_unchecked::<domain::Catalog>();
        let ip = ctx.data_opt::<ClientIp>().and_then(|ip| ip.0);
        Ok(auth(ctx).login(catalog, &identifier, &password, ip).await?.into())
    }

    /// Exchanges a refresh token (once) for a new pair of tokens.
    async fn refresh_token(&self, ctx: &Context<'_>, refresh_token: String) -> Result<AuthPayload> {
        let catalog = ctx.data_unchecked::<domain::Catalog>();
        Ok(auth(ctx).refresh(catalog, &refresh_token).await?.into())
    }

    /// Ends the session of `refreshToken`, or every session of the caller when absent.
    async fn logout(&self, ctx: &Context<'_>, refresh_token: Option<String>) -> Result<bool> {
        let catalog = ctx.data_unchecked::<domain::Catalog>();
        auth(ctx).logout(catalog, viewer(ctx)?, refresh_token.as_deref()).await?;
        Ok(true)
    }

    /// Changes the caller's password; other sessions end, a new one is returned.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> Result<AuthPayload> {
        let catalog = ctx.data_unchecked::<domain::Catalog>();
        Ok(auth(ctx).change_password(catalog, viewer(ctx)?, &current_password, &new_password).await?.into())
    }

    /// Creates an account (admin).
    async fn create_user(&self, ctx: &Context<'_>, input: UserInput) -> Result<User> {
        let catalog = catalog(ctx)?;
        viewer(ctx)?.require_admin()?;
        let operator_id = input.operator_id.as_ref().map(|id| parse_id("input.operatorId", id)).transpose()?;
        let probe = domain::Stored {
            id: 0,
            fields: domain::UserFields {
                username: input.username.clone(),
                email: input.email.clone(),
                display_name: String::new(),
                role: input.role.into(),
                status: domain::UserStatus::Active,
                operator_id,
                last_login_at: None,
            },
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let password_hash =
            auth(ctx).hash_new_password("password", &input.password, &probe).await.map_err(|e| e.under("input"))?;
        let draft = UserDraft {
            username: input.username,
            email: input.email,
            display_name: input.display_name,
            role: input.role.into(),
            operator_id,
            password_hash,
        };
        Ok(User(catalog.create_user(viewer(ctx)?, draft).await.map_err(|e| e.under("input"))?))
    }

    /// Changes an account (admin); a new role or status ends its sessions.
    async fn update_user(&self, ctx: &Context<'_>, id: ID, input: UserPatchInput) -> Result<User> {
        let id = parse_id("id", &id)?;
        let operator_id = match input.operator_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(v) => Some(Some(parse_id("input.operatorId", &v)?)),
        };
        let patch = UserPatch {
            email: input.email,
            display_name: input.display_name,
            role: input.role.map(Into::into),
            operator_id,
            status: input.status.map(Into::into),
        };
        Ok(User(catalog(ctx)?.update_user(viewer(ctx)?, id, patch).await.map_err(|e| e.under("input"))?))
    }

    /// Suspends an account (admin): it can no longer sign in, and its sessions end.
    async fn suspend_user(&self, ctx: &Context<'_>, id: ID) -> Result<User> {
        let patch = UserPatch { status: Some(domain::UserStatus::Suspended), ..UserPatch::default() };
        Ok(User(catalog(ctx)?.update_user(viewer(ctx)?, parse_id("id", &id)?, patch).await?))
    }

    /// Deletes an account (admin); returns its id.
    async fn delete_user(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        catalog(ctx)?.delete_user(viewer(ctx)?, parse_id("id", &id)?).await?;
        Ok(id)
    }

    /// Sets a new password for an account (admin); its sessions end and any lockout is lifted.
    async fn reset_user_password(&self, ctx: &Context<'_>, id: ID, new_password: String) -> Result<bool> {
        let catalog = catalog(ctx)?;
        viewer(ctx)?.require_admin()?;
        let id = parse_id("id", &id)?;
        let user = catalog.user(viewer(ctx)?, id).await?.ok_or_else(|| AppError::not_found("user", id))?;
        let hash = auth(ctx).hash_new_password("newPassword", &new_password, &user).await?;
        catalog.set_password(viewer(ctx)?, id, &hash).await?;
        Ok(true)
    }
}
