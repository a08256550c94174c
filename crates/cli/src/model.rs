//! `recoup model ...`: train a propensity-to-pay model on the tenant's own history, look at its
//! versions and their metrics, make one active, and score the accounts with it.

use crate::DbArgs;
use anyhow::{Result, bail};
use clap::Subcommand;
use jiff::civil::Date;
use recoup_domain::scoring::TrainOptions;
use recoup_domain::scoring::features::{Outcome, words};
use recoup_server::scoring::{self, TrainRequest};
use recoup_store::Actor;
use recoup_store::models::StoredModel;

#[derive(Subcommand)]
pub enum ModelCommand {
    /// Fit a model: learn from the accounts as they stood two horizons before --as-of, test on
    /// them one horizon before it. Kept as a new version, not active until `activate`.
    Train {
        /// The last day outcomes are read to (default: today).
        #[arg(long)]
        as_of: Option<Date>,
        /// Days after a snapshot a payment counts in.
        #[arg(long, default_value_t = 30)]
        horizon_days: i32,
        /// The least a payment must come to, in the accounts' currency ("25.00").
        #[arg(long, default_value = "25.00")]
        min_paid: String,
        /// Treat ZIP as standing in for a protected attribute (it is never a feature anyway).
        #[arg(long)]
        zip_is_proxy: bool,
        /// Make it the active model straight away.
        #[arg(long)]
        activate: bool,
    },
    /// Every version, newest first, with its test AUC.
    List,
    /// One version: its metrics, calibration by decile and weights.
    Show { version: i64 },
    /// Make a version the one that scores.
    Activate { version: i64 },
    /// Score every account owing with the active model (the daily run does this too).
    Score {
        #[arg(long)]
        on: Option<Date>,
    },
    /// The last scores by age band, language and state: spread and selection rate per group,
    /// flagging any group selected at under four fifths of the best group's rate.
    Fairness {
        /// The score (per mille) at or above which an account counts as selected.
        #[arg(long, default_value_t = 500)]
        threshold: i32,
    },
}

fn today() -> Date {
    recoup_server::api::servicing::today()
}

fn figure(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.4}"))
}

pub async fn model(db: &DbArgs, cmd: ModelCommand) -> Result<()> {
    let store = crate::store::open(db).await?;
    let tenant = crate::store::tenant(store.as_ref(), &db.tenant).await?;
    let s = store.as_ref();
    let actor = Actor::new("cli");
    match cmd {
        ModelCommand::Train { as_of, horizon_days, min_paid, zip_is_proxy, activate } => {
            let min_paid_minor =
                recoup_domain::money::Currency::USD.parse_minor(&min_paid).map_err(|e| anyhow::anyhow!("--min-paid: {e}"))?;
            let request = TrainRequest {
                as_of: as_of.unwrap_or_else(today),
                today: today(),
                outcome: Outcome { horizon_days, min_paid_minor },
                options: TrainOptions { zip_is_proxy, ..TrainOptions::default() },
            };
            let m = scoring::train(s, tenant.id, &request, &actor).await?;
            print!("{}", describe(&m));
            if activate {
                s.activate_model(tenant.id, m.version, &actor).await?;
                println!("version {} is active: `recoup model score` scores the accounts now (the daily run does too)", m.version);
            }
        }
        ModelCommand::List => {
            let models = s.models(tenant.id).await?;
            if models.is_empty() {
                println!("no model yet: accounts are ordered by the documented heuristic (`recoup model train` fits one)");
            }
            for m in models {
                println!(
                    "v{:<3} {} trained on {} tested on {}  test AUC {}  {} + {} accounts",
                    m.version,
                    if m.active { "active" } else { "      " },
                    m.trained_on,
                    m.tested_on,
                    figure(m.metrics.test_auc),
                    m.metrics.train_rows,
                    m.metrics.test_rows
                );
            }
        }
        ModelCommand::Show { version } => match s.models(tenant.id).await?.into_iter().find(|m| m.version == version) {
            Some(m) => print!("{}", describe(&m)),
            None => bail!("tenant {} has no model version {version}", tenant.slug),
        },
        ModelCommand::Activate { version } => {
            s.activate_model(tenant.id, version, &actor).await?;
            println!("version {version} is active");
        }
        ModelCommand::Score { on } => {
            let done = scoring::score(s, tenant.id, on.unwrap_or_else(today)).await?;
            match done.model_version {
                Some(v) => println!("scored {} accounts with model version {v}", done.accounts),
                None => println!("no model is active: accounts keep the heuristic score (`recoup model activate V`)"),
            }
        }
        ModelCommand::Fairness { threshold } => {
            let rows = scoring::fairness(s, tenant.id, today(), threshold).await?;
            if rows.is_empty() {
                println!("no account has a model's score yet (`recoup model score`)");
            }
            println!("{:<9} {:<14} {:>8} {:>6} {:>6} {:>9} {:>7}", "attribute", "group", "accounts", "mean", "median", "selected", "ratio");
            for r in rows {
                let ratio = r.impact_ratio.map_or_else(|| "too few".into(), |x| format!("{x:.2}"));
                println!(
                    "{:<9} {:<14} {:>8} {:>6.0} {:>6} {:>8.1}% {:>7}{}",
                    r.attribute,
                    r.group,
                    r.accounts,
                    r.mean_per_mille,
                    r.median_per_mille,
                    r.selected_rate * 100.0,
                    ratio,
                    if r.flagged { "  REVIEW: under four fifths of the best group" } else { "" }
                );
            }
            println!(
                "\nselected = scored {threshold} or more; ratio = the group's rate over the best group's (29 CFR 1607.4(D)'s four-fifths rule of thumb). None of these is a feature of the model."
            );
        }
    }
    Ok(())
}

/// A model's card: what it learnt from, how it tested, its calibration and its strongest weights.
fn describe(m: &StoredModel) -> String {
    let x = &m.metrics;
    let mut out = format!(
        "model version {}{}: paid at least {} within {} days\n  trained on {} ({} accounts, {} paid), train AUC {}\n  tested on {} ({} accounts, {} paid), test AUC {}, log-loss {}\n",
        m.version,
        if m.active { " (active)" } else { "" },
        recoup_domain::money::Currency::USD.format_minor(m.outcome.min_paid_minor),
        m.outcome.horizon_days,
        m.trained_on,
        x.train_rows,
        x.train_paid,
        figure(x.train_auc),
        m.tested_on,
        x.test_rows,
        x.test_paid,
        figure(x.test_auc),
        figure(x.test_log_loss),
    );
    out.push_str("  calibration on the test accounts (decile: accounts, predicted, paid):\n");
    for c in &x.calibration {
        out.push_str(&format!("    {:>2}: {:>6} {:>7.1}% {:>7.1}%\n", c.decile, c.accounts, c.predicted * 100.0, c.observed * 100.0));
    }
    out.push_str("  weights (log-odds per standard deviation or per level), strongest first:\n");
    for (name, w) in x.weights.iter().take(12) {
        let base = name.split(['=', ' ']).next().unwrap_or(name);
        out.push_str(&format!("    {w:>+8.3}  {name} ({})\n", words(base)));
    }
    out
}
