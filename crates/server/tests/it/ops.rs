use crate::http::Server;
use recoup_domain::org::Tenant;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn landing_health_and_metrics_answer_over_http() {
    let server = Server::sqlite().await;
    let tenant = Tenant { id: Uuid::now_v7(), slug: "acme".into(), name: "Acme <Recovery>".into() };
    server.store.create_tenant(&tenant).await.unwrap();

    let res = server.get("/healthz", None).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.json()["database"], "sqlite");

    let res = server.get("/livez", None).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.json()["status"], "ok");

    let res = server.get("/", None).await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("<td>acme</td><td>Acme &lt;Recovery&gt;</td><td>0</td><td>0</td>"), "{}", res.body);

    assert_eq!(server.get("/no-such-page", None).await.status, 404);

    // Every response carries the security headers, pages and API alike.
    for path in ["/", "/healthz", "/livez", "/api/v1/accounts"] {
        let res = server.get(path, None).await;
        assert_eq!(res.header("x-content-type-options").as_deref(), Some("nosniff"), "{path}");
        assert_eq!(res.header("x-frame-options").as_deref(), Some("DENY"), "{path}");
        assert_eq!(res.header("cache-control").as_deref(), Some("no-store"), "{path}");
        assert!(res.header("content-security-policy").is_some_and(|v| v.contains("frame-ancestors 'none'")), "{path}");
    }

    // A body over the limit is refused before any handler reads it.
    let addr = server.addr;
    let big = tokio::task::spawn_blocking(move || {
        crate::http::raw(addr, "POST /api/v1/accounts HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2000000\r\nConnection: close\r\n\r\n")
    })
    .await
    .unwrap();
    assert_eq!(big.status, 413, "{}", big.body);

    let res = server.get("/metrics", None).await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("recoup_build_info"), "{}", res.body);
    assert!(res.body.contains("recoup_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}"), "{}", res.body);
}
