//! Embedded migrations, one list per backend. Each is applied once, in its own transaction, and
//! remembered with a checksum so an edited migration is caught instead of silently diverging.

use fnv::checksum;

pub(crate) struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

impl Migration {
    pub fn checksum(&self) -> String {
        checksum(self.sql)
    }
}

pub(crate) const SQLITE: &[Migration] =
    &[Migration { version: 1, name: "foundation", sql: include_str!("sqlite/migrations/0001_foundation.sql") }];

pub(crate) const POSTGRES: &[Migration] =
    &[Migration { version: 1, name: "foundation", sql: include_str!("postgres/migrations/0001_foundation.sql") }];

/// FNV-1a over the text: enough to notice an edited migration, with no extra dependency.
mod fnv {
    pub fn checksum(sql: &str) -> String {
        let mut h: u64 = 0xcbf29ce484222325;
        for b in sql.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100000001b3);
        }
        format!("{h:016x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_have_the_same_versions() {
        let v = |m: &[Migration]| m.iter().map(|m| (m.version, m.name)).collect::<Vec<_>>();
        assert_eq!(v(SQLITE), v(POSTGRES));
        assert!(SQLITE.windows(2).all(|w| w[0].version < w[1].version));
    }
}
