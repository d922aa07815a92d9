//! `sellstream user …`: staff accounts from the command line, e.g. the first admin.

use crate::DbArgs;
use anyhow::{bail, Context};
use clap::Subcommand;
use rand::distr::{Alphanumeric, SampleString};
use sellstream_accounts::{Accounts, NewStaff, Role};
use sellstream_core::PageRequest;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a staff account. Without --password a random one is generated and printed once.
    Create {
        #[arg(long)]
        username: String,
        /// Display name (default: the username).
        #[arg(long)]
        nickname: Option<String>,
        /// Role(s): admin, operator, host, controller, analyst, warehouse. Repeat or comma-separate.
        #[arg(long = "role", value_delimiter = ',', required = true)]
        roles: Vec<String>,
        #[arg(long, env = "SELLSTREAM_NEW_PASSWORD")]
        password: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Set a new password for a staff account and sign it out everywhere. Without --password a
    /// random one is generated and printed once.
    ResetPassword {
        #[arg(long)]
        username: String,
        #[arg(long, env = "SELLSTREAM_NEW_PASSWORD")]
        password: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List staff accounts.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
}

fn password_or_random(p: Option<String>) -> (String, bool) {
    match p {
        Some(p) => (p, false),
        None => (Alphanumeric.sample_string(&mut rand::rng(), 16), true),
    }
}

pub async fn run(cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Create {
            username,
            nickname,
            roles,
            password,
            db,
        } => {
            let roles = roles
                .iter()
                .map(|r| Role::parse(r.trim()).with_context(|| format!("no role `{r}`; use admin, operator, host, controller, analyst or warehouse")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let store = db.open().await?;
            let (password, generated) = password_or_random(password);
            let account = Accounts::new(store.clone())
                .create_staff(NewStaff {
                    nickname: nickname.unwrap_or_else(|| username.clone()),
                    username,
                    password: password.clone(),
                    roles,
                })
                .await?;
            let roles: Vec<&str> = account.roles.iter().map(|r| r.as_str()).collect();
            println!(
                "created staff account {} (id {}) with roles {}",
                account.username.as_deref().unwrap_or_default(),
                account.id,
                roles.join(",")
            );
            if generated {
                println!("password: {password}");
            }
            store.close().await;
        }
        UserCommand::ResetPassword {
            username,
            password,
            db,
        } => {
            let store = db.open().await?;
            let accounts = Accounts::new(store.clone());
            let Some(account) = accounts.find_staff_by_username(&username).await? else {
                bail!("no staff account `{username}`");
            };
            let (password, generated) = password_or_random(password);
            accounts.set_password(account.id, &password).await?;
            println!("password of {username} changed; their sessions ended");
            if generated {
                println!("password: {password}");
            }
            store.close().await;
        }
        UserCommand::List { db } => {
            let store = db.open().await?;
            let accounts = Accounts::new(store.clone());
            let mut page = PageRequest {
                page: Some(1),
                per_page: Some(100),
            };
            loop {
                let p = accounts.list_staff(None, None, page).await?;
                for a in &p.items {
                    let roles: Vec<&str> = a.roles.iter().map(|r| r.as_str()).collect();
                    println!(
                        "{:>5}  {:<20} {:<20} {}{}",
                        a.id,
                        a.username.as_deref().unwrap_or("-"),
                        a.nickname,
                        roles.join(","),
                        if a.disabled { "  (disabled)" } else { "" }
                    );
                }
                if i64::from(p.page) * i64::from(p.per_page) >= p.total {
                    break;
                }
                page.page = Some(p.page + 1);
            }
            store.close().await;
        }
    }
    Ok(())
}
