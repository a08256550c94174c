//! `recoup apikey add|list|revoke`: credentials for integrations. The key is printed once.

use crate::DbArgs;
use crate::setup::{cli_actor, find_client};
use crate::store;
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use recoup_domain::access::Role;
use uuid::Uuid;

#[derive(Subcommand)]
pub enum ApiKeyCommand {
    /// Issue a key; it is shown once and stored only as a digest.
    Add {
        name: String,
        /// admin, supervisor, agent, client, auditor or integrator.
        #[arg(long, default_value = "integrator")]
        role: String,
        /// For a client-role key: the client code whose data it may see.
        #[arg(long)]
        client: Option<String>,
    },
    List,
    Revoke {
        id: Uuid,
    },
}

pub async fn run(db: &DbArgs, cmd: ApiKeyCommand) -> Result<()> {
    let s = store::open(db).await?;
    let tenant = store::tenant(s.as_ref(), &db.tenant).await?;
    match cmd {
        ApiKeyCommand::Add { name, role, client } => {
            let role = Role::parse(&role).with_context(|| format!("unknown role {role:?}"))?;
            let client_id = match (&client, role) {
                (Some(code), Role::Client) => Some(find_client(s.as_ref(), &tenant, code).await?.id),
                (None, Role::Client) => bail!("a client-role key needs --client CODE"),
                (Some(_), _) => bail!("--client only goes with --role client"),
                (None, _) => None,
            };
            let (key, text) = recoup_server::keys::issue(s.as_ref(), tenant.id, &name, role, client_id, &cli_actor()).await?;
            eprintln!(
                "API key {} ({}, role {}) for tenant {}; keep it now, it is not shown again:",
                key.id,
                key.name,
                role.as_str(),
                tenant.slug
            );
            println!("{text}");
        }
        ApiKeyCommand::List => {
            for k in s.list_api_keys(tenant.id).await? {
                let state = if k.is_active() { "active" } else { "revoked" };
                println!("{}\trk_{}_…\t{}\t{}\t{state}", k.id, k.prefix, k.name, k.role.as_str());
            }
        }
        ApiKeyCommand::Revoke { id } => {
            let k = s.revoke_api_key(tenant.id, id, &cli_actor()).await?;
            println!("API key {} ({}) revoked", k.id, k.name);
        }
    }
    Ok(())
}
