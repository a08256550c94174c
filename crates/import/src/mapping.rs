//! Mapping files: how a client's own export is read without anyone editing it. A mapping names
//! the encoding, the date format, which of the client's columns holds each of our fields, and
//! constant values for fields the file lacks. The same file shape serves every kind of file
//! (placements, payments); only the field names differ.

use crate::decode::Encoding;
use crate::error::ImportError;
use crate::field::{Field, FieldSet};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

pub(crate) const ISO_DATE: &str = "%Y-%m-%d";

/// How to read a file's columns and values, for the fields `F`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMapping<F: FieldSet> {
    encoding: Encoding,
    date_format: String,
    /// `None`: the file uses the standard column names, and any other column is an error.
    columns: Option<BTreeMap<F, String>>,
    defaults: Vec<Option<String>>,
}

/// How to read a placement file.
pub type Mapping = ColumnMapping<Field>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    encoding: Option<String>,
    date_format: Option<String>,
    columns: Option<BTreeMap<String, String>>,
    defaults: Option<BTreeMap<String, toml::Value>>,
}

impl<F: FieldSet> Default for ColumnMapping<F> {
    fn default() -> Self {
        ColumnMapping::standard()
    }
}

impl<F: FieldSet> ColumnMapping<F> {
    /// The standard format: standard column names, ISO dates, encoding detected.
    pub fn standard() -> Self {
        ColumnMapping { encoding: Encoding::Auto, date_format: ISO_DATE.to_string(), columns: None, defaults: vec![None; F::all().len()] }
    }

    pub fn from_file(path: &Path) -> Result<Self, ImportError> {
        let text = std::fs::read_to_string(path).map_err(|e| ImportError::mapping(format!("cannot read {}: {e}", path.display())))?;
        Self::from_toml_str(&text)
    }

    pub fn from_toml_str(text: &str) -> Result<Self, ImportError> {
        let file: MappingFile = toml::from_str(text).map_err(|e| ImportError::mapping(e.to_string()))?;
        let mut m = Self::standard();
        if let Some(name) = file.encoding {
            m.encoding = Encoding::parse(&name)
                .ok_or_else(|| ImportError::mapping(format!("unknown encoding {name:?} (expected auto, utf-8 or windows-1252)")))?;
        }
        if let Some(fmt) = file.date_format {
            check_date_format(&fmt)?;
            m.date_format = fmt;
        }
        if let Some(columns) = file.columns {
            let (known, unknown) = by_field::<F>(columns.into_iter());
            if !unknown.is_empty() {
                return Err(unknown_fields::<F>("[columns]", &unknown));
            }
            let blank: Vec<&str> = known.iter().filter(|(_, c)| c.trim().is_empty()).map(|(f, _)| f.name()).collect();
            if !blank.is_empty() {
                return Err(ImportError::mapping(format!("[columns] maps {} to an empty column name", blank.join(", "))));
            }
            m.columns = Some(known.into_iter().map(|(f, c)| (f, c.trim().to_string())).collect());
        }
        if let Some(defaults) = file.defaults {
            let mut texts = Vec::new();
            for (key, value) in defaults {
                let text = match value {
                    toml::Value::String(s) => s,
                    toml::Value::Integer(i) => i.to_string(),
                    toml::Value::Float(f) => f.to_string(),
                    other => {
                        return Err(ImportError::mapping(format!(
                            "[defaults] {key} must be a string or a number, not {}",
                            other.type_str()
                        )));
                    }
                };
                texts.push((key, text));
            }
            let (known, unknown) = by_field::<F>(texts.into_iter());
            if !unknown.is_empty() {
                return Err(unknown_fields::<F>("[defaults]", &unknown));
            }
            for (field, text) in known {
                if field == F::KEY {
                    return Err(ImportError::mapping(format!("[defaults] cannot give {field}: every row would share it")));
                }
                field
                    .check_default(&text, &m.date_format)
                    .map_err(|reason| ImportError::mapping(format!("[defaults] {field} = {text:?}: {reason}")))?;
                m.defaults[field.index()] = Some(text);
            }
        }
        m.check_required()?;
        Ok(m)
    }

    /// A mapping with its own [columns] must say where the fields every row needs are; a
    /// standard-column mapping is checked against the header instead. The account's key must
    /// be a column: no default can stand for it.
    fn check_required(&self) -> Result<(), ImportError> {
        let Some(columns) = &self.columns else {
            return Ok(());
        };
        let has = |f: F| columns.contains_key(&f) || (f != F::KEY && self.default_for(f).is_some());
        let missing = F::missing(&has);
        if missing.is_empty() { Ok(()) } else { Err(ImportError::mapping(format!("[columns] must map {}", missing.join(", ")))) }
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    pub fn date_format(&self) -> &str {
        &self.date_format
    }

    /// True when the file is expected to carry the standard column names.
    pub fn uses_standard_columns(&self) -> bool {
        self.columns.is_none()
    }

    /// The client's column (or JSON key) for a field.
    pub fn column(&self, field: F) -> Option<&str> {
        match &self.columns {
            None => Some(field.name()),
            Some(c) => c.get(&field).map(String::as_str),
        }
    }

    pub fn default_for(&self, field: F) -> Option<&str> {
        self.defaults[field.index()].as_deref()
    }

    /// Overrides the encoding, e.g. to re-import a rejects file (always UTF-8) with a mapping
    /// written for a Windows-1252 export.
    pub fn with_encoding(mut self, encoding: Encoding) -> Self {
        self.encoding = encoding;
        self
    }
}

fn by_field<F: FieldSet>(entries: impl Iterator<Item = (String, String)>) -> (Vec<(F, String)>, Vec<String>) {
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for (key, value) in entries {
        match F::parse(&key) {
            Some(f) => known.push((f, value)),
            None => unknown.push(key),
        }
    }
    (known, unknown)
}

fn unknown_fields<F: FieldSet>(table: &str, names: &[String]) -> ImportError {
    let known: Vec<&str> = F::all().iter().map(|f| f.name()).collect();
    ImportError::mapping(format!("{table} names unknown fields: {}; the fields are: {}", names.join(", "), known.join(", ")))
}

/// A date format must read back what it writes, or every date in the file would be refused
/// (a format without a year, say) and the mapping is the thing to fix.
fn check_date_format(fmt: &str) -> Result<(), ImportError> {
    let probe = jiff::civil::date(2024, 11, 28);
    let bad = |why: String| ImportError::mapping(format!("date_format {fmt:?} {why}"));
    let text = jiff::fmt::strtime::format(fmt, probe).map_err(|e| bad(format!("is not a valid format: {e}")))?;
    match jiff::civil::Date::strptime(fmt, &text) {
        Ok(d) if d == probe => Ok(()),
        _ => Err(bad("does not name a full date (it needs a year, a month and a day)".to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapping_file_reads_columns_defaults_and_formats() {
        let m = Mapping::from_toml_str(
            r#"
            encoding = "windows-1252"
            date_format = "%m/%d/%Y"
            [columns]
            account_ref = "Acct No"
            last_name = "Surname"
            principal = "Princ"
            [defaults]
            currency = "usd"
            itemization_basis = "charge_off"
            costs = 0
            "#,
        )
        .unwrap();
        assert_eq!(m.encoding(), Encoding::Windows1252);
        assert_eq!(m.date_format(), "%m/%d/%Y");
        assert_eq!(m.column(Field::AccountRef), Some("Acct No"));
        assert_eq!(m.column(Field::Email), None);
        assert_eq!(m.default_for(Field::Costs), Some("0"));
        assert!(!m.uses_standard_columns());
        assert_eq!(Mapping::standard().column(Field::Email), Some("email"));
    }

    fn err(text: &str) -> String {
        Mapping::from_toml_str(text).unwrap_err().to_string()
    }

    #[test]
    fn mistakes_in_a_mapping_are_named() {
        assert!(err("[columns]\naccount_ref = \"A\"\nprincipal = \"P\"\nlast_name = \"L\"\nsurname = \"S\"").contains("surname"));
        assert!(err("[defaults]\ncolour = \"red\"").contains("colour"));
        assert!(err("[defaults]\ncurrency = \"XYZ\"").contains("currency"));
        assert!(err("[defaults]\nitemization_basis = \"whenever\"").contains("itemization_basis"));
        assert!(err("[defaults]\naccount_ref = \"A\"").contains("account_ref"));
        assert!(err("date_format = \"%m/%d\"").contains("full date"));
        assert!(err("encoding = \"ebcdic\"").contains("ebcdic"));
        assert!(err("delimiter = \";\"").contains("delimiter"));
        assert!(err("[columns]\naccount_ref = \"A\"").contains("principal"));
    }
}
