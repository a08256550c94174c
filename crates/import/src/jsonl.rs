//! JSON Lines placement files: one object per line, keyed by the standard field names (or the
//! mapping's), plus nested `parties` and `invoices` that a flat CSV row cannot carry. Values are
//! laid out as text and checked by the same row builder as CSV.

use crate::decode::{self, BOM, Prefixed};
use crate::error::ImportError;
use crate::field::Field;
use crate::ids::Ids;
use crate::mapping::Mapping;
use crate::rejects::{RawRow, RowReject};
use crate::row::{self, Cell, Cells, Fault, InvoiceRecord, PartyRecord, Record};
use crate::{ImportContext, RowResult};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};

/// A line's number and its text, or why it is not text.
type Line = (u64, Result<String, String>);

pub(crate) struct JsonlSource<R: Read> {
    input: BufReader<Prefixed<R>>,
    buf: Vec<u8>,
    line: u64,
    /// Lower-cased key to field, from the mapping.
    keys: HashMap<String, Field>,
    /// Unknown keys are faults with the standard names, and the client's business with a mapping.
    strict: bool,
    encoding: decode::Encoding,
}

impl<R: Read> JsonlSource<R> {
    pub fn new(input: Prefixed<R>, mapping: &Mapping) -> Self {
        let keys = Field::ALL.into_iter().filter_map(|f| mapping.column(f).map(|k| (k.to_ascii_lowercase(), f))).collect();
        JsonlSource {
            input: BufReader::with_capacity(64 * 1024, input),
            buf: Vec::new(),
            line: 0,
            keys,
            strict: mapping.uses_standard_columns(),
            encoding: mapping.encoding(),
        }
    }

    /// The next non-blank line, decoded; `Err(reason)` inside when it is not text.
    fn read(&mut self) -> Option<Result<Line, ImportError>> {
        loop {
            self.buf.clear();
            match self.input.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => return Some(Err(e.into())),
            }
            self.line += 1;
            let mut bytes = &self.buf[..];
            if self.line == 1 {
                bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
            }
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let text = decode::decode(bytes, self.encoding).map(|t| t.trim_end_matches(['\r', '\n']).to_string());
            return Some(Ok((self.line, text.map_err(|why| format!("the line {why}")))));
        }
    }

    pub fn next_row(
        &mut self,
        mapping: &Mapping,
        ctx: &ImportContext,
        duplicates: &HashMap<String, Vec<u64>>,
        ids: &mut Ids,
    ) -> Option<Result<RowResult, ImportError>> {
        let (line, text) = match self.read()? {
            Ok(v) => v,
            Err(e) => return Some(Err(e)),
        };
        let whole_line =
            |reason: String, raw: RawRow| Some(Ok(RowResult::Rejected(RowReject::new(line, vec![Fault { column: None, reason }], raw))));
        let text = match text {
            Ok(t) => t,
            Err(reason) => {
                return whole_line(reason, RawRow::Text(String::from_utf8_lossy(&self.buf).trim_end().to_string()));
            }
        };
        let object = match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(o)) => o,
            Ok(_) => {
                return whole_line("the line is JSON but not an object ({...})".to_string(), RawRow::Text(text));
            }
            Err(e) => {
                return whole_line(format!("the line is not valid JSON: {e}"), RawRow::Text(text));
            }
        };
        let rec = self.record(line, &object);
        let result = match row::build(rec, mapping, ctx, duplicates, ids) {
            Ok(placed) => RowResult::Placed(Box::new(placed)),
            Err(faults) => RowResult::Rejected(RowReject::new(line, faults, RawRow::Json(object))),
        };
        Some(Ok(result))
    }

    fn record<'a>(&self, line: u64, object: &'a Map<String, Value>) -> Record<'a> {
        let mut rec = Record::new(line);
        for (key, value) in object {
            if key.starts_with('_') {
                continue;
            }
            match key.as_str() {
                "parties" => parties(&mut rec, key, value, self.strict),
                "invoices" => invoices(&mut rec, key, value, self.strict),
                _ => match self.keys.get(&key.to_ascii_lowercase()) {
                    Some(&field) => set(&mut rec.cells, &mut rec.faults, field, value, Cow::Borrowed(key.as_str())),
                    None if self.strict => rec.faults.push(Fault {
                        column: Some(key.clone()),
                        reason: "unknown field for the standard format (prefix it with _ to keep it unread)".to_string(),
                    }),
                    None => {}
                },
            }
        }
        rec
    }

    /// The next line's number and trimmed account number, for the duplicate pass.
    pub fn next_ref(&mut self, mapping: &Mapping) -> Option<Result<(u64, Option<String>), ImportError>> {
        let (line, text) = match self.read()? {
            Ok(v) => v,
            Err(e) => return Some(Err(e)),
        };
        let key = mapping.column(Field::AccountRef).unwrap_or(Field::AccountRef.name());
        let found = text
            .ok()
            .and_then(|t| serde_json::from_str::<Map<String, Value>>(&t).ok())
            .and_then(|o| {
                o.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .and_then(|(_, v)| scalar(v).ok().flatten())
                    .map(|t| t.trim().to_string())
            })
            .filter(|t| !t.is_empty());
        Some(Ok((line, found)))
    }
}

fn set<'a>(cells: &mut Cells<'a>, faults: &mut Vec<Fault>, field: Field, value: &'a Value, column: Cow<'a, str>) {
    // Flags read naturally as a list in JSON.
    if field == Field::Flags
        && let Value::Array(items) = value
        && let Some(words) = items.iter().map(Value::as_str).collect::<Option<Vec<_>>>()
    {
        cells.set(field, words.join(","), column);
        return;
    }
    match scalar(value) {
        Ok(Some(text)) => cells.set(field, text, column),
        Ok(None) => {}
        Err(reason) => faults.push(Fault { column: Some(column.into_owned()), reason }),
    }
}

/// A value as the text the field parsers read. Amounts may be numbers, but a number goes
/// through a 64-bit float in the JSON parser, so one with more than 15 significant digits may
/// already have been rounded and is refused rather than trusted.
fn scalar(value: &Value) -> Result<Option<Cow<'_, str>>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(Cow::Borrowed(s))),
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(Some(Cow::Owned(n.to_string()))),
        Value::Number(n) => {
            let text = n.to_string();
            let significant = text.trim_start_matches(['-', '0', '.']).bytes().filter(u8::is_ascii_digit).count();
            if significant > 15 || text.contains(['e', 'E']) {
                Err(format!("the number {text} may have been rounded; write it as a string, e.g. \"{text}\""))
            } else {
                Ok(Some(Cow::Owned(text)))
            }
        }
        Value::Bool(_) | Value::Array(_) | Value::Object(_) => Err("expected text or a number".to_string()),
    }
}

fn array<'a>(rec: &mut Record<'_>, key: &str, value: &'a Value) -> &'a [Value] {
    match value {
        Value::Array(items) => items,
        Value::Null => &[],
        _ => {
            rec.faults.push(Fault { column: Some(key.to_string()), reason: "expected a list of objects".to_string() });
            &[]
        }
    }
}

fn parties<'a>(rec: &mut Record<'a>, key: &str, value: &'a Value, strict: bool) {
    for (i, item) in array(rec, key, value).iter().enumerate() {
        let path = format!("{key}[{i}]");
        let Value::Object(o) = item else {
            rec.faults.push(Fault { column: Some(path), reason: "expected an object".to_string() });
            continue;
        };
        let mut party = PartyRecord { role: None, cells: Cells::nested(path.clone()) };
        for (k, v) in o {
            let column = Cow::Owned(format!("{path}.{k}"));
            if k == "role" {
                match scalar(v) {
                    Ok(text) => party.role = text.map(|text| Cell { text, column }),
                    Err(reason) => rec.faults.push(Fault { column: Some(column.into_owned()), reason }),
                }
                continue;
            }
            match Field::parse(k).filter(|f| Field::PARTY.contains(f)) {
                Some(f) => set(&mut party.cells, &mut rec.faults, f, v, column),
                None if strict && !k.starts_with('_') => {
                    rec.faults.push(Fault { column: Some(column.into_owned()), reason: "unknown party field".to_string() })
                }
                None => {}
            }
        }
        rec.parties.push(party);
    }
}

fn invoices<'a>(rec: &mut Record<'a>, key: &str, value: &'a Value, strict: bool) {
    for (i, item) in array(rec, key, value).iter().enumerate() {
        let path = format!("{key}[{i}]");
        let Value::Object(o) = item else {
            rec.faults.push(Fault { column: Some(path), reason: "expected an object".to_string() });
            continue;
        };
        let mut inv = InvoiceRecord { path: path.clone(), ..Default::default() };
        for (k, v) in o {
            let column = format!("{path}.{k}");
            let slot = match k.as_str() {
                "number" => &mut inv.number,
                "issued_on" => &mut inv.issued_on,
                "due_on" => &mut inv.due_on,
                "amount" => &mut inv.amount,
                "open" => &mut inv.open,
                _ => {
                    if strict && !k.starts_with('_') {
                        rec.faults.push(Fault { column: Some(column), reason: "unknown invoice field".to_string() });
                    }
                    continue;
                }
            };
            match scalar(v) {
                Ok(text) => *slot = text.map(|text| Cell { text, column: Cow::Owned(column) }),
                Err(reason) => rec.faults.push(Fault { column: Some(column), reason }),
            }
        }
        rec.invoices.push(inv);
    }
}
