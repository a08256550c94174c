//! `recoup strategy` and `recoup run` as a user runs them: a file refused with its lines, a dry
//! run that writes nothing, and a run killed half way (SIGKILL) that resumes without making any
//! call task twice.

use crate::support::Env;
use std::time::{Duration, Instant};

const CALLS: &str = r#"name = "calls"

[[segments]]
name = "everyone"
treatment = "call-once"

[treatments.call-once]
steps = [{ day = 0, action = "call", queue = "early" }]
"#;

fn count(db: &std::path::Path, sql: &str) -> i64 {
    let c = rusqlite::Connection::open(db).unwrap();
    c.busy_timeout(Duration::from_secs(5)).unwrap();
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn a_strategy_file_is_refused_with_its_lines_and_a_dry_run_writes_nothing() {
    let env = Env::sqlite();
    env.add_lakeshore_client();
    env.import_lakeshore(&[]);
    let bad = env.path("bad.toml");
    std::fs::write(&bad, CALLS.replace("treatment = \"call-once\"", "treatment = \"call-once\"\nwhen = \"balance > 2026-01-01\"")).unwrap();
    let said = env.fails(&["strategy", "save", bad.to_str().unwrap()]);
    assert!(said.contains("bad.toml:6:19: cannot compare `balance`"), "{said}");
    let good = env.path("calls.toml");
    std::fs::write(&good, CALLS).unwrap();
    assert!(env.ok(&["strategy", "save", good.to_str().unwrap()]).contains("version 1 (live)"));
    let dry = env.ok(&["run", "--date", "2026-11-12", "--dry-run"]);
    assert!(dry.contains("dry run (nothing written)") && dry.contains("call-once#1 call"), "{dry}");
    let db = env.path("data").join("recoup.sqlite");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM strategy_actions"), 0);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM strategy_positions"), 0);
}

#[test]
fn a_run_killed_half_way_resumes_without_making_anything_twice() {
    let env = Env::sqlite();
    env.add_lakeshore_client();
    let file = env.path("many.csv");
    recoup_import::synth::write_csv(std::fs::File::create(&file).unwrap(), 3_000, 11, "K-", jiff::civil::date(2026, 11, 2)).unwrap();
    env.import(&file, &[]);
    let strategy = env.path("calls.toml");
    std::fs::write(&strategy, CALLS).unwrap();
    env.ok(&["strategy", "save", strategy.to_str().unwrap()]);
    let db = env.path("data").join("recoup.sqlite");

    let mut child = env.command().args(["run", "--date", "2026-11-12"]).stdout(std::process::Stdio::null()).spawn().unwrap();
    let started = Instant::now();
    // Kill it once some actions are carried out and before all are.
    loop {
        assert!(child.try_wait().unwrap().is_none(), "the run ended before it could be killed");
        assert!(started.elapsed() < Duration::from_secs(120), "no action was carried out");
        if count(&db, "SELECT COUNT(*) FROM strategy_actions WHERE status NOT IN ('planned', 'queued')") > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: no chance to tidy up
    child.wait().unwrap();
    let left = count(&db, "SELECT COUNT(*) FROM strategy_actions WHERE status IN ('planned', 'queued')");
    let decided = count(&db, "SELECT COUNT(*) FROM strategy_positions");
    assert!(left > 0 || decided < 3_000, "the kill came after the run's work: {left} left, {decided} decided");

    let out = env.ok(&["run", "--date", "2026-11-12"]);
    assert!(out.contains("carried out"), "{out}");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM strategy_actions WHERE status IN ('planned', 'queued')"), 0);
    let actions = count(&db, "SELECT COUNT(*) FROM strategy_actions");
    let steps = count(&db, "SELECT COUNT(*) FROM (SELECT DISTINCT account_id, step FROM strategy_actions)");
    assert_eq!(actions, steps);
    assert!(actions > 2_000, "{actions}");
    let tasks = count(&db, "SELECT COUNT(*) FROM servicing_records WHERE kind = 'call_task'");
    let twice = count(
        &db,
        "SELECT COUNT(*) FROM (SELECT account_id FROM servicing_records WHERE kind = 'call_task' GROUP BY account_id HAVING COUNT(*) > 1)",
    );
    assert_eq!(twice, 0, "an account got two call tasks");
    let made = count(&db, "SELECT COUNT(*) FROM strategy_actions WHERE result_id IS NOT NULL");
    assert_eq!(tasks, made);
}

#[test]
fn agents_get_queues_and_their_worklist_from_the_command_line() {
    let env = Env::sqlite();
    env.add_lakeshore_client();
    env.import_lakeshore(&[]);
    let strategy = env.path("calls.toml");
    std::fs::write(&strategy, CALLS).unwrap();
    env.ok(&["strategy", "save", strategy.to_str().unwrap()]);
    env.ok(&["run", "--date", "2026-11-12"]);
    for (email, role) in [("alex@example.com", "agent"), ("avery@example.com", "auditor")] {
        assert!(env.add_user(&[email, "--name", "Someone", "--role", role], "a long enough password").status.success());
    }

    let said = env.fails(&["agent", "set", "avery@example.com", "--queues", "early", "--capacity", "5"]);
    assert!(said.contains("only agents and supervisors"), "{said}");
    let said = env.fails(&["agent", "set", "alex@example.com", "--queues", "early", "--capacity", "0"]);
    assert!(said.contains("daily_capacity"), "{said}");
    env.ok(&["agent", "set", "alex@example.com", "--queues", "early,late", "--capacity", "1", "--time-zone", "America/Chicago"]);
    let agents = env.ok(&["agent", "list"]);
    assert!(agents.contains("alex@example.com") && agents.contains("1/day") && agents.contains("early, late"), "{agents}");

    // Every call task the run made is on the agent's list, due now or later in the day.
    let listed = env.ok(&["worklist", "show", "--agent", "alex@example.com", "--limit", "500"]);
    let db = env.path("data").join("recoup.sqlite");
    let open = count(&db, "SELECT COUNT(*) FROM work_items WHERE status = 'open'");
    assert!(open > 0);
    assert!(listed.contains(&format!("{open} task(s)")), "{listed}");

    // Whether a task is due depends on the hour in the debtors' zones; either way the answer
    // says so, and an account handed out stays the agent's.
    let next = env.ok(&["worklist", "next", "alex@example.com"]);
    if next.contains("handed") {
        assert!(env.ok(&["worklist", "next", "alex@example.com"]).contains("still holds"));
    } else {
        assert!(next.contains("nothing due"), "{next}");
    }
}
