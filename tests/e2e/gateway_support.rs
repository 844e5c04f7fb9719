//! Helpers shared by the gateway end-to-end tests (`#[path]`-included by each `gateway_*.rs`).
//!
//! Clients: the TypeScript SDK scenario `tests/node/gateway_scenario.mjs` (run with `node` from
//! `tests/node`, whose `node_modules` must be installed: `npm ci` there) and the Python SDK
//! scenario below (run with `$DOCKSIDE_TEST_PYTHON` or `python3`, which must be able to
//! `import mcp`: `pip install mcp`). Servers: `dockside-demo-server` (built by cargo) and
//! `@modelcontextprotocol/server-everything` (from `tests/node/node_modules`).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub use dockside_e2e::{bin, node_dir, node_script};

/// A temporary `DOCKSIDE_HOME`.
pub struct TestHome {
    pub dir: tempfile::TempDir,
}

impl TestHome {
    pub fn new() -> TestHome {
        TestHome {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `<home>/catalogs/<id>.yaml` holding `servers` (name → command line).
    pub fn write_catalog(&self, id: &str, servers: &[(&str, Vec<String>)]) -> PathBuf {
        let mut registry = serde_json::Map::new();
        for (name, command) in servers {
            registry.insert(
                name.to_string(),
                json!({"title": name, "description": format!("{name} for the gateway e2e tests"), "command": command}),
            );
        }
        let dir = self.path().join("catalogs");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{id}.yaml"));
        let text =
            serde_json::to_string_pretty(&json!({"name": id, "registry": registry})).unwrap();
        // Write then rename so a watcher never sees half a file.
        let tmp = dir.join(format!(".{id}.tmp"));
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        path
    }

    /// The standard two-server catalog: `demo` and `everything`.
    pub fn two_servers(&self) -> PathBuf {
        self.write_catalog(
            "e2e",
            &[
                ("demo", demo_command("demo")),
                ("everything", everything_command()),
            ],
        )
    }

    pub fn dockside(&self) -> Command {
        let mut c = Command::new(bin("dockside"));
        c.env("DOCKSIDE_HOME", self.path());
        c
    }
}

pub fn demo_command(name: &str) -> Vec<String> {
    vec![
        bin("dockside-demo-server").display().to_string(),
        "--name".into(),
        name.into(),
    ]
}

pub fn everything_command() -> Vec<String> {
    let script =
        node_dir().join("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    assert!(
        script.exists(),
        "{} missing: run `npm ci` in tests/node (scripts/test does)",
        script.display()
    );
    vec!["node".into(), script.display().to_string(), "stdio".into()]
}

fn parse_doc(what: &str, output: std::process::Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .unwrap_or("");
    serde_json::from_str(line).unwrap_or_else(|e| {
        panic!(
            "{what} printed no JSON document ({e}); exit {}\nstdout:\n{stdout}\nstderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Runs the TypeScript SDK scenario and returns its JSON document.
pub fn node_scenario(spec: &Value) -> Value {
    let output = node_script("gateway_scenario.mjs")
        .arg(spec.to_string())
        .stdin(Stdio::null())
        .output()
        .expect("start node");
    parse_doc("gateway_scenario.mjs", output)
}

/// The Python interpreter with the `mcp` SDK.
pub fn python() -> Command {
    let exe = std::env::var("DOCKSIDE_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&exe)
        .args(["-c", "import mcp"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "`{exe} -c 'import mcp'` failed: install the Python MCP SDK (`pip install mcp`) or set DOCKSIDE_TEST_PYTHON");
    Command::new(exe)
}

/// Runs the Python SDK scenario and returns its JSON document.
pub fn python_scenario(spec: &Value) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("gateway_scenario.py");
    std::fs::write(&script, PYTHON_SCENARIO).unwrap();
    let output = python()
        .arg(&script)
        .arg(spec.to_string())
        .stdin(Stdio::null())
        .output()
        .expect("start python");
    parse_doc("gateway_scenario.py", output)
}

fn step<'a>(doc: &'a Value, name: &str) -> &'a Value {
    let s = &doc["steps"][name];
    assert_eq!(
        s["ok"],
        json!(true),
        "step {name} failed: {s}\nwhole document: {doc}"
    );
    &s["result"]
}

/// Checks what both SDK scenarios do: tools of both servers, calls, progress, cancellation,
/// resources, prompts, completion and a sampling request routed back to the client.
pub fn assert_scenario(doc: &Value) {
    assert!(doc.get("error").is_none(), "scenario failed: {doc}");
    let names: Vec<&str> = step(doc, "listTools")["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for expected in [
        "demo__echo",
        "demo__sleep",
        "everything__echo",
        "everything__trigger-sampling-request",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    assert!(names.iter().all(|n| n.len() <= 60));
    let echo = step(doc, "echoBoth");
    assert_eq!(echo["demo"], "hello");
    assert_eq!(echo["everything"], "Echo: hi");
    let progress = step(doc, "progressDemo");
    assert_eq!(progress["text"], "slept 300 ms");
    // The SDKs drop a progress notification that they read together with the final reply
    // (they handle notifications a tick later), so under load the last one may be missing.
    let steps = progress["progress"].as_array().unwrap();
    assert!((2..=3).contains(&steps.len()), "{progress}");
    assert_eq!(steps[0]["progress"].as_f64(), Some(1.0), "{progress}");
    let cancel = step(doc, "cancel");
    assert_eq!(cancel["aborted"], true, "{cancel}");
    assert_eq!(cancel["after"], "after-cancel");
    let res = step(doc, "resources");
    assert!(
        res["info"].as_str().unwrap().contains("\"name\":\"demo\""),
        "{res}"
    );
    assert!(step(doc, "prompts")["greet"]
        .as_str()
        .unwrap()
        .contains("Ada"));
    assert_eq!(step(doc, "complete"), &json!(["Ada", "Alan"]));
    let sampled = step(doc, "sampling").as_str().unwrap();
    assert!(
        sampled.contains("sampled: ") && sampled.contains("dockside-test-model"),
        "{sampled}"
    );
    assert_eq!(doc["sampling"].as_array().unwrap().len(), 1, "{doc}");
}

/// Checks the TypeScript scenario's `extended` steps: roots, elicitation and logging requests
/// routed back to the client, and a resource subscription's `updated` notification.
pub fn assert_extended(doc: &Value) {
    assert!(
        step(doc, "roots").as_str().unwrap().contains("file:///tmp"),
        "{doc}"
    );
    assert!(
        step(doc, "elicitation")
            .as_str()
            .unwrap()
            .contains("declined"),
        "{doc}"
    );
    assert_eq!(doc["elicitation"].as_array().unwrap().len(), 1, "{doc}");
    step(doc, "logging");
    assert_eq!(step(doc, "subscribe")["updated"], true, "{doc}");
    let messages = doc["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["method"] == "notifications/message")
        .count();
    assert!(messages > 0, "server log messages reach the client: {doc}");
}

/// A `dockside` process serving Streamable HTTP, killed on drop.
pub struct HttpGateway {
    pub child: Child,
    pub addr: String,
    stderr_log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl HttpGateway {
    /// Starts `dockside <args…> --port 0` and waits for its "listening on" line.
    pub fn start(mut cmd: Command) -> HttpGateway {
        let mut child = cmd
            .args(["--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start dockside");
        let stderr = child.stderr.take().unwrap();
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let log2 = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let addr = rest.split('/').next().unwrap_or("").to_string();
                    let _ = tx.send(addr);
                }
                let mut l = log2.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| {
                panic!(
                    "dockside did not start listening; stderr:\n{}",
                    log.lock().unwrap()
                )
            });
        HttpGateway {
            child,
            addr,
            stderr_log: log,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn stderr(&self) -> String {
        self.stderr_log.lock().unwrap().clone()
    }
}

impl Drop for HttpGateway {
    fn drop(&mut self) {
        #[cfg(unix)]
        unsafe_term(self.child.id());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(unix)]
fn unsafe_term(pid: u32) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
}

/// A bare HTTP/1.1 exchange; returns (status, headers+body text).
pub fn http_raw(addr: &str, request: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    // Read until the headers and a little body arrived, or the server closed.
    loop {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf);
                if let Some(head_end) = text.find("\r\n\r\n") {
                    let head = &text[..head_end].to_lowercase();
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok());
                    if len.is_some_and(|len| buf.len() >= head_end + 4 + len) {
                        break;
                    }
                }
            }
        }
    }
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// A JSON POST of an `initialize` request to `path` with extra header lines.
pub fn post_initialize(addr: &str, path: &str, extra_headers: &str) -> (u16, String) {
    let body = json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{
        "protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}})
    .to_string();
    http_raw(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n{extra_headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// Waits until `f` returns `Some`, polling.
pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Reads the bearer token the gateway stored in the home.
pub fn token(home: &TestHome) -> String {
    std::fs::read_to_string(home.path().join("token"))
        .expect("the gateway stores its token in DOCKSIDE_HOME/token")
        .trim()
        .to_string()
}

/// Runs `tests/node/gateway_load.mjs` and returns its JSON document.
pub fn node_load(spec: &Value) -> Value {
    let output = node_script("gateway_load.mjs")
        .arg(spec.to_string())
        .stdin(Stdio::null())
        .output()
        .expect("start node");
    parse_doc("gateway_load.mjs", output)
}

/// Writes `<home>/state.yaml` with the given servers in `managed` mode.
pub fn write_managed_state(home: &TestHome, servers: &[&str]) {
    let mut text = String::from("servers:\n");
    for s in servers {
        text.push_str(&format!("  {s}:\n    mode: managed\n"));
    }
    let tmp = home.path().join(".state.tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(tmp, home.path().join("state.yaml")).unwrap();
}

/// A JSON request to the control API; returns (status, body as JSON or a string).
pub fn api(
    addr: &str,
    token: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let (status, text) = http_raw(
        addr,
        &format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    let payload = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    let value =
        serde_json::from_str(payload).unwrap_or_else(|_| Value::String(payload.to_string()));
    (status, value)
}

/// Collects the daemon's event stream (`GET /api/events`) in the background.
pub struct EventLog {
    text: std::sync::Arc<std::sync::Mutex<String>>,
}

impl EventLog {
    pub fn open(addr: &str, token: &str) -> EventLog {
        let mut s = TcpStream::connect(addr).expect("connect");
        s.write_all(
            format!("GET /api/events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n")
                .as_bytes(),
        )
        .unwrap();
        let text = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = text.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = s.read(&mut buf) {
                if n == 0 {
                    return;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        // Let the subscription register before anything happens.
        std::thread::sleep(Duration::from_millis(300));
        EventLog { text }
    }

    /// Events received so far (the `data:` JSON of each).
    pub fn events(&self) -> Vec<Value> {
        self.text
            .lock()
            .unwrap()
            .lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .filter_map(|d| serde_json::from_str(d).ok())
            .collect()
    }

    /// Waits for an event of `kind` about `server`.
    pub fn wait(&self, kind: &str, server: &str) -> Value {
        wait_for(
            &format!("event {kind} for {server}"),
            Duration::from_secs(30),
            || {
                self.events()
                    .into_iter()
                    .find(|e| e["type"] == kind && e["server"] == server)
            },
        )
    }
}

/// Runs `dockside stop` for the home when dropped (for daemons a test started indirectly).
pub struct StopOnDrop<'a>(pub &'a TestHome);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.dockside().arg("stop").output();
    }
}

pub const PYTHON_SCENARIO: &str = r#"
"""The gateway acceptance scenario on the official Python SDK (`mcp`): prints ONE JSON document."""
import asyncio, json, sys, time

import anyio
from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client

spec = json.loads(sys.argv[1])
demo = lambda n: f"{spec.get('demo', 'demo')}__{n}"
every = lambda n: f"{spec.get('everything', 'everything')}__{n}"
out = {"ok": False, "steps": {}, "sampling": []}


def text(result):
    return "".join(getattr(c, "text", "") or "" for c in result.content)


async def sampling(*args):
    params = args[-1]
    t = " ".join(getattr(m.content, "text", "") or "" for m in params.messages)
    out["sampling"].append({"text": t})
    return types.CreateMessageResult(role="assistant", content=types.TextContent(type="text", text=f"sampled: {t}"), model="dockside-test-model")


async def step(name, fn):
    started = time.monotonic()
    try:
        out["steps"][name] = {"ok": True, "result": await fn()}
    except BaseException as e:  # noqa: BLE001 - report everything
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        out["steps"][name] = {"ok": False, "error": {"name": type(e).__name__, "message": str(e)}}
    out["steps"][name]["ms"] = round((time.monotonic() - started) * 1000)


def connect():
    c = spec["connect"]
    if "url" in c:
        try:
            from mcp.client.streamable_http import streamablehttp_client  # mcp 1.x
            return streamablehttp_client(c["url"], headers=c.get("headers", {}))
        except ImportError:
            import httpx2 as httpx
            from mcp.client.streamable_http import streamable_http_client  # mcp 2.x
            return streamable_http_client(c["url"], http_client=httpx.AsyncClient(headers=c.get("headers", {}), timeout=60))
    return stdio_client(StdioServerParameters(command=c["command"], args=c.get("args", []), env={**__import__("os").environ, **c.get("env", {})}))


async def main():
    async with connect() as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write, sampling_callback=sampling) as session:
            await session.initialize()

            async def list_tools():
                for _ in range(50):
                    names = [t.name for t in (await session.list_tools()).tools]
                    if every("trigger-sampling-request") in names:
                        break
                    await anyio.sleep(0.1)
                return {"names": names}

            await step("listTools", list_tools)

            async def echo_both():
                a = await session.call_tool(demo("echo"), {"message": "hello"})
                b = await session.call_tool(every("echo"), {"message": "hi"})
                return {"demo": text(a), "everything": text(b)}

            await step("echoBoth", echo_both)

            async def progress():
                seen = []

                async def on_progress(p, total, message):
                    seen.append({"progress": p, "total": total})

                r = await session.call_tool(demo("sleep"), {"ms": 300, "steps": 3}, progress_callback=on_progress)
                return {"text": text(r), "progress": seen}

            await step("progressDemo", progress)

            async def cancel():
                try:
                    with anyio.fail_after(0.3):
                        await session.call_tool(demo("sleep"), {"ms": 20000})
                    return {"aborted": False}
                except TimeoutError:
                    after = text(await session.call_tool(demo("echo"), {"message": "after-cancel"}))
                    return {"aborted": True, "after": after}

            await step("cancel", cancel)

            async def resources():
                r = await session.read_resource("demo://info")
                return {"info": r.contents[0].text}

            await step("resources", resources)

            async def prompt():
                r = await session.get_prompt(demo("greet"), {"name": "Ada"})
                return {"greet": r.messages[0].content.text}

            await step("prompts", prompt)

            async def complete():
                r = await session.complete(types.PromptReference(type="ref/prompt", name=demo("greet")), {"name": "name", "value": "A"})
                return r.completion.values

            await step("complete", complete)

            async def sample():
                return text(await session.call_tool(every("trigger-sampling-request"), {"prompt": "hello", "maxTokens": 10}))

            await step("sampling", sample)
            out["ok"] = True


try:
    anyio.run(main)
except BaseException as e:  # noqa: BLE001
    out["error"] = {"name": type(e).__name__, "message": repr(e)}
print(json.dumps(out), flush=True)
"#;
