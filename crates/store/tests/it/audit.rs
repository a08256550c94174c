use crate::conformance;
use crate::support::{Harness, actor, org, owed, place_one};
use jiff::civil::date;
use recoup_domain::audit::ChainBreak;
use recoup_domain::contact::{Channel, ConsentState};
use recoup_store::{Posting, verify_audit};
use std::sync::Arc;

conformance!(
    every_money_status_and_consent_write_is_audited,
    verify_names_an_edited_entry,
    the_database_refuses_edits_to_the_trail,
    concurrent_writers_keep_one_chain,
);

async fn every_money_status_and_consent_write_is_audited(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let t = o.tenant.id;
    let id = place_one(s, &o, "A-1", owed(5_000, 0, 0)).await;
    s.post(t, id, Posting::Payment { amount_minor: 100 }, date(2026, 11, 20), "", &actor()).await.unwrap();
    s.change_status(t, id, recoup_domain::account::AccountStatus::Recalled, "client recall", &actor()).await.unwrap();
    let cp = s.parties_of(t, id).await.unwrap()[0].contact_points[0].id;
    let changed = s.set_consent(t, cp, Channel::Sms, ConsentState::Revoked, &actor()).await.unwrap();
    assert_eq!(changed.consent.sms, ConsentState::Revoked);
    assert_eq!(s.parties_of(t, id).await.unwrap()[0].contact_points[0].consent.sms, ConsentState::Revoked);
    let actions: Vec<String> = s.audit_entries(t, 0, 100).await.unwrap().into_iter().map(|e| e.event.action).collect();
    assert_eq!(
        actions,
        [
            "client.created",
            "portfolio.created",
            "placement.started",
            "account.placed",
            "ledger.posted",
            "account.status_changed",
            "consent.changed"
        ]
    );
    assert_eq!(verify_audit(s, t).await.unwrap(), Ok(7));
}

async fn verify_names_an_edited_entry(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let t = o.tenant.id;
    let id = place_one(s, &o, "T-1", owed(5_000, 0, 0)).await;
    s.post(t, id, Posting::Payment { amount_minor: 100 }, date(2026, 11, 20), "", &actor()).await.unwrap();
    assert!(verify_audit(s, t).await.unwrap().is_ok());
    let entry = s.audit_entries(t, 0, 100).await.unwrap().into_iter().find(|e| e.event.action == "ledger.posted").unwrap();
    // Someone with database access turns the payment of 100 into 10000 in the trail.
    let tampered = entry.event.data.replace("-100", "-10000");
    assert_ne!(tampered, entry.event.data);
    let hex: String = t.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    let quoted = tampered.replace('\'', "''");
    h.raw_execute(
        &format!(
            "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET data = '{quoted}' WHERE tenant_id = x'{hex}' AND seq = {};",
            entry.seq
        ),
        &format!(
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only; UPDATE audit_log SET data = '{quoted}' WHERE tenant_id = '{t}' AND seq = {}; \
             ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;",
            entry.seq
        ),
    )
    .await;
    let broken = verify_audit(s, t).await.unwrap().unwrap_err();
    assert!(matches!(&broken, ChainBreak::Altered { seq, action, .. } if *seq == entry.seq && action == "ledger.posted"), "{broken:?}");
    assert!(broken.to_string().contains(&format!("audit entry {}", entry.seq)), "{broken}");
    // Other tenants' chains are untouched.
    let other = org(s).await;
    assert!(verify_audit(s, other.tenant.id).await.unwrap().is_ok());
}

async fn the_database_refuses_edits_to_the_trail(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let t = o.tenant.id;
    let result = match &h.raw {
        crate::support::Raw::Sqlite(path) => {
            let c = rusqlite::Connection::open(path).unwrap();
            c.execute("DELETE FROM audit_log WHERE tenant_id = ?", [t]).map(|_| ()).map_err(|e| e.to_string())
        }
        crate::support::Raw::Postgres(pool) => {
            sqlx::query("DELETE FROM audit_log WHERE tenant_id = $1").bind(t).execute(pool).await.map(|_| ()).map_err(|e| e.to_string())
        }
    };
    let err = result.unwrap_err();
    assert!(err.contains("append-only"), "{err}");
}

async fn concurrent_writers_keep_one_chain(h: &Harness) {
    let o = org(h.store.as_ref()).await;
    let t = o.tenant.id;
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(place_one(h.store.as_ref(), &o, &format!("C-{i}"), owed(100_000, 0, 0)).await);
    }
    let mut tasks = Vec::new();
    for id in ids.clone() {
        let store = Arc::clone(&h.store);
        tasks.push(tokio::spawn(async move {
            for _ in 0..10 {
                store.post(t, id, Posting::Payment { amount_minor: 10 }, date(2026, 11, 20), "", &actor()).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    for id in ids {
        assert_eq!(h.store.balance(t, id).await.unwrap().principal, 100_000 - 100);
    }
    // 3 setup entries + 4 placements + 40 payments, in one unbroken chain.
    assert_eq!(verify_audit(h.store.as_ref(), t).await.unwrap(), Ok(47));
}
