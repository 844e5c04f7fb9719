//! Router tests against an in-process fake MCP server (no processes): id remapping across
//! sessions, progress-token remapping, cancellation, prefixes and collisions, scoped sessions.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::engine::gateway::{Gateway, GatewayConfig, Session};
use crate::protocol::peer::Outbound;
use crate::testing::{FakeLauncher, Seen};
use crate::upstream::{Prefix, UpstreamSpec};

async fn gateway(names: &[(&str, Prefix)]) -> (Gateway, Seen) {
    let seen: Seen = Arc::default();
    let gw = Gateway::with_launcher(
        GatewayConfig::default(),
        Box::new(FakeLauncher { seen: seen.clone() }),
    );
    let specs = names
        .iter()
        .map(|(n, p)| UpstreamSpec {
            name: n.to_string(),
            command: "fake".into(),
            prefix: p.clone(),
            ..Default::default()
        })
        .collect();
    assert!(gw.start_servers(specs).await.is_empty());
    (gw, seen)
}

struct Client {
    session: Arc<Session>,
    rx: mpsc::UnboundedReceiver<Outbound>,
}

impl Client {
    async fn open(gw: &Gateway, scope: Option<&str>) -> Client {
        let (session, rx) = gw.open_session(scope.map(str::to_string));
        let mut c = Client { session, rx };
        c.session.handle(json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {"protocolVersion": "2024-11-05", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}));
        let init = c.next().await;
        assert_eq!(
            init["result"]["protocolVersion"], "2024-11-05",
            "negotiated per session"
        );
        c
    }

    async fn next(&mut self) -> Value {
        tokio::time::timeout(Duration::from_secs(5), self.rx.recv())
            .await
            .expect("a message within 5 s")
            .expect("session open")
            .msg
    }

    async fn call(&mut self, id: Value, name: &str, args: Value) -> Value {
        self.session
            .handle(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": name, "arguments": args}}));
        self.next().await
    }
}

#[tokio::test]
async fn same_request_ids_from_two_sessions_get_their_own_replies() {
    let (gw, _) = gateway(&[("a", Prefix::ServerName), ("b", Prefix::ServerName)]).await;
    let mut c1 = Client::open(&gw, None).await;
    let mut c2 = Client::open(&gw, None).await;
    c1.session.handle(json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "a__echo", "arguments": {"x": 1}}}));
    c2.session.handle(json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "b__echo", "arguments": {"x": 2}}}));
    let r1 = c1.next().await;
    let r2 = c2.next().await;
    assert_eq!(r1["id"], 7);
    assert_eq!(r1["result"]["content"][0]["text"], "a:{\"x\":1}");
    assert_eq!(
        r1["result"]["_meta"],
        json!({"m": 1}),
        "_meta passes unchanged"
    );
    assert_eq!(r2["result"]["content"][0]["text"], "b:{\"x\":2}");
    let unknown = c1.call(json!("s"), "c__echo", json!({})).await;
    assert_eq!(unknown["error"]["code"], -32602);
}

#[tokio::test]
async fn progress_tokens_are_remapped_and_cancellation_is_forwarded() {
    let (gw, seen) = gateway(&[("a", Prefix::ServerName)]).await;
    let mut c1 = Client::open(&gw, None).await;
    let mut c2 = Client::open(&gw, None).await;
    for c in [&c1, &c2] {
        c.session
            .handle(json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "a__slow", "arguments": {}, "_meta": {"progressToken": "p"}}}));
    }
    for c in [&mut c1, &mut c2] {
        for i in 1..=2 {
            let n = c.next().await;
            assert_eq!(n["method"], "notifications/progress");
            assert_eq!(
                n["params"]["progressToken"], "p",
                "the client's own token comes back"
            );
            assert_eq!(n["params"]["progress"], i);
        }
    }
    let upstream_tokens: Vec<Value> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, m)| m["params"]["name"] == "slow")
        .map(|(_, m)| m["params"]["_meta"]["progressToken"].clone())
        .collect();
    assert_eq!(upstream_tokens.len(), 2);
    assert_ne!(
        upstream_tokens[0], upstream_tokens[1],
        "tokens are unique per upstream"
    );
    let upstream_ids: Vec<Value> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, m)| m["params"]["name"] == "slow")
        .map(|(_, m)| m["id"].clone())
        .collect();

    c1.session.handle(json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1, "reason": "user"}}));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let cancelled: Vec<Value> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, m)| m["method"] == "notifications/cancelled")
        .map(|(_, m)| m["params"].clone())
        .collect();
    assert_eq!(cancelled.len(), 1);
    assert!(
        upstream_ids.contains(&cancelled[0]["requestId"]),
        "the upstream's own id: {cancelled:?}"
    );
    assert_eq!(cancelled[0]["reason"], "user");
    // No reply for the cancelled call, only the transport's "over" marker; the session still
    // works.
    let over = c1.rx.recv().await.unwrap();
    assert!(
        over.msg.is_null() && over.related == Some(json!(1)),
        "{over:?}"
    );
    let r = c1.call(json!(2), "a__echo", json!({})).await;
    assert_eq!(
        r["id"], 2,
        "no stray reply to the cancelled request came first: {r}"
    );
}

#[tokio::test]
async fn collisions_are_reported_and_scoped_sessions_use_own_names() {
    let (gw, _) = gateway(&[("a", Prefix::None), ("b", Prefix::None)]).await;
    let warnings = gw.warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("collision") && w.contains("'echo'")),
        "{warnings:?}"
    );
    let mut agg = Client::open(&gw, None).await;
    agg.session
        .handle(json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}));
    let list = agg.next().await;
    let names: Vec<&str> = list["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["echo", "fail", "slow", "grow"],
        "b's tools are reported, not silently shadowed"
    );
    assert_eq!(
        agg.call(json!(2), "echo", json!({})).await["result"]["content"][0]["text"],
        "a:{}"
    );

    let mut scoped = Client::open(&gw, Some("b")).await;
    let r = scoped.call(json!(1), "echo", json!({})).await;
    assert_eq!(r["result"]["content"][0]["text"], "b:{}");
}

#[tokio::test]
async fn list_changed_refreshes_notifies_and_warns_past_128_tools() {
    let (gw, _) = gateway(&[("a", Prefix::ServerName)]).await;
    let mut events = gw.subscribe();
    let mut c = Client::open(&gw, None).await;
    assert!(gw.warnings().is_empty());
    let r = c.call(json!(1), "a__grow", json!({})).await;
    assert_eq!(r["id"], 1);
    let n = c.next().await;
    assert_eq!(n["method"], "notifications/tools/list_changed");
    let ev = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Ok(dockside_api::Event::ToolsChanged { server, tools }) = events.recv().await {
                return (server, tools);
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(ev, ("a".to_string(), 134));
    c.session
        .handle(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}));
    assert_eq!(
        c.next().await["result"]["tools"].as_array().unwrap().len(),
        134
    );
    let warnings = gw.warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("134 tools") && w.contains("128")),
        "{warnings:?}"
    );
}

#[tokio::test]
async fn a_stderr_flood_does_not_push_lifecycle_events_out() {
    let (gw, _) = gateway(&[("a", Prefix::ServerName)]).await;
    let mut events = gw.subscribe();
    assert!(gw.stop_server("a").await);
    // Far more lines than the event channel holds, all through the log pipeline.
    let flood = 5000;
    for i in 0..flood {
        let _ = gw.inner.logs.send(crate::upstream::LogLine {
            server: "a".into(),
            line: format!("line {i}"),
            at_ms: 0,
        });
    }
    let last = format!("line {}", flood - 1);
    tokio::time::timeout(Duration::from_secs(10), async {
        while !gw.recent_logs(Some("a"), 0).iter().any(|e| e.line == last) {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the log pipeline took every line");
    let first = events
        .try_recv()
        .expect("the lifecycle event is still there");
    assert!(
        matches!(&first, dockside_api::Event::ServerStopped { server } if server == "a"),
        "{first:?}"
    );
}

/// A call waiting for a restart looks for a starting server, else for the tool: a server must
/// never be visible as started while the index lacks its tools, or the call fails with
/// "Unknown tool" in between. Another thread watches 200 starts for that gap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_started_server_is_never_visible_before_its_tools_are_indexed() {
    let (gw, _) = gateway(&[("a", Prefix::ServerName)]).await;
    let spec = gw.upstream("a").unwrap().spec.clone();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (gw, done) = (gw.clone(), done.clone());
        std::thread::spawn(move || {
            let mut gaps = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let before = gw.upstream("a");
                let indexed = gw.index(false).tools.contains_key("a__echo");
                let after = gw.upstream("a");
                // The same server visible before and after the index was read: it was there
                // all along, so its tools must have been.
                if let (Some(b), Some(a)) = (&before, &after) {
                    if Arc::ptr_eq(b, a) && !indexed {
                        gaps += 1;
                    }
                }
            }
            gaps
        })
    };
    for _ in 0..200 {
        assert!(gw.stop_server("a").await);
        assert!(gw.start_servers(vec![spec.clone()]).await.is_empty());
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(
        watcher.join().unwrap(),
        0,
        "server `a` was visible before its tools"
    );
}
