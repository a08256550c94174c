//! National ids and dates of birth over the API: masked by role, and the lookup filter.

use crate::fixtures::{assert_problem, key, place_file, tenant_with};
use crate::http::Server;
use recoup_domain::access::Role;
use recoup_domain::org::Tenant;
use uuid::Uuid;

const FILE: &str = "account_ref,first_name,last_name,principal,national_id,date_of_birth\n\
                    M-1,Ada,Lovelace,100,987-60-1234,1952-08-21\n\
                    M-2,Ada,Lovelace,200,987601234,1952-08-21\n\
                    M-3,Bob,Byron,300,987-60-5678,1960-01-02\n";

/// A tenant whose client A placed the three accounts of `FILE`; returns the tenant, A's id and
/// the id of M-1.
async fn placed(server: &Server) -> (Tenant, Uuid, Uuid) {
    let (tenant, clients) = tenant_with(&server.store, &[("A", 0)]).await;
    let summary = place_file(&server.store, &tenant, "A", FILE.as_bytes().to_vec()).await;
    assert_eq!(summary.counts.created, 3);
    let m1 = server.store.account_by_ref(tenant.id, clients[0], "M-1").await.unwrap().unwrap();
    (tenant, clients[0], m1.id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn national_ids_and_birth_dates_are_masked_by_role() {
    for server in Server::all().await {
        let (tenant, client, id) = placed(&server).await;
        // (role, sees the full national id, sees the date of birth)
        let policy = [
            (Role::Admin, true, true),
            (Role::Integrator, true, true),
            (Role::Supervisor, false, true),
            (Role::Agent, false, true),
            (Role::Client, false, false),
            (Role::Auditor, false, false),
        ];
        for (role, sees_id, sees_dob) in policy {
            let k = key(server.store.as_ref(), &tenant, role, (role == Role::Client).then_some(client)).await;
            let res = server.get(&format!("/api/v1/accounts/{id}/parties"), Some(&k)).await;
            assert_eq!(res.status, 200, "{role:?}: {}", res.body);
            let party = &res.json()["items"][0]["party"];
            assert_eq!(party["last_name"], "Lovelace");
            assert_eq!(party["national_id_last4"], "1234", "{role:?}: everyone sees the last four");
            assert_eq!(party["national_id"].as_str(), sees_id.then_some("987-60-1234"), "{role:?}");
            assert_eq!(party["date_of_birth"].as_str(), sees_dob.then_some("1952-08-21"), "{role:?}");
            let mut masked = Vec::new();
            masked.extend((!sees_id).then_some("national_id"));
            masked.extend((!sees_dob).then_some("date_of_birth"));
            let listed: Vec<&str> = party["masked"].as_array().map(|a| a.iter().map(|m| m.as_str().unwrap()).collect()).unwrap_or_default();
            assert_eq!(listed, masked, "{role:?}: masked names what is withheld");
            // Nowhere else in the answer either, in any spelling.
            for (shown, secrets) in [(sees_id, ["987601234", "987-60-1234"]), (sees_dob, ["1952-08-21", "1952-08-21"])] {
                if !shown {
                    assert!(secrets.iter().all(|s| !res.body.contains(s)), "{role:?}: {}", res.body);
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_are_found_by_national_id_by_roles_that_may_see_it() {
    for server in Server::all().await {
        let (tenant, client, _) = placed(&server).await;
        let s = server.store.as_ref();
        let refs = |body: serde_json::Value| -> Vec<String> {
            body["items"].as_array().unwrap().iter().map(|a| a["external_ref"].as_str().unwrap().to_string()).collect()
        };
        for role in [Role::Admin, Role::Integrator] {
            let k = key(s, &tenant, role, None).await;
            for spelled in ["987-60-1234", "987601234", "987%2060%201234"] {
                let res = server.get(&format!("/api/v1/accounts?national_id={spelled}"), Some(&k)).await;
                assert_eq!(res.status, 200, "{role:?} {spelled}: {}", res.body);
                assert_eq!(refs(res.json()), ["M-1", "M-2"], "{role:?} {spelled}: both accounts of that person");
            }
            let res = server.get("/api/v1/accounts?national_id=987-60-5678&limit=1", Some(&k)).await;
            assert_eq!(refs(res.json()), ["M-3"]);
            assert!(refs(server.get("/api/v1/accounts?national_id=987-60-9999", Some(&k)).await.json()).is_empty());
            let bad = server.get("/api/v1/accounts?national_id=98760123", Some(&k)).await;
            assert_problem(&bad, 422, "invalid");
            assert_eq!(bad.json()["errors"][0]["pointer"], "/national_id");
            assert!(!bad.body.contains("98760123"), "the value is not echoed: {}", bad.body);
        }
        for role in [Role::Supervisor, Role::Agent, Role::Client, Role::Auditor] {
            let k = key(s, &tenant, role, (role == Role::Client).then_some(client)).await;
            let res = server.get("/api/v1/accounts?national_id=987-60-1234", Some(&k)).await;
            assert_problem(&res, 403, "forbidden");
            assert!(!res.body.contains("1234"), "{}", res.body);
        }
        // The same person in another tenant is not found from there.
        let (other, _) = tenant_with(&server.store, &[("A", 0)]).await;
        let k = key(s, &other, Role::Admin, None).await;
        assert!(refs(server.get("/api/v1/accounts?national_id=987-60-1234", Some(&k)).await.json()).is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lookup_and_the_masking_are_documented() {
    let server = Server::sqlite().await;
    let doc = server.get("/api/v1/openapi.json", None).await.json();
    let params = doc["paths"]["/api/v1/accounts"]["get"]["parameters"].as_array().unwrap();
    let lookup = params.iter().find(|p| p["name"] == "national_id").expect("the national_id filter is documented");
    assert_eq!(lookup["in"], "query");
    assert!(lookup["description"].as_str().unwrap().contains("admin and integrator"));
    let responses = &doc["paths"]["/api/v1/accounts"]["get"]["responses"];
    assert!(responses["403"].is_object(), "{responses}");
    let view = doc["components"]["schemas"]["PartyView"].to_string();
    for field in ["\"national_id\"", "\"date_of_birth\"", "\"masked\""] {
        assert!(view.contains(field), "PartyView documents {field}: {view}");
    }
    // The stored party's own schema has only the last four: the rest is the view's to show.
    let party = doc["components"]["schemas"]["Party"]["properties"].as_object().unwrap();
    assert!(party.contains_key("national_id_last4"));
    assert!(!party.contains_key("national_id") && !party.contains_key("date_of_birth"), "{party:?}");
}
