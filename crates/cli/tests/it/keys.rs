//! The data keys: created for SQLite on first use, required for PostgreSQL, and never shown by
//! the commands that read the sealed fields.

use crate::support::{Env, text};

#[test]
fn sqlite_makes_a_private_key_file_on_first_use_and_keeps_using_it() {
    let env = Env::sqlite();
    env.ok(&["client", "add", "LSB", "--name", "Lakeshore Bank", "--commission", "0.25"]);
    let keys = env.path("data/recoup.keys");
    let made = std::fs::read_to_string(&keys).expect("a key file in the data directory");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&keys).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let out = env.import_lakeshore(&["--rejects", env.path("rejects.csv").to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&keys).unwrap(), made, "the same keys on the next run");
    // LSB-100001's national id is 987-65-4322 and its birth date 08/21/1952 in the file.
    let shown = env.ok(&["account", "show", "LSB-100001", "--client", "LSB", "--json"]);
    for secret in ["987654322", "987-65-4322", "1952-08-21"] {
        assert!(!out.contains(secret) && !shown.contains(secret), "{secret} shown:\n{out}\n{shown}");
    }
    assert!(shown.contains("\"national_id_last4\": \"4322\""), "{shown}");

    // Another key file for the same database is refused before anything is written.
    std::fs::write(env.path("other.keys"), text(&env.run(&["keys", "generate"]).stdout)).unwrap();
    let refused = env
        .command()
        .args(["account", "show", "LSB-100001", "--client", "LSB"])
        .env("RECOUP_DATA_KEY_FILE", env.path("other.keys"))
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("not the key this database was sealed with"), "{}", text(&refused.stderr));
}

#[test]
fn postgresql_without_keys_refuses_to_start_and_says_what_to_set() {
    let env = Env::sqlite();
    // The keys are checked before any connection is tried, so no server is needed here.
    let out = env.command().args(["migrate"]).env("RECOUP_DATABASE_URL", "postgres://nobody@127.0.0.1:9/none").output().unwrap();
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("RECOUP_DATA_KEYS") && err.contains("RECOUP_DATA_KEY_FILE") && err.contains("recoup keys generate"), "{err}");
}

#[test]
fn generated_keys_are_fresh_each_time() {
    let env = Env::sqlite();
    let (a, b) = (env.ok(&["keys", "generate"]), env.ok(&["keys", "generate"]));
    assert_ne!(a, b);
    let key_lines = |t: &str| t.lines().filter(|l| l.starts_with("lookup = ") || l.starts_with("1 = ")).count();
    assert_eq!((key_lines(&a), key_lines(&b)), (2, 2), "{a}");
}
