//! `recoup strategy ...` (check, save, list, show, activate, diff, experiments, results, promote)
//! and `recoup run`, one strategy day for the tenant.

use crate::DbArgs;
use anyhow::{Result, bail};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use jiff::civil::Date;
use recoup_server::strategy::{RunReport, RunRequest, StrategyRefusal};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum StrategyCommand {
    /// Check a strategy file (syntax, fields, types, templates, shares, hand-ons) without saving.
    Check { file: PathBuf },
    /// Save a strategy file as the next version. The first version goes live at once.
    Save { file: PathBuf },
    /// List the versions; the live one is marked.
    List,
    /// Print a version's file (the live one when left out).
    Show { version: Option<u32> },
    /// Make a version the live one.
    Activate { version: u32 },
    /// The live strategy's experiments, with their arms and shares.
    Experiments,
    /// Each arm's results: accounts, collected, right-party contact and promise-kept rates with
    /// 95% intervals, complaints.
    Results {
        experiment: String,
        /// The last day counted; today (UTC) when left out.
        #[arg(long)]
        through: Option<Date>,
    },
    /// End an experiment in favour of an arm (champion or a challenger): a new live version.
    Promote { experiment: String, arm: String },
    /// Dry-run two versions on the same day and print their counts side by side.
    Diff {
        from: u32,
        to: u32,
        /// The day to compare on; today (UTC) when left out.
        #[arg(long)]
        date: Option<Date>,
    },
}

fn read(file: &PathBuf) -> Result<String> {
    std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("reading {}: {e}", file.display()))
}

/// Prints every mistake with its line, and fails.
fn refused(file: &std::path::Path, e: StrategyRefusal) -> anyhow::Error {
    match e {
        StrategyRefusal::Invalid(errors) => {
            for err in &errors {
                eprintln!("{}:{}:{}: {}", file.display(), err.line, err.column, err.message);
            }
            anyhow::anyhow!("{} has {} mistake(s); nothing was saved", file.display(), errors.len())
        }
        StrategyRefusal::Store(e) => e.into(),
    }
}

pub async fn strategy(db: &DbArgs, cmd: StrategyCommand) -> Result<()> {
    let store = crate::store::open(db).await?;
    let tenant = crate::store::tenant(store.as_ref(), &db.tenant).await?;
    let s = store.as_ref();
    match cmd {
        StrategyCommand::Check { file } => {
            let checked = recoup_server::strategy::check(s, tenant.id, &read(&file)?).await.map_err(|e| refused(&file, e))?;
            println!(
                "{}: \"{}\" is valid: {} segments, {} treatments",
                file.display(),
                checked.name,
                checked.segments.len(),
                checked.treatments.len()
            );
        }
        StrategyCommand::Save { file } => {
            let saved = recoup_server::strategy::save(s, tenant.id, &read(&file)?, &crate::setup::cli_actor())
                .await
                .map_err(|e| refused(&file, e))?;
            let live = if saved.live { "live" } else { "not live; `recoup strategy activate` makes it so" };
            println!("saved \"{}\" as version {} ({live})", saved.name, saved.version);
        }
        StrategyCommand::List => {
            for v in s.strategy_versions(tenant.id).await? {
                let at = jiff::Timestamp::from_microsecond(v.created_at).map(|t| t.to_string()).unwrap_or_default();
                println!("{}{:>4}  {:<30} {at}  {}", if v.live { "*" } else { " " }, v.version, v.name, v.created_by);
            }
        }
        StrategyCommand::Show { version } => match s.strategy(tenant.id, version).await? {
            Some(v) => print!("{}", v.body),
            None => bail!("no such strategy version"),
        },
        StrategyCommand::Activate { version } => {
            let v = s.activate_strategy(tenant.id, version, &crate::setup::cli_actor()).await?;
            println!("version {} (\"{}\") is live", v.version, v.name);
        }
        StrategyCommand::Experiments => {
            for e in recoup_server::experiments::list(s, tenant.id).await.map_err(|e| anyhow::anyhow!("{e}"))? {
                let arms: Vec<String> = e.arms.iter().map(|a| format!("{} {}%", a.arm, a.percent)).collect();
                println!("{} (segment {}, version {}): {}", e.name, e.segment, e.version, arms.join(", "));
            }
        }
        StrategyCommand::Results { experiment, through } => {
            let through = through.unwrap_or_else(recoup_server::api::servicing::today);
            let r = recoup_server::experiments::results(s, tenant.id, &experiment, through).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            print_results(&r);
        }
        StrategyCommand::Promote { experiment, arm } => {
            let v = recoup_server::experiments::promote(s, tenant.id, &experiment, &arm, &crate::setup::cli_actor())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{experiment} ended for {arm}: version {} (\"{}\") is live", v.version, v.name);
        }
        StrategyCommand::Diff { from, to, date } => {
            let date = date.unwrap_or_else(recoup_server::api::servicing::today);
            let out = recoup_server::outbound::Outbound::default();
            let dry = |version| RunRequest { tenant_id: tenant.id, date, dry_run: true, version: Some(version), node: None };
            let a = recoup_server::strategy::run(s, &out, &dry(from), |_| {}).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            let b = recoup_server::strategy::run(s, &out, &dry(to), |_| {}).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("dry runs for {date}: version {from} against version {to}");
            print_side_by_side(&a, &b);
        }
    }
    Ok(())
}

/// `recoup run`: one strategy day.
pub async fn run(db: &DbArgs, date: Option<Date>, dry_run: bool, version: Option<u32>, public_url: String) -> Result<()> {
    if version.is_some() && !dry_run {
        bail!("a live run uses the live version; add --dry-run, or activate the version first");
    }
    let store = crate::store::open(db).await?;
    let tenant = crate::store::tenant(store.as_ref(), &db.tenant).await?;
    let date = date.unwrap_or_else(recoup_server::api::servicing::today);
    let total = store.count_accounts(tenant.id).await?;
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template("{spinner} deciding [{bar:40}] {pos}/{len} accounts ({eta})")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    // Messages are only queued here; `serve` sends them through its own transports.
    let out = recoup_server::outbound::Outbound { public_url, ..Default::default() };
    let shown = bar.clone();
    let result = if dry_run {
        let req = RunRequest { tenant_id: tenant.id, date, dry_run, version, node: None };
        recoup_server::strategy::run(store.as_ref(), &out, &req, move |n| shown.set_position(n)).await
    } else {
        // One name per host, so a run killed half way is resumed by the next one from this host
        // at once, while a server node holding the day keeps it.
        let node = format!("cli:{}", recoup_server::node_name().split(':').next().unwrap_or("host"));
        recoup_server::strategy::run_by_hand(store.as_ref(), &out, tenant.id, date, &node, move |n| shown.set_position(n)).await
    };
    bar.finish_and_clear();
    let mut report = result.map_err(|e| match e {
        StrategyRefusal::Invalid(errors) => anyhow::anyhow!("the stored strategy does not parse: {}", errors[0]),
        StrategyRefusal::Store(e) => e.into(),
    })?;
    // `serve`'s job worker would carry the actions out; here nobody waits for it. A run killed
    // during its carry-out left some: they are made now too.
    if !dry_run {
        let spinner = ProgressBar::new_spinner().with_message("carrying out the day's actions (rendering messages, making tasks)");
        spinner.enable_steady_tick(std::time::Duration::from_millis(200));
        let done = recoup_server::strategy::carry_out_day(store.as_ref(), &out, &mut report, tenant.id).await;
        spinner.finish_and_clear();
        done?;
    }
    print_report(&report);
    Ok(())
}

fn print_counts(title: &str, counts: &BTreeMap<String, u64>) {
    if counts.is_empty() {
        return;
    }
    println!("{title}:");
    for (k, n) in counts {
        println!("  {n:>9}  {k}");
    }
}

fn print_report(r: &RunReport) {
    let kind = if r.dry_run { "dry run (nothing written)" } else { "run" };
    println!("strategy version {} {kind} for {}: {} accounts, {} actions", r.version, r.date, r.accounts, r.actions);
    if r.already_run > 0 {
        println!("{} accounts were already decided on {} and were left as they were", r.already_run, r.date);
    }
    print_counts("by segment", &r.by_segment);
    print_counts("by segment and arm", &r.by_arm);
    print_counts("by step", &r.by_step);
    print_counts("by action", &r.by_action);
    print_counts("no action today", &r.idle);
    print_counts("steps passed over", &r.skipped);
    print_counts("carried out", &r.outcomes);
    print_counts("blocked or failed, by reason", &r.block_reasons);
}

fn print_side_by_side(a: &RunReport, b: &RunReport) {
    let table = |title: &str, x: &BTreeMap<String, u64>, y: &BTreeMap<String, u64>| {
        let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
        if keys.is_empty() {
            return;
        }
        println!("{title}:");
        for k in keys {
            let (n, m) = (x.get(k).copied().unwrap_or(0), y.get(k).copied().unwrap_or(0));
            println!("  {n:>9} {m:>9} {:>+9}  {k}", m as i64 - n as i64);
        }
    };
    println!("  {:>9} {:>9} {:>9}", format!("v{}", a.version), format!("v{}", b.version), "change");
    table("by segment", &a.by_segment, &b.by_segment);
    table("by segment and arm", &a.by_arm, &b.by_arm);
    table("by step", &a.by_step, &b.by_step);
    table("by action", &a.by_action, &b.by_action);
    table("no action today", &a.idle, &b.idle);
}

fn print_results(r: &recoup_server::experiments::ExperimentReport) {
    let rate = |x: &recoup_domain::experiment::Rate| match (x.value, x.low, x.high) {
        (Some(v), Some(l), Some(h)) => format!("{:5.1}% [{:.1}-{:.1}] of {}", v * 100.0, l * 100.0, h * 100.0, x.trials),
        _ => "-".into(),
    };
    println!("{} through {}{}", r.experiment, r.through, if r.running { "" } else { " (ended)" });
    for a in &r.arms {
        println!("  {}: {} accounts, {} complaints", a.arm, a.accounts, a.complaints);
        for c in &a.collected {
            let m = |v| recoup_domain::money::format_money(v, &c.currency);
            println!(
                "    collected {} ({} per account, 95% {} to {})",
                m(c.total_minor),
                m(c.per_account_minor),
                m(c.low_minor),
                m(c.high_minor)
            );
        }
        println!("    right-party contact {}", rate(&a.rpc_rate));
        println!("    promises kept       {}", rate(&a.promise_kept_rate));
    }
}
