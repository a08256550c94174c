//! Rejects files: fixed by a person, imported again as they are. Also the fingerprint, which
//! tells a re-import what changed.

use super::{GOOD, csv, import, import_csv};
use crate::{Format, Mapping, RejectWriter};

fn rejects_file(out: &super::Outcome, format: Format) -> String {
    let mut w = RejectWriter::new(Vec::new(), format, &out.header);
    for r in &out.rejects {
        w.write(r).unwrap();
    }
    assert_eq!(w.count(), out.rejects.len() as u64);
    String::from_utf8(w.finish().unwrap()).unwrap()
}

#[test]
fn a_fixed_csv_rejects_file_imports_as_it_is() {
    // `_note` is the client's own column: skipped on import, kept in the rejects file.
    let text = format!(
        "\u{feff}_note,{}\n,{}\nkeep me,A-2,Zoë,\"Li, Jr\",12O.00,0,0,2020-01-15,2022-06-30,IL,,,\n,A-3,Bo,Li,100\n",
        super::HEADER,
        GOOD.replace("A-1", "A-9")
    );
    let out = import_csv(&text);
    assert_eq!((out.placed.len(), out.rejects.len()), (1, 2), "{:#?}", out.rejects);

    let rejects = rejects_file(&out, Format::Csv);
    let mut lines = rejects.lines();
    assert_eq!(lines.next().unwrap(), format!("_note,{},_line,_column,_error", super::HEADER));
    let second = lines.next().unwrap();
    assert!(second.starts_with("keep me,A-2,Zoë,\"Li, Jr\",12O.00,") && second.contains(",3,principal,"), "{second}");
    assert!(lines.next().unwrap().contains(",4,,the row has 5 fields"));

    // The person fixes the amount and fills in the cut-short row; nothing else changes.
    let fixed = rejects.replace("12O.00", "120.00").replace(",A-3,Bo,Li,100,,,,,,,,", ",A-3,Bo,Li,100,0,0,2020-01-15,2022-06-30,IL,,,");
    let again = import_csv(&fixed);
    assert!(again.rejects.is_empty(), "{:#?}", again.rejects);
    assert_eq!(again.placed.iter().map(|p| p.account.external_ref.as_str()).collect::<Vec<_>>(), ["A-2", "A-3"]);
    assert_eq!(again.placed[0].parties[0].party.last_name.as_deref(), Some("Li, Jr"));

    // A rejects file rejected again does not pile up trailer columns.
    let twice = rejects_file(&import_csv(&rejects), Format::Csv);
    assert_eq!(twice.lines().next(), rejects.lines().next());
}

#[test]
fn a_fixed_json_lines_rejects_file_imports_as_it_is() {
    let lines = [r#"{"account_ref":"J-1","last_name":"Li","principal":"-3"}"#, "not json"];
    let out = import(lines.join("\n").as_bytes(), Format::JsonLines, &Mapping::standard()).unwrap();
    let rejects = rejects_file(&out, Format::JsonLines);
    let first: serde_json::Value = serde_json::from_str(rejects.lines().next().unwrap()).unwrap();
    assert_eq!(first["_error"]["line"], 1);
    assert_eq!(first["_error"]["column"], "principal");
    assert!(rejects.lines().nth(1).unwrap().contains(r#""_raw":"not json""#));

    let fixed = rejects.lines().next().unwrap().replace(r#""principal":"-3""#, r#""principal":"3""#);
    let again = import(fixed.as_bytes(), Format::JsonLines, &Mapping::standard()).unwrap();
    assert!(again.rejects.is_empty(), "{:#?}", again.rejects);
}

#[test]
fn the_fingerprint_follows_content_not_ids_or_spelling() {
    let a = import_csv(&csv(&[GOOD]));
    let b = import_csv(&csv(&[GOOD]));
    assert_ne!(a.placed[0].account.id, b.placed[0].account.id);
    assert_eq!(a.placed[0].fingerprint, b.placed[0].fingerprint);

    let respelled = GOOD.replace("1200.00", "\"$1,200\"").replace("(312) 555-0147", "312.555.0147");
    assert_eq!(import_csv(&csv(&[&respelled])).placed[0].fingerprint, a.placed[0].fingerprint);

    let changed = GOOD.replace("30.50", "30.51");
    assert_ne!(import_csv(&csv(&[&changed])).placed[0].fingerprint, a.placed[0].fingerprint);
    let moved = GOOD.replace("Ana,", "Anna,");
    assert_ne!(import_csv(&csv(&[&moved])).placed[0].fingerprint, a.placed[0].fingerprint);
}

#[test]
fn the_fingerprint_covers_the_full_national_id_and_birth_date() {
    let header = "account_ref,last_name,principal,national_id,date_of_birth";
    let fp = |row: &str| import_csv(&format!("{header}\n{row}\n")).placed[0].fingerprint;
    let a = fp("A-1,Li,100,987-65-4320,1960-03-26");
    assert_eq!(fp("A-1,Li,100,987654320,1960-03-26"), a, "the same id written without dashes");
    assert_ne!(fp("A-1,Li,100,987-65-4321,1960-03-26"), a, "a corrected id");
    assert_ne!(fp("A-1,Li,100,987-66-4320,1960-03-26"), a, "a correction outside the last four");
    assert_ne!(fp("A-1,Li,100,4320,1960-03-26"), a, "only the last four sent");
    assert_ne!(fp("A-1,Li,100,987-65-4320,1960-03-27"), a, "another birth date");
}
