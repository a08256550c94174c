use crate::conformance;
use crate::support::{Harness, Org, actor, org, owed, place_one, placed};
use jiff::civil::date;
use recoup_domain::account::AccountStatus;
use recoup_domain::event::EventType;
use recoup_domain::note::Note;
use recoup_domain::webhook::{DeliveryStatus, Subscription};
use recoup_store::{Attempt, AttemptOutcome, AuditQuery, IdempotencyBegin, JobKind, Posting, StoreError, StoredResponse};
use uuid::Uuid;

conformance!(
    changes_enqueue_deliveries_for_subscribers_only,
    a_rolled_back_change_enqueues_nothing,
    jobs_are_claimed_once_until_their_lease_runs_out,
    attempts_are_logged_and_move_the_delivery_on,
    redelivery_and_ping,
    idempotency_keys_replay_refuse_and_expire,
    notes_are_kept_per_account_and_audited,
    audit_search_narrows_by_entity_actor_and_time,
);

async fn subscribe(h: &Harness, o: &Org, types: &[EventType]) -> Subscription {
    let id = Uuid::now_v7();
    let sub = Subscription {
        id,
        tenant_id: o.tenant.id,
        url: "http://127.0.0.1:9/hook".into(),
        event_types: types.iter().copied().collect(),
        // The id again, so raw SQL can find this test's rows on a shared database.
        description: id.to_string(),
        active: true,
        created_at: 1,
    };
    h.store.create_subscription(&sub, "whsec_test", &actor()).await.unwrap();
    sub
}

/// Claims the tenant's due jobs only: other tests share the database and its queue.
async fn claim_all(h: &Harness, o: &Org) -> Vec<recoup_store::Job> {
    h.store.claim_jobs(Some(o.tenant.id), i64::MAX / 4, 60_000_000, 10_000).await.unwrap()
}

async fn changes_enqueue_deliveries_for_subscribers_only(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let before = place_one(s, &o, "E-0", owed(1_000, 0, 0)).await;
    assert_eq!(s.pending_jobs(o.tenant.id).await.unwrap(), 0, "nobody subscribed, so nothing is kept");

    let payments = subscribe(h, &o, &[EventType::PaymentPosted, EventType::PaymentReversed]).await;
    let accounts = subscribe(h, &o, &[EventType::AccountCreated, EventType::AccountStatusChanged]).await;
    let id = place_one(s, &o, "E-1", owed(5_000, 0, 0)).await;
    let pay = s.post(o.tenant.id, id, Posting::Payment { amount_minor: 1_200 }, date(2026, 11, 20), "card", &actor()).await.unwrap();
    s.post(o.tenant.id, id, Posting::Fee { fees_minor: 100, costs_minor: 0 }, date(2026, 11, 20), "fee", &actor()).await.unwrap();
    s.change_status(o.tenant.id, before, AccountStatus::Recalled, "client recall", &actor()).await.unwrap();

    let to_payments = s.deliveries(o.tenant.id, payments.id, None, 100).await.unwrap();
    assert_eq!(to_payments.iter().map(|d| d.event_type).collect::<Vec<_>>(), vec![EventType::PaymentPosted]);
    let mut to_accounts: Vec<_> = s.deliveries(o.tenant.id, accounts.id, None, 100).await.unwrap().iter().map(|d| d.event_type).collect();
    to_accounts.sort();
    assert_eq!(to_accounts, vec![EventType::AccountCreated, EventType::AccountStatusChanged]);
    assert_eq!(s.pending_jobs(o.tenant.id).await.unwrap(), 3);

    let work = s.delivery_work(o.tenant.id, to_payments[0].id).await.unwrap().unwrap();
    assert_eq!(work.secret, "whsec_test");
    // The signing secret is sealed at rest, not kept as given.
    let ours = format!("description IN ('{}', '{}')", payments.id, accounts.id);
    assert_eq!(h.raw_count(&format!("SELECT COUNT(*) FROM webhook_subscriptions WHERE {ours} AND secret LIKE '%whsec%'")).await, 0);
    assert_eq!(h.raw_count(&format!("SELECT COUNT(*) FROM webhook_subscriptions WHERE {ours} AND secret LIKE 'sealed:%'")).await, 2);
    assert_eq!(work.event.data["entry_id"], serde_json::json!(pay.id));
    assert_eq!(work.event.data["allocation"]["principal"], serde_json::json!(-1_200));
    assert_eq!(work.event.data["external_ref"], serde_json::json!("E-1"));
    assert_eq!(work.delivery.status, DeliveryStatus::Pending);
}

async fn a_rolled_back_change_enqueues_nothing(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let sub = subscribe(h, &o, &[EventType::AccountStatusChanged, EventType::PaymentPosted]).await;
    let id = place_one(s, &o, "RB-1", owed(1_000, 0, 0)).await;
    s.change_status(o.tenant.id, id, AccountStatus::PaidInFull, "paid elsewhere", &actor()).await.unwrap();
    // Paid in full cannot go to settled: the change is refused and its event with it.
    let refused = s.change_status(o.tenant.id, id, AccountStatus::Settled, "oops", &actor()).await;
    assert!(matches!(refused, Err(StoreError::Transition(_))), "{refused:?}");
    let refused = s.post(o.tenant.id, Uuid::now_v7(), Posting::Payment { amount_minor: 5 }, date(2026, 11, 20), "", &actor()).await;
    assert!(matches!(refused, Err(StoreError::NotFound { .. })));
    let ds = s.deliveries(o.tenant.id, sub.id, None, 100).await.unwrap();
    assert_eq!(ds.len(), 1, "{ds:?}");
    assert_eq!(s.pending_jobs(o.tenant.id).await.unwrap(), 1);
}

async fn jobs_are_claimed_once_until_their_lease_runs_out(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    subscribe(h, &o, &[EventType::AccountCreated]).await;
    for i in 0..3 {
        place_one(s, &o, &format!("J-{i}"), owed(100, 0, 0)).await;
    }
    let now = recoup_now();
    let (a, b) =
        tokio::join!(s.claim_jobs(Some(o.tenant.id), now, 60_000_000, 10_000), s.claim_jobs(Some(o.tenant.id), now, 60_000_000, 10_000));
    let mut ours: Vec<_> = a.unwrap().into_iter().chain(b.unwrap()).filter(|j| j.tenant_id == o.tenant.id).collect();
    assert_eq!(ours.len(), 3, "each job goes to exactly one claimer: {ours:?}");
    ours.sort_by_key(|j| j.id);
    ours.dedup_by_key(|j| j.id);
    assert_eq!(ours.len(), 3);
    assert!(ours.iter().all(|j| j.kind == JobKind::WebhookDelivery && j.attempts == 1));
    let again = s.claim_jobs(Some(o.tenant.id), now + 1, 60_000_000, 10_000).await.unwrap();
    assert!(again.iter().all(|j| j.tenant_id != o.tenant.id), "leased jobs are not claimed again");
    // A worker that died leaves its lease to run out; then another takes the job over.
    let later: Vec<_> = s
        .claim_jobs(Some(o.tenant.id), now + 61_000_000, 60_000_000, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.tenant_id == o.tenant.id)
        .collect();
    assert_eq!(later.len(), 3);
    assert!(later.iter().all(|j| j.attempts == 2));
    s.bury_job(&later[0], "no such delivery").await.unwrap();
    assert_eq!(s.pending_jobs(o.tenant.id).await.unwrap(), 2);
}

fn recoup_now() -> i64 {
    jiff::Timestamp::now().as_microsecond()
}

async fn attempts_are_logged_and_move_the_delivery_on(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let sub = subscribe(h, &o, &[EventType::AccountCreated]).await;
    place_one(s, &o, "A-1", owed(100, 0, 0)).await;
    let job = claim_all(h, &o).await.into_iter().find(|j| j.tenant_id == o.tenant.id).unwrap();
    let delivery_id: Uuid = job.payload.parse().unwrap();
    let t = recoup_now();
    let failed = Attempt { attempt: 0, at: t, status: Some(503), error: Some("HTTP 503".into()), duration_micros: 1_500 };
    s.record_attempt(&job, delivery_id, &failed, AttemptOutcome::RetryAt(t + 60_000_000)).await.unwrap();
    let d = s.delivery(o.tenant.id, delivery_id).await.unwrap().unwrap();
    assert_eq!((d.status, d.attempts, d.last_status, d.next_attempt_at), (DeliveryStatus::Pending, 1, Some(503), Some(t + 60_000_000)));
    assert!(
        s.claim_jobs(Some(o.tenant.id), t + 1, 60_000_000, 10_000).await.unwrap().iter().all(|j| j.tenant_id != o.tenant.id),
        "not due yet"
    );
    let job = s
        .claim_jobs(Some(o.tenant.id), t + 60_000_001, 60_000_000, 10_000)
        .await
        .unwrap()
        .into_iter()
        .find(|j| j.tenant_id == o.tenant.id)
        .unwrap();
    assert_eq!(job.attempts, 2);
    let ok = Attempt { attempt: 0, at: t + 60_000_100, status: Some(204), error: None, duration_micros: 900 };
    s.record_attempt(&job, delivery_id, &ok, AttemptOutcome::Delivered).await.unwrap();
    let d = s.delivery(o.tenant.id, delivery_id).await.unwrap().unwrap();
    assert_eq!((d.status, d.attempts, d.last_status, d.delivered_at), (DeliveryStatus::Delivered, 2, Some(204), Some(t + 60_000_100)));
    let log = s.attempts(o.tenant.id, delivery_id).await.unwrap();
    assert_eq!(log.iter().map(|a| (a.attempt, a.status)).collect::<Vec<_>>(), vec![(1, Some(503)), (2, Some(204))]);
    assert_eq!(s.pending_jobs(o.tenant.id).await.unwrap(), 0);
    assert_eq!(s.deliveries(o.tenant.id, sub.id, None, 10).await.unwrap()[0].id, delivery_id);
    // Another tenant cannot see it.
    let other = org(s).await;
    assert_eq!(s.delivery(other.tenant.id, delivery_id).await.unwrap(), None);
}

async fn redelivery_and_ping(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let sub = subscribe(h, &o, &[EventType::AccountCreated]).await;
    place_one(s, &o, "P-1", owed(100, 0, 0)).await;
    let job = claim_all(h, &o).await.into_iter().find(|j| j.tenant_id == o.tenant.id).unwrap();
    let delivery_id: Uuid = job.payload.parse().unwrap();
    let a = Attempt { attempt: 0, at: recoup_now(), status: None, error: Some("connection refused".into()), duration_micros: 10 };
    s.record_attempt(&job, delivery_id, &a, AttemptOutcome::GiveUp).await.unwrap();
    assert_eq!(s.delivery(o.tenant.id, delivery_id).await.unwrap().unwrap().status, DeliveryStatus::Failed);
    assert_eq!(s.pending_jobs(o.tenant.id).await.unwrap(), 0);

    let d = s.redeliver(o.tenant.id, delivery_id, &actor()).await.unwrap();
    assert_eq!((d.status, d.attempts), (DeliveryStatus::Pending, 1));
    assert_eq!(s.pending_jobs(o.tenant.id).await.unwrap(), 1);
    let missing = s.redeliver(o.tenant.id, Uuid::now_v7(), &actor()).await;
    assert!(matches!(missing, Err(StoreError::NotFound { .. })));

    let ping = s.ping(o.tenant.id, sub.id, &actor()).await.unwrap();
    assert_eq!((ping.event_type, ping.subscription_id), (EventType::WebhookPing, sub.id));
    let mut paused = sub.clone();
    paused.active = false;
    s.update_subscription(&paused, &actor()).await.unwrap();
    assert!(!s.subscription(o.tenant.id, sub.id).await.unwrap().unwrap().active);
    assert!(matches!(s.ping(o.tenant.id, sub.id, &actor()).await, Err(StoreError::Conflict(_))));
    place_one(s, &o, "P-2", owed(100, 0, 0)).await;
    assert_eq!(s.deliveries(o.tenant.id, sub.id, None, 100).await.unwrap().len(), 2, "a paused subscription gets nothing new");
}

async fn idempotency_keys_replay_refuse_and_expire(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let t = o.tenant.id;
    let (h1, h2) = ([1u8; 32], [2u8; 32]);
    assert_eq!(s.begin_idempotent(t, "api_key:a", "k1", &h1, 100, 0).await.unwrap(), IdempotencyBegin::Fresh);
    assert_eq!(s.begin_idempotent(t, "api_key:a", "k1", &h1, 101, 0).await.unwrap(), IdempotencyBegin::InProgress);
    let resp = StoredResponse { status: 201, content_type: "application/json".into(), body: b"{\"id\":1}".to_vec() };
    s.complete_idempotent(t, "api_key:a", "k1", &resp).await.unwrap();
    assert_eq!(s.begin_idempotent(t, "api_key:a", "k1", &h1, 102, 0).await.unwrap(), IdempotencyBegin::Replay(resp.clone()));
    assert_eq!(s.begin_idempotent(t, "api_key:a", "k1", &h2, 103, 0).await.unwrap(), IdempotencyBegin::Mismatch);
    // Keys belong to the credential that sent them.
    assert_eq!(s.begin_idempotent(t, "api_key:b", "k1", &h2, 104, 0).await.unwrap(), IdempotencyBegin::Fresh);
    // A released key (the request failed) can be used again.
    s.release_idempotent(t, "api_key:b", "k1").await.unwrap();
    assert_eq!(s.begin_idempotent(t, "api_key:b", "k1", &h1, 105, 0).await.unwrap(), IdempotencyBegin::Fresh);
    // After expiry the key is new again.
    assert_eq!(s.begin_idempotent(t, "api_key:a", "k1", &h2, 10_000, 5_000).await.unwrap(), IdempotencyBegin::Fresh);
    // The daily purge forgets keys created before its cut-off, and only those.
    assert!(s.purge_idempotent(1_000).await.unwrap() >= 1);
    assert_eq!(s.begin_idempotent(t, "api_key:b", "k1", &h2, 10_001, 0).await.unwrap(), IdempotencyBegin::Fresh, "purged");
    assert_eq!(s.begin_idempotent(t, "api_key:a", "k1", &h1, 10_002, 0).await.unwrap(), IdempotencyBegin::Mismatch, "kept");
}

async fn notes_are_kept_per_account_and_audited(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let sub = subscribe(h, &o, &[EventType::NoteAdded]).await;
    let id = place_one(s, &o, "N-1", owed(100, 0, 0)).await;
    let note = |body: &str, account_id: Uuid, tenant_id: Uuid| Note {
        id: Uuid::now_v7(),
        tenant_id,
        account_id,
        author: "user:x".into(),
        body: body.into(),
        created_at: recoup_now(),
    };
    let first = note("Called, left voicemail", id, o.tenant.id);
    s.add_note(&first, &actor()).await.unwrap();
    let second = note("<b>promised</b> '; DROP TABLE notes;--", id, o.tenant.id);
    s.add_note(&second, &actor()).await.unwrap();
    let listed = s.notes(o.tenant.id, id, 10).await.unwrap();
    assert_eq!(listed, vec![second.clone(), first.clone()], "newest first, stored verbatim");
    let other = org(s).await;
    let foreign = s.add_note(&note("x", id, other.tenant.id), &actor()).await;
    assert!(matches!(foreign, Err(StoreError::NotFound { .. })), "another tenant's account is not found");
    assert!(s.notes(other.tenant.id, id, 10).await.unwrap().is_empty());
    let audit = s.search_audit(o.tenant.id, &AuditQuery { entity_id: Some(id), ..Default::default() }, 0, 100).await.unwrap();
    assert_eq!(audit.iter().filter(|e| e.event.action == "note.added").count(), 2);
    assert_eq!(s.deliveries(o.tenant.id, sub.id, None, 10).await.unwrap().len(), 2);
    let edit = h.raw_try("UPDATE notes SET body = 'changed' WHERE body = 'Called, left voicemail'").await;
    assert!(edit.unwrap_err().contains("append-only"));
    let delete = h.raw_try("DELETE FROM notes WHERE body = 'Called, left voicemail'").await;
    assert!(delete.unwrap_err().contains("append-only"));
}

async fn audit_search_narrows_by_entity_actor_and_time(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let a = place_one(s, &o, "S-1", owed(1_000, 0, 0)).await;
    let row = placed(&o, "S-2", owed(2_000, 0, 0), "+15125550100");
    let b = row.account.id;
    s.write_placed(&o.placement, vec![row], &actor()).await.unwrap();
    let mid = recoup_now();
    let agent = recoup_store::Actor::new("user:agent-7");
    s.post(o.tenant.id, a, Posting::Payment { amount_minor: 100 }, date(2026, 11, 20), "", &agent).await.unwrap();
    s.change_status(o.tenant.id, b, AccountStatus::Recalled, "recall", &actor()).await.unwrap();

    let search = |q: AuditQuery| async move { s.search_audit(o.tenant.id, &q, 0, 100).await.unwrap() };
    let on_a = search(AuditQuery { entity_id: Some(a), ..Default::default() }).await;
    assert_eq!(on_a.iter().map(|e| e.event.action.as_str()).collect::<Vec<_>>(), vec!["account.placed", "ledger.posted"]);
    let by_agent = search(AuditQuery { actor: Some("user:agent-7".into()), ..Default::default() }).await;
    assert_eq!(by_agent.len(), 1);
    assert_eq!(by_agent[0].event.entity_id, a);
    let since = search(AuditQuery { from_micros: Some(mid), ..Default::default() }).await;
    assert_eq!(since.iter().map(|e| e.event.action.as_str()).collect::<Vec<_>>(), vec!["ledger.posted", "account.status_changed"]);
    let before = search(AuditQuery { to_micros: Some(mid), entity_id: Some(b), ..Default::default() }).await;
    assert_eq!(before.iter().map(|e| e.event.action.as_str()).collect::<Vec<_>>(), vec!["account.placed"]);
    // Paging continues after the last sequence number seen.
    let all = search(AuditQuery::default()).await;
    let rest = s.search_audit(o.tenant.id, &AuditQuery::default(), all[1].seq, 100).await.unwrap();
    assert_eq!(rest.len(), all.len() - 2);
}
