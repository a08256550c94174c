//! The HTTP surface over a real socket.

use recoup_server::AppState;
use recoup_store::{SqliteStore, Store};
use std::io::{Read, Write};
use std::sync::Arc;

/// A plain HTTP/1.1 GET, so the test exercises the real listener with no client library.
fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_metrics_answer_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path().join("recoup.sqlite")).await.unwrap());
    let tenant = recoup_domain::org::Tenant { id: uuid::Uuid::now_v7(), slug: "acme".into(), name: "Acme <Recovery>".into() };
    store.create_tenant(&tenant).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(recoup_server::serve(AppState { store }, listener, async {
        let _ = stopped.await;
    }));

    let (status, body) = tokio::task::spawn_blocking(move || get(addr, "/healthz")).await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"status\":\"ok\"") && body.contains("\"database\":\"sqlite\""), "{body}");

    let (status, body) = tokio::task::spawn_blocking(move || get(addr, "/")).await.unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("<td>acme</td><td>Acme &lt;Recovery&gt;</td><td>0</td><td>0</td>"), "{body}");

    let (status, _) = tokio::task::spawn_blocking(move || get(addr, "/no-such-page")).await.unwrap();
    assert_eq!(status, 404);

    let (status, body) = tokio::task::spawn_blocking(move || get(addr, "/metrics")).await.unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("recoup_build_info"), "{body}");
    assert!(body.contains("recoup_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1"), "{body}");

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
