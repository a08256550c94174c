//! CSV files: encodings, line ends, file-level faults and the row rules.

use super::{GOOD, HEADER, csv, ctx, import, import_csv};
use crate::{Format, ImportError, Mapping, PlacementReader};
use recoup_domain::contact::ContactKind;
use recoup_domain::party::PartyKind;

#[test]
fn a_good_row_becomes_an_account_with_its_party_and_contacts() {
    let out = import_csv(&csv(&[GOOD]));
    assert!(out.rejects.is_empty(), "{:#?}", out.rejects);
    let p = &out.placed[0];
    assert_eq!(p.line, 2);
    assert_eq!(p.account.original_creditor, "Test Creditor");
    assert_eq!(p.reported.owed(), 120_000 + 3_050 + 2_500);
    let cps = &p.parties[0].contact_points;
    assert_eq!(cps.iter().map(|c| c.kind).collect::<Vec<_>>(), [ContactKind::Phone, ContactKind::Email]);
    assert_eq!(cps[0].value, "+13125550147");
    assert_eq!(cps[0].time_zone.as_deref(), Some("America/Chicago"), "Illinois has one zone");
    assert!(cps.iter().all(|c| c.party_id == p.parties[0].party.id));
}

#[test]
fn windows_1252_files_import() {
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(b"\nA-1,Zo\xEB,Mu\xF1oz,100,0,0,2020-01-15,2022-06-30,IL,,,\n");
    for mapping in [Mapping::standard(), Mapping::from_toml_str("encoding = \"windows-1252\"").unwrap()] {
        let out = import(&bytes, Format::Csv, &mapping).unwrap();
        assert!(out.rejects.is_empty(), "{:#?}", out.rejects);
        assert_eq!(out.placed[0].parties[0].party.display_name(), "Zoë Muñoz");
    }
    let strict = Mapping::from_toml_str("encoding = \"utf-8\"").unwrap();
    let out = import(&bytes, Format::Csv, &strict).unwrap();
    assert_eq!(out.only_reject().column.as_deref(), Some("first_name"));
    assert!(out.only_reject().reason.contains("UTF-8"));
}

#[test]
fn utf8_bom_and_crlf_line_ends_import_with_the_right_line_numbers() {
    let text = format!("\u{feff}{HEADER}\r\n{GOOD}\r\nA-2,Bo,Li,-5,0,0,2020-01-15,2022-06-30,IL,,,\r\n");
    let out = import_csv(&text);
    assert_eq!(out.header[0], "account_ref", "the BOM is not part of the first column's name");
    assert_eq!(out.placed.len(), 1);
    assert_eq!(out.placed[0].parties[0].party.last_name.as_deref(), Some("Muñoz"));
    assert_eq!(out.only_reject().line, 3);
    assert_eq!(out.only_reject().column.as_deref(), Some("principal"));
}

#[test]
fn blank_lines_and_old_mac_line_ends_keep_line_numbers_physical() {
    let text = format!("{HEADER}\n\n{GOOD}\n\n\nA-2,Bo,Li,x,0,0,2020-01-15,2022-06-30,IL,,,\n");
    assert_eq!(import_csv(&text).placed[0].line, 3);
    assert_eq!(import_csv(&text).only_reject().line, 6);
    assert_eq!(import_csv(&text.replace('\n', "\r")).only_reject().line, 6);
}

#[test]
fn a_quoted_line_break_keeps_later_line_numbers_physical() {
    let text = csv(&["A-1,\"Ana\nMaria\",Muñoz,100,0,0,2020-01-15,2022-06-30,IL,,,", "A-2,Bo,Li,oops,0,0,2020-01-15,2022-06-30,IL,,,"]);
    let out = import_csv(&text);
    assert_eq!(out.placed[0].line, 2);
    assert_eq!(out.only_reject().line, 4);
}

#[test]
fn empty_and_binary_files_are_refused_whole() {
    let std = Mapping::standard();
    for empty in [&b""[..], b"\xEF\xBB\xBF", b"\r\n\r\n"] {
        assert!(matches!(PlacementReader::new(empty, Format::Csv, &std, ctx()), Err(ImportError::Empty)));
    }
    let zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00account_ref,principal";
    assert!(matches!(PlacementReader::new(&zip[..], Format::Csv, &std, ctx()), Err(ImportError::Binary)));
    assert!(matches!(crate::find_duplicate_refs(&zip[..], Format::Csv, &std), Err(ImportError::Binary)));
    // A header alone is a valid file with nothing in it.
    assert!(import_csv(&format!("{HEADER}\n")).placed.is_empty());
}

#[test]
fn a_truncated_last_line_is_rejected_and_the_rest_imports() {
    let text = format!("{HEADER}\n{GOOD}\nA-2,Bo,Li,100,0");
    let out = import_csv(&text);
    assert_eq!(out.placed.len(), 1);
    let r = out.only_reject();
    assert_eq!((r.line, r.column.as_deref()), (3, None));
    assert!(r.reason.contains("5 fields but the header has 12"), "{}", r.reason);
}

#[test]
fn missing_required_columns_are_named_with_the_header() {
    let e = import("account_ref,first_name\nA-1,Ana\n".as_bytes(), Format::Csv, &Mapping::standard()).err().unwrap();
    let ImportError::MissingColumns { columns, header } = &e else { panic!("{e}") };
    assert_eq!(columns, &["principal", "last_name or company_name"]);
    assert_eq!(header, "account_ref,first_name");
    assert!(e.to_string().contains("account_ref,first_name"));
}

#[test]
fn unknown_columns_fail_the_standard_format_but_not_a_mapping() {
    let text = "Account_Ref , last_name,principal,emial,_note\nA-1,Li,100,li@example.com,call after 5\n";
    let e = import(text.as_bytes(), Format::Csv, &Mapping::standard()).err().unwrap();
    assert!(matches!(&e, ImportError::UnknownColumns { columns, .. } if columns == &["emial"]), "{e}");

    let mapping =
        Mapping::from_toml_str("[columns]\naccount_ref = \"account_ref\"\nlast_name = \"LAST_NAME\"\nprincipal = \"principal\"").unwrap();
    let out = import(text.as_bytes(), Format::Csv, &mapping).unwrap();
    assert_eq!(out.placed.len(), 1);

    let e = import("account_ref,last_name,principal,last_name\n".as_bytes(), Format::Csv, &Mapping::standard()).err().unwrap();
    assert!(matches!(e, ImportError::DuplicateColumns { .. }), "{e}");
}

#[test]
fn a_mapped_column_missing_from_the_file_is_named() {
    let mapping = Mapping::from_toml_str("[columns]\naccount_ref = \"Acct\"\nlast_name = \"Surname\"\nprincipal = \"Princ\"").unwrap();
    let e = import("Acct,Surname\n".as_bytes(), Format::Csv, &mapping).err().unwrap();
    assert!(matches!(&e, ImportError::MissingColumns { columns, .. } if columns == &["Princ"]), "{e}");
}

fn one_fault(row: &str) -> (String, String) {
    let out = import_csv(&csv(&[row]));
    let r = out.only_reject();
    (r.column.clone().unwrap_or_default(), r.reason.clone())
}

#[test]
fn each_bad_value_is_rejected_with_its_column() {
    let cases = [
        ("A-1,Ana,Li,100,0,0,2020-01-15,2024-02-30,IL,,,", "charged_off_on", "not a real date"),
        ("A-1,Ana,Li,100,0,0,2020-01-15,06/30/2022,IL,,,", "charged_off_on", "YYYY-MM-DD"),
        ("A-1,Ana,Li,100,0,0,2020-01-15,2027-01-01,IL,,,", "charged_off_on", "in the future"),
        ("A-1,Ana,Li,100,0,0,2023-01-15,2022-06-30,IL,,,", "charged_off_on", "before the account was opened"),
        ("A-1,Ana,Li,100,0,-1.00,2020-01-15,2022-06-30,IL,,,", "fees", "negative"),
        ("A-1,Ana,Li,1OO,0,0,2020-01-15,2022-06-30,IL,,,", "principal", "not an amount"),
        ("A-1,Ana,Li,100.001,0,0,2020-01-15,2022-06-30,IL,,,", "principal", "decimals"),
        ("A-1,Ana,Li,0,0,0,2020-01-15,2022-06-30,IL,,,", "principal", "nothing is owed"),
        ("A-1,Ana,Li,,0,0,2020-01-15,2022-06-30,IL,,,", "principal", "empty"),
        ("A-1,Ana,,100,0,0,2020-01-15,2022-06-30,IL,,,", "last_name", "last name"),
        ("  ,Ana,Li,100,0,0,2020-01-15,2022-06-30,IL,,,", "account_ref", "empty"),
        ("A-1,Ana,Li,100,0,0,2020-01-15,2022-06-30,IL,,,America/Springfield", "time_zone", "IANA"),
        ("A-1,Ana,Li,100,0,0,2020-01-15,2022-06-30,IL,555-0147,,", "phone_mobile", "too few digits"),
        ("A-1,Ana,Li,100,0,0,2020-01-15,2022-06-30,IL,,ana@,", "email", "malformed"),
        ("A-1,Ana,Li,100,0,0,2020-01-15,2022-06-30,XX,,,", "state", "not a US state"),
    ];
    for (row, column, words) in cases {
        let (c, reason) = one_fault(row);
        assert_eq!(c, column, "{row}: {reason}");
        assert!(reason.contains(words), "{row}: {reason:?} should say {words:?}");
    }
}

#[test]
fn more_columns_are_checked_the_same_way() {
    let header = "account_ref,last_name,principal,interest,total,currency,flags,national_id,itemization_basis";
    let cases = [
        ("A-1,Li,100,5,105.01,USD,,,", "total", "105.00"),
        ("A-1,Li,100,5,105,XYZ,,,", "currency", "unknown currency"),
        ("A-1,Li,100,5,105,USD,disputed;sleepy,,", "flags", "sleepy"),
        ("A-1,Li,100,5,105,USD,,987-65-432,", "national_id", "9 digits"),
        ("A-1,Li,100,5,105,USD,,,someday", "itemization_basis", "itemization basis"),
    ];
    for (row, column, words) in cases {
        let out = import_csv(&format!("{header}\n{row}\n"));
        let r = out.only_reject();
        assert_eq!(r.column.as_deref(), Some(column), "{row}: {}", r.reason);
        assert!(r.reason.contains(words), "{row}: {:?} should say {words:?}", r.reason);
    }
    let out = import_csv(&format!("{header}\nA-1,Li,\"1,000\",5,\"$1,005.00\",jpy,Disputed; military,4322,charge-off\n"));
    let a = &out.placed[0];
    assert_eq!((a.account.currency.code(), a.reported.principal), ("JPY", 1000));
    assert_eq!(a.account.flags.to_text(), "disputed,military");
    assert_eq!(a.parties[0].party.national_id_last4.as_deref(), Some("4322"));
    assert!(a.parties[0].party.national_id.is_none(), "only the last four were sent");
}

#[test]
fn every_fault_of_a_row_is_reported() {
    let (column, reason) = one_fault("A-1,Ana,Li,-5,abc,0,2020-01-15,2024-02-30,IL,,bad,");
    assert_eq!(column, "charged_off_on", "the first fault in field order");
    for words in ["not a real date", "principal: \"-5\" is negative", "interest: \"abc\"", "email:"] {
        assert!(reason.contains(words), "{reason:?} should say {words:?}");
    }
}

#[test]
fn every_row_sharing_an_account_number_is_rejected() {
    let out = import_csv(&csv(&[GOOD, "B-1,Bo,Li,100,0,0,2020-01-15,2022-06-30,IL,,,", GOOD, GOOD]));
    assert_eq!(out.placed.len(), 1);
    assert_eq!(out.rejects.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 4, 5]);
    assert!(out.reject(2).reason.contains("line 4, 5"), "{}", out.reject(2).reason);
    let dups = crate::find_duplicate_refs(csv(&[GOOD, GOOD]).as_bytes(), Format::Csv, &Mapping::standard()).unwrap();
    assert_eq!(dups.get("A-1"), Some(&vec![2, 3]));
}

#[test]
fn time_zones_come_from_the_row_or_a_single_zone_state() {
    let rows = [
        "T-1,Ana,Li,100,0,0,2020-01-15,2022-06-30,TX,(512) 555-0101,,",
        "T-2,Ana,Li,100,0,0,2020-01-15,2022-06-30,TX,(915) 555-0101,,America/Denver",
        "T-3,Ana,Li,100,0,0,2020-01-15,2022-06-30,hi,(808) 555-0101,,",
    ];
    let out = import_csv(&csv(&rows));
    let zone = |i: usize| out.placed[i].parties[0].contact_points[0].time_zone.clone();
    assert_eq!(zone(0), None, "Texas spans two zones");
    assert_eq!(zone(1).as_deref(), Some("America/Denver"));
    assert_eq!(zone(2).as_deref(), Some("Pacific/Honolulu"));
}

#[test]
fn a_company_row_is_a_company_party() {
    let text = "account_ref,company_name,principal,address_line1,city,state,postal_code\nB-1,Acme Widgets LLC,900,1 Main St,Boston,MA,02108-1234\n";
    let out = import_csv(text);
    let p = &out.placed[0].parties[0];
    assert_eq!((p.party.kind, p.party.display_name().as_str()), (PartyKind::Company, "Acme Widgets LLC"));
    assert_eq!(p.contact_points[0].value, "1 Main St, Boston, MA 02108-1234, US");
    let bad =
        import_csv("account_ref,company_name,principal,address_line1,city,state,postal_code\nB-1,Acme,900,1 Main St,Boston,MA,2108\n");
    assert_eq!(bad.only_reject().column.as_deref(), Some("postal_code"));
}

#[test]
fn open_guesses_the_format_and_runs_the_duplicate_pass() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("placement.CSV");
    std::fs::write(&path, csv(&[GOOD, GOOD, "B-1,Bo,Li,100,0,0,2020-01-15,2022-06-30,IL,,,"])).unwrap();
    let reader = PlacementReader::open(&path, &Mapping::standard(), ctx()).unwrap();
    assert_eq!(reader.format(), Format::Csv);
    let placed = reader.filter(|r| matches!(r, Ok(crate::RowResult::Placed(_)))).count();
    assert_eq!(placed, 1, "both A-1 rows are rejected");
    assert_eq!(Format::from_path(std::path::Path::new("x.NDJSON")), Format::JsonLines);
    assert_eq!(Format::parse("json-lines"), Some(Format::JsonLines));
    assert!(matches!(PlacementReader::open(&dir.path().join("missing.csv"), &Mapping::standard(), ctx()), Err(ImportError::Io(_))));
}

#[test]
fn a_read_failure_ends_the_rows_with_an_error() {
    struct Failing(std::io::Cursor<Vec<u8>>);
    impl std::io::Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match self.0.read(buf)? {
                0 => Err(std::io::Error::other("disk gone")),
                n => Ok(n),
            }
        }
    }
    // Past the first 8 KiB, so the header is read and some rows come out before the failure.
    let rows: Vec<String> = (0..300).map(|i| GOOD.replace("A-1", &format!("A-{i}"))).collect();
    let text = csv(&rows.iter().map(String::as_str).collect::<Vec<_>>()).into_bytes();
    let reader = PlacementReader::new(Failing(std::io::Cursor::new(text)), Format::Csv, &Mapping::standard(), ctx()).unwrap();
    let results: Vec<_> = reader.collect();
    assert!(results.len() > 1 && results[..results.len() - 1].iter().all(|r| r.is_ok()));
    assert!(matches!(results.last(), Some(Err(ImportError::Io(_)))), "the failure is reported once, last");
}
