//! `recoup agent ...` (who works which queues, how many accounts a day) and `recoup worklist
//! ...` (a queue's or an agent's list in order, and handing an agent the next account).

use crate::DbArgs;
use anyhow::{Result, bail};
use clap::Subcommand;
use recoup_domain::money::format_money;
use recoup_domain::worklist::Agent;
use recoup_store::worklist::{Next, Skip, WorkItem, WorkQuery};
use uuid::Uuid;

#[derive(Subcommand)]
pub enum AgentCommand {
    /// Set the queues an agent or supervisor works and their accounts per day.
    Set {
        email: String,
        /// Comma-separated queue names.
        #[arg(long, value_delimiter = ',', required = true)]
        queues: Vec<String>,
        #[arg(long)]
        capacity: u32,
        /// The agent's IANA time zone: their day for the capacity.
        #[arg(long, default_value = "UTC")]
        time_zone: String,
    },
    List,
}

#[derive(Subcommand)]
pub enum WorklistCommand {
    /// A queue's or an agent's list, in the order it is worked.
    Show {
        #[arg(long)]
        queue: Option<String>,
        /// An agent's list (their queues, unless --queue).
        #[arg(long)]
        agent: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Hand the agent their next account (held for them for 30 minutes).
    Next { agent: String },
    /// Give back an account the agent holds, with the reason.
    Skip {
        agent: String,
        account: Uuid,
        #[arg(long)]
        reason: String,
    },
}

pub async fn agent(db: &DbArgs, cmd: AgentCommand) -> Result<()> {
    let store = crate::store::open(db).await?;
    let tenant = crate::store::tenant(store.as_ref(), &db.tenant).await?;
    let s = store.as_ref();
    match cmd {
        AgentCommand::Set { email, queues, capacity, time_zone } => {
            let user = crate::user::find(s, &tenant, &email).await?;
            if !matches!(user.role, recoup_domain::access::Role::Agent | recoup_domain::access::Role::Supervisor) {
                bail!("{email} is a {}: only agents and supervisors work lists", user.role.as_str());
            }
            let agent = Agent { user_id: user.id, queues, daily_capacity: capacity, time_zone };
            s.set_agent(tenant.id, &agent, &crate::setup::cli_actor()).await?;
            println!("{email} works {} ({} accounts a day, {})", agent.queues.join(", "), agent.daily_capacity, agent.time_zone);
        }
        AgentCommand::List => {
            for a in s.agents(tenant.id).await? {
                let who = s.user(tenant.id, a.user_id).await?.map(|u| u.email).unwrap_or_else(|| a.user_id.to_string());
                println!("{who:<36} {:>5}/day  {:<20} {}", a.daily_capacity, a.time_zone, a.queues.join(", "));
            }
        }
    }
    Ok(())
}

pub async fn worklist(db: &DbArgs, cmd: WorklistCommand) -> Result<()> {
    let store = crate::store::open(db).await?;
    let tenant = crate::store::tenant(store.as_ref(), &db.tenant).await?;
    let s = store.as_ref();
    let now = jiff::Timestamp::now();
    match cmd {
        WorklistCommand::Show { queue, agent, limit } => {
            let mut query = WorkQuery { queues: queue.into_iter().collect(), agent_id: None, now: now.as_microsecond(), limit };
            if let Some(email) = agent {
                let user = crate::user::find(s, &tenant, &email).await?;
                let Some(a) = s.agent(tenant.id, user.id).await? else { bail!("{email} has no queues yet: `recoup agent set`") };
                if query.queues.is_empty() {
                    query.queues = a.queues;
                }
                query.agent_id = Some(user.id);
            }
            let items = s.worklist(tenant.id, &query).await?;
            println!("{:>4}  {:<20} {:<12} {:<14} {:>14} {:<10} held", "#", "due", "queue", "account", "expected", "since");
            for (i, it) in items.iter().enumerate() {
                print_item(i + 1, it);
            }
            println!("{} task(s)", items.len());
        }
        WorklistCommand::Next { agent } => {
            let user = crate::user::find(s, &tenant, &agent).await?;
            let lease = now.checked_add(recoup_server::api::worklists::HOLD)?;
            match s.next_work(tenant.id, user.id, now.as_microsecond(), lease.as_microsecond()).await? {
                Next::Handed(it) => println!("handed {} ({}) to {agent} until {lease}: {}", it.external_ref, it.account_id, it.reason),
                Next::Holding(it) => println!("{agent} still holds {} ({}): {}", it.external_ref, it.account_id, it.reason),
                Next::AtCapacity { handed, capacity } => bail!("{agent} has had {handed} of {capacity} accounts today"),
                Next::Empty => println!("nothing due in {agent}'s queues that nobody holds"),
            }
        }
        WorklistCommand::Skip { agent, account, reason } => {
            let user = crate::user::find(s, &tenant, &agent).await?;
            let skip = Skip { agent_id: user.id, account_id: account, reason, now: now.as_microsecond() };
            s.skip_work(tenant.id, &skip, &crate::setup::cli_actor()).await?;
            println!("{agent} skipped {account}");
        }
    }
    Ok(())
}

fn print_item(n: usize, it: &WorkItem) {
    let due = it.due_at.strftime("%Y-%m-%d %H:%M").to_string();
    let due = if it.appointment { format!("{due} appt") } else { due };
    let since = it.delinquent_since.map(|d| d.to_string()).unwrap_or_default();
    let held = it.held_by.map(|h| h.to_string()[..8].to_string()).unwrap_or_default();
    let expected = format_money(it.expected_minor, &it.currency);
    println!("{n:>4}  {due:<20} {:<12} {:<14} {expected:>14} {since:<10} {held}", it.queue, it.external_ref);
}
