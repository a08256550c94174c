//! Statistics for SQLite's query planner.
//!
//! Without statistics the planner guesses that `tenant_id = ?` on a primary key picks out a
//! handful of rows, and since a WITHOUT ROWID table's primary key holds every column, it prefers
//! scanning that prefix to any secondary index. Every lookup by account, party or entity then
//! read the tenant's whole table (a contact point by its party: 1 ms at 6,000 rows, half a
//! second at a million). Recoup therefore seeds `sqlite_stat1` with the shape of a large tenant:
//! a million rows, one tenant, every further key column selective. Real statistics, from an
//! `ANALYZE` (sampled when a database is first opened with data in it), are kept where they exist.

use super::query_all;
use crate::Result;
use rusqlite::Connection;

const ROWS: u64 = 1_000_000;

/// Writes seeded statistics for every index that has none, and reloads them.
pub(super) fn seed(conn: &Connection) -> Result<()> {
    let has_stats: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1')", [], |r| r.get(0))?;
    if !has_stats {
        // Sampled, so a large database upgraded to this version is not read whole.
        conn.execute_batch("PRAGMA analysis_limit = 1000; ANALYZE;")?;
    }
    let missing = query_all(
        conn,
        "SELECT m.name AS name, m.tbl_name AS tbl FROM sqlite_master m WHERE m.type = 'index' \
         AND m.tbl_name NOT LIKE 'sqlite_%' AND NOT EXISTS (SELECT 1 FROM sqlite_stat1 s WHERE s.idx = m.name)",
        [],
        |r| {
            use crate::rows::Get;
            Ok((r.text("name")?, r.text("tbl")?))
        },
    )?;
    if missing.is_empty() {
        return Ok(());
    }
    for (index, table) in &missing {
        let stat = shape(conn, index)?;
        conn.execute("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", rusqlite::params![table, index, stat])?;
    }
    conn.execute_batch("ANALYZE sqlite_schema")?;
    Ok(())
}

/// "rows, rows per tenant, rows per each longer key prefix": the tenant column selects all rows,
/// each further column a few, and a unique key's full prefix one.
fn shape(conn: &Connection, index: &str) -> Result<String> {
    let mut stmt = conn.prepare("SELECT name FROM pragma_index_info(?) ORDER BY seqno")?;
    let cols: Vec<String> = stmt.query_map([index], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    let unique: bool = conn
        .query_row(
            "SELECT \"unique\" FROM pragma_index_list((SELECT tbl_name FROM sqlite_master WHERE name = ?1)) WHERE name = ?1",
            [index],
            |r| r.get(0),
        )
        .unwrap_or(false);
    let mut parts = vec![ROWS.to_string()];
    for (i, col) in cols.iter().enumerate() {
        let last = i + 1 == cols.len();
        let n = match (col.as_str(), i) {
            ("tenant_id", 0) => ROWS,
            _ if last && unique => 1,
            _ => 5,
        };
        parts.push(n.to_string());
    }
    Ok(parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// Each index that starts with the tenant is the one chosen for an equality on its first two
    /// columns (with its own condition, for a partial index).
    #[tokio::test]
    async fn lookups_use_their_indexes_not_a_scan_of_the_tenant() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Arc::new(crate::Keyring::load_or_create_file(&dir.path().join("keys")).unwrap());
        let store = crate::SqliteStore::open(dir.path().join("db.sqlite"), keys).await.unwrap();
        let conn = super::super::connect(store.path()).unwrap();
        let mut stmt = conn.prepare("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").unwrap();
        let indexes: Vec<(String, String, String)> =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
        let cols_of = |name: &str| -> Vec<String> {
            conn.prepare("SELECT name FROM pragma_index_info(?) ORDER BY seqno")
                .unwrap()
                .query_map([name], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        let all: Vec<(String, String, Vec<String>)> = indexes.iter().map(|(n, t, _)| (n.clone(), t.clone(), cols_of(n))).collect();
        let mut checked = 0;
        for (name, table, sql) in &indexes {
            let cols = cols_of(name);
            // An index on the primary key's own columns (a partial one) loses to the key itself, rightly.
            if cols.len() < 2 || cols[0] != "tenant_id" || cols[1] == "id" {
                continue;
            }
            let partial = sql.split_once(" WHERE ").map(|(_, w)| format!(" AND {w}")).unwrap_or_default();
            let q = format!("EXPLAIN QUERY PLAN SELECT * FROM {table} WHERE tenant_id = ? AND {} = ?{partial}", cols[1]);
            let plan: Vec<String> =
                conn.prepare(&q).unwrap().query_map([b"t".to_vec(), b"v".to_vec()], |r| r.get(3)).unwrap().map(Result::unwrap).collect();
            // Two indexes of a table may share their first two columns (each then serves its own
            // ranges); either answers this lookup.
            let peers: Vec<&str> = all
                .iter()
                .filter(|(_, t, c)| t == table && partial.is_empty() && c.len() >= 2 && c[..2] == cols[..2])
                .map(|(n, _, _)| n.as_str())
                .collect();
            assert!(plan.iter().any(|s| s.contains(name.as_str()) || peers.iter().any(|p| s.contains(p))), "{name}: {plan:?}");
            checked += 1;
        }
        assert!(checked >= 15, "{checked}");
    }
}
