//! `recoup demo`: a demo agency with three clients and about 5,000 realistic accounts in several
//! portfolios and placements, with payments (a few reversed) on their ledgers. The accounts go
//! through the same import pipeline a real file does.

use anyhow::Result;
use jiff::civil::{Date, date};
use recoup_domain::account::AccountStatus;
use recoup_domain::ledger::{Component, Waterfall};
use recoup_domain::money::Currency;
use recoup_domain::org::{Client, Portfolio, Tenant};
use recoup_import::{Mapping, PlacementReader, synth};
use recoup_server::import::ImportRequest;
use recoup_store::{Actor, Posting, Store};
use std::fs::File;
use std::io::BufWriter;
use std::sync::Arc;
use uuid::Uuid;

pub const TENANT: &str = "demo";

struct DemoPortfolio {
    client: &'static str,
    code: &'static str,
    name: &'static str,
    product: &'static str,
    rows: u64,
    placed_on: Date,
}

const PORTFOLIOS: &[DemoPortfolio] = &[
    DemoPortfolio { client: "LSB", code: "CARDS", name: "Credit cards", product: "credit card", rows: 1_600, placed_on: date(2026, 5, 4) },
    DemoPortfolio {
        client: "LSB",
        code: "LOANS",
        name: "Personal and auto loans",
        product: "personal loan",
        rows: 900,
        placed_on: date(2026, 8, 3),
    },
    DemoPortfolio {
        client: "MHS",
        code: "SELFPAY",
        name: "Self-pay balances",
        product: "medical",
        rows: 1_300,
        placed_on: date(2026, 6, 1),
    },
    DemoPortfolio { client: "NWU", code: "FINAL", name: "Final bills", product: "utility", rows: 1_200, placed_on: date(2026, 9, 7) },
];

fn clients(tenant_id: Uuid) -> Vec<Client> {
    let client = |code: &str, name: &str, rate: &str, waterfall: Waterfall| Client {
        id: Uuid::now_v7(),
        tenant_id,
        code: code.into(),
        name: name.into(),
        commission_rate: rate.parse().expect("a decimal"),
        waterfall,
        default_currency: Currency::USD,
    };
    // The hospital's contracts apply payments to principal first; the others use the default.
    let principal_first =
        Waterfall::try_from(vec![Component::Principal, Component::Interest, Component::Fees, Component::Costs]).expect("a waterfall");
    vec![
        client("LSB", "Lakeshore Bank", "0.25", Waterfall::default()),
        client("MHS", "Mercy Health System", "0.30", principal_first),
        client("NWU", "Northwind Utilities", "0.18", Waterfall::default()),
    ]
}

/// Builds the demo data unless it is already there.
pub async fn ensure(store: Arc<dyn Store>) -> Result<()> {
    if let Some(t) = store.tenant_by_slug(TENANT).await? {
        let n = store.count_accounts(t.id).await?;
        println!("demo data already present: {n} accounts in tenant {TENANT}");
        return Ok(());
    }
    let tenant = Tenant { id: Uuid::now_v7(), slug: TENANT.into(), name: "Demo Recovery Agency".into() };
    store.create_tenant(&tenant).await?;
    let actor = Actor::new("demo");
    let clients = clients(tenant.id);
    for c in &clients {
        store.create_client(c, &actor).await?;
    }
    let tmp = tempfile::tempdir()?;
    for (i, p) in PORTFOLIOS.iter().enumerate() {
        let client = clients.iter().find(|c| c.code == p.client).expect("a demo client").clone();
        let portfolio = Portfolio {
            id: Uuid::now_v7(),
            tenant_id: tenant.id,
            client_id: client.id,
            code: p.code.into(),
            name: p.name.into(),
            product: Some(p.product.into()),
        };
        store.create_portfolio(&portfolio, &actor).await?;
        let file = tmp.path().join(format!("{}-{}.csv", p.client, p.code));
        synth::write_csv(
            BufWriter::new(File::create(&file)?),
            p.rows,
            1_000 + i as u64,
            &format!("{}-{}-", p.client, p.code),
            p.placed_on,
        )?;
        let req = ImportRequest {
            tenant_id: tenant.id,
            client,
            portfolio,
            file_name: format!("{}-{}.csv", p.client, p.code),
            placed_on: p.placed_on,
            dry_run: false,
            actor: actor.clone(),
        };
        let ctx = req.context();
        let reader = PlacementReader::open(&file, &Mapping::standard(), ctx.clone())?;
        let s = recoup_server::import::run::<_, std::io::Sink>(store.clone(), reader, ctx, None, req, |_| {}).await?;
        println!("placed {} accounts for {} / {} on {}", s.counts.created, p.client, p.code, p.placed_on);
    }
    users(store.as_ref(), &tenant, &clients, &actor).await?;
    let paid = payments(store.as_ref(), &tenant, &actor).await?;
    println!("posted {} payments ({} reversed, {} accounts paid in full)", paid.posted, paid.reversed, paid.paid_in_full);
    Ok(())
}

/// One sign-in per role; the passwords are public on purpose: this is a demo.
pub const USERS: [(&str, &str, recoup_domain::access::Role); 5] = [
    ("admin@recoup-demo.example", "Ada Admin", recoup_domain::access::Role::Admin),
    ("supervisor@recoup-demo.example", "Sam Supervisor", recoup_domain::access::Role::Supervisor),
    ("agent@recoup-demo.example", "Alex Agent", recoup_domain::access::Role::Agent),
    ("client@recoup-demo.example", "Lakeshore Bank viewer", recoup_domain::access::Role::Client),
    ("auditor@recoup-demo.example", "Avery Auditor", recoup_domain::access::Role::Auditor),
];

pub fn demo_password(role: recoup_domain::access::Role) -> String {
    format!("demo-{}-password", role.as_str())
}

async fn users(store: &dyn Store, tenant: &Tenant, clients: &[Client], actor: &Actor) -> Result<()> {
    let lakeshore = clients.iter().find(|c| c.code == "LSB").map(|c| c.id);
    for (email, name, role) in USERS {
        let hash = recoup_server::passwords::hash(demo_password(role)).await?;
        let client_id = (role == recoup_domain::access::Role::Client).then_some(lakeshore).flatten();
        let user = recoup_domain::access::User {
            id: Uuid::now_v7(),
            tenant_id: tenant.id,
            email: email.into(),
            name: name.into(),
            role,
            client_id,
            disabled: false,
            created_at: jiff::Timestamp::now().as_microsecond(),
        };
        store.create_user(&user, &hash, actor).await?;
    }
    Ok(())
}

/// A fresh integrator key for this run of the demo (keys are shown once, so each run makes one).
pub async fn api_key(store: &dyn Store) -> Result<String> {
    let tenant = store.tenant_by_slug(TENANT).await?.ok_or_else(|| anyhow::anyhow!("the demo tenant is missing"))?;
    let (_, text) =
        recoup_server::keys::issue(store, tenant.id, "demo", recoup_domain::access::Role::Integrator, None, &Actor::new("demo")).await?;
    Ok(text)
}

#[derive(Default)]
struct Paid {
    posted: u64,
    reversed: u64,
    paid_in_full: u64,
}

/// Gives about a third of the accounts one to three payments after placement; one payment in
/// twenty bounces (NSF) and is reversed; a few accounts pay in full and are closed as paid.
async fn payments(store: &dyn Store, tenant: &Tenant, actor: &Actor) -> Result<Paid> {
    let mut rng = fastrand::Rng::with_seed(7);
    let mut paid = Paid::default();
    let mut after = None;
    let mut placed = std::collections::HashMap::new();
    loop {
        let page = store.list_accounts(tenant.id, &Default::default(), after, 500).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for a in page {
            if rng.u8(0..100) >= 35 {
                continue;
            }
            let placed_on = match placed.get(&a.placement_id) {
                Some(d) => *d,
                None => {
                    let d = store.placement(tenant.id, a.placement_id).await?.map(|p| p.placed_on).unwrap_or(date(2026, 5, 4));
                    placed.insert(a.placement_id, d);
                    d
                }
            };
            let mut day = placed_on.max(a.charged_off_on.unwrap_or(placed_on)).checked_add(jiff::Span::new().days(20)).unwrap_or(placed_on);
            let owed = store.balance(tenant.id, a.id).await?.owed();
            if rng.u8(0..100) < 6 {
                store
                    .post(
                        tenant.id,
                        a.id,
                        Posting::Payment { amount_minor: owed },
                        day.min(date(2026, 11, 20)),
                        "paid in full by card",
                        actor,
                    )
                    .await?;
                store.change_status(tenant.id, a.id, AccountStatus::PaidInFull, "balance paid", actor).await?;
                paid.posted += 1;
                paid.paid_in_full += 1;
                continue;
            }
            for _ in 0..rng.u8(1..4) {
                let amount = (owed * i64::from(rng.u8(5..25)) / 100).max(1_000);
                let when = day.min(date(2026, 11, 20));
                let e = store.post(tenant.id, a.id, Posting::Payment { amount_minor: amount }, when, "ACH payment", actor).await?;
                paid.posted += 1;
                if rng.u8(0..100) < 5 {
                    store.post(tenant.id, a.id, Posting::Reversal { payment_id: e.id }, when, "NSF: returned by the bank", actor).await?;
                    paid.reversed += 1;
                }
                day = day.checked_add(jiff::Span::new().days(30)).unwrap_or(day);
            }
        }
    }
    Ok(paid)
}
