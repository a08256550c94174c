use crate::support::{Env, text};

#[test]
fn audit_verify_fails_naming_the_entry_edited_behind_its_back() {
    let env = Env::sqlite();
    env.ok(&["client", "add", "LSB", "--name", "Lakeshore Bank"]);
    env.import_lakeshore(&[]);
    assert!(env.ok(&["audit", "verify"]).contains("unbroken"));

    let db = rusqlite::Connection::open(env.path("data/recoup.sqlite")).unwrap();
    let seq: i64 =
        db.query_row("SELECT seq FROM audit_log WHERE action = 'account.placed' ORDER BY seq LIMIT 1 OFFSET 10", [], |r| r.get(0)).unwrap();
    db.execute_batch(&format!(
        "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET data = replace(data, '\"principal\":', '\"principal\":1') WHERE seq = {seq};"
    ))
    .unwrap();
    drop(db);

    let out = env.run(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains(&format!("audit entry {seq} (account.placed")), "{err}");
}
