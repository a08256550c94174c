//! Multi-row inserts. One `INSERT ... VALUES (...), (...), ...` statement per few dozen rows
//! opens the table's and its indexes' cursors once instead of once per row, which is most of
//! what a wide single-row insert costs in SQLite.

use crate::Result;
use rusqlite::Connection;
use rusqlite::types::Value;
use uuid::Uuid;

/// A table's insert: its columns in order, and anything after the VALUES list.
pub(crate) struct Table {
    pub name: &'static str,
    pub cols: &'static [&'static str],
    pub suffix: &'static str,
}

/// SQLite's default limit on bound variables is 32,766; staying well under it also keeps
/// each statement's memory small.
const MAX_ROWS_PER_STATEMENT: usize = 64;

pub(crate) struct Bulk<'c> {
    conn: &'c Connection,
    table: &'static Table,
    rows_per_statement: usize,
    values: Vec<Value>,
}

impl<'c> Bulk<'c> {
    pub fn new(conn: &'c Connection, table: &'static Table) -> Self {
        let rows_per_statement = (32_766 / table.cols.len()).clamp(1, MAX_ROWS_PER_STATEMENT);
        Bulk { conn, table, rows_per_statement, values: Vec::with_capacity(rows_per_statement * table.cols.len()) }
    }

    pub fn push(&mut self, row: impl IntoIterator<Item = Value>) -> Result<()> {
        let before = self.values.len();
        self.values.extend(row);
        debug_assert_eq!(self.values.len() - before, self.table.cols.len(), "row width for {}", self.table.name);
        if self.values.len() == self.rows_per_statement * self.table.cols.len() {
            self.flush()?;
        }
        Ok(())
    }

    pub fn connection(&self) -> &'c Connection {
        self.conn
    }

    /// Writes what is buffered. Call before the transaction commits.
    pub fn flush(&mut self) -> Result<()> {
        let rows = self.values.len() / self.table.cols.len();
        if rows == 0 {
            return Ok(());
        }
        let sql = insert_sql(self.table, rows);
        self.conn.prepare_cached(&sql)?.execute(rusqlite::params_from_iter(self.values.drain(..)))?;
        Ok(())
    }
}

fn insert_sql(t: &Table, rows: usize) -> String {
    let group = format!("({})", vec!["?"; t.cols.len()].join(","));
    let groups = vec![group.as_str(); rows].join(",");
    format!("INSERT INTO {} ({}) VALUES {groups} {}", t.name, t.cols.join(", "), t.suffix)
}

pub(crate) fn uuid(u: Uuid) -> Value {
    Value::Blob(u.as_bytes().to_vec())
}

pub(crate) fn opt_uuid(u: Option<Uuid>) -> Value {
    u.map(uuid).unwrap_or(Value::Null)
}

pub(crate) fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

pub(crate) fn opt_text<S: Into<String>>(s: Option<S>) -> Value {
    s.map(|s| Value::Text(s.into())).unwrap_or(Value::Null)
}

pub(crate) fn int(i: i64) -> Value {
    Value::Integer(i)
}

pub(crate) fn opt_int(i: Option<i64>) -> Value {
    i.map(Value::Integer).unwrap_or(Value::Null)
}

pub(crate) fn blob(b: &[u8]) -> Value {
    Value::Blob(b.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    static T: Table = Table { name: "t", cols: &["a", "b"], suffix: "" };

    #[test]
    fn partial_and_full_statements_insert_every_row() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE t (a INTEGER, b TEXT)").unwrap();
        let mut b = Bulk::new(&c, &T);
        assert_eq!(b.rows_per_statement, 64);
        for i in 0..150 {
            b.push([int(i), text(format!("r{i}"))]).unwrap();
        }
        b.flush().unwrap();
        let (n, sum): (i64, i64) = c.query_row("SELECT COUNT(*), SUM(a) FROM t", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        assert_eq!((n, sum), (150, (0..150).sum()));
        assert_eq!(insert_sql(&T, 2), "INSERT INTO t (a, b) VALUES (?,?),(?,?) ");
    }
}
