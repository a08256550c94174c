use crate::support::{Env, count, lakeshore, lakeshore_mapping, text};

fn with_client(env: &Env) {
    env.add_lakeshore_client();
}

#[test]
fn lakeshore_lands_every_good_row_and_reports_each_bad_one() {
    for env in Env::all() {
        with_client(&env);
        let file = env.path("lakeshore.csv");
        std::fs::copy(lakeshore(), &file).unwrap();
        let mapping = lakeshore_mapping();
        let out = env.import(&file, &["--mapping", mapping.to_str().unwrap()]);
        assert_eq!((count(&out, "rows read"), count(&out, "created"), count(&out, "rejected")), (200, 191, 9), "{out}");
        for (line, column) in [
            (12, "Chg Off Dt"),
            (22, "Princ Bal"),
            (32, "Acct No"),
            (42, "Acct No"),
            (43, "Acct No"),
            (52, "E-Mail"),
            (62, "Home Phone"),
            (72, "Chg Off Dt"),
            (82, "Chg Off Amt"),
        ] {
            assert!(out.contains(&format!("line {line}, column {column:?}")), "line {line} not reported:\n{out}");
        }
        // The rejects file holds exactly the bad rows, with their original values.
        let rejects = std::fs::read_to_string(env.path("lakeshore.rejects.csv")).unwrap();
        assert_eq!(rejects.lines().count(), 10, "{rejects}");
        assert!(rejects.lines().next().unwrap().ends_with("_line,_column,_error"));

        // Importing the same file again duplicates nothing.
        let again = env.import(&file, &["--mapping", mapping.to_str().unwrap()]);
        assert_eq!((count(&again, "created"), count(&again, "unchanged"), count(&again, "rejected")), (0, 191, 9), "{again}");

        // Fix two rejected rows in the rejects file and import it: they land, the rest stay rejected.
        let fixed = rejects
            .replace("02/30/2023", "02/28/2023")
            .replace("\"$3,144.79\",-125.00", "\"$3,144.79\",125.00")
            .replace("-125.00", "125.00");
        let fixed_path = env.path("lakeshore.rejects.csv");
        std::fs::write(&fixed_path, &fixed).unwrap();
        let out = env
            .import(&fixed_path, &["--mapping", mapping.to_str().unwrap(), "--rejects", env.path("second.rejects.csv").to_str().unwrap()]);
        assert_eq!(count(&out, "rows read"), 9, "{out}");
        assert!(count(&out, "created") >= 1, "{out}");
        assert_eq!(count(&out, "created") + count(&out, "rejected"), 9, "{out}");
        env.ok(&["audit", "verify"]);
    }
}

#[test]
fn dry_run_writes_nothing() {
    let env = Env::sqlite();
    with_client(&env);
    let mapping = lakeshore_mapping();
    let out =
        env.import(&lakeshore(), &["--mapping", mapping.to_str().unwrap(), "--dry-run", "--rejects", env.path("r.csv").to_str().unwrap()]);
    assert!(out.contains("Dry run"), "{out}");
    assert_eq!((count(&out, "new"), count(&out, "rejected")), (191, 9));
    let verify = env.ok(&["audit", "verify"]);
    // Only the client's creation is in the trail: no placement, no account.
    assert!(verify.contains("1 entries"), "{verify}");
}

#[test]
fn bad_files_get_a_clear_error_and_change_nothing() {
    let env = Env::sqlite();
    with_client(&env);
    let cases: [(&str, &[u8], &str); 3] = [
        ("empty.csv", b"", "empty"),
        ("binary.csv", b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>\x00", "binary"),
        ("columns.csv", b"account_ref,first_name\r\nA-1,Ann\r\n", "missing required columns"),
    ];
    for (name, bytes, expected) in cases {
        let path = env.path(name);
        std::fs::write(&path, bytes).unwrap();
        let out = env.run(&["import", "placements", path.to_str().unwrap(), "--client", "LSB"]);
        assert!(!out.status.success(), "{name} was accepted");
        let err = text(&out.stderr);
        assert!(err.contains(expected), "{name}: {err}");
    }
    let verify = env.ok(&["audit", "verify"]);
    assert!(verify.contains("1 entries"), "nothing but the client was written: {verify}");
}

#[test]
fn bad_rows_in_the_standard_format_are_reported_by_line_and_column() {
    let env = Env::sqlite();
    with_client(&env);
    let csv = "account_ref,last_name,principal,currency,opened_on,charged_off_on,email,time_zone\n\
               A-1,Ng,100.00,USD,2020-01-01,2021-01-01,a@example.com,America/Chicago\n\
               A-2,Ng,100.00,XYZ,2020-01-01,2021-01-01,,\n\
               A-3,Ng,abc,USD,2020-01-01,2021-01-01,,\n\
               A-4,Ng,100.00,USD,2020-01-01,2021-01-01,,Mars/Olympus\n\
               A-5,Ng,100.00,USD,2020-01-01,2021-01-01,,America/New_York\n\
               A-6,Ng,100.00,USD,2020-01";
    let path = env.path("std.csv");
    std::fs::write(&path, csv).unwrap();
    let out = env.ok(&["import", "placements", path.to_str().unwrap(), "--client", "LSB", "--placed-on", "2026-11-02"]);
    assert_eq!((count(&out, "created"), count(&out, "rejected")), (2, 4), "{out}");
    for expected in ["line 3, column \"currency\"", "line 4, column \"principal\"", "line 5, column \"time_zone\"", "line 7"] {
        assert!(out.contains(expected), "{expected} missing:\n{out}");
    }
}

#[test]
fn json_lines_bring_invoices_and_guarantors() {
    for env in Env::all() {
        with_client(&env);
        let lines = [
            r#"{"account_ref":"B-7","company_name":"Acme Widgets LLC","principal":"1500.00","fees":"25.00","state":"IL","parties":[{"role":"guarantor","first_name":"Wei","last_name":"Chen","phone_mobile":"312.555.0188"}],"invoices":[{"number":"INV-1","issued_on":"2025-01-10","due_on":"2025-02-09","amount":"1000.00","open":"900.00"},{"number":"INV-2","issued_on":"2025-02-10","due_on":"2025-03-12","amount":"600.00"}]}"#,
            r#"{"account_ref":"B-8","company_name":"Bad Dates Inc","principal":"10.00","invoices":[{"number":"INV-9","issued_on":"2025-03-01","due_on":"2025-02-01","amount":"10.00"}]}"#,
            r#"{"account_ref":"B-9", "company_name": "#,
        ];
        let path = env.path("b2b.jsonl");
        std::fs::write(&path, lines.join("\n")).unwrap();
        let out = env.import(&path, &[]);
        assert_eq!((count(&out, "created"), count(&out, "rejected")), (1, 2), "{out}");
        assert!(out.contains("line 2, column \"invoices[0].due_on\""), "{out}");
        assert!(out.contains("line 3"), "{out}");

        let shown: serde_json::Value = serde_json::from_str(&env.ok(&["account", "show", "B-7", "--client", "LSB", "--json"])).unwrap();
        let parties = shown["parties"].as_array().unwrap();
        let roles: Vec<&str> = parties.iter().map(|p| p["role"].as_str().unwrap()).collect();
        assert_eq!(roles, ["primary", "guarantor"]);
        assert_eq!(parties[0]["party"]["kind"], "company");
        assert_eq!(parties[1]["contact_points"][0]["value"], "+13125550188");
        let invoices: Vec<(&str, i64)> = shown["invoices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| (i["number"].as_str().unwrap(), i["open_minor"].as_i64().unwrap()))
            .collect();
        assert_eq!(invoices, [("INV-1", 90_000), ("INV-2", 60_000)]);
        assert_eq!(shown["balance"]["principal"], 150_000);
        assert_eq!(shown["balance"]["fees"], 2_500);
    }
}
