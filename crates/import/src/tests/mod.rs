//! Whole-file tests: a file goes in, placed accounts and rejects come out. The per-value rules
//! are tested next to their parsers.

mod csv_files;
mod jsonl_files;
mod lakeshore;
mod payment_files;
mod rejects_files;
mod synth_files;

use crate::{Format, ImportContext, ImportError, Mapping, PlacementReader, RowReject, RowResult, find_duplicate_refs};
use recoup_domain::money::Currency;
use recoup_domain::placement::PlacedAccount;
use uuid::Uuid;

pub(crate) fn today() -> jiff::civil::Date {
    jiff::civil::date(2026, 11, 23)
}

pub(crate) fn ctx() -> ImportContext {
    ImportContext {
        tenant_id: Uuid::now_v7(),
        client_id: Uuid::now_v7(),
        portfolio_id: Uuid::now_v7(),
        placement_id: Uuid::now_v7(),
        default_currency: Currency::USD,
        creditor_name: "Test Creditor".to_string(),
        today: today(),
    }
}

pub(crate) struct Outcome {
    pub placed: Vec<PlacedAccount>,
    pub rejects: Vec<RowReject>,
    pub header: Vec<String>,
}

impl Outcome {
    pub fn reject(&self, line: u64) -> &RowReject {
        self.rejects.iter().find(|r| r.line == line).unwrap_or_else(|| panic!("no reject on line {line}: {:#?}", self.rejects))
    }

    pub fn only_reject(&self) -> &RowReject {
        assert_eq!(self.rejects.len(), 1, "{:#?}", self.rejects);
        &self.rejects[0]
    }
}

/// Both passes, as the CLI runs them.
pub(crate) fn import(bytes: &[u8], format: Format, mapping: &Mapping) -> Result<Outcome, ImportError> {
    let duplicates = find_duplicate_refs(bytes, format, mapping)?;
    let reader = PlacementReader::new(bytes, format, mapping, ctx())?.with_duplicates(duplicates);
    let header = reader.header().to_vec();
    let mut out = Outcome { placed: Vec::new(), rejects: Vec::new(), header };
    for row in reader {
        match row? {
            RowResult::Placed(p) => out.placed.push(*p),
            RowResult::Rejected(r) => out.rejects.push(r),
        }
    }
    Ok(out)
}

pub(crate) fn import_csv(text: &str) -> Outcome {
    import(text.as_bytes(), Format::Csv, &Mapping::standard()).unwrap()
}

/// A small standard file: this header, then the given rows.
pub(crate) const HEADER: &str =
    "account_ref,first_name,last_name,principal,interest,fees,opened_on,charged_off_on,state,phone_mobile,email,time_zone";

pub(crate) fn csv(rows: &[&str]) -> String {
    let mut s = String::from(HEADER);
    for r in rows {
        s.push('\n');
        s.push_str(r);
    }
    s.push('\n');
    s
}

pub(crate) const GOOD: &str = "A-1,Ana,Muñoz,1200.00,30.50,25,2020-01-15,2022-06-30,IL,(312) 555-0147,ana@example.com,";
