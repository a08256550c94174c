use crate::conformance;
use crate::support::{Harness, actor, org};
use recoup_domain::access::{ApiKey, Role};
use uuid::Uuid;

conformance!(api_keys_are_found_by_prefix_and_revoked_with_an_audit_entry);

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
    let revoked = s.revoke_api_key(o.tenant.id, k.id, &actor()).await.unwrap();
    assert!(!revoked.is_active());
    assert_eq!(revoked.last_used_at, Some(1_800_000_000_000_000));
    assert_eq!(s.list_api_keys(o.tenant.id).await.unwrap(), vec![revoked]);
    let other = org(s).await;
    assert!(s.list_api_keys(other.tenant.id).await.unwrap().is_empty());
    assert!(s.revoke_api_key(other.tenant.id, k.id, &actor()).await.is_err(), "another tenant cannot revoke it");

    let actions: Vec<String> = s.audit_entries(o.tenant.id, 0, 100).await.unwrap().into_iter().map(|e| e.event.action).collect();
    assert!(actions.ends_with(&["api_key.created".to_string(), "api_key.revoked".to_string()]), "{actions:?}");
    let created = s.audit_entries(o.tenant.id, 0, 100).await.unwrap().into_iter().find(|e| e.event.action == "api_key.created").unwrap();
    assert!(!created.event.data.contains("0707"), "no secret material in the trail");
}
