//! National ids and dates of birth at rest: sealed in the database, opened on reading, found by
//! keyed hash, and guarded against a start with the wrong keys.

use crate::conformance;
use crate::support::{Harness, actor, org, owed, placed};
use jiff::civil::date;
use recoup_domain::party::Secret;
use recoup_domain::placement::{PlacedAccount, RowOutcome};
use recoup_store::{AccountFilter, Keyring, StoreError};
use std::sync::Arc;

conformance!(
    the_database_holds_no_plaintext,
    accounts_are_found_by_national_id_through_the_keyed_hash,
    a_corrected_national_id_is_an_update,
    plain_dates_written_before_sealing_are_sealed_at_start,
    another_key_is_refused_and_old_versions_still_open,
);

fn with_national_id(mut row: PlacedAccount, digits: &str) -> PlacedAccount {
    let party = &mut row.parties[0].party;
    party.national_id = Some(Secret::new(digits.to_string()));
    party.national_id_last4 = Some(digits[5..].to_string());
    row
}

fn by_national_id(digits: &str) -> AccountFilter {
    AccountFilter { national_id: Some(Secret::new(digits.to_string())), ..Default::default() }
}

async fn the_database_holds_no_plaintext(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let row = with_national_id(placed(&o, "S-1", owed(1_000, 0, 0), "+15125557955"), "987604417");
    let party = row.parties[0].party.clone();
    s.write_placed(&o.placement, vec![row.clone()], &actor()).await.unwrap();

    let raw = h.raw_party(o.tenant.id, party.id).await;
    assert_eq!(raw.date_of_birth, None, "the plain column is not written");
    assert_eq!(raw.national_id_last4.as_deref(), Some("4417"), "the last four stay plain for display");
    let (nid, dob) = (raw.national_id_enc.unwrap(), raw.date_of_birth_enc.unwrap());
    assert_eq!((nid[0], dob[0]), (1, 1), "each value starts with its key version");
    assert_eq!((nid.len(), dob.len()), (9 + recoup_store::seal::OVERHEAD, 10 + recoup_store::seal::OVERHEAD));
    assert_eq!(raw.national_id_hash.map(|h| h.len()), Some(32));
    let stored = h.stored_party_text(o.tenant.id).await;
    assert!(stored.contains("Muñoz"), "the search does see the row's plain columns");
    for plain in ["987604417", "987-60-4417", "1980-02-29", "393837363034343137" /* the id's bytes as hex */] {
        assert!(!stored.contains(plain), "{plain} is stored in plain text");
    }

    let read = s.parties_of(o.tenant.id, row.account.id).await.unwrap();
    assert_eq!(read[0].party, party, "reading opens the sealed values");
    assert_eq!(read[0].party.national_id.as_ref().map(|n| n.expose().as_str()), Some("987604417"));
}

async fn accounts_are_found_by_national_id_through_the_keyed_hash(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let (t, id_a, id_b) = (o.tenant.id, "987605501", "987605502");
    let a1 = with_national_id(placed(&o, "L-1", owed(1_000, 0, 0), "+15125557955"), id_a);
    let a2 = with_national_id(placed(&o, "L-2", owed(2_000, 0, 0), "+15125557956"), id_a);
    let b = with_national_id(placed(&o, "L-3", owed(3_000, 0, 0), "+15125557957"), id_b);
    let mut last4_only = placed(&o, "L-4", owed(4_000, 0, 0), "+15125557958");
    last4_only.parties[0].party.national_id = None;
    last4_only.parties[0].party.national_id_last4 = Some("5501".into());
    s.write_placed(&o.placement, vec![a1.clone(), a2.clone(), b.clone(), last4_only], &actor()).await.unwrap();

    let found = s.list_accounts(t, &by_national_id(id_a), None, 10).await.unwrap();
    let mut expected = vec![a1.account.id, a2.account.id];
    expected.sort();
    assert_eq!(found.iter().map(|a| a.id).collect::<Vec<_>>(), expected, "both accounts of that person, in id order");
    let page = s.list_accounts(t, &by_national_id(id_a), None, 1).await.unwrap();
    let next = s.list_accounts(t, &by_national_id(id_a), page.last().map(|a| a.id), 1).await.unwrap();
    assert_eq!([page[0].id, next[0].id], [expected[0], expected[1]], "pages work with the filter");
    assert_eq!(s.list_accounts(t, &by_national_id(id_b), None, 10).await.unwrap()[0].id, b.account.id);
    assert!(s.list_accounts(t, &by_national_id("987605503"), None, 10).await.unwrap().is_empty());
    let other_client = AccountFilter { client_id: Some(uuid::Uuid::now_v7()), ..by_national_id(id_a) };
    assert!(s.list_accounts(t, &other_client, None, 10).await.unwrap().is_empty(), "the client narrowing still applies");

    // The same person placed with another tenant is not found from this one, and the hashes differ.
    let other = org(s).await;
    let theirs = with_national_id(placed(&other, "L-1", owed(1_000, 0, 0), "+15125557955"), id_a);
    s.write_placed(&other.placement, vec![theirs.clone()], &actor()).await.unwrap();
    assert_eq!(s.list_accounts(t, &by_national_id(id_a), None, 10).await.unwrap().len(), 2);
    let hash = |h: crate::support::RawParty| h.national_id_hash.unwrap();
    assert_ne!(
        hash(h.raw_party(t, a1.parties[0].party.id).await),
        hash(h.raw_party(other.tenant.id, theirs.parties[0].party.id).await),
        "one person cannot be linked across tenants from the database"
    );
    assert_eq!(hash(h.raw_party(t, a1.parties[0].party.id).await), hash(h.raw_party(t, a2.parties[0].party.id).await));
}

async fn a_corrected_national_id_is_an_update(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let first = with_national_id(placed(&o, "C-1", owed(1_000, 0, 0), "+15125557955"), "987606601");
    s.write_placed(&o.placement, vec![first.clone()], &actor()).await.unwrap();
    // The importer's fingerprint covers the id; a corrected id gives another fingerprint.
    let mut corrected = with_national_id(placed(&o, "C-1", owed(1_000, 0, 0), "+15125557955"), "987606602");
    corrected.fingerprint[0] ^= 1;
    assert_eq!(s.write_placed(&o.placement, vec![corrected], &actor()).await.unwrap(), vec![RowOutcome::Updated]);
    let t = o.tenant.id;
    assert!(s.list_accounts(t, &by_national_id("987606601"), None, 10).await.unwrap().is_empty(), "the old id no longer matches");
    assert_eq!(s.list_accounts(t, &by_national_id("987606602"), None, 10).await.unwrap()[0].id, first.account.id);
    let parties = s.parties_of(t, first.account.id).await.unwrap();
    assert_eq!(parties[0].party.national_id.as_ref().map(|n| n.expose().as_str()), Some("987606602"));
    assert_eq!(parties[0].party.national_id_last4.as_deref(), Some("6602"));
}

async fn plain_dates_written_before_sealing_are_sealed_at_start(h: &Harness) {
    // Any store that starts seals every tenant's plain dates with its current key; on the shared
    // PostgreSQL database that may be the rotation test's version 2, so read with both versions.
    let both = h.reopen(test_keys_with(&[V2], true)).await.unwrap();
    let s = both.as_ref();
    let o = org(s).await;
    let row = placed(&o, "M-1", owed(1_000, 0, 0), "+15125557955");
    let pid = row.parties[0].party.id;
    s.write_placed(&o.placement, vec![row.clone()], &actor()).await.unwrap();
    // As a row written before migration 0006 looks: a plain date and nothing sealed.
    let (t, p) = (o.tenant.id.simple().to_string(), pid.simple().to_string());
    h.raw_execute(
        &format!("UPDATE parties SET date_of_birth = '1970-01-31', date_of_birth_enc = NULL WHERE tenant_id = X'{t}' AND id = X'{p}'"),
        &format!("UPDATE parties SET date_of_birth = '1970-01-31', date_of_birth_enc = NULL WHERE tenant_id = '{t}' AND id = '{p}'"),
    )
    .await;
    let read = |parties: Vec<recoup_domain::placement::PlacedParty>| parties[0].party.date_of_birth.map(|d| *d.expose());
    assert_eq!(read(s.parties_of(o.tenant.id, row.account.id).await.unwrap()), Some(date(1970, 1, 31)), "an old row reads as it is");

    assert!(s.migrate().await.unwrap().is_empty(), "no schema change, only sealing");
    // Another store starting at the same moment (another test, another node) may hold the row
    // while it seals it; this one skips rows being sealed, so wait for that one to commit.
    let mut raw = h.raw_party(o.tenant.id, pid).await;
    for _ in 0..50 {
        if raw.date_of_birth.is_none() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        raw = h.raw_party(o.tenant.id, pid).await;
    }
    assert_eq!(raw.date_of_birth, None, "the plain value is gone");
    assert!(raw.date_of_birth_enc.is_some_and(|e| !String::from_utf8_lossy(&e).contains("1970")));
    assert_eq!(read(s.parties_of(o.tenant.id, row.account.id).await.unwrap()), Some(date(1970, 1, 31)));
}

const OTHER_V1: &str = "1 = 0101010101010101010101010101010101010101010101010101010101010101";
const V2: &str = "2 = 0202020202020202020202020202020202020202020202020202020202020202";

/// The test keys' text with its data key lines replaced or added.
fn test_keys_with(lines: &[&str], keep_v1: bool) -> Arc<Keyring> {
    let base = include_str!("../../../../testdata/test.keys");
    let mut text: Vec<&str> = base.lines().filter(|l| keep_v1 || !l.starts_with("1 =")).collect();
    text.extend(lines);
    Arc::new(Keyring::parse(&text.join("\n")).unwrap())
}

async fn another_key_is_refused_and_old_versions_still_open(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let old = placed(&o, "K-1", owed(1_000, 0, 0), "+15125557955");
    s.write_placed(&o.placement, vec![old.clone()], &actor()).await.unwrap();

    let wrong = h.reopen(test_keys_with(&[OTHER_V1], false)).await.err().expect("a different version 1 key is refused");
    assert!(matches!(&wrong, StoreError::KeyMismatch(name) if name == "1"), "{wrong}");
    assert!(!wrong.to_string().contains("0101"), "the error names the key, never its material");

    // Rotation: version 2 is added beside version 1; new writes use it, old values still open.
    let rotated = h.reopen(test_keys_with(&[V2], true)).await.unwrap();
    let new = placed(&o, "K-2", owed(2_000, 0, 0), "+15125557956");
    rotated.write_placed(&o.placement, vec![new.clone()], &actor()).await.unwrap();
    assert_eq!(h.raw_party(o.tenant.id, new.parties[0].party.id).await.national_id_enc.unwrap()[0], 2);
    assert_eq!(rotated.parties_of(o.tenant.id, old.account.id).await.unwrap()[0].party, old.parties[0].party);
    assert_eq!(rotated.parties_of(o.tenant.id, new.account.id).await.unwrap()[0].party, new.parties[0].party);
    // A node still configured with version 1 only says which version it lacks.
    let e = s.parties_of(o.tenant.id, new.account.id).await.unwrap_err().to_string();
    assert!(e.contains("key version 2") && !e.contains("987654321"), "{e}");
}
