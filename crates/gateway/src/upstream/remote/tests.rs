//! The relay against small axum servers whose streams the tests write byte by byte: SSE events
//! split inside a multi-byte character, the legacy `endpoint` event, `Last-Event-ID` resumes,
//! the Streamable HTTP session headers and DELETE, an unreachable endpoint, and the auth seam.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use futures::future::BoxFuture;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

use super::*;

type Chunks = mpsc::UnboundedSender<Bytes>;

/// A response whose body is what the test sends on the returned channel (closed when dropped).
fn stream() -> (Chunks, Response) {
    let (tx, rx) = mpsc::unbounded_channel::<Bytes>();
    let body = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, std::io::Error>(b), rx))
    });
    let resp = Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(body))
        .unwrap();
    (tx, resp)
}

fn header(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// `f`, which must finish within 10 s (a broken relay fails the test instead of hanging it).
async fn within<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), f)
        .await
        .expect("done within 10 s")
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// The relay's two ends as the gateway sees them.
struct Relayed {
    stdin: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>,
    stdout: tokio::io::Lines<BufReader<std::pin::Pin<Box<dyn tokio::io::AsyncRead + Send>>>>,
    process: Box<dyn Process>,
}

impl Relayed {
    fn start(url: &str, transport: Transport, auth: Option<Arc<dyn RemoteAuth>>) -> Relayed {
        let remote = RemoteSpec {
            url: url.to_owned(),
            transport,
            headers: vec![("X-Key".into(), "k-secret".into())],
            auth,
            timeouts: Timeouts {
                connect: Duration::from_secs(5),
                request: Duration::from_secs(10),
            },
        };
        let l = launch("far", &remote).unwrap();
        if let Some(stderr) = l.stderr {
            // The relay's log lines, shown with `--nocapture`.
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    eprintln!("relay: {line}");
                }
            });
        }
        Relayed {
            stdin: l.stdin,
            stdout: BufReader::new(l.stdout).lines(),
            process: l.process,
        }
    }

    async fn send(&mut self, msg: Value) {
        self.stdin
            .write_all(format!("{msg}\n").as_bytes())
            .await
            .unwrap();
        self.stdin.flush().await.unwrap();
    }

    async fn next(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(10), self.stdout.next_line())
            .await
            .expect("a message from the relay within 10 s")
            .unwrap()
            .expect("the relay is still open");
        serde_json::from_str(&line).unwrap()
    }

    /// The next message that is not one of the relay's own `list_changed` notifications.
    async fn next_from_server(&mut self) -> Value {
        loop {
            let m = self.next().await;
            if !m["method"]
                .as_str()
                .is_some_and(|m| m.ends_with("list_changed"))
            {
                return m;
            }
        }
    }
}

fn initialize(id: u64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}})
}

/// `data: {reply to id with text}` split inside the 4-byte 😀.
fn split_reply(id: &str, text: &str) -> (Bytes, Bytes) {
    let event = format!(
        "data: {}\n\n",
        json!({"jsonrpc": "2.0", "id": id, "result": {"text": text}})
    );
    let bytes = event.into_bytes();
    let cut = bytes.windows(4).position(|w| w == "😀".as_bytes()).unwrap() + 2;
    (
        Bytes::copy_from_slice(&bytes[..cut]),
        Bytes::copy_from_slice(&bytes[cut..]),
    )
}

#[tokio::test]
async fn legacy_sse_follows_the_endpoint_and_resumes_after_the_last_event_id() {
    legacy_sse(Transport::Sse).await;
}

/// Without a `transport_type`, an endpoint that refuses the `initialize` POST (405 here) is
/// spoken to as a legacy SSE one.
#[tokio::test]
async fn an_endpoint_that_refuses_the_post_falls_back_to_legacy_sse() {
    legacy_sse(Transport::Auto).await;
}

async fn legacy_sse(transport: Transport) {
    // Each GET hands the test its Last-Event-ID and the writer of its stream; each POST its
    // path and body.
    let (gets_tx, mut gets) = mpsc::unbounded_channel::<(Option<String>, Chunks)>();
    let (posts_tx, mut posts) = mpsc::unbounded_channel::<(String, Value, Option<String>)>();
    let app = Router::new()
        .route(
            "/sse",
            get(move |h: HeaderMap| async move {
                let (tx, resp) = stream();
                gets_tx.send((header(&h, "last-event-id"), tx)).unwrap();
                resp
            }),
        )
        .route(
            "/message",
            post(
                move |uri: axum::http::Uri, h: HeaderMap, body: String| async move {
                    let msg = serde_json::from_str(&body).unwrap();
                    posts_tx
                        .send((uri.to_string(), msg, header(&h, "x-key")))
                        .unwrap();
                    StatusCode::ACCEPTED
                },
            ),
        );
    let base = serve(app).await;
    let mut relay = Relayed::start(&format!("{base}/sse"), transport, None);

    relay.send(initialize(7)).await;
    let (last, first) = tokio::select! {
        got = within(gets.recv()) => got.unwrap(),
        how = relay.process.wait() => panic!("the relay ended: {how}"),
    };
    assert_eq!(last, None);
    first
        .send(Bytes::from(
            "id: 1\nevent: endpoint\ndata: /message?session=a\n\n",
        ))
        .unwrap();
    let (path, msg, key) = within(posts.recv()).await.unwrap();
    assert_eq!(
        (path.as_str(), &msg["method"], key.as_deref()),
        ("/message?session=a", &json!("initialize"), Some("k-secret"))
    );
    let (a, b) = split_reply("7", "é — 😀 ✓");
    first.send(Bytes::from("id: 2\n")).unwrap();
    first.send(a).unwrap();
    first.send(b).unwrap();
    let reply = relay.next().await;
    assert_eq!(reply["result"]["text"], "é — 😀 ✓", "{reply}");

    // The stream drops: the relay comes back with the last id, and takes the new endpoint.
    drop(first);
    let (last, second) = within(gets.recv()).await.unwrap();
    assert_eq!(last.as_deref(), Some("2"));
    second
        .send(Bytes::from(
            "event: endpoint\ndata: /message?session=b\n\nid: 3\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{}}\n\n",
        ))
        .unwrap();
    assert_eq!(
        relay.next().await["method"],
        "notifications/message",
        "events after the resume arrive"
    );
    relay
        .send(json!({"jsonrpc": "2.0", "id": 8, "method": "ping"}))
        .await;
    let (path, _, _) = within(posts.recv()).await.unwrap();
    assert_eq!(path, "/message?session=b");

    // Dropped again: resumed from the newest id.
    drop(second);
    let (last, _third) = within(gets.recv()).await.unwrap();
    assert_eq!(last.as_deref(), Some("3"));
    relay.process.stop(Duration::from_secs(1)).await;
    assert_eq!(relay.process.outage(), None);
}

#[derive(Default)]
struct Seen {
    session_on_initialized: Option<String>,
    version_on_initialized: Option<String>,
    resumed_from: Option<String>,
    deleted: Option<String>,
}

#[tokio::test]
async fn streamable_http_carries_the_session_resumes_a_broken_call_stream_and_deletes_on_stop() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let (calls_tx, mut calls) = mpsc::unbounded_channel::<Chunks>();
    let (resumes_tx, mut resumes) = mpsc::unbounded_channel::<Chunks>();
    let (s1, s2, s3) = (seen.clone(), seen.clone(), seen.clone());
    let app = Router::new().route(
        "/mcp",
        post(move |h: HeaderMap, body: String| {
            let seen = s1.clone();
            let calls_tx = calls_tx.clone();
            async move {
                let msg: Value = serde_json::from_str(&body).unwrap();
                match msg["method"].as_str() {
                    Some("initialize") => Response::builder()
                        .header("content-type", "application/json")
                        .header("mcp-session-id", "s-1")
                        .body(Body::from(
                            json!({"jsonrpc": "2.0", "id": msg["id"], "result": {"protocolVersion": "2025-06-18", "capabilities": {}}})
                                .to_string(),
                        ))
                        .unwrap(),
                    Some("notifications/initialized") => {
                        let mut s = seen.lock().unwrap();
                        s.session_on_initialized = header(&h, "mcp-session-id");
                        s.version_on_initialized = header(&h, "mcp-protocol-version");
                        Response::builder().status(202).body(Body::empty()).unwrap()
                    }
                    _ => {
                        let (tx, resp) = stream();
                        calls_tx.send(tx).unwrap();
                        resp
                    }
                }
            }
        })
        .get(move |h: HeaderMap| {
            let seen = s2.clone();
            let resumes_tx = resumes_tx.clone();
            async move {
                match header(&h, "last-event-id") {
                    // No stream for server-initiated messages.
                    None => Response::builder().status(405).body(Body::empty()).unwrap(),
                    Some(id) => {
                        seen.lock().unwrap().resumed_from = Some(id);
                        let (tx, resp) = stream();
                        resumes_tx.send(tx).unwrap();
                        resp
                    }
                }
            }
        })
        .delete(move |h: HeaderMap| {
            let seen = s3.clone();
            async move {
                seen.lock().unwrap().deleted = header(&h, "mcp-session-id");
                StatusCode::OK
            }
        }),
    );
    let base = serve(app).await;
    let mut relay = Relayed::start(&format!("{base}/mcp"), Transport::StreamableHttp, None);
    relay.send(initialize(1)).await;
    assert_eq!(
        relay.next().await["result"]["protocolVersion"],
        "2025-06-18"
    );
    relay
        .send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await;
    // The GET stream answered 405: the relay asks the gateway to read the lists again, once.
    for list in ["tools", "prompts", "resources"] {
        assert_eq!(
            relay.next().await["method"],
            format!("notifications/{list}/list_changed")
        );
    }

    relay
        .send(json!({"jsonrpc": "2.0", "id": "c1", "method": "tools/call", "params": {"name": "x", "_meta": {"progressToken": 5}}}))
        .await;
    let call = within(calls.recv()).await.unwrap();
    call.send(Bytes::from(
        "id: e1\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":5,\"progress\":1}}\n\n",
    ))
    .unwrap();
    assert_eq!(relay.next().await["method"], "notifications/progress");
    // The call's stream breaks before the reply: the relay resumes it from e1.
    drop(call);
    let resumed = within(resumes.recv()).await.unwrap();
    // …and tells the gateway, which closes its client's stream too (the client resumes).
    let closed = relay.next_from_server().await;
    assert_eq!(closed["method"], crate::protocol::STREAM_CLOSED, "{closed}");
    assert_eq!(closed["params"]["requestId"], "c1");
    let (a, b) = split_reply("c1", "fin 😀");
    resumed.send(a).unwrap();
    resumed.send(b).unwrap();
    let reply = relay.next_from_server().await;
    assert_eq!(reply["result"]["text"], "fin 😀", "{reply}");
    {
        let s = seen.lock().unwrap();
        assert_eq!(s.session_on_initialized.as_deref(), Some("s-1"));
        assert_eq!(s.version_on_initialized.as_deref(), Some("2025-06-18"));
        assert_eq!(s.resumed_from.as_deref(), Some("e1"));
    }
    relay.process.stop(Duration::from_secs(1)).await;
    assert_eq!(seen.lock().unwrap().deleted.as_deref(), Some("s-1"));
    assert_eq!(relay.process.outage(), None);
}

#[tokio::test]
async fn an_endpoint_nobody_listens_on_is_an_outage_naming_it() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/mcp");
    let mut relay = Relayed::start(&url, Transport::Auto, None);
    relay.send(initialize(1)).await;
    let how = tokio::time::timeout(Duration::from_secs(10), relay.process.wait())
        .await
        .unwrap();
    assert!(
        how.starts_with("is unreachable") && how.contains(&url),
        "{how}"
    );
    match relay.process.outage() {
        Some(Outage::Unreachable(detail)) => {
            assert!(
                detail.to_lowercase().contains("connection refused"),
                "{detail}"
            )
        }
        other => panic!("{other:?}"),
    }
}

/// Hands out `Bearer old` until challenged, then `Bearer new`.
struct Rotating {
    token: Mutex<&'static str>,
    challenges: Mutex<Vec<(u16, Option<String>)>>,
}

impl RemoteAuth for Rotating {
    fn authorization(&self) -> BoxFuture<'_, Result<Option<String>, String>> {
        let token = *self.token.lock().unwrap();
        Box::pin(async move { Ok(Some(format!("Bearer {token}"))) })
    }

    fn challenge(&self, status: u16, www: Option<String>) -> BoxFuture<'_, AuthOutcome> {
        self.challenges.lock().unwrap().push((status, www));
        let outcome = if std::mem::replace(&mut *self.token.lock().unwrap(), "new") == "old" {
            AuthOutcome::Retry
        } else {
            AuthOutcome::NeedsSignIn {
                message: "sign in again".into(),
            }
        };
        Box::pin(async move { outcome })
    }
}

#[tokio::test]
async fn a_refusal_goes_to_the_auth_seam_or_needs_sign_in() {
    let app = Router::new().route(
        "/mcp",
        post(|h: HeaderMap, body: String| async move {
            if header(&h, "authorization").as_deref() != Some("Bearer new") {
                return Response::builder()
                    .status(401)
                    .header("www-authenticate", "Bearer resource_metadata=\"x\"")
                    .body(Body::empty())
                    .unwrap();
            }
            let msg: Value = serde_json::from_str(&body).unwrap();
            Response::builder()
                .header("content-type", "application/json")
                .body(Body::from(
                    json!({"jsonrpc": "2.0", "id": msg["id"], "result": {"ok": true}}).to_string(),
                ))
                .unwrap()
        }),
    );
    let url = format!("{}/mcp", serve(app).await);

    // Without credentials: needs sign-in, said once, and the relay ends.
    let mut relay = Relayed::start(&url, Transport::StreamableHttp, None);
    relay.send(initialize(1)).await;
    relay.process.wait().await;
    match relay.process.outage() {
        Some(Outage::NeedsSignIn(m)) => assert!(m.contains("HTTP 401"), "{m}"),
        other => panic!("{other:?}"),
    }

    // With the seam: challenged once, retried with the new token.
    let auth = Arc::new(Rotating {
        token: Mutex::new("old"),
        challenges: Mutex::new(Vec::new()),
    });
    let mut relay = Relayed::start(&url, Transport::StreamableHttp, Some(auth.clone()));
    relay.send(initialize(2)).await;
    assert_eq!(relay.next().await["result"]["ok"], true);
    assert_eq!(
        *auth.challenges.lock().unwrap(),
        [(401, Some("Bearer resource_metadata=\"x\"".to_owned()))]
    );
}
