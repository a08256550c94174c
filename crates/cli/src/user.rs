//! `recoup user add|list|disable|enable`: the people who sign in. The first admin is made here.

use crate::DbArgs;
use crate::setup::{cli_actor, find_client};
use crate::store;
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use recoup_domain::access::Role;
use std::io::{BufRead, IsTerminal};

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user. The password is read from standard input when it is not a terminal;
    /// otherwise a strong one is generated and printed once.
    Add {
        email: String,
        #[arg(long)]
        name: String,
        /// admin, supervisor, agent, client or auditor.
        #[arg(long)]
        role: String,
        /// For a client user: the client code whose data it may see.
        #[arg(long)]
        client: Option<String>,
    },
    List,
    Disable {
        email: String,
    },
    Enable {
        email: String,
    },
}

pub async fn run(db: &DbArgs, cmd: UserCommand) -> Result<()> {
    let s = store::open(db).await?;
    let tenant = store::tenant(s.as_ref(), &db.tenant).await?;
    match cmd {
        UserCommand::Add { email, name, role, client } => {
            let role = Role::parse(&role).filter(|r| *r != Role::Integrator).with_context(|| format!("{role:?} is not a user role"))?;
            let client_id = match (&client, role) {
                (Some(code), Role::Client) => Some(find_client(s.as_ref(), &tenant, code).await?.id),
                (None, Role::Client) => bail!("a client user needs --client CODE"),
                (Some(_), _) => bail!("--client only goes with --role client"),
                (None, _) => None,
            };
            let (password, generated) = if std::io::stdin().is_terminal() {
                (recoup_server::users::generated_password(), true)
            } else {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                (line.trim_end_matches(['\r', '\n']).to_string(), false)
            };
            let new = recoup_server::users::NewUser { email, name, role, client_id };
            let user = recoup_server::users::add(s.as_ref(), tenant.id, new, password.clone(), &cli_actor()).await?;
            println!("user {} ({}) added to tenant {}", user.email, role.as_str(), tenant.slug);
            if generated {
                println!("password (shown once): {password}");
            }
        }
        UserCommand::List => {
            for u in s.list_users(tenant.id).await? {
                println!("{}\t{}\t{}\t{}", u.email, u.name, u.role.as_str(), if u.disabled { "disabled" } else { "active" });
            }
        }
        UserCommand::Disable { email } => set_disabled(s.as_ref(), &tenant, &email, true).await?,
        UserCommand::Enable { email } => set_disabled(s.as_ref(), &tenant, &email, false).await?,
    }
    Ok(())
}

async fn set_disabled(s: &dyn recoup_store::Store, tenant: &recoup_domain::org::Tenant, email: &str, disabled: bool) -> Result<()> {
    let user = find(s, tenant, email).await?;
    s.set_user_disabled(tenant.id, user.id, disabled, &cli_actor()).await?;
    println!("user {email} {}", if disabled { "disabled; its sessions are ended" } else { "enabled" });
    Ok(())
}

/// The tenant's user with this e-mail address.
pub async fn find(s: &dyn recoup_store::Store, tenant: &recoup_domain::org::Tenant, email: &str) -> Result<recoup_domain::access::User> {
    let user = s.user_by_email(email).await?.map(|(u, _)| u).filter(|u| u.tenant_id == tenant.id);
    user.with_context(|| format!("tenant {} has no user {email}", tenant.slug))
}
