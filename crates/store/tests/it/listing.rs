use crate::conformance;
use crate::support::{Harness, actor, org, owed, placed};
use jiff::civil::date;
use recoup_domain::account::{AccountStatus, Flag, Stage};
use recoup_domain::contact::{ContactKind, ContactPoint, PostalAddress};
use recoup_store::{AccountFilter, AccountListing, AccountSort, SortKey};

conformance!(filters_narrow_and_sorted_pages_cover_every_account_once);

async fn filters_narrow_and_sorted_pages_cover_every_account_once(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let t = o.tenant.id;
    // Ten accounts: owed 1,000 .. 10,000 with two equal to test the tie-break, delinquent on
    // different days, a few flagged, late-stage or in Texas.
    let mut rows = Vec::new();
    for i in 0..10i64 {
        let amount = if i == 9 { 8_000 } else { (i + 1) * 1_000 };
        let mut row = placed(&o, &format!("L-{i}"), owed(amount, 0, 0), &format!("+1512555{:04}", 100 + i));
        row.account.first_delinquency_on = Some(date(2024, 1, 1 + i as i8));
        if i % 3 == 0 {
            row.account.flags.0.insert(Flag::Disputed);
        }
        if i >= 7 {
            row.account.stage = Stage::Late;
        }
        if i == 4 {
            row.account.first_delinquency_on = None;
        }
        if i % 2 == 0 {
            let party = &mut row.parties[0];
            let address = PostalAddress {
                line1: "1 Main St".into(),
                line2: None,
                city: "Austin".into(),
                region: "TX".into(),
                postal_code: "78701".into(),
                country: "US".into(),
            };
            party.contact_points.push(ContactPoint {
                id: uuid::Uuid::now_v7(),
                kind: ContactKind::Address,
                value: format!("1 Main St, Austin, TX 78701 #{i}"),
                phone_type: None,
                address: Some(address),
                ..party.contact_points[0].clone()
            });
        }
        rows.push(row);
    }
    let ids: Vec<_> = rows.iter().map(|r| r.account.id).collect();
    s.write_placed(&o.placement, rows, &actor()).await.unwrap();
    s.change_status(t, ids[1], AccountStatus::Recalled, "recall", &actor()).await.unwrap();

    let find = |filter: AccountFilter| {
        let l = AccountListing { filter, limit: 100, ..Default::default() };
        async move { s.find_accounts(t, &l).await.unwrap().into_iter().map(|a| a.account.external_ref).collect::<Vec<_>>() }
    };
    assert_eq!(find(AccountFilter { owed_min: Some(8_000), ..Default::default() }).await, ["L-7", "L-8", "L-9"]);
    assert_eq!(find(AccountFilter { owed_min: Some(2_000), owed_max: Some(3_000), ..Default::default() }).await, ["L-1", "L-2"]);
    assert_eq!(find(AccountFilter { statuses: vec![AccountStatus::Recalled], ..Default::default() }).await, ["L-1"]);
    assert_eq!(find(AccountFilter { stages: vec![Stage::Late], flags: vec![Flag::Disputed], ..Default::default() }).await, ["L-9"]);
    assert_eq!(find(AccountFilter { region: Some("tx".into()), owed_max: Some(5_000), ..Default::default() }).await, ["L-0", "L-2", "L-4"]);
    let by = date(2024, 1, 3);
    assert_eq!(find(AccountFilter { delinquent_by: Some(by), ..Default::default() }).await, ["L-0", "L-1", "L-2"]);
    let since = date(2024, 1, 9);
    assert_eq!(find(AccountFilter { delinquent_since: Some(since), ..Default::default() }).await, ["L-8", "L-9"]);
    assert_eq!(find(AccountFilter { external_ref: Some("L-5".into()), ..Default::default() }).await, ["L-5"]);
    let future = jiff::Timestamp::now().as_microsecond() + 60_000_000;
    assert!(find(AccountFilter { updated_since: Some(future), ..Default::default() }).await.is_empty());

    // Largest balance first, three at a time: ties break by id, and the pages cover all ten once.
    let sort = AccountSort { key: SortKey::Owed, descending: true };
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let l = AccountListing { sort, after: after.clone(), limit: 3, ..Default::default() };
        let page = s.find_accounts(t, &l).await.unwrap();
        let Some(last) = page.last() else { break };
        after = Some(sort.cursor(&last.account, &last.balance, last.updated_at));
        seen.extend(page.iter().map(|a| (a.balance.owed(), a.account.external_ref.clone())));
    }
    let owed: Vec<i64> = seen.iter().map(|(o, _)| *o).collect();
    assert_eq!(owed, [9_000, 8_000, 8_000, 7_000, 6_000, 5_000, 4_000, 3_000, 2_000, 1_000]);
    let mut refs: Vec<_> = seen.iter().map(|(_, r)| r.clone()).collect();
    refs.sort();
    refs.dedup();
    assert_eq!(refs.len(), 10, "no account twice, none missed");

    // Most days past due first; the account with no delinquency date comes last.
    let sort = AccountSort { key: SortKey::FirstDelinquency, descending: false };
    let l = AccountListing { sort, limit: 100, ..Default::default() };
    let order: Vec<_> = s.find_accounts(t, &l).await.unwrap().into_iter().map(|a| a.account.external_ref).collect();
    assert_eq!(order.first().map(String::as_str), Some("L-0"));
    assert_eq!(order.last().map(String::as_str), Some("L-4"));
}
