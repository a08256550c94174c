//! Payment files: the standard columns, a client's own columns through a mapping, every fault
//! of a row named with its line and column, and a rejects file that imports again once fixed.

use super::today;
use crate::{
    Format, ImportError, PaymentContext, PaymentField, PaymentLine, PaymentMapping, PaymentReader, PaymentRow, RejectWriter, RowReject,
};
use recoup_domain::money::Currency;
use recoup_domain::payment::Method;
use recoup_domain::remittance::Route;

const HEADER: &str = "account_ref,amount,paid_on,method,reference,route";

struct Read {
    lines: Vec<PaymentLine>,
    rejects: Vec<RowReject>,
    header: Vec<String>,
}

impl Read {
    fn reject(&self, line: u64) -> &RowReject {
        self.rejects.iter().find(|r| r.line == line).unwrap_or_else(|| panic!("no reject on line {line}: {:#?}", self.rejects))
    }
}

fn read_with(text: &str, mapping: &PaymentMapping) -> Result<Read, ImportError> {
    let ctx = PaymentContext { currency: Currency::USD, today: today() };
    let reader = PaymentReader::new(text.as_bytes(), mapping, ctx)?;
    let mut out = Read { lines: Vec::new(), rejects: Vec::new(), header: reader.header().to_vec() };
    for row in reader {
        match row? {
            PaymentRow::Read(p) => out.lines.push(p),
            PaymentRow::Rejected(r) => out.rejects.push(r),
        }
    }
    Ok(out)
}

fn read(text: &str) -> Read {
    read_with(text, &PaymentMapping::standard()).unwrap()
}

#[test]
fn good_rows_are_read_with_their_defaults() {
    let out = read(&format!(
        "{HEADER}\r\nA-1,25.00,2026-11-20,check,CHK 1001,\r\nA-2,\"$1,250\",2026-11-23, ACH ,,Direct\r\nA-3,0.5,2026-01-02,transfer,T-9,agency\r\n"
    ));
    assert!(out.rejects.is_empty(), "{:#?}", out.rejects);
    let got: Vec<_> =
        out.lines.iter().map(|p| (p.line, p.account_ref.as_str(), p.amount, p.method, p.reference.as_deref(), p.route)).collect();
    assert_eq!(
        got,
        [
            (2, "A-1", 2_500, Method::Check, Some("CHK 1001"), Route::ToAgency),
            (3, "A-2", 125_000, Method::Ach, None, Route::DirectToClient),
            (4, "A-3", 50, Method::Transfer, Some("T-9"), Route::ToAgency),
        ]
    );
    assert_eq!(out.lines[0].paid_on, jiff::civil::date(2026, 11, 20));
}

#[test]
fn each_bad_value_is_named_by_line_and_column() {
    let out = read(&format!(
        "{HEADER}\nA-1,12.3.4,2026-11-20,ach,R1,\nA-2,10.00,2026-02-30,ach,R2,\nA-3,-5.00,2026-11-20,ach,R3,\n\
         A-4,0,2026-11-20,ach,R4,\nA-5,10.00,2026-11-24,ach,R5,\nA-6,10.00,2026-11-20,wire,R6,\nA-7,10.00,2026-11-20,ach,R7,lockbox\n\
         ,10.00,2026-11-20,ach,R8,\nA-9,1.005,2026-11-20,ach,R9,\nA-10,10.00,20/11/2026,,R10,\nA-11,10.00\n"
    ));
    assert!(out.lines.is_empty(), "{:#?}", out.lines);
    for (line, column, words) in [
        (2, "amount", "not an amount"),
        (3, "paid_on", "not a real date"),
        (4, "amount", "negative"),
        (5, "amount", "above zero"),
        (6, "paid_on", "after today"),
        (7, "method", "not a payment method"),
        (8, "route", "not a route"),
        (9, "account_ref", "account number is empty"),
        (10, "amount", "more decimals"),
        (11, "paid_on", "YYYY-MM-DD"),
    ] {
        let r = out.reject(line);
        assert_eq!(r.column.as_deref(), Some(column), "line {line}: {r:#?}");
        assert!(r.reason.contains(words), "line {line}: {}", r.reason);
    }
    // Every fault of a row is named, not only the first.
    assert!(out.reject(11).reason.contains("also method: the payment method is empty"), "{}", out.reject(11).reason);
    let short = out.reject(12);
    assert!(short.reason.contains("paid_on") && short.reason.contains("the row has 2 fields"), "{}", short.reason);
}

#[test]
fn a_mapping_reads_a_banks_own_columns_dates_and_constant_method() {
    let mapping = PaymentMapping::from_toml_str(
        r#"
        date_format = "%m/%d/%Y"
        [columns]
        account_ref = "Loan #"
        amount = "Deposit Amt"
        paid_on = "Posted"
        reference = "Trace"
        [defaults]
        method = "ach"
        "#,
    )
    .unwrap();
    let text = "Posted,Loan #,Deposit Amt,Trace,Branch\n11/20/2026,LSB-1,\"$1,000.10\",TR-55,Main\n11/31/2026,LSB-2,5.00,TR-56,Main\n";
    let out = read_with(text, &mapping).unwrap();
    assert_eq!(out.lines.len(), 1);
    let p = &out.lines[0];
    assert_eq!((p.account_ref.as_str(), p.amount, p.method, p.reference.as_deref()), ("LSB-1", 100_010, Method::Ach, Some("TR-55")));
    assert_eq!(out.reject(3).column.as_deref(), Some("Posted"));
    // A fault found later, by the store, is reported under the file's own column name.
    let later = p.reject(Some(PaymentField::AccountRef), "no such account");
    assert_eq!((later.line, later.column.as_deref(), later.reason.as_str()), (2, Some("Loan #"), "no such account"));
    assert_eq!(p.column(PaymentField::Method), "method", "a defaulted field is named by its standard name");
}

#[test]
fn an_amount_is_read_again_in_the_accounts_currency() {
    let out = read(&format!("{HEADER}\nA-1,\"1,250\",2026-11-20,cash,,\nA-2,12.50,2026-11-20,cash,,\n"));
    let yen = Currency::from_code("JPY").unwrap();
    assert_eq!(out.lines[0].amount_in(yen), Ok(1_250));
    assert!(out.lines[1].amount_in(yen).unwrap_err().contains("more decimals"));
}

#[test]
fn a_fixed_rejects_file_imports_as_it_is() {
    let out =
        read(&format!("{HEADER}\nA-1,25.00,2026-11-20,check,C1,\nA-2,12.3.4,2026-11-20,ach,\"R, 2\",\nA-3,10.00,2026-02-30,ach,R3,\n"));
    let mut w = RejectWriter::new(Vec::new(), Format::Csv, &out.header);
    for r in &out.rejects {
        w.write(r).unwrap();
    }
    let rejects = String::from_utf8(w.finish().unwrap()).unwrap();
    let mut lines = rejects.lines();
    assert_eq!(lines.next(), Some(format!("{HEADER},_line,_column,_error").as_str()));
    assert!(lines.next().unwrap().starts_with("A-2,12.3.4,2026-11-20,ach,\"R, 2\",,3,amount,"), "{rejects}");
    assert!(lines.next().unwrap().starts_with("A-3,10.00,2026-02-30,ach,R3,,4,paid_on,"), "{rejects}");

    let again = read(&rejects.replace("12.3.4", "12.34").replace("2026-02-30", "2026-02-28"));
    assert!(again.rejects.is_empty(), "{:#?}", again.rejects);
    let got: Vec<(&str, i64, Option<&str>)> =
        again.lines.iter().map(|p| (p.account_ref.as_str(), p.amount, p.reference.as_deref())).collect();
    assert_eq!(got, [("A-2", 1_234, Some("R, 2")), ("A-3", 1_000, Some("R3"))]);
}

#[test]
fn files_and_mappings_that_cannot_be_read_say_why() {
    let missing = read_with("account_ref,amount\nA-1,5\n", &PaymentMapping::standard()).err().unwrap();
    assert!(matches!(&missing, ImportError::MissingColumns { columns, .. } if columns == &["paid_on", "method"]), "{missing}");
    let unknown = read_with(&format!("{HEADER},memo\n"), &PaymentMapping::standard()).err().unwrap();
    assert!(matches!(unknown, ImportError::UnknownColumns { .. }), "{unknown}");
    assert!(matches!(read_with("", &PaymentMapping::standard()), Err(ImportError::Empty)));

    let err = |text: &str| PaymentMapping::from_toml_str(text).unwrap_err().to_string();
    assert!(err("[defaults]\nmethod = \"wire\"").contains("not a payment method"));
    assert!(err("[defaults]\nreference = \"X\"").contains("each row"));
    assert!(err("[defaults]\naccount_ref = \"A\"").contains("every row would share it"));
    assert!(err("[columns]\naccount_ref = \"A\"\namount = \"B\"").contains("paid_on, method"));
    assert!(err("[columns]\nprincipal = \"P\"").contains("principal"));
    let with_default =
        PaymentMapping::from_toml_str("[columns]\naccount_ref = \"A\"\namount = \"B\"\npaid_on = \"C\"\n[defaults]\nmethod = \"check\"");
    assert!(with_default.is_ok());
}
