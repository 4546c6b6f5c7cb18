//! `odg user create | reset-password | list`.

use crate::app;
use crate::auth::{self, password};
use crate::config::Config;
use crate::domain::{Actor, Catalog, ListParams, Role, UserDraft, UserFilter};
use anyhow::{Context, bail};
use clap::{Subcommand, ValueEnum};
use std::io::{BufRead, IsTerminal};

#[derive(Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Admin,
    Editor,
    Operator,
    Partner,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Admin => Role::Admin,
            RoleArg::Editor => Role::Editor,
            RoleArg::Operator => Role::Operator,
            RoleArg::Partner => Role::Partner,
        }
    }
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account; the password is asked twice (or read as two lines from stdin).
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        display_name: Option<String>,
        /// Make it an administrator (the same as --role admin).
        #[arg(long)]
        admin: bool,
        #[arg(long, value_enum, default_value = "partner")]
        role: RoleArg,
        /// Company slug, for --role operator.
        #[arg(long)]
        operator: Option<String>,
    },
    /// Set a new password (asked twice); ends the account's sessions and lifts a lockout.
    ResetPassword {
        /// Username or email.
        #[arg(long)]
        username: String,
    },
    /// List accounts.
    List,
}

pub async fn run(config: &Config, command: UserCommand) -> anyhow::Result<()> {
    let catalog = Catalog::new(app::open_store(config).await?);
    let system = Actor::System;
    match command {
        UserCommand::Create { username, email, display_name, admin, role, operator } => {
            let role = if admin { Role::Admin } else { Role::from(role) };
            let operator_id = match operator {
                None => None,
                Some(slug) => Some(
                    catalog
                        .operator_by_slug(&slug)
                        .await
                        .map_err(|e| e.into_anyhow())?
                        .with_context(|| format!("no operator has the slug {slug:?}"))?
                        .id,
                ),
            };
            let password = read_new_password(&[&username, &email])?;
            let draft = UserDraft {
                username,
                email,
                display_name,
                role,
                operator_id,
                password_hash: auth::hash_blocking(&password).await.map_err(|e| e.into_anyhow())?,
            };
            let user = catalog.create_user(&system, draft).await.map_err(|e| e.into_anyhow())?;
            println!(
                "created {} ({}) with role {}",
                user.fields.username,
                user.fields.email,
                user.fields.role.as_str()
            );
        }
        UserCommand::ResetPassword { username } => {
            let account = catalog
                .credentials_by_identifier(&username)
                .await
                .map_err(|e| e.into_anyhow())?
                .with_context(|| format!("no account {username:?}"))?;
            let f = &account.user.fields;
            let password = read_new_password(&[&f.username, &f.email])?;
            let hash = auth::hash_blocking(&password).await.map_err(|e| e.into_anyhow())?;
            catalog.set_password(&system, account.user.id, &hash).await.map_err(|e| e.into_anyhow())?;
            println!("password of {} changed; its sessions are closed", f.username);
        }
        UserCommand::List => {
            let all = ListParams { limit: None, ..ListParams::default() };
            let page = catalog.users(&system, &UserFilter::default(), &all).await.map_err(|e| e.into_anyhow())?;
            println!("{:<6} {:<20} {:<32} {:<9} {:<10} LAST LOGIN", "ID", "USERNAME", "EMAIL", "ROLE", "STATUS");
            for u in page.items {
                let f = u.fields;
                let last = f.last_login_at.map(|t| t.to_rfc3339()).unwrap_or_else(|| "never".into());
                println!(
                    "{:<6} {:<20} {:<32} {:<9} {:<10} {last}",
                    u.id,
                    f.username,
                    f.email,
                    f.role.as_str(),
                    f.status.as_str()
                );
            }
        }
    }
    Ok(())
}

/// A new password, typed twice without echo on a terminal, or read as two
/// lines from stdin (scripts); checked against the password policy.
fn read_new_password(personal: &[&str]) -> anyhow::Result<String> {
    let (first, second) = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("New password: ")?;
        let second = rpassword::prompt_password("Repeat it: ")?;
        (first, second)
    } else {
        let mut lines = std::io::stdin().lock().lines();
        let first = lines.next().transpose()?.unwrap_or_default();
        // A script may give the password once.
        let second = lines.next().transpose()?.unwrap_or_else(|| first.clone());
        (first, second)
    };
    if first != second {
        bail!("the two passwords differ");
    }
    password::check_policy("password", &first, personal).map_err(|e| e.into_anyhow())?;
    Ok(first)
}
