//! The shared Lakeshore Bank file: a client's own export with nine rows bad on purpose.

use super::import;
use crate::{Format, Mapping};
use recoup_domain::contact::{ContactKind, PhoneType};
use recoup_domain::money::Currency;
use std::collections::{BTreeMap, BTreeSet};

const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/lakeshore-bank-placement.csv");
const MAPPING: &str = include_str!("../../mappings/lakeshore-bank.toml");

fn lakeshore() -> Vec<u8> {
    std::fs::read(FILE).unwrap_or_else(|e| {
        panic!("cannot read the Lakeshore test file {FILE}: {e}. It lives in testdata/ at the top of the repository; this test needs it")
    })
}

#[test]
fn lakeshore_file_rejects_exactly_the_planted_faults() {
    let bytes = lakeshore();
    let mapping = Mapping::from_toml_str(MAPPING).unwrap();
    let out = import(&bytes, Format::Csv, &mapping).unwrap();

    let got: BTreeMap<u64, &str> = out.rejects.iter().map(|r| (r.line, r.column.as_deref().unwrap_or("-"))).collect();
    let want = BTreeMap::from([
        (12, "Chg Off Dt"), // 02/30/2023
        (22, "Princ Bal"),  // negative
        (32, "Acct No"),    // missing
        (42, "Acct No"),    // shared with 43
        (43, "Acct No"),
        (52, "E-Mail"),      // malformed
        (62, "Home Phone"),  // too short
        (72, "Chg Off Dt"),  // charged off before opened
        (82, "Chg Off Amt"), // "TBD"
    ]);
    assert_eq!(got, want, "{:#?}", out.rejects);
    assert_eq!(out.placed.len(), 191);
    assert!(out.reject(12).reason.contains("02/30/2023"), "{}", out.reject(12).reason);
    assert!(out.reject(42).reason.contains("line 43"), "{}", out.reject(42).reason);
    assert!(out.reject(43).reason.contains("line 42"), "{}", out.reject(43).reason);
    assert!(out.reject(72).reason.contains("before the account was opened"), "{}", out.reject(72).reason);
    assert!(out.reject(82).reason.contains("TBD"), "{}", out.reject(82).reason);

    // Line 92's phone has an extension, which is fine.
    let line92 = out.placed.iter().find(|p| p.line == 92).expect("line 92 is imported");
    let home = line92.parties[0].contact_points.iter().find(|c| c.phone_type == Some(PhoneType::Home)).unwrap();
    assert_eq!((home.value.as_str(), home.extension.as_deref()), ("+12125550142", Some("204")));

    // Sum of "Chg Off Amt" over the good rows = principal + interest + fees over them.
    let good: BTreeSet<u64> = out.placed.iter().map(|p| p.line).collect();
    let mut csv = csv::ReaderBuilder::new().has_headers(false).from_reader(&bytes[..]);
    let mut charged_off = 0i64;
    // The file has no line breaks inside values, so record n is on line n + 1.
    for (n, rec) in csv.records().enumerate() {
        let rec = rec.unwrap();
        if good.contains(&(n as u64 + 1)) {
            charged_off += Currency::USD.parse_minor(&rec[14]).unwrap();
        }
    }
    let reported: i64 = out.placed.iter().map(|p| p.reported.principal + p.reported.interest + p.reported.fees).sum();
    assert_eq!(charged_off, reported);
    assert!(charged_off > 0);
}

#[test]
fn lakeshore_rows_become_complete_accounts() {
    let mapping = Mapping::from_toml_str(MAPPING).unwrap();
    let out = import(&lakeshore(), Format::Csv, &mapping).unwrap();
    let first = &out.placed[0];
    assert_eq!(first.line, 2);
    let a = &first.account;
    assert_eq!(a.external_ref, "LSB-100001");
    assert_eq!(a.original_creditor, "Lakeshore Bank");
    assert_eq!(a.product.as_deref(), Some("PERSONAL LOAN"));
    assert_eq!(a.opened_on, Some(jiff::civil::date(2019, 12, 22)));
    assert_eq!(a.charged_off_on, Some(jiff::civil::date(2022, 2, 2)));
    assert_eq!(a.itemization_on, a.charged_off_on, "the charge-off date is the itemization date");
    assert_eq!(a.last_payment_minor, Some(10238));
    assert_eq!((first.reported.principal, first.reported.interest, first.reported.fees), (206242, 27808, 7000));
    let party = &first.parties[0].party;
    assert_eq!(party.display_name(), "Zoe Van der Berg");
    assert_eq!(party.national_id_last4.as_deref(), Some("4322"));
    assert_eq!(party.national_id.as_ref().map(|s| s.expose().as_str()), Some("987654322"), "the whole id is kept (sealed by the store)");
    assert_eq!(party.date_of_birth.map(|d| *d.expose()), Some(jiff::civil::date(1952, 8, 21)));
    let address = first.parties[0].contact_points.iter().find(|c| c.kind == ContactKind::Address).unwrap();
    assert_eq!(address.value, "1210 Oak St, Austin, TX 73301, US");
    assert_eq!(address.time_zone, None, "Texas spans two zones");

    let honolulu = out.placed.iter().find(|p| p.account.external_ref == "LSB-100003").unwrap();
    assert!(honolulu.parties[0].contact_points.iter().all(|c| c.time_zone.as_deref() == Some("Pacific/Honolulu")));
    let boston = out.placed.iter().find(|p| p.account.external_ref == "LSB-100004").unwrap();
    let zip = boston.parties[0].contact_points[0].address.as_ref().unwrap();
    assert_eq!(zip.postal_code, "02108", "leading zeros are kept");
}
