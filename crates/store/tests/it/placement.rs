use crate::conformance;
use crate::support::{Harness, actor, org, owed, placed};
use recoup_domain::ledger::{self, EntryKind};
use recoup_domain::org::{ImportCounts, PlacementStatus};
use recoup_domain::placement::RowOutcome;

conformance!(
    placed_rows_land_whole,
    same_row_again_is_unchanged,
    changed_row_is_updated_with_an_adjustment,
    replacement_that_would_undo_payments_is_refused,
    placement_counts_are_kept,
);

async fn placed_rows_land_whole(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let rows: Vec<_> = (0..50).map(|i| placed(&o, &format!("P-{i:03}"), owed(10_000 + i, 100, 0), "+15125557955")).collect();
    let out = s.write_placed(&o.placement, rows.clone(), &actor()).await.unwrap();
    assert!(out.iter().all(|r| *r == RowOutcome::Created));
    assert_eq!(s.count_accounts(o.tenant.id).await.unwrap(), 50);
    let a = s.account_by_ref(o.tenant.id, o.client.id, "P-007").await.unwrap().unwrap();
    assert_eq!(a, rows[7].account);
    let parties = s.parties_of(o.tenant.id, a.id).await.unwrap();
    assert_eq!(parties, rows[7].parties, "party, role and contact points round-trip exactly (UTF-8 names included)");
    assert_eq!(s.balance(o.tenant.id, a.id).await.unwrap(), owed(10_007, 100, 0));
    let page1 = s.list_accounts(o.tenant.id, &Default::default(), None, 20).await.unwrap();
    let page2 = s.list_accounts(o.tenant.id, &Default::default(), page1.last().map(|a| a.id), 100).await.unwrap();
    assert_eq!((page1.len(), page2.len()), (20, 30));
    let mine = recoup_store::AccountFilter { client_id: Some(o.client.id), ..Default::default() };
    assert_eq!(s.list_accounts(o.tenant.id, &mine, None, 100).await.unwrap().len(), 50);
    let other = recoup_store::AccountFilter { client_id: Some(uuid::Uuid::now_v7()), ..Default::default() };
    assert!(s.list_accounts(o.tenant.id, &other, None, 100).await.unwrap().is_empty());
}

async fn same_row_again_is_unchanged(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let row = placed(&o, "U-1", owed(5_000, 0, 0), "+15125557955");
    s.write_placed(&o.placement, vec![row.clone()], &actor()).await.unwrap();
    let audit = s.audit_entries(o.tenant.id, 0, 1000).await.unwrap().len();
    // A second file names the same account with the same content; its ids are fresh.
    let mut again = placed(&o, "U-1", owed(5_000, 0, 0), "+15125557955");
    again.fingerprint = row.fingerprint;
    assert_eq!(s.write_placed(&o.placement, vec![again], &actor()).await.unwrap(), vec![RowOutcome::Unchanged]);
    assert_eq!(s.count_accounts(o.tenant.id).await.unwrap(), 1);
    assert_eq!(s.audit_entries(o.tenant.id, 0, 1000).await.unwrap().len(), audit, "unchanged writes nothing");
}

async fn changed_row_is_updated_with_an_adjustment(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let t = o.tenant.id;
    let first = placed(&o, "U-2", owed(5_000, 500, 0), "+15125557955");
    s.write_placed(&o.placement, vec![first.clone()], &actor()).await.unwrap();
    let id = first.account.id;
    s.post(t, id, recoup_store::Posting::Payment { amount_minor: 700 }, jiff::civil::date(2026, 11, 10), "", &actor()).await.unwrap();
    // The client sends the account again with more interest and a new phone.
    let second = placed(&o, "U-2", owed(5_000, 800, 0), "+14155559497");
    assert_eq!(s.write_placed(&o.placement, vec![second], &actor()).await.unwrap(), vec![RowOutcome::Updated]);
    let entries = s.ledger(t, id).await.unwrap();
    let adj = entries.iter().find(|e| e.kind == EntryKind::Adjustment).unwrap();
    assert_eq!(adj.delta, owed(0, 300, 0), "the change between reports, not a reset to the report");
    let b = s.balance(t, id).await.unwrap();
    assert_eq!(b, ledger::balance(&entries).unwrap());
    assert_eq!(b, owed(4_800, 300, 0), "the payment taken since is kept");
    let phones: Vec<String> = s.parties_of(t, id).await.unwrap()[0].contact_points.iter().map(|c| c.value.clone()).collect();
    assert_eq!(phones, ["+15125557955", "+14155559497"], "new contact points are added, old ones kept");
    assert_eq!(s.count_accounts(t).await.unwrap(), 1);
}

async fn replacement_that_would_undo_payments_is_refused(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let t = o.tenant.id;
    let first = placed(&o, "U-3", owed(1_000, 0, 0), "+15125557955");
    s.write_placed(&o.placement, vec![first.clone()], &actor()).await.unwrap();
    s.post(t, first.account.id, recoup_store::Posting::Payment { amount_minor: 900 }, jiff::civil::date(2026, 11, 10), "", &actor())
        .await
        .unwrap();
    let lower = placed(&o, "U-3", owed(0, 0, 0), "+15125557955");
    let out = s.write_placed(&o.placement, vec![lower], &actor()).await.unwrap();
    assert!(matches!(&out[0], RowOutcome::Refused(why) if why.contains("principal")), "{out:?}");
    assert_eq!(s.balance(t, first.account.id).await.unwrap(), owed(100, 0, 0));
}

async fn placement_counts_are_kept(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let counts = ImportCounts { read: 10, created: 7, updated: 1, unchanged: 1, rejected: 1 };
    s.finish_placement(o.tenant.id, o.placement.id, PlacementStatus::Completed, &counts).await.unwrap();
    let p = s.placement(o.tenant.id, o.placement.id).await.unwrap().unwrap();
    assert_eq!((p.status, p.counts), (PlacementStatus::Completed, counts));
}
