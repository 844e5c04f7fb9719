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

/// `dockside gateway run --transport streaming` over `catalog`, with `extra` arguments.
pub fn streaming_gateway(home: &TestHome, catalog: &Path, extra: &[&str]) -> HttpGateway {
    let mut cmd = home.dockside();
    cmd.args([
        "gateway",
        "run",
        "--transport",
        "streaming",
        "--log-calls=false",
        "--catalog",
    ])
    .arg(catalog)
    .args(extra);
    HttpGateway::start(cmd)
}

/// `dockside daemon` with `servers` managed, once they all run.
pub fn managed_daemon(home: &TestHome, servers: &[&str]) -> HttpGateway {
    write_managed_state(home, servers);
    let mut cmd = home.dockside();
    cmd.args(["daemon", "--log-calls=false"]);
    let gw = HttpGateway::start(cmd);
    let token = token(home);
    wait_for("every server running", Duration::from_secs(60), || {
        let (_, status) = api(&gw.addr, &token, "GET", "/api/status", None);
        let running = status["servers"]
            .as_array()?
            .iter()
            .filter(|s| s["state"] == "running")
            .count();
        (running == servers.len()).then_some(())
    });
    gw
}

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
        let text =
            serde_json::to_string_pretty(&json!({"name": id, "registry": registry})).unwrap();
        // Written then renamed, so a watcher never sees half a file.
        self.write_catalog_text(id, &text)
    }

    /// Writes `<home>/catalogs/<id>.yaml` as given (write then rename).
    pub fn write_catalog_text(&self, id: &str, text: &str) -> PathBuf {
        let dir = self.path().join("catalogs");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{id}.yaml"));
        let tmp = dir.join(format!(".{id}.tmp"));
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        path
    }

    /// Writes `<home>/state.yaml` as given (write then rename).
    pub fn write_state_text(&self, text: &str) {
        let tmp = self.path().join(".state.tmp");
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(tmp, self.path().join("state.yaml")).unwrap();
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
    home.write_state_text(&text);
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

/// The daemon's event stream (`GET /api/events`), recorded in the background from the moment it
/// is opened: every event lands in one log, in order, and waits search that log from a
/// [`Mark`] taken *before* the action that causes the event, so an event that fires before the
/// wait begins is still found.
///
/// ```ignore
/// let mark = d.events.mark();
/// do_the_thing();
/// let crashed = d.events.wait(mark, "server-crashed", "demo");
/// ```
///
/// [`EventLog::open`] returns once the daemon has answered with the stream's headers; the daemon
/// subscribes before it answers, so nothing after `open` returns can be missed. [`Daemon`] opens
/// one as soon as the daemon listens.
pub struct EventLog {
    shared: std::sync::Arc<(std::sync::Mutex<Recorded>, std::sync::Condvar)>,
    /// The stream's socket, shut down on drop: an open event stream would hold up the daemon's
    /// graceful shutdown.
    socket: TcpStream,
}

impl Drop for EventLog {
    fn drop(&mut self) {
        let _ = self.socket.shutdown(std::net::Shutdown::Both);
    }
}

#[derive(Default)]
struct Recorded {
    events: Vec<Value>,
    /// `log` events (one per line a server writes to stderr) seen, recorded or not: only the
    /// first [`MAX_LOG_EVENTS`] are kept, so a server flooding stderr cannot fill the memory.
    log_events: usize,
    /// Why the stream ended, once it did.
    ended: Option<String>,
}

/// How many `log` events an [`EventLog`] keeps; later ones are counted, not recorded.
pub const MAX_LOG_EVENTS: usize = 2000;

/// A position in an [`EventLog`]: waits from it see only events recorded after it was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Mark(usize);

impl Mark {
    /// The start of the log: for events the daemon's own start causes (an [`EventLog`] opened
    /// by [`Daemon`] records from the moment the daemon listens).
    pub const START: Mark = Mark(0);
}

impl EventLog {
    pub fn open(addr: &str, token: &str) -> EventLog {
        let stream = TcpStream::connect(addr).expect("connect to the daemon for /api/events");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut reader = BufReader::new(stream);
        reader
            .get_mut()
            .write_all(
                format!("GET /api/events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n")
                    .as_bytes(),
            )
            .unwrap();
        // The response head: once it is here, the daemon has subscribed.
        let mut head = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            let n = reader
                .read_line(&mut line)
                .expect("read the /api/events response head");
            assert!(n > 0, "the daemon closed /api/events: {head:?}");
            if line.trim_end().is_empty() {
                break;
            }
            head.push(line.trim_end().to_owned());
        }
        assert!(
            head.first().is_some_and(|s| s.contains(" 200")),
            "GET /api/events: {head:?}"
        );
        let chunked = head.iter().any(|h| {
            let h = h.to_ascii_lowercase();
            h.starts_with("transfer-encoding:") && h.contains("chunked")
        });
        reader.get_ref().set_read_timeout(None).unwrap();
        let socket = reader.get_ref().try_clone().unwrap();
        let shared = std::sync::Arc::new((
            std::sync::Mutex::new(Recorded::default()),
            std::sync::Condvar::new(),
        ));
        let sink = shared.clone();
        std::thread::spawn(move || {
            let ended = record_sse(reader, chunked, &sink);
            let (lock, cvar) = &*sink;
            lock.lock().unwrap().ended = Some(ended);
            cvar.notify_all();
        });
        EventLog { shared, socket }
    }

    /// The current end of the log: take it before the action whose event you will wait for.
    pub fn mark(&self) -> Mark {
        Mark(self.shared.0.lock().unwrap().events.len())
    }

    /// Every event recorded so far (the `data:` JSON of each).
    pub fn events(&self) -> Vec<Value> {
        self.shared.0.lock().unwrap().events.clone()
    }

    /// The events recorded since `mark`.
    pub fn since(&self, mark: Mark) -> Vec<Value> {
        self.shared.0.lock().unwrap().events[mark.0..].to_vec()
    }

    /// Events of `kind` about `server` recorded so far.
    pub fn count(&self, kind: &str, server: &str) -> usize {
        self.shared
            .0
            .lock()
            .unwrap()
            .events
            .iter()
            .filter(|e| e["type"] == kind && e["server"] == server)
            .count()
    }

    /// Waits (30 s) for the first event of `kind` about `server` recorded since `mark`.
    pub fn wait(&self, mark: Mark, kind: &str, server: &str) -> Value {
        self.wait_from(
            mark,
            &format!("event {kind} for {server}"),
            Duration::from_secs(30),
            |e| e["type"] == kind && e["server"] == server,
        )
    }

    /// Waits for the first event recorded since `mark` that matches `pred`; panics after
    /// `timeout` listing what was recorded since `mark`. Blocks on the recorder, no polling.
    pub fn wait_from(
        &self,
        mark: Mark,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        let (lock, cvar) = &*self.shared;
        let mut rec = lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut searched = mark.0;
        loop {
            if let Some(e) = rec.events[searched.min(rec.events.len())..]
                .iter()
                .find(|e| pred(e))
            {
                return e.clone();
            }
            searched = searched.max(rec.events.len());
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || rec.ended.is_some() {
                let since = &rec.events[mark.0.min(rec.events.len())..];
                let shown: Vec<String> = since
                    .iter()
                    .filter(|e| e["type"] != "log")
                    .take(50)
                    .map(|e| format!("{e:.400}"))
                    .collect();
                let message = format!(
                    "timed out waiting for {what}{}; {} events since the mark, {} `log` ones \
                     (not shown; {} seen in all); the others (at most 50):\n{}",
                    rec.ended
                        .as_ref()
                        .map(|e| format!(" (the event stream ended: {e})"))
                        .unwrap_or_default(),
                    since.len(),
                    since.iter().filter(|e| e["type"] == "log").count(),
                    rec.log_events,
                    shown.join("\n")
                );
                // Not while holding the lock: that would poison it for the recorder.
                drop(rec);
                panic!("{message}");
            }
            rec = cvar.wait_timeout(rec, left).unwrap().0;
        }
    }
}

/// Reads an SSE body (chunked or not) and appends each event's `data:` JSON to `sink`. Works on
/// bytes and decodes whole lines only, so neither a chunk boundary nor a read boundary can split
/// a character or a line. Returns why it stopped.
fn record_sse(
    mut reader: BufReader<TcpStream>,
    chunked: bool,
    sink: &(std::sync::Mutex<Recorded>, std::sync::Condvar),
) -> String {
    let mut body = Vec::new();
    let mut data: Vec<String> = Vec::new();
    let mut feed = |bytes: &[u8], body: &mut Vec<u8>| {
        body.extend_from_slice(bytes);
        while let Some(nl) = body.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = body.drain(..=nl).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if !data.is_empty() {
                    let text = data.join("\n");
                    data.clear();
                    // Cheap enough to keep up with a flood (a reader that falls behind makes
                    // the daemon skip events for it): a `log` event past the cap is not parsed.
                    let (lock, cvar) = sink;
                    if text.starts_with(r#"{"type":"log""#) {
                        let mut rec = lock.lock().unwrap();
                        rec.log_events += 1;
                        if rec.log_events > MAX_LOG_EVENTS {
                            continue;
                        }
                    }
                    if let Ok(event) = serde_json::from_str::<Value>(&text) {
                        lock.lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .events
                            .push(event);
                        cvar.notify_all();
                    }
                }
            } else if let Some(d) = line.strip_prefix("data:") {
                data.push(d.strip_prefix(' ').unwrap_or(d).to_owned());
            }
        }
    };
    let mut buf = vec![0u8; 16 * 1024];
    if !chunked {
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return "closed".into(),
                Ok(n) => feed(&buf[..n], &mut body),
                Err(e) => return e.to_string(),
            }
        }
    }
    let mut size_line = String::new();
    loop {
        size_line.clear();
        match reader.read_line(&mut size_line) {
            Ok(0) => return "closed".into(),
            Ok(_) => {}
            Err(e) => return e.to_string(),
        }
        let Ok(size) = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or(""), 16)
        else {
            return format!("bad chunk size {size_line:?}");
        };
        if size == 0 {
            return "the last chunk".into();
        }
        let mut chunk = vec![0u8; size + 2];
        if let Err(e) = reader.read_exact(&mut chunk) {
            return e.to_string();
        }
        feed(&chunk[..size], &mut body);
    }
}

/// A `dockside daemon` process ([`HttpGateway`], which it derefs to) with its event stream
/// recorded from the moment it listens ([`EventLog`]). Stopped on drop, its event stream closed
/// first (fields drop in order) so that it does not hold up the daemon's graceful shutdown.
pub struct Daemon {
    pub events: EventLog,
    pub gw: HttpGateway,
    pub token: String,
}

impl Daemon {
    /// `dockside <args…>` over `home` with extra environment; returns once it listens and its
    /// event stream is subscribed.
    pub fn start(home: &TestHome, args: &[&str], env: &[(&str, &str)]) -> Daemon {
        let mut cmd = home.dockside();
        cmd.args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let gw = HttpGateway::start(cmd);
        let token = token(home);
        let events = EventLog::open(&gw.addr, &token);
        Daemon { events, gw, token }
    }

    /// The label its containers carry (`dockside.pid=<pid>`).
    pub fn label(&self) -> String {
        format!("dockside.pid={}", self.gw.child.id())
    }

    /// `/api/servers`' entry for `server`, `Null` when unknown.
    pub fn status(&self, server: &str) -> Value {
        let (_, servers) = api(&self.gw.addr, &self.token, "GET", "/api/servers", None);
        servers
            .as_array()
            .and_then(|a| a.iter().find(|s| s["name"] == server).cloned())
            .unwrap_or(Value::Null)
    }

    /// Waits until `server` is in `state`; returns its status.
    pub fn wait_state(&self, server: &str, state: &str, timeout: Duration) -> Value {
        wait_for(&format!("{server} to be {state}"), timeout, || {
            let s = self.status(server);
            (s["state"] == state).then_some(s)
        })
    }
}

impl std::ops::Deref for Daemon {
    type Target = HttpGateway;
    fn deref(&self) -> &HttpGateway {
        &self.gw
    }
}

impl std::ops::DerefMut for Daemon {
    fn deref_mut(&mut self) -> &mut HttpGateway {
        &mut self.gw
    }
}

/// A test's setup: a [`TestHome`] with its catalog and state, and how to start its daemon.
/// Each setter writes its file at once (so CLI commands can run before a daemon starts);
/// [`Fixture::daemon`] starts one (and again after the last one was dropped). Declare the
/// fixture before its daemons: locals drop in reverse, so the daemon stops before the home goes.
///
/// ```ignore
/// let f = Fixture::new().server("demo", demo_command("demo")).managed(&["demo"]);
/// let d = f.daemon();
/// d.wait_state("demo", "running", Duration::from_secs(60));
/// ```
pub struct Fixture {
    pub home: TestHome,
    servers: Vec<(String, Vec<String>)>,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Default for Fixture {
    fn default() -> Self {
        Fixture::new()
    }
}

impl Fixture {
    /// An empty home; the daemon runs as `dockside daemon`.
    pub fn new() -> Fixture {
        Fixture {
            home: TestHome::new(),
            servers: Vec::new(),
            args: vec!["daemon".into()],
            env: Vec::new(),
        }
    }

    pub fn path(&self) -> &Path {
        self.home.path()
    }

    /// Adds a server (name → command line) to the catalog `e2e` ([`TestHome::write_catalog`]).
    pub fn server(mut self, name: &str, command: Vec<String>) -> Fixture {
        self.servers.push((name.into(), command));
        let servers: Vec<(&str, Vec<String>)> = self
            .servers
            .iter()
            .map(|(n, c)| (n.as_str(), c.clone()))
            .collect();
        self.home.write_catalog("e2e", &servers);
        self
    }

    /// `state.yaml` with these servers in `managed` mode ([`write_managed_state`]).
    pub fn managed(self, servers: &[&str]) -> Fixture {
        write_managed_state(&self.home, servers);
        self
    }

    /// `catalogs/e2e.yaml` as given (YAML text).
    pub fn catalog_yaml(self, text: &str) -> Fixture {
        self.home.write_catalog_text("e2e", text);
        self
    }

    /// `state.yaml` as given (YAML text).
    pub fn state_yaml(self, text: &str) -> Fixture {
        self.home.write_state_text(text);
        self
    }

    /// One more argument for `dockside daemon` (e.g. `--log-calls=false`).
    pub fn arg(mut self, arg: &str) -> Fixture {
        self.args.push(arg.into());
        self
    }

    /// Environment for the daemon (supervisor knobs, `DOCKSIDE_SECRET_STORE`…).
    pub fn env(mut self, key: &str, value: &str) -> Fixture {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn envs(self, vars: &[(&str, &str)]) -> Fixture {
        vars.iter().fold(self, |f, (k, v)| f.env(k, v))
    }

    /// Starts the daemon; its events are recorded from the moment it listens.
    pub fn daemon(&self) -> Daemon {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Daemon::start(&self.home, &args, &env)
    }

    /// `dockside` with this home (for CLI commands).
    pub fn dockside(&self) -> Command {
        self.home.dockside()
    }
}

/// A seeded xorshift generator: reproducible random inputs without another dependency. The
/// seed comes from `DOCKSIDE_TEST_SEED` when set, else the clock; it is printed so a failure
/// can be replayed with `DOCKSIDE_TEST_SEED=<seed>`.
pub struct Rng(u64);

impl Rng {
    pub fn seeded(what: &str) -> Rng {
        let seed = std::env::var("DOCKSIDE_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            });
        eprintln!("{what} seed {seed} (replay with DOCKSIDE_TEST_SEED={seed})");
        Rng::from_seed(seed)
    }

    pub fn from_seed(seed: u64) -> Rng {
        // splitmix64 once, so that nearby seeds give unrelated streams.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// Where to split `left` bytes: 1..=8 bytes a quarter of the time (inside a character or an
    /// escape), else 1..=`max`; never more than `left`.
    pub fn piece(&mut self, left: usize, max: usize) -> usize {
        let n = if self.below(4) == 0 {
            self.range(1, 8)
        } else {
            self.range(1, max)
        };
        n.min(left)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below((hi - lo + 1) as u64) as usize
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
