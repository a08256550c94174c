use crate::conformance;
use crate::support::{Harness, actor, org};
use recoup_domain::org::{Client, Tenant};
use recoup_store::StoreError;
use uuid::Uuid;

conformance!(migrations_apply_once, organisation_round_trips, codes_are_unique_per_tenant, tenants_do_not_see_each_other);

async fn migrations_apply_once(h: &Harness) {
    // The store migrated on open; running again finds nothing to do.
    assert_eq!(h.store.migrate().await.unwrap(), Vec::<i64>::new());
}

async fn organisation_round_trips(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    assert_eq!(s.tenant_by_slug(&o.tenant.slug).await.unwrap(), Some(o.tenant.clone()));
    assert_eq!(s.client_by_code(o.tenant.id, "LSB").await.unwrap(), Some(o.client.clone()));
    assert_eq!(s.list_clients(o.tenant.id).await.unwrap(), vec![o.client.clone()]);
    assert_eq!(s.portfolio_by_code(o.tenant.id, o.client.id, "CC").await.unwrap(), Some(o.portfolio.clone()));
    let p = s.placement(o.tenant.id, o.placement.id).await.unwrap().unwrap();
    assert_eq!(p, o.placement);
    assert_eq!(p.vintage(), "2026-11");
}

async fn codes_are_unique_per_tenant(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let dup = Client { id: Uuid::now_v7(), ..o.client.clone() };
    assert!(matches!(s.create_client(&dup, &actor()).await, Err(StoreError::Conflict(_))));
    let t2 = Tenant { id: Uuid::now_v7(), slug: o.tenant.slug.clone(), name: "again".into() };
    assert!(matches!(s.create_tenant(&t2).await, Err(StoreError::Conflict(_))));
    // The same client code in another tenant is fine.
    let other = org(s).await;
    assert_eq!(other.client.code, o.client.code);
}

async fn tenants_do_not_see_each_other(h: &Harness) {
    let s = h.store.as_ref();
    let a = org(s).await;
    let b = org(s).await;
    let id = crate::support::place_one(s, &a, "X-1", crate::support::owed(10_000, 0, 0)).await;
    assert!(s.account(a.tenant.id, id).await.unwrap().is_some());
    assert_eq!(s.account(b.tenant.id, id).await.unwrap(), None, "another tenant's id is not found");
    assert!(s.ledger(b.tenant.id, id).await.unwrap().is_empty());
    assert!(matches!(s.balance(b.tenant.id, id).await, Err(StoreError::NotFound { .. })));
    assert_eq!(s.client_by_code(b.tenant.id, "LSB").await.unwrap().unwrap().id, b.client.id);
    assert_eq!(s.count_accounts(b.tenant.id).await.unwrap(), 0);
}
