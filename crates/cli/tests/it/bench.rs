use crate::support::Env;

/// The request count on the line that starts with `route`, from "... (1234 requests)".
fn requests(out: &str, route: &str) -> u64 {
    let line = out.lines().find(|l| l.starts_with(route)).unwrap_or_else(|| panic!("no {route:?} line in:\n{out}"));
    let inside = line.rsplit_once('(').and_then(|(_, r)| r.strip_suffix(" requests)")).unwrap_or_else(|| panic!("{line}"));
    inside.parse().unwrap()
}

#[test]
fn bench_api_loads_serves_and_prints_both_routes_figures() {
    for env in Env::all() {
        let out = env.ok(&["bench", "api", "--rows", "200", "--seconds", "1", "--concurrency", "2"]);
        assert!(out.contains("loaded 200 accounts"), "{out}");
        // The bench stops on any answer but 200, so these counts are successful reads.
        assert!(requests(&out, "GET /api/v1/accounts/{id}") > 0, "{out}");
        assert!(requests(&out, "GET /livez") > 0, "{out}");
        for figure in ["req/s", "p50", "p99", "ratio accounts/livez", "p99 accounts"] {
            assert!(out.contains(figure), "no {figure:?} in:\n{out}");
        }
        assert_eq!(out.contains("-- PostgreSQL"), env.database_url.is_some(), "{out}");
    }
}
