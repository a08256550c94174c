//! JSON Lines files: nested parties and invoices, JSON paths in reports.

use super::import;
use crate::{Format, Mapping, RawRow};
use recoup_domain::party::{PartyKind, PartyRole};

fn jsonl(lines: &[&str]) -> super::Outcome {
    import(lines.join("\n").as_bytes(), Format::JsonLines, &Mapping::standard()).unwrap()
}

const B2B: &str = r#"{"account_ref":"B-7","company_name":"Acme Widgets LLC","principal":"1500.00","fees":25,"currency":"USD","flags":["disputed"],"address_line1":"1 Main St","city":"Chicago","state":"IL","postal_code":"60601","parties":[{"role":"guarantor","first_name":"Wei","last_name":"Chen","phone_mobile":"312.555.0188","state":"IL"}],"invoices":[{"number":"INV-1","issued_on":"2025-01-10","due_on":"2025-02-09","amount":"1000.00","open":"900.00"},{"number":"INV-2","issued_on":"2025-03-01","due_on":"2025-03-31","amount":625.5}],"_comment":"ignored"}"#;

#[test]
fn a_b2b_line_carries_parties_and_invoices() {
    let out = jsonl(&[B2B]);
    assert!(out.rejects.is_empty(), "{:#?}", out.rejects);
    let p = &out.placed[0];
    assert_eq!(p.reported.principal, 150_000);
    assert_eq!(p.reported.fees, 2_500);
    assert_eq!(p.account.flags.to_text(), "disputed");
    assert_eq!(p.parties.len(), 2);
    assert_eq!((p.parties[0].role, p.parties[0].party.kind), (PartyRole::Primary, PartyKind::Company));
    assert_eq!(p.parties[1].role, PartyRole::Guarantor);
    assert_eq!(p.parties[1].contact_points[0].value, "+13125550188");
    assert_eq!(p.parties[1].contact_points[0].time_zone.as_deref(), Some("America/Chicago"));
    let inv: Vec<(&str, i64, i64)> = p.invoices.iter().map(|i| (i.number.as_str(), i.amount_minor, i.open_minor)).collect();
    assert_eq!(inv, [("INV-1", 100_000, 90_000), ("INV-2", 62_550, 62_550)]);
    assert!(p.invoices.iter().all(|i| i.account_id == p.account.id));
}

#[test]
fn a_bad_invoice_is_reported_by_its_json_path() {
    let bad = B2B.replace(r#""due_on":"2025-03-31""#, r#""due_on":"2025-02-28""#);
    let out = jsonl(&[B2B.replace("B-7", "B-6").as_str(), &bad]);
    assert_eq!(out.placed.len(), 1);
    let r = out.only_reject();
    assert_eq!((r.line, r.column.as_deref()), (2, Some("invoices[1].due_on")));
    assert!(r.reason.contains("due date is before the issue date"), "{}", r.reason);
    assert!(matches!(&r.raw, RawRow::Json(o) if o["account_ref"] == "B-7"));

    let cases = [
        (B2B.replace(r#""open":"900.00""#, r#""open":"1900.00""#), "invoices[0].open"),
        (B2B.replace(r#""number":"INV-2","#, ""), "invoices[1].number"),
        (B2B.replace(r#""role":"guarantor""#, r#""role":"uncle""#), "parties[0].role"),
        (B2B.replace(r#""last_name":"Chen""#, r#""last_name":null"#), "parties[0].last_name"),
        (B2B.replace(r#""phone_mobile":"312.555.0188""#, r#""phone_mobile":"12""#), "parties[0].phone_mobile"),
        (B2B.replace(r#""principal":"1500.00""#, r#""principal":true"#), "principal"),
        (B2B.replace(r#""principal":"1500.00""#, r#""principal":"1500.00","colour":"red""#), "colour"),
    ];
    for (line, column) in cases {
        let out = jsonl(&[&line]);
        assert_eq!(out.only_reject().column.as_deref(), Some(column), "{}", out.only_reject().reason);
    }
}

#[test]
fn a_line_that_is_not_json_is_rejected_with_its_number() {
    let out = jsonl(&[r#"{"account_ref":"A-1","last_name":"Li","principal":100}"#, "", r#"{"account_ref":"A-2", oops}"#, "[1,2]"]);
    assert_eq!(out.placed.len(), 1);
    assert_eq!(out.rejects.iter().map(|r| (r.line, r.column.clone())).collect::<Vec<_>>(), [(3, None), (4, None)]);
    assert!(out.reject(3).reason.contains("not valid JSON"));
    assert!(matches!(&out.reject(3).raw, RawRow::Text(t) if t.contains("oops")));
}

#[test]
fn duplicates_and_numbers_work_in_json_too() {
    let line = r#"{"account_ref":1234,"last_name":"Li","principal":12.5}"#;
    let out = jsonl(&[line, line]);
    assert_eq!(out.rejects.len(), 2);
    let out = jsonl(&[line]);
    assert_eq!(out.placed[0].account.external_ref, "1234");
    assert_eq!(out.placed[0].reported.principal, 1250);
    let rounded = jsonl(&[r#"{"account_ref":"A","last_name":"Li","principal":12345678901234567.5}"#]);
    assert!(rounded.only_reject().reason.contains("as a string"), "{}", rounded.only_reject().reason);
}
