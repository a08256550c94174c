use crate::fixtures::{cookie, sign_in, staff};
use crate::http::{Response, Server};
use recoup_domain::access::{Role, User};
use recoup_domain::org::Tenant;
use recoup_store::{Actor, Store};
use uuid::Uuid;

const JSON: &str = "Content-Type: application/json";

async fn user(store: &dyn Store, role: Role, password: &str) -> User {
    let tenant = Tenant { id: Uuid::now_v7(), slug: format!("t{}", Uuid::now_v7().simple()), name: "T".into() };
    store.create_tenant(&tenant).await.unwrap();
    staff(store, tenant.id, role, password).await
}

async fn with_cookie(server: &Server, method: &str, path: &str, cookie: &str) -> Response {
    server.send(method, path, &[format!("Cookie: theme=dark; {cookie}")], "").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_starts_with_the_right_password_and_ends_at_sign_out() {
    for server in Server::all().await {
        let u = user(server.store.as_ref(), Role::Supervisor, "correct horse battery").await;
        let wrong = sign_in(&server, &u.email, "correct horse batterz").await;
        // A fresh unknown address: failures are remembered, and tests share the PostgreSQL database.
        let nobody = format!("nobody.{}@example.com", Uuid::now_v7().simple());
        let unknown = sign_in(&server, &nobody, "correct horse battery").await;
        assert_eq!((wrong.status, unknown.status), (401, 401));
        assert_eq!(wrong.json()["detail"], unknown.json()["detail"], "the answer does not tell which was wrong");
        assert!(wrong.header("set-cookie").is_none());

        let ok = sign_in(&server, &u.email.to_uppercase(), "correct horse battery").await;
        assert_eq!(ok.status, 201, "{}", ok.body);
        let c = cookie(&ok);
        let again = cookie(&sign_in(&server, &u.email, "correct horse battery").await);
        assert_ne!(c, again, "a new session id at every sign-in");

        let me = with_cookie(&server, "GET", "/api/v1/session", &c).await.json();
        assert_eq!((me["role"].as_str(), me["user_id"].as_str()), (Some("supervisor"), Some(u.id.to_string().as_str())));
        assert_eq!(with_cookie(&server, "GET", "/api/v1/accounts", &c).await.status, 200);

        let out = with_cookie(&server, "DELETE", "/api/v1/session", &c).await;
        assert_eq!(out.status, 204, "{}", out.body);
        assert!(out.header("set-cookie").is_some_and(|s| s.contains("Max-Age=0")));
        assert_eq!(with_cookie(&server, "GET", "/api/v1/accounts", &c).await.status, 401, "the old cookie is dead");
        assert_eq!(with_cookie(&server, "GET", "/api/v1/accounts", &again).await.status, 200, "other sessions live on");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_disabled_sessions_end() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let u = user(s, Role::Agent, "correct horse battery").await;
        let c = cookie(&sign_in(&server, &u.email, "correct horse battery").await);
        // The test server's idle timeout is 2 s (room for a loaded machine); activity keeps the session alive.
        // Six requests half a second apart: alive well past one timeout.
        for _ in 0..6 {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            assert_eq!(with_cookie(&server, "GET", "/api/v1/session", &c).await.status, 200);
        }
        tokio::time::sleep(std::time::Duration::from_millis(2_300)).await;
        let idle = with_cookie(&server, "GET", "/api/v1/session", &c).await;
        assert_eq!(idle.status, 401);
        assert!(idle.json()["detail"].as_str().unwrap().contains("idle"));

        let c = cookie(&sign_in(&server, &u.email, "correct horse battery").await);
        s.set_user_disabled(u.tenant_id, u.id, true, &Actor::new("test")).await.unwrap();
        assert_eq!(with_cookie(&server, "GET", "/api/v1/session", &c).await.status, 401);
        assert_eq!(sign_in(&server, &u.email, "correct horse battery").await.status, 401, "a disabled user cannot sign in");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_get_problem_documents() {
    let server = Server::sqlite().await;
    let malformed = server.send("POST", "/api/v1/session", &[JSON.into()], "{\"email\": ").await;
    assert_eq!((malformed.status, malformed.json()["type"].as_str()), (400, Some("/problems/malformed-json")));
    let unknown = server.send("POST", "/api/v1/session", &[JSON.into()], r#"{"email":"a@b.co","password":"x","colour":"red"}"#).await;
    assert_eq!(unknown.status, 422, "{}", unknown.body);
    assert_eq!(unknown.json()["errors"][0]["pointer"], "/colour");
    let text = server.send("POST", "/api/v1/session", &["Content-Type: text/plain".into()], "email=a").await;
    assert_eq!((text.status, text.json()["type"].as_str()), (415, Some("/problems/unsupported-media-type")));
    assert_eq!(text.header("content-type").as_deref(), Some("application/problem+json"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_lock_sign_in_and_say_how_long() {
    for server in Server::all().await {
        let u = user(server.store.as_ref(), Role::Agent, "correct horse battery").await;
        for _ in 0..4 {
            assert_eq!(sign_in(&server, &u.email, "wrong wrong wrong").await.status, 401);
        }
        // After four failures the right password still works, and clears the count.
        assert_eq!(sign_in(&server, &u.email, "correct horse battery").await.status, 201);
        for _ in 0..5 {
            assert_eq!(sign_in(&server, &u.email, "wrong wrong wrong").await.status, 401);
        }
        let locked = sign_in(&server, &u.email, "correct horse battery").await;
        assert_eq!(locked.status, 429, "{}", locked.body);
        assert_eq!(locked.json()["type"], "/problems/too-many-sign-in-failures");
        assert!(locked.json()["detail"].as_str().unwrap().contains("try again in 15 minutes"), "{}", locked.body);
        let retry: u64 = locked.header("retry-after").unwrap().parse().unwrap();
        assert!((890..=900).contains(&retry), "{retry}");
        // Another e-mail is not affected.
        let other = user(server.store.as_ref(), Role::Agent, "correct horse battery").await;
        assert_eq!(sign_in(&server, &other.email, "correct horse battery").await.status, 201);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_cookie_cannot_change_anything_from_another_site() {
    let server = Server::sqlite().await;
    let u = user(server.store.as_ref(), Role::Agent, "correct horse battery").await;
    let c = cookie(&sign_in(&server, &u.email, "correct horse battery").await);
    let body = r#"{"status":"closed","reason":"forged"}"#;
    let path = format!("/api/v1/accounts/{}", Uuid::now_v7());
    let send = |site: &'static str| {
        let headers = vec![JSON.to_string(), format!("Cookie: {c}"), site.to_string()];
        let (server, path) = (&server, path.clone());
        async move { server.send("PATCH", &path, &headers, body).await }
    };
    let forged = send("Sec-Fetch-Site: cross-site").await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert!(forged.json()["detail"].as_str().unwrap().contains("another site"));
    let forged = send("Origin: https://evil.example").await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    // From our own pages the request goes through to the handler (here: no such account).
    assert_eq!(send("Sec-Fetch-Site: same-origin").await.status, 404);
    assert_eq!(send("Origin: http://localhost").await.status, 404);
    // Reads are not affected.
    assert_eq!(server.send("GET", "/api/v1/session", &[format!("Cookie: {c}"), "Sec-Fetch-Site: cross-site".into()], "").await.status, 200);
}
