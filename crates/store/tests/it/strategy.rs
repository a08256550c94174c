use crate::conformance;
use crate::servicing::pay;
use crate::support::{Harness, actor, org, owed, place_on};
use jiff::civil::date;
use recoup_store::servicing::payment;

conformance!(a_run_batch_holds_each_accounts_file_and_parties_without_secrets, contact_files_are_the_account_files_without_their_ledgers,);

async fn a_run_batch_holds_each_accounts_file_and_parties_without_secrets(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let t = o.tenant.id;
    let placed_on = date(2026, 11, 3);
    let rows = [("RUN-1", owed(10_000, 0, 0), None), ("RUN-2", owed(20_000, 150, 0), None), ("RUN-3", owed(5_000, 0, 35), None)];
    let ids = place_on(s, &o, placed_on, &rows).await;
    let today = date(2026, 11, 12);
    let first = s.run_batch(t, today, None, 2).await.unwrap();
    let after = first.last().map(|i| i.facts.account_id);
    let second = s.run_batch(t, today, after, 2).await.unwrap();
    assert!(s.run_batch(t, today, second.last().map(|i| i.facts.account_id), 2).await.unwrap().is_empty());
    let inputs: Vec<_> = first.into_iter().chain(second).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(inputs.iter().map(|i| i.facts.account_id).collect::<Vec<_>>(), sorted, "every active account once, in id order");
    for input in &inputs {
        let id = input.facts.account_id;
        assert_eq!(Some(&input.account), s.account(t, id).await.unwrap().as_ref());
        let balance = s.balance(t, id).await.unwrap();
        assert_eq!(input.balance, balance);
        assert_eq!(input.facts.balance_minor, balance.net());
        // The run's parties are the account's, with the sealed fields left unread.
        let mut expected = s.parties_of(t, id).await.unwrap();
        assert!(expected[0].party.national_id.is_some(), "the fixture's party has a sealed national id");
        for p in &mut expected {
            p.party.date_of_birth = None;
            p.party.national_id = None;
        }
        assert_eq!(input.parties, expected);
        let f = &input.facts;
        assert!(f.can_sms && f.can_call && !f.can_email && !f.can_mail, "a mobile phone only: {f:?}");
        assert_eq!((f.language.as_deref(), f.client.as_str(), f.portfolio.as_str()), (Some("es"), "LSB", "CC"));
        assert_eq!(f.placed_on, Some(placed_on));
    }
}

async fn contact_files_are_the_account_files_without_their_ledgers(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let t = o.tenant.id;
    let ids = place_on(s, &o, date(2026, 11, 3), &[("CF-1", owed(10_000, 0, 0), None), ("CF-2", owed(7_500, 0, 0), None)]).await;
    let today = date(2026, 11, 12);
    s.service(t, ids[0], payment::post(pay(2_500, today), today, &actor())).await.unwrap();
    let full = s.account_files(t, &ids).await.unwrap();
    let accounts = ids.iter().map(|id| (full[id].account.clone(), full[id].balance)).collect();
    let contact = s.contact_files(t, accounts).await.unwrap();
    assert_eq!(contact.len(), 2);
    for id in &ids {
        let (f, c) = (&full[id], &contact[id]);
        assert!(!f.ledger.is_empty(), "the account file has the placement's entries");
        assert!(c.ledger.is_empty(), "no ledger for the contact policy");
        assert_eq!((&c.account, c.balance, &c.client, &c.policy, &c.records), (&f.account, f.balance, &f.client, &f.policy, &f.records));
    }
    assert!(!contact[&ids[0]].records.is_empty(), "the payment's record is there");
    assert!(s.contact_files(t, Vec::new()).await.unwrap().is_empty());
}
