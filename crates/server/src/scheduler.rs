//! The daily run inside `serve`: once per (UTC) day, every tenant's promises, plans, settlements
//! and hardship pauses with something due are judged, accounts are scored with the tenant's
//! active propensity model (before the day's strategy runs, which reads the scores), balances at
//! the month-ends reports show are kept once their month is over (so the first dashboard of a
//! month does not replay the ledger), and idempotency keys past their day are forgotten. Judging is idempotent (an account already judged for the day changes nothing), so
//! two nodes running it is harmless; electing one node is the strategy scheduler's job.

use recoup_store::{Actor, Store};
use std::sync::Arc;
use std::time::Duration;

/// How often the scheduler looks at the clock.
const TICK: Duration = Duration::from_secs(600);

pub async fn run(store: Arc<dyn Store>, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let mut last = None;
    loop {
        let today = crate::api::servicing::today();
        if last != Some(today) {
            run_day(store.as_ref(), today).await;
            last = Some(today);
        }
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tokio::time::sleep(TICK) => {}
        }
    }
}

/// Judges every tenant for `today`, logging what changed and what failed; then forgets expired
/// idempotency keys.
pub async fn run_day(store: &dyn Store, today: jiff::civil::Date) {
    judge(store, today).await;
    score(store, today).await;
    close_month_ends(store, today).await;
    let before = jiff::Timestamp::now().as_microsecond() - crate::api::idempotency::KEEP_MICROS;
    match store.purge_idempotent(before).await {
        Ok(n) => tracing::info!(purged = n, "expired idempotency keys forgotten"),
        Err(e) => tracing::error!(error = %e, "purging idempotency keys failed"),
    }
}

/// Scores each tenant that has an active model; the others keep the heuristic.
async fn score(store: &dyn Store, today: jiff::civil::Date) {
    let Ok(tenants) = store.list_tenants().await else { return };
    for t in tenants {
        match crate::scoring::score(store, t.id, today).await {
            Ok(s) if s.model_version.is_some() => {
                tracing::info!(tenant = %t.slug, %today, model = s.model_version, accounts = s.accounts, "accounts scored")
            }
            Ok(_) => {}
            Err(e) => tracing::error!(tenant = %t.slug, error = %e, "scoring failed; the last scores stay"),
        }
    }
}

/// Keeps each tenant's balances at the last thirteen month-ends (a year of trend and the month
/// before it), replaying only those not kept yet: after the first night, one a month.
async fn close_month_ends(store: &dyn Store, today: jiff::civil::Date) {
    let Ok(tenants) = store.list_tenants().await else { return };
    let ends = crate::reports::kept_month_ends(today);
    for t in tenants {
        match store.close_month_ends(t.id, &ends).await {
            Ok(0) => {}
            Ok(kept) => tracing::info!(tenant = %t.slug, kept, "month-end balances kept"),
            Err(e) => tracing::error!(tenant = %t.slug, error = %e, "keeping month-end balances failed; reports replay them"),
        }
    }
}

async fn judge(store: &dyn Store, today: jiff::civil::Date) {
    let tenants = match store.list_tenants().await {
        Ok(t) => t,
        Err(e) => return tracing::error!(error = %e, "daily servicing could not list tenants"),
    };
    let actor = Actor::new("system:daily-servicing");
    for t in tenants {
        match recoup_store::servicing::daily(store, t.id, today, &actor).await {
            Ok(r) => {
                tracing::info!(tenant = %t.slug, %today, accounts = r.accounts, changed = r.changed, failed = r.failed.len(), "daily servicing");
                for (account, error) in r.failed {
                    tracing::error!(tenant = %t.slug, %account, %error, "daily servicing failed for an account");
                }
            }
            Err(e) => tracing::error!(tenant = %t.slug, error = %e, "daily servicing failed"),
        }
    }
}
