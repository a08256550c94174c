//! Servicing from the command line against the Lakeshore Bank placement: each command once,
//! through to the client's remittance statement to the cent, and payment files with good and
//! faulty rows, their rejects file fixed and imported again, and a second run that posts nothing.

use crate::support::{Env, count};

/// The Lakeshore Bank file placed for client LSB (25 % commission).
fn lakeshore(env: &Env) {
    env.add_lakeshore_client();
    env.import_lakeshore(&["--rejects", env.path("placement.rejects.csv").to_str().unwrap()]);
}

/// `recoup ARGS... --client LSB --account ACCOUNT EXTRA... --json`, parsed.
fn act(env: &Env, args: &[&str], account: &str, extra: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--client", "LSB", "--account", account]);
    all.extend_from_slice(extra);
    all.push("--json");
    env.json(&all)
}

fn flags(env: &Env, account: &str) -> String {
    env.json(&["account", "show", account, "--client", "LSB", "--json"])["account"]["flags"].to_string()
}

#[test]
fn every_servicing_command_runs_through_to_the_remittance_statement() {
    for env in Env::all() {
        lakeshore(&env);

        let promise = act(
            &env,
            &["promise", "take"],
            "LSB-100001",
            &["--item", "2026-12-01=50.00", "--item", "2026-12-15=50.00", "--today", "2026-11-23"],
        );
        assert_eq!((promise["status"].as_str(), promise["items"][1]["amount"].as_i64()), (Some("pending"), Some(5_000)), "{promise}");

        // A check that comes back: posted, then reversed by its receipt number.
        let paid = act(
            &env,
            &["payment", "post"],
            "LSB-100001",
            &["--amount", "25.00", "--method", "check", "--date", "2026-11-20", "--reference", "CHK-88", "--today", "2026-11-23"],
        );
        assert_eq!(
            (paid["receipt_no"].as_str(), paid["amount"].as_i64(), paid["commission"].as_i64()),
            (Some("LSB-LSB-100001-001"), Some(2_500), Some(625))
        );
        let reversal = act(
            &env,
            &["payment", "reverse"],
            "LSB-100001",
            &["--receipt", "LSB-LSB-100001-001", "--reason", "nsf", "--today", "2026-11-24"],
        );
        assert_eq!(
            (reversal["amount"].as_i64(), reversal["commission"].as_i64(), reversal["effective_on"].as_str()),
            (Some(2_500), Some(-625), Some("2026-11-24"))
        );
        let again = env.fails(&[
            "payment",
            "reverse",
            "--client",
            "LSB",
            "--account",
            "LSB-100001",
            "--receipt",
            "LSB-LSB-100001-001",
            "--reason",
            "nsf",
        ]);
        assert!(again.contains("already reversed"), "{again}");
        let listed = env.ok(&["payment", "list", "--client", "LSB", "--account", "LSB-100001"]);
        assert!(listed.contains("LSB-LSB-100001-001") && listed.contains("reversed") && listed.contains("CHK-88"), "{listed}");

        // Collected by the agency, and paid to the client directly (one not commissionable).
        let summary = env.ok(&[
            "payment",
            "post",
            "--client",
            "LSB",
            "--account",
            "LSB-100002",
            "--amount",
            "100.00",
            "--method",
            "ach",
            "--today",
            "2026-11-23",
        ]);
        assert!(summary.contains("100.00 by ach on 2026-11-23, to the agency, commission 25.00"), "{summary}");
        act(&env, &["payment", "post"], "LSB-100004", &["--amount", "40.00", "--method", "cash", "--direct", "--today", "2026-11-23"]);
        let free = act(
            &env,
            &["payment", "post"],
            "LSB-100004",
            &["--amount", "10.00", "--method", "transfer", "--direct", "--not-commissionable", "--today", "2026-11-25"],
        );
        assert_eq!((free["route"].as_str(), free["commission"].as_i64()), (Some("direct_to_client"), Some(0)));

        // 40 % off is past an agent's limit: it waits for a supervisor, who approves it.
        let offered = act(
            &env,
            &["settlement", "offer"],
            "LSB-100003",
            &["--percent", "0.6", "--expires", "2026-12-31", "--as-role", "agent", "--today", "2026-11-23"],
        );
        assert_eq!(
            (offered["status"].as_str(), offered["approval"]["needed"].as_str()),
            (Some("pending_approval"), Some("supervisor")),
            "{offered}"
        );
        let id = offered["id"].as_str().unwrap();
        let by_agent = env.fails(&[
            "settlement",
            "decide",
            "--client",
            "LSB",
            "--account",
            "LSB-100003",
            "--id",
            id,
            "--approve",
            "--as-role",
            "agent",
        ]);
        assert!(by_agent.contains("not supervisor or admin"), "{by_agent}");
        let approved =
            act(&env, &["settlement", "decide"], "LSB-100003", &["--id", id, "--approve", "--as-role", "supervisor", "--note", "hardship"]);
        assert_eq!((approved["status"].as_str(), approved["decision_note"].as_str()), (Some("active"), Some("hardship")));

        // A dispute holds the account until verification is sent.
        let dispute =
            act(&env, &["dispute", "open"], "LSB-100006", &["--reason", "not_mine", "--received", "2026-11-20", "--today", "2026-11-23"]);
        assert_eq!(dispute["sla_due_on"].as_str(), Some("2026-12-20"));
        assert!(flags(&env, "LSB-100006").contains("disputed"));
        let open = env.ok(&["dispute", "list-open", "--today", "2026-11-23"]);
        assert!(open.contains("LSB-100006") && open.contains("3 days"), "{open}");
        let did = dispute["id"].as_str().unwrap();
        let sent = act(
            &env,
            &["dispute", "update"],
            "LSB-100006",
            &["--id", did, "--status", "verification_sent", "--note", "statement mailed", "--today", "2026-11-25"],
        );
        assert_eq!(sent["verification_sent_on"].as_str(), Some("2026-11-25"));
        assert!(!flags(&env, "LSB-100006").contains("disputed"));
        assert_eq!(env.json(&["dispute", "list-open", "--json"]), serde_json::json!([]));

        let hold = act(
            &env,
            &["hold", "add"],
            "LSB-100007",
            &["--kind", "cease", "--reason", "letter asking us to stop", "--today", "2026-11-23"],
        );
        assert!(flags(&env, "LSB-100007").contains("cease"));
        let released = act(
            &env,
            &["hold", "release"],
            "LSB-100007",
            &["--id", hold["id"].as_str().unwrap(), "--reason", "entered by mistake", "--today", "2026-11-24"],
        );
        assert_eq!(released["status"].as_str(), Some("released"));
        assert!(!flags(&env, "LSB-100007").contains("cease"));

        // With its payment reversed, the promise breaks once its last date and grace pass.
        let run = env.ok(&["servicing", "run", "--date", "2026-12-20"]);
        assert!(
            run.contains(&format!("tenant {} on 2026-12-20: 1 accounts judged, 1 changed, 0 given interest or fees, 0 failed", env.tenant)),
            "{run}"
        );
        assert!(
            env.ok(&["servicing", "run", "--date", "2026-12-20"]).contains("0 accounts judged"),
            "a broken promise is not judged again"
        );

        // 25.00 - 25.00 + 100.00 to the agency, 50.00 direct; commission 6.25 - 6.25 + 25.00 + 10.00.
        let out = env.path("statement.csv");
        let args = ["remittance", "statement", "--client", "LSB", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "csv"];
        let csv = env.ok(&args);
        for total in [
            ",TOTAL collected by agency,,,,,100.00,",
            ",TOTAL paid direct to client,,,,,50.00,",
            ",TOTAL commission,,,,,,35.00",
            ",NET due to client,,,,,65.00,",
        ] {
            assert!(csv.lines().any(|l| l == total), "{total} missing:\n{csv}");
        }
        assert_eq!(csv.lines().filter(|l| l.starts_with("2026-11-")).count(), 5, "{csv}");
        let written = env.ok(&[&args[..], &["--output", out.to_str().unwrap()]].concat());
        assert!(written.contains("5 lines, net due to client 65.00"), "{written}");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), csv);
        let pdf = env.path("statement.pdf");
        let mut pdf_args = args.to_vec();
        pdf_args.truncate(args.len() - 1);
        pdf_args.extend(["pdf", "--output", pdf.to_str().unwrap()]);
        env.ok(&pdf_args);
        let bytes = std::fs::read(&pdf).unwrap();
        assert!(bytes.starts_with(b"%PDF-") && String::from_utf8_lossy(&bytes).contains("Net due to the client"));
        assert!(env.fails(&args[..args.len() - 1].iter().copied().chain(["pdf"]).collect::<Vec<_>>()).contains("--output"));

        // The reconciliation export of a day with payments lists each by receipt.
        let first = csv.lines().find(|l| l.starts_with("2026-11-")).unwrap();
        let (day, receipt) = (first.split(',').next().unwrap(), first.split(',').nth(1).unwrap());
        let rec = env.ok(&["payment", "reconciliation", "--date", day]);
        assert!(rec.starts_with("gateway,kind,receipt_no,"), "{rec}");
        assert!(rec.lines().any(|l| l.contains(&format!(",{receipt},"))), "{receipt} missing:\n{rec}");
        env.ok(&["audit", "verify"]);
    }
}

#[test]
fn servicing_commands_refuse_with_the_option_to_fix() {
    let env = Env::sqlite();
    lakeshore(&env);
    let post = |extra: &[&str]| {
        let mut args = vec!["payment", "post", "--client", "LSB", "--account", "LSB-100001", "--today", "2026-11-23"];
        args.extend_from_slice(extra);
        env.fails(&args)
    };
    assert!(post(&["--amount", "5", "--method", "card"]).contains("through the API"));
    assert!(post(&["--amount", "12.3.4", "--method", "cash"]).contains("--amount: \"12.3.4\" is not an amount"));
    assert!(post(&["--amount", "5", "--method", "cash", "--date", "2026-11-24"]).contains("--date: a payment cannot be dated after today"));
    let unknown = env.fails(&["payment", "list", "--client", "LSB", "--account", "LSB-999"]);
    assert!(unknown.contains("client LSB has no account \"LSB-999\""), "{unknown}");
    let receipt = env.fails(&["payment", "reverse", "--client", "LSB", "--account", "LSB-100001", "--receipt", "X-1", "--reason", "error"]);
    assert!(receipt.contains("no payment with receipt \"X-1\""), "{receipt}");
    let deep = env.fails(&[
        "settlement",
        "offer",
        "--client",
        "LSB",
        "--account",
        "LSB-100002",
        "--percent",
        "0.2",
        "--expires",
        "2026-12-31",
        "--as-role",
        "admin",
        "--today",
        "2026-11-23",
    ]);
    assert!(deep.contains("--percent/--amount") && deep.contains("at least 0.30"), "{deep}");
    let plan = env.fails(&[
        "plan",
        "quote",
        "--client",
        "LSB",
        "--account",
        "LSB-100002",
        "--frequency",
        "monthly",
        "--count",
        "6",
        "--first-due",
        "2027-01-01",
        "--apr",
        "0.08",
    ]);
    assert!(plan.contains("--apr"), "{plan}");
    let quote = env.ok(&[
        "plan",
        "quote",
        "--client",
        "LSB",
        "--account",
        "LSB-100002",
        "--frequency",
        "monthly",
        "--count",
        "3",
        "--first-due",
        "2027-01-01",
        "--today",
        "2026-11-23",
    ]);
    assert!(quote.contains("balance of 1430.71") && quote.contains("total") && quote.contains("1430.71"), "{quote}");
    let hold = env.fails(&["hold", "add", "--client", "LSB", "--account", "LSB-100002", "--kind", "bankruptcy", "--reason", "filed"]);
    assert!(hold.contains("--chapter"), "{hold}");
    assert!(env.ok(&["audit", "verify"]).contains("unbroken"));
}

const PAYMENTS: &str = "account_ref,amount,paid_on,method,reference,route\n\
                        LSB-100010,25.00,2026-11-20,check,CHK-1001,\n\
                        NOPE-1,10.00,2026-11-20,ach,ACH-1,\n\
                        LSB-100015,12.3.4,2026-11-20,ach,ACH-2,\n\
                        LSB-100012,10.00,2026-02-30,ach,ACH-3,\n\
                        LSB-100013,-5.00,2026-11-20,ach,ACH-4,\n\
                        LSB-100014,30.00,2026-11-21,cash,CASH-7,direct\n\
                        LSB-100002,999.00,2026-11-21,ach,ACH-9,\n";

fn import_payments(env: &Env, file: &std::path::Path, extra: &[&str]) -> String {
    let mut args = vec!["import", "payments", file.to_str().unwrap(), "--client", "LSB", "--today", "2026-11-23"];
    args.extend_from_slice(extra);
    env.ok(&args)
}

fn counts(out: &str) -> (u64, u64, u64, u64) {
    (count(out, "rows read"), count(out, "posted"), count(out, "duplicate"), count(out, "rejected"))
}

fn payments_of(env: &Env, account: &str) -> usize {
    env.json(&["payment", "list", "--client", "LSB", "--account", account, "--json"]).as_array().unwrap().len()
}

#[test]
fn payment_files_post_good_rows_report_bad_ones_and_never_post_twice() {
    for env in Env::all() {
        lakeshore(&env);
        // A settlement of 450.00 on 1,430.71, within an admin's limit: the last row overpays it.
        act(
            &env,
            &["settlement", "offer"],
            "LSB-100002",
            &["--amount", "450.00", "--expires", "2026-12-31", "--as-role", "admin", "--today", "2026-11-20"],
        );
        let file = env.path("payments.csv");
        std::fs::write(&file, PAYMENTS).unwrap();

        let dry = import_payments(&env, &file, &["--dry-run"]);
        assert_eq!(counts(&dry), (7, 2, 0, 5), "{dry}");
        assert_eq!(payments_of(&env, "LSB-100010"), 0, "a dry run writes nothing");

        let out = import_payments(&env, &file, &[]);
        assert_eq!(counts(&out), (7, 2, 0, 5), "{out}");
        assert!(out.contains("total posted  USD 55.00"), "{out}");
        for (line, column, why) in [
            (3, "account_ref", "client LSB has no account \"NOPE-1\""),
            (4, "amount", "\"12.3.4\" is not an amount"),
            (5, "paid_on", "\"2026-02-30\" is not a real date"),
            (6, "amount", "\"-5.00\" is negative"),
            (8, "amount", "999.00 exceeds what the settlement has left to pay: 450.00"),
        ] {
            assert!(out.contains(&format!("line {line}, column \"{column}\": {why}")), "line {line} not reported:\n{out}");
        }
        let rejects = std::fs::read_to_string(env.path("payments.rejects.csv")).unwrap();
        assert_eq!(rejects.lines().count(), 6, "{rejects}");
        assert!(rejects.lines().next().unwrap().ends_with(",route,_line,_column,_error"), "{rejects}");

        // The same file again: what landed is recognized, nothing is posted twice.
        let again = import_payments(&env, &file, &[]);
        assert_eq!(counts(&again), (7, 0, 2, 5), "{again}");
        assert!(again.contains("line 2 (account LSB-100010): duplicate of receipt LSB-LSB-100010-001"), "{again}");
        assert_eq!((payments_of(&env, "LSB-100010"), payments_of(&env, "LSB-100014")), (1, 1));

        // Fixed in the rejects file, three rows land; the unknown account and the overpayment stay out.
        let fixed = rejects.replace("12.3.4", "12.34").replace("2026-02-30", "2026-02-28").replace("-5.00", "5.00");
        std::fs::write(env.path("payments.rejects.csv"), &fixed).unwrap();
        let second = env.path("second.rejects.csv");
        let out = import_payments(&env, &env.path("payments.rejects.csv"), &["--rejects", second.to_str().unwrap()]);
        assert_eq!(counts(&out), (5, 3, 0, 2), "{out}");
        assert!(out.contains("total posted  USD 27.34"), "{out}");
        let left = std::fs::read_to_string(&second).unwrap();
        assert!(left.contains("NOPE-1") && left.contains("LSB-100002") && left.lines().count() == 3, "{left}");
        let once_more = import_payments(&env, &env.path("payments.rejects.csv"), &["--rejects", second.to_str().unwrap()]);
        assert_eq!(counts(&once_more), (5, 0, 3, 2), "{once_more}");
        env.ok(&["audit", "verify"]);
    }
}
