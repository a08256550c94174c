//! The day's letters for the printer: every letter that joined the print queue that day, in one
//! PDF, each starting on a new page.

use crate::DbArgs;
use anyhow::{Result, bail};
use clap::Subcommand;
use jiff::civil::Date;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum LettersCommand {
    /// Write the print batch of one day (UTC) to a PDF file.
    Batch {
        /// The day the letters were sent; today when left out.
        #[arg(long)]
        on: Option<Date>,
        #[arg(long)]
        output: PathBuf,
    },
}

pub async fn run(db: &DbArgs, cmd: LettersCommand) -> Result<()> {
    let LettersCommand::Batch { on, output } = cmd;
    let store = crate::store::open(db).await?;
    let tenant = crate::store::tenant(store.as_ref(), &db.tenant).await?;
    let on = on.unwrap_or_else(recoup_server::api::servicing::today);
    let letters = recoup_server::letters::day_letters(store.as_ref(), tenant.id, on).await?;
    if letters.is_empty() {
        bail!("no letter joined the print queue on {on}");
    }
    let pdf = recoup_server::letters::batch_pdf(&letters)?;
    std::fs::write(&output, pdf)?;
    println!("{} letters for {on} written to {}", letters.len(), output.display());
    Ok(())
}
