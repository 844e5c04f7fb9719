//! Helpers shared by the `lifecycle_*` tests (`#[path]`-included, after `gateway_support.rs`).
//!
//! [`write_py_server`] writes a tiny MCP server (plain JSON-RPC lines over stdio, Python 3
//! standard library only) into a directory: its tools answer `<tool> ok` and log `called
//! <tool>` to stderr; `spam` writes `count` stderr lines; `hang` blocks the server (it stops
//! answering, `ping` included).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

use super::support::*;

pub fn write_py_server(dir: &Path, file: &str, tools: &[&str]) -> PathBuf {
    let path = dir.join(file);
    let tools = serde_json::to_string(tools).unwrap();
    let text = format!(
        r#"import json, sys, time
TOOLS = {tools}
sys.stderr.write("server up with " + ",".join(TOOLS) + "\n"); sys.stderr.flush()
def reply(i, result):
    sys.stdout.write(json.dumps({{"jsonrpc": "2.0", "id": i, "result": result}}) + "\n"); sys.stdout.flush()
for line in sys.stdin:
    msg = json.loads(line)
    m, i = msg.get("method"), msg.get("id")
    if i is None:
        continue
    if m == "initialize":
        reply(i, {{"protocolVersion": msg["params"]["protocolVersion"], "capabilities": {{"tools": {{}}}}, "serverInfo": {{"name": "py", "version": "1"}}}})
    elif m == "tools/list":
        reply(i, {{"tools": [{{"name": t, "inputSchema": {{"type": "object"}}}} for t in TOOLS]}})
    elif m == "tools/call":
        name = msg["params"]["name"]
        args = msg["params"].get("arguments") or {{}}
        if name == "hang":
            time.sleep(3600)
        if name == "spam":
            for k in range(int(args.get("count", 10))):
                sys.stderr.write("spam line %04d %s\n" % (k, "x" * 40))
        sys.stderr.write("called " + name + "\n"); sys.stderr.flush()
        reply(i, {{"content": [{{"type": "text", "text": name + " ok"}}]}})
    else:
        reply(i, {{}})
"#
    );
    // Write then rename: a watcher never sees half a file.
    let tmp = dir.join(format!(".{file}.tmp"));
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    path
}

pub fn python3() -> String {
    std::env::var("DOCKSIDE_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// A daemon over `home`'s catalogs with extra environment, once `running` servers run.
/// Its events are recorded from the moment it listens (`gw.events`).
pub fn daemon_with(home: &TestHome, env: &[(&str, &str)], running: &[&str]) -> Daemon {
    let gw = Daemon::start(home, &["daemon", "--log-calls=false"], env);
    for name in running {
        wait_running(&gw, home, name);
    }
    gw
}

/// Waits until `server` runs; returns its status.
pub fn wait_running(gw: &HttpGateway, home: &TestHome, server: &str) -> Value {
    let token = token(home);
    wait_for(
        &format!("{server} running"),
        Duration::from_secs(60),
        || {
            let (_, servers) = api(&gw.addr, &token, "GET", "/api/servers", None);
            servers
                .as_array()?
                .iter()
                .find(|s| s["name"] == server && s["state"] == "running")
                .cloned()
        },
    )
}

pub fn server_status(gw: &HttpGateway, home: &TestHome, server: &str) -> Value {
    let (_, servers) = api(&gw.addr, &token(home), "GET", "/api/servers", None);
    servers
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == server)
        .cloned()
        .unwrap_or(Value::Null)
}

/// The `connect` part of an `mcp_client` spec for the daemon's aggregated endpoint.
pub fn connect_http(gw: &HttpGateway, home: &TestHome) -> Value {
    json!({"url": gw.url("/mcp"), "headers": {"Authorization": format!("Bearer {}", token(home))}})
}

/// Events of `kind` about `server` so far.
pub fn count(events: &EventLog, kind: &str, server: &str) -> usize {
    events.count(kind, server)
}
