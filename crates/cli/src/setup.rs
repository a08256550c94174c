//! `recoup tenant|client|portfolio add|list`: the set-up an import needs.

use crate::DbArgs;
use crate::store;
use anyhow::{Context, Result};
use clap::Subcommand;
use recoup_domain::ledger::{Component, Waterfall};
use recoup_domain::money::Currency;
use recoup_domain::org::{Client, Portfolio, Tenant};
use recoup_store::Actor;
use rust_decimal::Decimal;
use uuid::Uuid;

#[derive(Subcommand)]
pub enum TenantCommand {
    Add {
        slug: String,
        #[arg(long)]
        name: String,
    },
    List,
}

#[derive(Subcommand)]
pub enum ClientCommand {
    /// Add a client (a creditor placing accounts).
    Add {
        /// Short code, unique in the tenant (e.g. LSB).
        code: String,
        #[arg(long)]
        name: String,
        /// Contingency commission as a fraction: 0.25 for 25 %.
        #[arg(long, default_value = "0")]
        commission: String,
        #[arg(long, default_value = "USD")]
        currency: String,
        /// Payment allocation order, e.g. fees,costs,interest,principal (the default).
        #[arg(long)]
        waterfall: Option<String>,
    },
    List,
}

#[derive(Subcommand)]
pub enum PortfolioCommand {
    Add {
        code: String,
        #[arg(long)]
        client: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        product: Option<String>,
    },
    List {
        #[arg(long)]
        client: String,
    },
}

pub fn cli_actor() -> Actor {
    Actor::new(format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into())))
}

pub async fn tenant(db: &DbArgs, cmd: TenantCommand) -> Result<()> {
    let s = store::open(db).await?;
    match cmd {
        TenantCommand::Add { slug, name } => {
            s.create_tenant(&Tenant { id: Uuid::now_v7(), slug: slug.clone(), name }).await?;
            println!("tenant {slug} created");
        }
        TenantCommand::List => {
            for t in s.list_tenants().await? {
                println!("{}\t{}\t{}", t.slug, t.name, t.id);
            }
        }
    }
    Ok(())
}

pub fn parse_waterfall(text: &str) -> Result<Waterfall> {
    let parts = text
        .split(',')
        .map(|p| Component::parse(p).with_context(|| format!("{p:?} is not one of principal, interest, fees, costs")))
        .collect::<Result<Vec<_>>>()?;
    Waterfall::try_from(parts).map_err(|e| anyhow::anyhow!("waterfall {text:?}: {e}"))
}

pub fn parse_commission(text: &str) -> Result<Decimal> {
    recoup_domain::org::parse_commission(text).map_err(anyhow::Error::msg)
}

pub async fn client(db: &DbArgs, cmd: ClientCommand) -> Result<()> {
    let s = store::open(db).await?;
    let t = store::tenant(s.as_ref(), &db.tenant).await?;
    match cmd {
        ClientCommand::Add { code, name, commission, currency, waterfall } => {
            let client = Client {
                id: Uuid::now_v7(),
                tenant_id: t.id,
                code: code.clone(),
                name,
                commission_rate: parse_commission(&commission)?,
                waterfall: waterfall.as_deref().map(parse_waterfall).transpose()?.unwrap_or_default(),
                default_currency: Currency::from_code(&currency)?,
            };
            s.create_client(&client, &cli_actor()).await?;
            println!("client {code} created in tenant {}", t.slug);
        }
        ClientCommand::List => {
            for c in s.list_clients(t.id).await? {
                let order: Vec<&str> = c.waterfall.order().iter().map(|c| c.as_str()).collect();
                println!("{}\t{}\tcommission {}\t{}\t{}", c.code, c.name, c.commission_rate, c.default_currency, order.join(","));
            }
        }
    }
    Ok(())
}

pub async fn find_client(s: &dyn recoup_store::Store, tenant: &Tenant, code: &str) -> Result<Client> {
    s.client_by_code(tenant.id, code)
        .await?
        .with_context(|| format!("tenant {} has no client {code:?}; add it with `recoup client add {code} --name ...`", tenant.slug))
}

pub async fn portfolio(db: &DbArgs, cmd: PortfolioCommand) -> Result<()> {
    let s = store::open(db).await?;
    let t = store::tenant(s.as_ref(), &db.tenant).await?;
    match cmd {
        PortfolioCommand::Add { code, client, name, product } => {
            let c = find_client(s.as_ref(), &t, &client).await?;
            s.create_portfolio(
                &Portfolio { id: Uuid::now_v7(), tenant_id: t.id, client_id: c.id, code: code.clone(), name, product },
                &cli_actor(),
            )
            .await?;
            println!("portfolio {code} created for client {client}");
        }
        PortfolioCommand::List { client } => {
            let c = find_client(s.as_ref(), &t, &client).await?;
            for p in s.list_portfolios(t.id, c.id).await? {
                println!("{}\t{}\t{}", p.code, p.name, p.product.unwrap_or_default());
            }
        }
    }
    Ok(())
}
