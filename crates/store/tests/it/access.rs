use crate::conformance;
use crate::support::{Harness, actor, org};
use recoup_domain::access::{ApiKey, Role, Session, User};
use recoup_store::{KEY_CACHE_TTL, StoreError};
use sha2::{Digest, Sha256};
use uuid::Uuid;

conformance!(
    api_keys_are_found_by_prefix_and_revoked_with_an_audit_entry,
    a_key_revoked_by_another_process_stops_working_within_the_cache_time,
    users_sign_in_by_email_and_disabling_ends_their_sessions,
    staff_signed_in_time_outlives_the_session_and_a_debtors_is_not_kept
);

fn key(tenant_id: Uuid, prefix: &str, role: Role) -> ApiKey {
    ApiKey {
        id: Uuid::now_v7(),
        tenant_id,
        name: "billing sync".into(),
        role,
        client_id: None,
        prefix: prefix.into(),
        created_at: 1_700_000_000_000_000,
        last_used_at: None,
        revoked_at: None,
    }
}

async fn api_keys_are_found_by_prefix_and_revoked_with_an_audit_entry(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let prefix = format!("p{}", Uuid::now_v7().simple());
    let k = key(o.tenant.id, &prefix, Role::Integrator);
    s.create_api_key(&k, &[7u8; 32], &actor()).await.unwrap();
    assert_eq!(s.api_key_by_prefix(&prefix).await.unwrap(), Some((k.clone(), [7u8; 32])));
    assert_eq!(s.api_key_by_prefix("nope").await.unwrap(), None);
    assert!(s.create_api_key(&key(o.tenant.id, &prefix, Role::Admin), &[1u8; 32], &actor()).await.is_err(), "prefixes are unique");

    s.touch_api_key(o.tenant.id, k.id, 1_800_000_000_000_000).await.unwrap();
    let found = s.api_key_by_prefix(&prefix).await.unwrap().unwrap().0;
    assert_eq!(found.last_used_at, Some(1_800_000_000_000_000), "a lookup after a touch sees it");
    let revoked = s.revoke_api_key(o.tenant.id, k.id, &actor()).await.unwrap();
    let found = s.api_key_by_prefix(&prefix).await.unwrap().unwrap().0;
    assert!(!found.is_active(), "a lookup right after revoking through the same store sees the revocation");
    assert!(!revoked.is_active());
    assert_eq!(revoked.last_used_at, Some(1_800_000_000_000_000));
    assert_eq!(s.list_api_keys(o.tenant.id).await.unwrap(), vec![revoked]);
    let other = org(s).await;
    assert!(s.list_api_keys(other.tenant.id).await.unwrap().is_empty());
    assert!(s.revoke_api_key(other.tenant.id, k.id, &actor()).await.is_err(), "another tenant cannot revoke it");

    let actions: Vec<String> = s.audit_entries(o.tenant.id, 0, 100).await.unwrap().into_iter().map(|e| e.event.action).collect();
    assert!(actions.ends_with(&["api_key.created".to_string(), "api_key.revoked".to_string()]), "{actions:?}");
    let created = s.audit_entries(o.tenant.id, 0, 100).await.unwrap().into_iter().find(|e| e.event.action == "api_key.created").unwrap();
    assert!(!created.event.data.contains(&"07".repeat(32)), "no secret material in the trail");
}

async fn a_key_revoked_by_another_process_stops_working_within_the_cache_time(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let prefix = format!("p{}", Uuid::now_v7().simple());
    s.create_api_key(&key(o.tenant.id, &prefix, Role::Integrator), &[7u8; 32], &actor()).await.unwrap();
    assert!(s.api_key_by_prefix(&prefix).await.unwrap().unwrap().0.is_active());
    // Behind this store's back, as `recoup apikey revoke` in another process or another node would.
    let sql = format!("UPDATE api_keys SET revoked_at = 5 WHERE prefix = '{prefix}'");
    h.raw_execute(&sql, &sql).await;
    let give_up = std::time::Instant::now() + KEY_CACHE_TTL + std::time::Duration::from_secs(5);
    while s.api_key_by_prefix(&prefix).await.unwrap().unwrap().0.is_active() {
        assert!(std::time::Instant::now() < give_up, "still active well past the {KEY_CACHE_TTL:?} the store may remember a key");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn users_sign_in_by_email_and_disabling_ends_their_sessions(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let email = format!("ana.{}@example.com", Uuid::now_v7().simple());
    let user = User {
        id: Uuid::now_v7(),
        tenant_id: o.tenant.id,
        email: email.clone(),
        name: "Ana Agent".into(),
        role: Role::Agent,
        client_id: None,
        disabled: false,
        created_at: 1_700_000_000_000_000,
    };
    s.create_user(&user, "$argon2id$v=19$fake", &actor()).await.unwrap();
    let again = User { id: Uuid::now_v7(), ..user.clone() };
    assert!(matches!(s.create_user(&again, "x", &actor()).await, Err(StoreError::Conflict(_))), "e-mails are unique");
    assert_eq!(s.user_by_email(&email.to_uppercase()).await.unwrap(), Some((user.clone(), "$argon2id$v=19$fake".to_string())));
    assert_eq!(s.user(o.tenant.id, user.id).await.unwrap(), Some(user.clone()));
    assert_eq!(s.user(org(s).await.tenant.id, user.id).await.unwrap(), None, "not from another tenant");

    // A token digest unique to this run, as tests share the PostgreSQL database.
    let token_hash: [u8; 32] = Sha256::digest(Uuid::now_v7().as_bytes()).into();
    let session = Session { token_hash, tenant_id: o.tenant.id, user_id: user.id, created_at: 5, last_seen_at: 5, account_id: None };
    s.create_session(&session).await.unwrap();
    s.touch_session(&session.token_hash, 9).await.unwrap();
    assert_eq!(s.session(&session.token_hash).await.unwrap().map(|x| x.last_seen_at), Some(9));

    let disabled = s.set_user_disabled(o.tenant.id, user.id, true, &actor()).await.unwrap();
    assert!(disabled.disabled);
    assert_eq!(s.session(&session.token_hash).await.unwrap(), None, "disabling ends sessions");
    let actions: Vec<String> = s.audit_entries(o.tenant.id, 0, 100).await.unwrap().into_iter().map(|e| e.event.action).collect();
    assert!(actions.ends_with(&["user.created".to_string(), "user.disabled".to_string()]), "{actions:?}");
    let trail = s.audit_entries(o.tenant.id, 0, 100).await.unwrap();
    assert!(trail.iter().all(|e| !e.event.data.contains("argon2")), "no password material in the trail");

    s.create_session(&Session { last_seen_at: 1, ..session.clone() }).await.unwrap();
    s.delete_session(&session.token_hash).await.unwrap();
    assert_eq!(s.session(&session.token_hash).await.unwrap(), None);
}

async fn staff_signed_in_time_outlives_the_session_and_a_debtors_is_not_kept(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let (agent, debtor) = (Uuid::now_v7(), Uuid::now_v7());
    let session = |user_id, created_at, last_seen_at, account_id| Session {
        token_hash: Sha256::digest(Uuid::now_v7().as_bytes()).into(),
        tenant_id: o.tenant.id,
        user_id,
        created_at,
        last_seen_at,
        account_id,
    };
    let ended = session(agent, 1_000, 5_000, None);
    let open = session(agent, 8_000, 9_000, None);
    let portal = session(debtor, 1_000, 5_000, Some(Uuid::now_v7()));
    let untouched = session(agent, 6_000, 6_000, None);
    for x in [&ended, &open, &portal, &untouched] {
        s.create_session(x).await.unwrap();
    }
    for x in [&ended, &portal, &untouched] {
        s.delete_session(&x.token_hash).await.unwrap();
    }
    let mut spans: Vec<_> =
        s.work_periods(o.tenant.id, 0, 10_000).await.unwrap().iter().map(|p| (p.user_id, p.started_at, p.ended_at)).collect();
    spans.sort();
    assert_eq!(
        spans,
        vec![(agent, 1_000, 5_000), (agent, 8_000, 9_000)],
        "the ended span is kept, the open one read live; no debtor, no empty span"
    );
    assert!(s.work_periods(o.tenant.id, 5_000, 8_000).await.unwrap().is_empty(), "spans touching the window's edges only are outside it");
    assert!(s.work_periods(org(s).await.tenant.id, 0, 10_000).await.unwrap().is_empty(), "not another tenant's");
}
