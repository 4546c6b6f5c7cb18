//! Accounts, refresh-token digests and the audit log.

use super::Store;
use super::error::{StorageError, StorageResult};
use super::reference::now;
use crate::domain::{
    AuditEntry, AuditFilter, Credentials, ListParams, Page, RefreshTokenRecord, Role, Stored, User, UserFields,
    UserFilter, UserStatus,
};
use chrono::{DateTime, Utc};
use entity::{app_user, audit_entry, refresh_token};
use sea_orm::ActiveValue::{NotSet, Set, Unchanged};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

fn credentials_from(m: app_user::Model) -> StorageResult<Credentials> {
    let corrupt = |column: &'static str, value: &str| StorageError::Corrupt {
        table: "app_user",
        column,
        id: m.id,
        reason: format!("unknown value {value:?}"),
    };
    let role = Role::parse(&m.role).ok_or_else(|| corrupt("role", &m.role))?;
    let status = UserStatus::parse(&m.status).ok_or_else(|| corrupt("status", &m.status))?;
    Ok(Credentials {
        user: Stored {
            id: m.id,
            fields: UserFields {
                username: m.username,
                email: m.email,
                display_name: m.display_name,
                role,
                status,
                operator_id: m.operator_id,
                last_login_at: m.last_login_at,
            },
            created_at: m.created_at,
            updated_at: m.updated_at,
        },
        password_hash: m.password_hash,
        session_epoch: m.session_epoch,
        failed_attempts: m.failed_attempts,
        locked_until: m.locked_until,
    })
}

fn user_columns(f: &UserFields, m: &mut app_user::ActiveModel) {
    m.username = Set(f.username.clone());
    m.email = Set(f.email.to_lowercase());
    m.display_name = Set(f.display_name.clone());
    m.role = Set(f.role.as_str().to_string());
    m.status = Set(f.status.as_str().to_string());
    m.operator_id = Set(f.operator_id);
}

impl Store {
    pub async fn list_users(&self, filter: &UserFilter, params: &ListParams) -> StorageResult<Page<User>> {
        let mut condition = Condition::all();
        if !filter.roles.is_empty() {
            condition = condition.add(app_user::Column::Role.is_in(filter.roles.iter().map(|r| r.as_str())));
        }
        if !filter.statuses.is_empty() {
            condition = condition.add(app_user::Column::Status.is_in(filter.statuses.iter().map(|s| s.as_str())));
        }
        if let Some(term) = params.search.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let pattern = super::text::like_pattern(term);
            let like = || LikeExpr::new(pattern.clone()).escape('\\');
            condition = condition.add(
                Condition::any()
                    .add(Expr::expr(Func::lower(Expr::col(app_user::Column::Username))).like(like()))
                    .add(app_user::Column::Email.like(like())),
            );
        }
        let select = app_user::Entity::find().filter(condition);
        let total = select.clone().count(&self.db).await?;
        let select = super::list::paged(select.order_by_asc(app_user::Column::Username), params);
        let items = select.all(&self.db).await?.into_iter().map(|m| credentials_from(m).map(|c| c.user));
        Ok(Page { items: items.collect::<StorageResult<_>>()?, total })
    }

    pub async fn credentials(&self, id: i64) -> StorageResult<Option<Credentials>> {
        app_user::Entity::find_by_id(id).one(&self.db).await?.map(credentials_from).transpose()
    }

    /// By username (exact) or email (case-insensitive).
    pub async fn credentials_by_identifier(&self, identifier: &str) -> StorageResult<Option<Credentials>> {
        let found = app_user::Entity::find()
            .filter(
                Condition::any()
                    .add(app_user::Column::Username.eq(identifier.to_lowercase()))
                    .add(app_user::Column::Email.eq(identifier.to_lowercase())),
            )
            .one(&self.db)
            .await?;
        found.map(credentials_from).transpose()
    }

    pub async fn insert_user(&self, fields: &UserFields, password_hash: &str) -> StorageResult<User> {
        let now = now();
        let mut m = app_user::ActiveModel {
            id: NotSet,
            password_hash: Set(password_hash.to_string()),
            session_epoch: Set(0),
            last_login_at: Set(None),
            failed_attempts: Set(0),
            locked_until: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        user_columns(fields, &mut m);
        Ok(credentials_from(self.write(async |txn| m.insert(txn).await).await?)?.user)
    }

    /// Saves the fields; with `end_sessions`, raises the session epoch and
    /// revokes every refresh token of the account in the same transaction.
    pub async fn update_user(&self, id: i64, fields: &UserFields, end_sessions: bool) -> StorageResult<Option<User>> {
        let txn = super::begin_write(&self.db).await?;
        let Some(current) = app_user::Entity::find_by_id(id).one(&txn).await? else {
            return Ok(None);
        };
        let mut m = app_user::ActiveModel { id: Unchanged(id), updated_at: Set(now()), ..Default::default() };
        user_columns(fields, &mut m);
        if end_sessions {
            m.session_epoch = Set(current.session_epoch + 1);
            revoke_where(&txn, refresh_token::Column::UserId.eq(id)).await?;
        }
        let saved = m.update(&txn).await?;
        txn.commit().await?;
        Ok(Some(credentials_from(saved)?.user))
    }

    pub async fn delete_user(&self, id: i64) -> StorageResult<bool> {
        Ok(app_user::Entity::delete_by_id(id).exec(&self.db).await?.rows_affected > 0)
    }

    /// New hash, new session epoch, no lockout, every refresh token revoked.
    pub async fn set_password(&self, id: i64, password_hash: &str) -> StorageResult<bool> {
        let txn = super::begin_write(&self.db).await?;
        let done = app_user::Entity::update_many()
            .col_expr(app_user::Column::PasswordHash, Expr::value(password_hash))
            .col_expr(app_user::Column::SessionEpoch, Expr::col(app_user::Column::SessionEpoch).add(1))
            .col_expr(app_user::Column::FailedAttempts, Expr::value(0))
            .col_expr(app_user::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(app_user::Column::UpdatedAt, Expr::value(now()))
            .filter(app_user::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        revoke_where(&txn, refresh_token::Column::UserId.eq(id)).await?;
        txn.commit().await?;
        Ok(done.rows_affected > 0)
    }

    pub async fn record_login_failure(
        &self,
        id: i64,
        attempts: i64,
        locked_until: Option<DateTime<Utc>>,
    ) -> StorageResult<()> {
        app_user::Entity::update_many()
            .col_expr(app_user::Column::FailedAttempts, Expr::value(attempts))
            .col_expr(app_user::Column::LockedUntil, Expr::value(locked_until))
            .filter(app_user::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    pub async fn record_login_success(&self, id: i64) -> StorageResult<()> {
        app_user::Entity::update_many()
            .col_expr(app_user::Column::FailedAttempts, Expr::value(0))
            .col_expr(app_user::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(app_user::Column::LastLoginAt, Expr::value(Some(now())))
            .filter(app_user::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    pub async fn insert_refresh_token(
        &self,
        user_id: i64,
        token_hash: &str,
        family: &str,
        expires_at: DateTime<Utc>,
    ) -> StorageResult<()> {
        let m = refresh_token::ActiveModel {
            id: NotSet,
            user_id: Set(user_id),
            token_hash: Set(token_hash.to_string()),
            family: Set(family.to_string()),
            expires_at: Set(expires_at),
            used_at: Set(None),
            revoked_at: Set(None),
            created_at: Set(now()),
        };
        self.write(async |txn| m.insert(txn).await).await?;
        Ok(())
    }

    pub async fn refresh_token(&self, token_hash: &str) -> StorageResult<Option<RefreshTokenRecord>> {
        let found =
            refresh_token::Entity::find().filter(refresh_token::Column::TokenHash.eq(token_hash)).one(&self.db).await?;
        Ok(found.map(|m| RefreshTokenRecord {
            id: m.id,
            user_id: m.user_id,
            family: m.family,
            expires_at: m.expires_at,
            used_at: m.used_at,
            revoked_at: m.revoked_at,
        }))
    }

    /// Marks the token used unless it already was; one conditional UPDATE,
    /// so two concurrent uses cannot both succeed.
    pub async fn use_refresh_token(&self, id: i64) -> StorageResult<bool> {
        let done = refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::UsedAt, Expr::value(Some(now())))
            .filter(refresh_token::Column::Id.eq(id))
            .filter(refresh_token::Column::UsedAt.is_null())
            .filter(refresh_token::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected == 1)
    }

    pub async fn revoke_refresh_family(&self, family: &str) -> StorageResult<()> {
        revoke_where(&self.db, refresh_token::Column::Family.eq(family)).await
    }

    pub async fn revoke_refresh_tokens_of(&self, user_id: i64) -> StorageResult<()> {
        revoke_where(&self.db, refresh_token::Column::UserId.eq(user_id)).await
    }

    pub async fn insert_audit(
        &self,
        user_id: Option<i64>,
        username: Option<&str>,
        entity: &str,
        entity_id: &str,
        action: &str,
        changed: &[&str],
    ) -> StorageResult<()> {
        let m = audit_entry::ActiveModel {
            id: NotSet,
            at: Set(now()),
            user_id: Set(user_id),
            username: Set(username.map(String::from)),
            entity: Set(entity.to_string()),
            entity_id: Set(entity_id.to_string()),
            action: Set(action.to_string()),
            changed_fields: Set(serde_json::json!(changed)),
        };
        self.write(async |txn| m.insert(txn).await).await?;
        Ok(())
    }

    /// Newest first.
    pub async fn list_audit(&self, filter: &AuditFilter, params: &ListParams) -> StorageResult<Page<AuditEntry>> {
        let mut condition = Condition::all();
        if let Some(entity) = &filter.entity {
            condition = condition.add(audit_entry::Column::Entity.eq(entity.as_str()));
        }
        if let Some(id) = &filter.entity_id {
            condition = condition.add(audit_entry::Column::EntityId.eq(id.as_str()));
        }
        if let Some(user_id) = filter.user_id {
            condition = condition.add(audit_entry::Column::UserId.eq(user_id));
        }
        let select = audit_entry::Entity::find().filter(condition);
        let total = select.clone().count(&self.db).await?;
        let select = super::list::paged(select.order_by_desc(audit_entry::Column::Id), params);
        let items = select
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| AuditEntry {
                id: m.id,
                at: m.at,
                user_id: m.user_id,
                username: m.username,
                entity: m.entity,
                entity_id: m.entity_id,
                action: m.action,
                changed_fields: serde_json::from_value(m.changed_fields).unwrap_or_default(),
            })
            .collect();
        Ok(Page { items, total })
    }
}

async fn revoke_where(
    db: &impl sea_orm::ConnectionTrait,
    condition: impl sea_orm::sea_query::IntoCondition,
) -> StorageResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Some(now())))
        .filter(condition)
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await
        .map_err(|e: DbErr| StorageError::from(e))?;
    Ok(())
}
