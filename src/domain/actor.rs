//! Who is asking, and what each role may do. The rules live here, in the
//! domain, so every API (GraphQL today, OGC and tiles later) applies the same.

use crate::error::{AppError, AppResult};

stored_enum!(
    /// What an account may do.
    Role { Admin => "ADMIN", Editor => "EDITOR", Operator => "OPERATOR", Partner => "PARTNER" }
);
stored_enum!(
    /// Whether an account may sign in.
    UserStatus { Active => "ACTIVE", Suspended => "SUSPENDED" }
);

/// A signed-in account, as the current request sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub user_id: i64,
    pub username: String,
    pub role: Role,
    /// The company an `operator` account belongs to.
    pub operator_id: Option<i64>,
}

/// The author of a request or of a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// The server itself: start-up seeding, CLI administration.
    System,
    /// No credentials.
    Anonymous,
    User(Principal),
}

impl Actor {
    /// Reading public data: any account, or anyone when public read is on.
    pub fn require_reader(&self, public_read: bool) -> AppResult<()> {
        match self {
            Actor::Anonymous if !public_read => Err(AppError::authentication_required()),
            _ => Ok(()),
        }
    }

    pub fn principal(&self) -> AppResult<&Principal> {
        match self {
            Actor::User(p) => Ok(p),
            _ => Err(AppError::authentication_required()),
        }
    }

    /// User management and the audit log.
    pub fn require_admin(&self) -> AppResult<()> {
        match self {
            Actor::System => Ok(()),
            Actor::Anonymous => Err(AppError::authentication_required()),
            Actor::User(p) if p.role == Role::Admin => Ok(()),
            Actor::User(_) => Err(AppError::Forbidden("only an administrator may do this".into())),
        }
    }

    /// Writing reference data and records without an owning company
    /// (commodities, infrastructure, new operators): admins and editors.
    pub fn require_editor(&self) -> AppResult<()> {
        match self {
            Actor::System => Ok(()),
            Actor::Anonymous => Err(AppError::authentication_required()),
            Actor::User(p) if matches!(p.role, Role::Admin | Role::Editor) => Ok(()),
            Actor::User(_) => Err(AppError::Forbidden("only an administrator or an editor may do this".into())),
        }
    }

    /// Any write at all: checked before the input is even validated, so an
    /// anonymous or read-only caller learns nothing from validation errors.
    pub fn require_writer(&self) -> AppResult<()> {
        match self {
            Actor::System => Ok(()),
            Actor::Anonymous => Err(AppError::authentication_required()),
            Actor::User(p) if p.role == Role::Partner => {
                Err(AppError::Forbidden("a partner account is read-only".into()))
            }
            Actor::User(_) => Ok(()),
        }
    }

    /// Writing a record owned by a company (`operator_id`): admins and
    /// editors always; an `operator` account only for its own company.
    pub fn require_company_writer(&self, owner: Option<i64>) -> AppResult<()> {
        match self {
            Actor::User(p) if p.role == Role::Operator => match (p.operator_id, owner) {
                (Some(mine), Some(theirs)) if mine == theirs => Ok(()),
                _ => Err(AppError::Forbidden("an operator account may only change its own company's records".into())),
            },
            other => other.require_editor(),
        }
    }

    /// The user id and name recorded in the audit log.
    pub fn audit_identity(&self) -> (Option<i64>, Option<String>) {
        match self {
            Actor::User(p) => (Some(p.user_id), Some(p.username.clone())),
            Actor::System => (None, Some("system".into())),
            Actor::Anonymous => (None, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, operator_id: Option<i64>) -> Actor {
        Actor::User(Principal { user_id: 1, username: "u".into(), role, operator_id })
    }

    #[test]
    fn an_operator_writes_only_its_own_company() {
        let op = user(Role::Operator, Some(7));
        assert!(op.require_company_writer(Some(7)).is_ok());
        assert!(matches!(op.require_company_writer(Some(8)), Err(AppError::Forbidden(_))));
        assert!(matches!(op.require_company_writer(None), Err(AppError::Forbidden(_))));
        assert!(matches!(op.require_editor(), Err(AppError::Forbidden(_))));
    }

    #[test]
    fn a_partner_reads_only() {
        let partner = user(Role::Partner, None);
        assert!(partner.require_reader(false).is_ok());
        assert!(partner.require_company_writer(Some(1)).is_err());
        assert!(partner.require_admin().is_err());
    }

    #[test]
    fn anonymous_reads_only_when_public_read_is_on() {
        assert!(Actor::Anonymous.require_reader(true).is_ok());
        assert!(matches!(Actor::Anonymous.require_reader(false), Err(AppError::Unauthenticated(_))));
        assert!(matches!(Actor::Anonymous.require_company_writer(Some(1)), Err(AppError::Unauthenticated(_))));
    }
}
