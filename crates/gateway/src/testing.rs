//! The one in-process fake MCP server, for the gateway's unit, router and property tests
//! (feature `testing`; always on in this crate's own tests). No processes: [`FakeLauncher`]
//! connects each upstream to a [`fake_server`] task over an in-memory pipe.
//!
//! Tools: `echo` answers `<server>:<arguments>` (with `_meta`), `fail` a JSON-RPC error, `grow`
//! adds 130 tools and says so (`list_changed`), `slow` sends two progress notifications and
//! never answers (it waits to be cancelled). `ping` answers; other requests get "method not
//! found".

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot};

use crate::upstream::{Launched, Launcher, Process, UpstreamSpec};

/// Every message the fake servers received, with the receiving server's name.
pub type Seen = Arc<Mutex<Vec<(String, Value)>>>;

/// Launches a [`fake_server`] per upstream.
#[derive(Default)]
pub struct FakeLauncher {
    pub seen: Seen,
}

struct FakeProcess(Option<oneshot::Receiver<()>>);

impl Process for FakeProcess {
    fn pid(&self) -> Option<u32> {
        None
    }

    fn wait(&mut self) -> BoxFuture<'_, String> {
        Box::pin(async move {
            if let Some(rx) = self.0.take() {
                let _ = rx.await;
            }
            "exited".into()
        })
    }

    fn stop(&mut self, _grace: Duration) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

impl Launcher for FakeLauncher {
    fn launch<'a>(
        &'a self,
        spec: &'a UpstreamSpec,
    ) -> BoxFuture<'a, Result<Launched, std::io::Error>> {
        let (gw_side, server_side) = tokio::io::duplex(1 << 16);
        let (r, w) = tokio::io::split(gw_side);
        let (done_tx, done_rx) = oneshot::channel();
        tokio::spawn(fake_server(
            spec.name.clone(),
            server_side,
            self.seen.clone(),
            done_tx,
        ));
        Box::pin(std::future::ready(Ok(Launched {
            stdin: Box::pin(w),
            stdout: Box::pin(r),
            stderr: None,
            process: Box::new(FakeProcess(Some(done_rx))),
        })))
    }
}

/// Serves MCP on `io` until it closes; `_done` drops (the process "exits") when it returns.
pub async fn fake_server(
    name: String,
    io: tokio::io::DuplexStream,
    seen: Seen,
    _done: oneshot::Sender<()>,
) {
    let (r, mut w) = tokio::io::split(io);
    let mut lines = BufReader::new(r).lines();
    let (tx, mut rx) = mpsc::unbounded_channel::<Value>();
    let writer = tokio::spawn(async move {
        while let Some(v) = rx.recv().await {
            let mut line = v.to_string();
            line.push('\n');
            if w.write_all(line.as_bytes()).await.is_err() {
                return;
            }
        }
    });
    let mut extra_tools = 0;
    while let Ok(Some(line)) = lines.next_line().await {
        let Ok(msg) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        seen.lock().unwrap().push((name.clone(), msg.clone()));
        let (Some(id), Some(method)) = (msg.get("id").cloned(), msg["method"].as_str()) else {
            continue; // notifications and responses
        };
        let reply = |result: Value| json!({"jsonrpc": "2.0", "id": id, "result": result});
        let error = |code: i64, message: &str| json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}});
        let out = match (method, msg["params"]["name"].as_str()) {
            ("initialize", _) => reply(json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {"tools": {}},
                "serverInfo": {"name": name, "version": "1"},
            })),
            ("ping", _) => reply(json!({})),
            ("tools/list", _) => {
                let tools = ["echo", "fail", "slow", "grow"]
                    .iter()
                    .map(|t| t.to_string())
                    .chain((0..extra_tools).map(|i| format!("t{i}")))
                    .map(|t| json!({"name": t, "inputSchema": {"type": "object"}}))
                    .collect::<Vec<_>>();
                reply(json!({ "tools": tools }))
            }
            ("tools/call", Some("echo")) => {
                let text = format!("{name}:{}", msg["params"]["arguments"]);
                reply(json!({"content": [{"type": "text", "text": text}], "_meta": {"m": 1}}))
            }
            ("tools/call", Some("fail")) => error(-32000, "tool failed"),
            ("tools/call", Some("grow")) => {
                extra_tools = 130;
                let _ = tx.send(reply(json!({"content": []})));
                json!({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
            }
            ("tools/call", _) => {
                let token = &msg["params"]["_meta"]["progressToken"];
                for i in 1..=2 {
                    let _ = tx.send(json!({"jsonrpc": "2.0", "method": "notifications/progress",
                        "params": {"progressToken": token, "progress": i, "total": 2}}));
                }
                continue; // never answers: waits to be cancelled
            }
            _ => error(-32601, "method not found"),
        };
        let _ = tx.send(out);
    }
    drop(tx);
    let _ = writer.await;
}
