//! Embedded migrations, one list per backend. Each is applied once, in its own transaction, and
//! remembered with a checksum so an edited migration is caught instead of silently diverging.

use crate::StoreError;
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

pub(crate) const SQLITE: &[Migration] = &[
    Migration { version: 1, name: "foundation", sql: include_str!("sqlite/migrations/0001_foundation.sql") },
    Migration { version: 2, name: "api_keys", sql: include_str!("sqlite/migrations/0002_api_keys.sql") },
    Migration { version: 3, name: "users", sql: include_str!("sqlite/migrations/0003_users.sql") },
    Migration { version: 4, name: "sign_in_failures", sql: include_str!("sqlite/migrations/0004_sign_in_failures.sql") },
    Migration {
        version: 5,
        name: "webhooks_idempotency_notes",
        sql: include_str!("sqlite/migrations/0005_webhooks_idempotency_notes.sql"),
    },
    Migration { version: 6, name: "sealed_party_fields", sql: include_str!("sqlite/migrations/0006_sealed_party_fields.sql") },
    Migration { version: 7, name: "servicing", sql: include_str!("sqlite/migrations/0007_servicing.sql") },
    Migration { version: 8, name: "client_policy", sql: include_str!("sqlite/migrations/0008_client_policy.sql") },
    Migration { version: 9, name: "templates", sql: include_str!("sqlite/migrations/0009_templates.sql") },
    Migration { version: 10, name: "phone_lookup", sql: include_str!("sqlite/migrations/0010_phone_lookup.sql") },
    Migration { version: 11, name: "strategies", sql: include_str!("sqlite/migrations/0011_strategies.sql") },
    Migration { version: 12, name: "worklists", sql: include_str!("sqlite/migrations/0012_worklists.sql") },
    Migration { version: 13, name: "experiments", sql: include_str!("sqlite/migrations/0013_experiments.sql") },
    Migration { version: 14, name: "accrual", sql: include_str!("sqlite/migrations/0014_accrual.sql") },
    Migration { version: 15, name: "portal_sessions", sql: include_str!("sqlite/migrations/0015_portal_sessions.sql") },
    Migration { version: 16, name: "work_periods", sql: include_str!("sqlite/migrations/0016_work_periods.sql") },
    Migration { version: 17, name: "models", sql: include_str!("sqlite/migrations/0017_models.sql") },
    Migration { version: 18, name: "report_sums", sql: include_str!("sqlite/migrations/0018_report_sums.sql") },
    Migration { version: 19, name: "covering_account_indexes", sql: include_str!("sqlite/migrations/0019_covering_account_indexes.sql") },
    Migration { version: 20, name: "worklist_queue_facts", sql: include_str!("sqlite/migrations/0020_worklist_queue_facts.sql") },
    Migration { version: 21, name: "scores_kept_once", sql: include_str!("sqlite/migrations/0021_scores_kept_once.sql") },
    Migration { version: 22, name: "record_facts_by_id", sql: include_str!("sqlite/migrations/0022_record_facts_by_id.sql") },
    Migration { version: 23, name: "contact_points_by_party", sql: include_str!("sqlite/migrations/0023_contact_points_by_party.sql") },
];

pub(crate) const POSTGRES: &[Migration] = &[
    Migration { version: 1, name: "foundation", sql: include_str!("postgres/migrations/0001_foundation.sql") },
    Migration { version: 2, name: "api_keys", sql: include_str!("postgres/migrations/0002_api_keys.sql") },
    Migration { version: 3, name: "users", sql: include_str!("postgres/migrations/0003_users.sql") },
    Migration { version: 4, name: "sign_in_failures", sql: include_str!("postgres/migrations/0004_sign_in_failures.sql") },
    Migration {
        version: 5,
        name: "webhooks_idempotency_notes",
        sql: include_str!("postgres/migrations/0005_webhooks_idempotency_notes.sql"),
    },
    Migration { version: 6, name: "sealed_party_fields", sql: include_str!("postgres/migrations/0006_sealed_party_fields.sql") },
    Migration { version: 7, name: "servicing", sql: include_str!("postgres/migrations/0007_servicing.sql") },
    Migration { version: 8, name: "client_policy", sql: include_str!("postgres/migrations/0008_client_policy.sql") },
    Migration { version: 9, name: "templates", sql: include_str!("postgres/migrations/0009_templates.sql") },
    Migration { version: 10, name: "phone_lookup", sql: include_str!("postgres/migrations/0010_phone_lookup.sql") },
    Migration { version: 11, name: "strategies", sql: include_str!("postgres/migrations/0011_strategies.sql") },
    Migration { version: 12, name: "worklists", sql: include_str!("postgres/migrations/0012_worklists.sql") },
    Migration { version: 13, name: "experiments", sql: include_str!("postgres/migrations/0013_experiments.sql") },
    Migration { version: 14, name: "accrual", sql: include_str!("postgres/migrations/0014_accrual.sql") },
    Migration { version: 15, name: "portal_sessions", sql: include_str!("postgres/migrations/0015_portal_sessions.sql") },
    Migration { version: 16, name: "work_periods", sql: include_str!("postgres/migrations/0016_work_periods.sql") },
    Migration { version: 17, name: "models", sql: include_str!("postgres/migrations/0017_models.sql") },
    Migration { version: 18, name: "report_sums", sql: include_str!("postgres/migrations/0018_report_sums.sql") },
    Migration { version: 19, name: "covering_account_indexes", sql: include_str!("postgres/migrations/0019_covering_account_indexes.sql") },
    Migration { version: 20, name: "worklist_queue_facts", sql: include_str!("postgres/migrations/0020_worklist_queue_facts.sql") },
    Migration { version: 21, name: "scores_kept_once", sql: include_str!("postgres/migrations/0021_scores_kept_once.sql") },
    Migration { version: 22, name: "record_facts_by_id", sql: include_str!("postgres/migrations/0022_record_facts_by_id.sql") },
    Migration { version: 23, name: "contact_points_by_party", sql: include_str!("postgres/migrations/0023_contact_points_by_party.sql") },
];

/// The migrations of `list` not yet in `applied` (version, checksum), in order. A migration that
/// was applied with another checksum stops everything: the schema would silently diverge.
pub(crate) fn pending<'a>(list: &'a [Migration], applied: &[(i64, String)]) -> Result<Vec<&'a Migration>, StoreError> {
    let mut out = Vec::new();
    for m in list {
        match applied.iter().find(|(v, _)| *v == m.version) {
            Some((_, sum)) if *sum == m.checksum() => {}
            Some(_) => return Err(StoreError::MigrationChanged { version: m.version, name: m.name.to_string() }),
            None => out.push(m),
        }
    }
    Ok(out)
}

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
    fn an_edited_migration_is_refused_and_applied_ones_skipped() {
        let applied = vec![(1, SQLITE[0].checksum())];
        let versions: Vec<i64> = pending(SQLITE, &applied).unwrap().iter().map(|m| m.version).collect();
        assert_eq!(versions, SQLITE[1..].iter().map(|m| m.version).collect::<Vec<_>>());
        let all: Vec<(i64, String)> = SQLITE.iter().map(|m| (m.version, m.checksum())).collect();
        assert!(pending(SQLITE, &all).unwrap().is_empty());
        assert_eq!(pending(SQLITE, &[]).unwrap().len(), SQLITE.len());
        let edited = vec![(1, "0000".to_string())];
        assert!(matches!(pending(SQLITE, &edited), Err(StoreError::MigrationChanged { version: 1, .. })));
    }

    #[test]
    fn both_backends_have_the_same_versions() {
        let v = |m: &[Migration]| m.iter().map(|m| (m.version, m.name)).collect::<Vec<_>>();
        assert_eq!(v(SQLITE), v(POSTGRES));
        assert!(SQLITE.windows(2).all(|w| w[0].version < w[1].version));
    }
}
