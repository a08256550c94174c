//! `recoup report NAME`: the same reports as the API and the console, on the command line.

use crate::DbArgs;
use crate::store;
use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use jiff::civil::Date;
use recoup_server::reports::{self, Cell, Table};
use recoup_store::reports::ReportQuery;

#[derive(Args)]
pub struct ReportArgs {
    /// placements, recovery, aging, aging_trend, rolls, receivables, contacts, funnel, agents,
    /// promises, blocked, queues, worklists, netback or uplift.
    pub name: String,
    /// First day, inclusive.
    #[arg(long)]
    pub from: Date,
    /// Last day, inclusive.
    #[arg(long)]
    pub to: Date,
    /// Only this client's accounts (its code).
    #[arg(long)]
    pub client: Option<String>,
    /// Only this portfolio's accounts (its code, within --client).
    #[arg(long, requires = "client")]
    pub portfolio: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Csv,
    Json,
}

pub async fn run(db: &DbArgs, a: ReportArgs) -> Result<()> {
    if !reports::NAMES.contains(&a.name.as_str()) {
        bail!("no report named {:?}; there are: {}", a.name, reports::NAMES.join(", "));
    }
    let s = store::open(db).await?;
    let tenant = store::tenant(s.as_ref(), &db.tenant).await?;
    let client_id = match &a.client {
        Some(code) => match s.client_by_code(tenant.id, code).await? {
            Some(c) => Some(c.id),
            None => bail!("tenant {} has no client {code:?}", tenant.slug),
        },
        None => None,
    };
    let portfolio_id = match (&a.portfolio, client_id) {
        (Some(code), Some(client_id)) => match s.portfolio_by_code(tenant.id, client_id, code).await? {
            Some(p) => Some(p.id),
            None => bail!("client {} has no portfolio {code:?}", a.client.as_deref().unwrap_or_default()),
        },
        _ => None,
    };
    let q = ReportQuery { client_id, portfolio_id, from: a.from, to: a.to };
    let t = reports::table(s.as_ref(), tenant.id, &a.name, &q).await?;
    match a.format {
        Format::Csv => print!("{}", t.csv()),
        Format::Json => println!("{}", serde_json::to_string_pretty(&t.json(&q))?),
        Format::Text => print!("{}", text(&t, &q)),
    }
    Ok(())
}

/// Aligned columns (text to the left, figures to the right) and the report's definition underneath.
fn text(t: &Table, q: &ReportQuery) -> String {
    let cells: Vec<Vec<String>> = t.rows.iter().map(|r| r.iter().map(|c| c.shown()).collect()).collect();
    let widths: Vec<usize> =
        t.columns.iter().enumerate().map(|(i, c)| cells.iter().map(|r| r[i].chars().count()).chain([c.len()]).max().unwrap_or(0)).collect();
    let left: Vec<bool> = (0..t.columns.len()).map(|i| t.rows.iter().all(|r| matches!(r[i], Cell::Text(_)))).collect();
    let line = |values: Vec<&str>| {
        let mut l = String::new();
        for ((v, w), left) in values.iter().zip(&widths).zip(&left) {
            l.push_str(&if *left { format!("{v:<w$}  ") } else { format!("{v:>w$}  ") });
        }
        l.truncate(l.trim_end().len());
        l + "\n"
    };
    let mut out = format!("{} ({} to {})\n", t.title, q.from, q.to);
    out.push_str(&line(t.columns.clone()));
    for r in &cells {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    if t.rows.is_empty() {
        out.push_str("(nothing in this period)\n");
    }
    out.push_str(&format!("\n{}\n", t.help));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn text_lines_up_words_on_the_left_and_figures_on_the_right() {
        let t = Table {
            name: "t",
            title: "T",
            help: "How.",
            columns: vec!["client", "accounts"],
            rows: vec![vec![Cell::Text("LSB".into()), Cell::Count(7)], vec![Cell::Text("NORTHWIND".into()), Cell::Count(1200)]],
        };
        let q = ReportQuery::window(date(2026, 1, 1), date(2026, 1, 31));
        assert_eq!(text(&t, &q), "T (2026-01-01 to 2026-01-31)\nclient     accounts\nLSB               7\nNORTHWIND      1200\n\nHow.\n");
    }
}
