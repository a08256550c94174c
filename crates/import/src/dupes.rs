//! The cheap first pass over a file: which account numbers appear on more than one line.

use crate::Format;
use crate::csv_reader::CsvSource;
use crate::decode;
use crate::error::ImportError;
use crate::jsonl::JsonlSource;
use crate::mapping::Mapping;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Read;

/// Account numbers that appear on more than one line, each with all its lines. Rows that
/// cannot be read (no account number, a line that is not JSON) are left to the import to report.
pub fn find_duplicate_refs<R: Read>(input: R, format: Format, mapping: &Mapping) -> Result<HashMap<String, Vec<u64>>, ImportError> {
    // A 128-bit digest per account number instead of the text keeps a ten-million-row file's
    // pass to a few hundred megabytes; the text is kept only for the duplicates.
    let mut first_line: HashMap<u128, u64> = HashMap::new();
    let mut duplicates: HashMap<String, Vec<u64>> = HashMap::new();
    let mut note = |line: u64, account_ref: Option<String>| {
        let Some(r) = account_ref else { return };
        match first_line.entry(digest(&r)) {
            Entry::Vacant(v) => {
                v.insert(line);
            }
            Entry::Occupied(o) => duplicates.entry(r).or_insert_with(|| vec![*o.get()]).push(line),
        }
    };
    let input = decode::sniff(input)?;
    match format {
        Format::Csv => {
            let mut src = CsvSource::new(input, mapping)?;
            while let Some(next) = src.next_ref() {
                let (line, r) = next?;
                note(line, r);
            }
        }
        Format::JsonLines => {
            let mut src = JsonlSource::new(input, mapping);
            while let Some(next) = src.next_ref(mapping) {
                let (line, r) = next?;
                note(line, r);
            }
        }
    }
    Ok(duplicates)
}

fn digest(s: &str) -> u128 {
    let half = |salt: u8| {
        let mut h = DefaultHasher::new();
        salt.hash(&mut h);
        s.hash(&mut h);
        h.finish()
    };
    (u128::from(half(0)) << 64) | u128::from(half(1))
}
