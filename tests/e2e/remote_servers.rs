//! Remote MCP servers behind the gateway, end to end: `@modelcontextprotocol/server-everything`
//! served over Streamable HTTP (`streamableHttp`) and over the legacy HTTP+SSE transport (`sse`)
//! on loopback ports, registered as remote servers next to a local one (the demo server), and
//! used by the official TypeScript SDK client through `/mcp`, `/mcp/<server>` and
//! `dockside connect`: tool calls, progress, and sampling requests routed back to the client.
//! A remote server that goes away is `unreachable` and its calls fail at once naming it; back on
//! the same port, it is used again without restarting the daemon. A Claude Desktop file (which
//! has no remote entries) reaches a remote server through `dockside connect --server NAME` in
//! `native` mode (no daemon) and in `managed` mode, and the production switch and back gives
//! the file back byte for byte.

#[path = "gateway_support.rs"]
mod support;

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use dockside_core::clients::{by_id, Entry};
use serde_json::{json, Value};
use support::*;

/// `server-everything` in one of its HTTP modes on a loopback port; killed on drop.
struct Everything {
    mode: &'static str,
    port: u16,
    child: Option<Child>,
}

impl Everything {
    fn start(mode: &'static str) -> Everything {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut e = Everything {
            mode,
            port,
            child: None,
        };
        e.restart();
        e
    }

    /// Starts it (again) on its port and waits until the port accepts connections.
    fn restart(&mut self) {
        let script = everything_command()[1].clone();
        let child = Command::new("node")
            .arg(script)
            .arg(self.mode)
            .env("PORT", self.port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start server-everything");
        self.child = Some(child);
        let addr = format!("127.0.0.1:{}", self.port);
        wait_for(
            &format!("server-everything {} on {addr}", self.mode),
            Duration::from_secs(30),
            || TcpStream::connect(&addr).ok().map(drop),
        );
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn url(&self) -> String {
        match self.mode {
            "sse" => format!("http://127.0.0.1:{}/sse", self.port),
            _ => format!("http://127.0.0.1:{}/mcp", self.port),
        }
    }

    fn transport(&self) -> &'static str {
        match self.mode {
            "sse" => "sse",
            _ => "streamable-http",
        }
    }
}

impl Drop for Everything {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The catalog: `demo` (local), `everything` (Streamable HTTP) and `legacy` (SSE).
fn catalog(home: &TestHome, http: &Everything, sse: &Everything) {
    let demo = demo_command("demo");
    let text = json!({"registry": {
        "demo": {"command": demo},
        "everything": {"type": "remote", "remote": {"url": http.url(), "transport_type": http.transport()}},
        "legacy": {"type": "remote", "remote": {"url": sse.url(), "transport_type": sse.transport()}},
    }})
    .to_string();
    home.write_catalog_text("e2e", &text);
}

/// A daemon with every server managed, once they all run. Restarts back off at most 300 ms, so
/// a remote server that comes back is reached again soon.
fn start_daemon(home: &TestHome) -> HttpGateway {
    write_managed_state(home, &["demo", "everything", "legacy"]);
    let mut cmd = home.dockside();
    cmd.args(["daemon", "--log-calls=false"])
        .env("DOCKSIDE_BACKOFF_MAX_MS", "300")
        .env("DOCKSIDE_SECRET_STORE", "file");
    let gw = HttpGateway::start(cmd);
    for name in ["demo", "everything", "legacy"] {
        wait_state(&gw, home, name, "running");
    }
    gw
}

fn status_of(gw: &HttpGateway, home: &TestHome, name: &str) -> Value {
    let (_, status) = api(&gw.addr, &token(home), "GET", "/api/status", None);
    (status["servers"].as_array().into_iter().flatten())
        .find(|s| s["name"] == name)
        .cloned()
        .unwrap_or(Value::Null)
}

fn wait_state(gw: &HttpGateway, home: &TestHome, name: &str, state: &str) -> Value {
    wait_for(
        &format!("{name} to be {state}"),
        Duration::from_secs(60),
        || {
            let s = status_of(gw, home, name);
            (s["state"] == state).then_some(s)
        },
    )
}

fn http(gw: &HttpGateway, home: &TestHome, path: &str) -> Value {
    json!({"url": gw.url(path), "headers": {"Authorization": format!("Bearer {}", token(home))}})
}

/// The three calls every path must carry: a tool call, one with progress, and one that makes
/// the server ask the client for a sampling.
fn calls(prefix: &str) -> Value {
    let name = |n: &str| format!("{prefix}{n}");
    json!([
        {"op": "callTool", "name": name("echo"), "arguments": {"message": "héllo ✓"}},
        {"op": "callTool", "name": name("trigger-long-running-operation"),
         "arguments": {"duration": 1, "steps": 3}, "progress": true},
        {"op": "callTool", "name": name("trigger-sampling-request"),
         "arguments": {"prompt": "hello", "maxTokens": 10}},
    ])
}

fn text(result: &Value) -> String {
    result["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Runs [`calls`] over `connect` with the TypeScript SDK client (which answers sampling) and
/// checks what came back.
fn assert_calls(what: &str, connect: Value, prefix: &str) {
    let doc = dockside_e2e::mcp_client(&json!({
        "connect": connect,
        "sampling": true,
        "timeoutMs": 60000,
        "steps": calls(prefix),
    }));
    assert_eq!(doc["ok"], true, "{what}: {doc:#}");
    let results = doc["results"].as_array().unwrap();
    assert_eq!(text(&results[0]), "Echo: héllo ✓", "{what}");
    let progress = results[1]["progress"].as_array().unwrap();
    assert!(
        !progress.is_empty(),
        "{what}: no progress: {:#}",
        results[1]
    );
    assert!(
        text(&results[1]).contains("Long running operation completed"),
        "{what}"
    );
    let sampled = text(&results[2]);
    assert!(
        sampled.contains("sampled: ") && sampled.contains("dockside-test-model"),
        "{what}: {sampled}"
    );
    assert_eq!(
        doc["sampling"].as_array().unwrap().len(),
        1,
        "{what}: {doc}"
    );
}

fn connect_command(home: &TestHome, server: Option<&str>) -> Value {
    let mut args = vec!["connect".to_owned()];
    if let Some(s) = server {
        args.extend(["--server".to_owned(), s.to_owned()]);
    }
    json!({"command": bin("dockside"), "args": args,
           "env": {"DOCKSIDE_HOME": home.path(), "DOCKSIDE_SECRET_STORE": "file"}})
}

#[test]
fn remote_servers_behind_the_gateway_on_every_path() {
    let (http_server, sse_server) = (
        Everything::start("streamableHttp"),
        Everything::start("sse"),
    );
    let home = TestHome::new();
    catalog(&home, &http_server, &sse_server);
    let gw = start_daemon(&home);

    // The whole gateway scenario, the remote server in server-everything's place: both
    // transports, aggregated, next to the local demo server.
    for remote in ["everything", "legacy"] {
        let doc =
            node_scenario(&json!({"connect": http(&gw, &home, "/mcp"), "everything": remote}));
        assert_scenario(&doc);
        let progress = doc["steps"]["progressEverything"]["result"]["progress"]
            .as_array()
            .unwrap_or_else(|| panic!("{remote}: {doc}"));
        assert!(!progress.is_empty(), "{remote}: {doc}");
    }
    // One server's own endpoint, the bridge scoped to it, and the aggregated bridge.
    for remote in ["everything", "legacy"] {
        assert_calls(
            &format!("/mcp/{remote}"),
            http(&gw, &home, &format!("/mcp/{remote}")),
            "",
        );
        assert_calls(
            &format!("connect --server {remote}"),
            connect_command(&home, Some(remote)),
            "",
        );
        assert_calls(
            &format!("connect, {remote}"),
            connect_command(&home, None),
            &format!("{remote}__"),
        );
    }
    // Remote servers have logs, metrics and a status like local ones.
    let everything = status_of(&gw, &home, "everything");
    assert_eq!(everything["mode"], "managed", "{everything}");
    assert!(everything["tools"].as_u64().unwrap() > 5, "{everything}");
    let (_, metrics) = api(&gw.addr, &token(&home), "GET", "/api/metrics", None);
    let calls = (metrics["servers"].as_array().unwrap().iter())
        .find(|m| m["server"] == "legacy")
        .map(|m| m["calls"].as_u64().unwrap_or(0))
        .unwrap_or(0);
    assert!(calls >= 9, "{metrics}");
}

#[test]
fn an_unreachable_remote_fails_fast_and_comes_back_without_a_daemon_restart() {
    let (mut http_server, sse_server) = (
        Everything::start("streamableHttp"),
        Everything::start("sse"),
    );
    let home = TestHome::new();
    catalog(&home, &http_server, &sse_server);
    let gw = start_daemon(&home);
    let daemon_pid = gw.child.id();

    http_server.kill();
    let down = wait_state(&gw, &home, "everything", "unreachable");
    let error = down["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(&http_server.url()) && error.to_lowercase().contains("connection refused"),
        "{down}"
    );
    let status = home.dockside().arg("status").output().unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(
        status
            .lines()
            .any(|l| l.contains("everything") && l.contains("unreachable")),
        "{status}"
    );

    // Its calls fail at once (not after the 30 s a call waits for a restarting server), by
    // name, on its own endpoint and in the aggregated view; the others still answer.
    for (path, tool) in [("/mcp/everything", "echo"), ("/mcp", "everything__echo")] {
        let doc = dockside_e2e::mcp_client(&json!({
            "connect": http(&gw, &home, path),
            "steps": [
                {"op": "callTool", "name": tool, "arguments": {"message": "x"}},
                {"op": "callTool", "name": if path == "/mcp" { "legacy__echo" } else { "echo" },
                 "arguments": {"message": "still here"}},
            ],
        }));
        let failed = &doc["results"][0];
        assert_eq!(failed["ok"], false, "{path}: {doc:#}");
        let message = failed["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("server 'everything' is unreachable")
                && message.to_lowercase().contains("connection refused"),
            "{path}: {message}"
        );
        assert!(
            failed["ms"].as_f64().unwrap() < 10_000.0,
            "{path}: the call waited: {failed}"
        );
        if path == "/mcp" {
            assert_eq!(text(&doc["results"][1]), "Echo: still here", "{doc:#}");
        }
    }

    // Back on the same port: the supervisor reaches it again, no daemon restart.
    http_server.restart();
    wait_state(&gw, &home, "everything", "running");
    assert_calls(
        "/mcp/everything after it came back",
        http(&gw, &home, "/mcp/everything"),
        "",
    );
    assert_calls(
        "/mcp after it came back",
        http(&gw, &home, "/mcp"),
        "everything__",
    );
    assert_eq!(gw.child.id(), daemon_pid);
    let log = home
        .dockside()
        .args(["logs", "everything"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&log.stdout).contains("is unreachable"),
        "{}",
        String::from_utf8_lossy(&log.stdout)
    );
}

/// A user with a Claude Desktop file of their own and a Dockside home.
struct Desktop {
    _dir: tempfile::TempDir,
    home: PathBuf,
    dockside_home: PathBuf,
}

/// A realistic Claude Desktop file: the user's own servers and settings, CRLF line ends.
const CLAUDE: &str = "{\r\n  \"globalShortcut\": \"Ctrl+Space\",\r\n  \"mcpServers\": {\r\n    \"filesystem\": {\r\n      \"command\": \"npx\",\r\n      \"args\": [\"-y\", \"@modelcontextprotocol/server-filesystem\", \"/home/me/Documents\"]\r\n    },\r\n    \"weather\": {\r\n      \"command\": \"uv\",\r\n      \"args\": [\"--directory\", \"/home/me/weather\", \"run\", \"weather.py\"],\r\n      \"env\": {\"UNITS\": \"metric\"}\r\n    }\r\n  }\r\n}\r\n";

impl Desktop {
    fn new() -> Desktop {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let d = Desktop {
            dockside_home: home.join(".config/dockside"),
            home,
            _dir: dir,
        };
        std::fs::create_dir_all(d.claude().parent().unwrap()).unwrap();
        std::fs::create_dir_all(&d.dockside_home).unwrap();
        std::fs::write(d.claude(), CLAUDE).unwrap();
        d
    }

    fn claude(&self) -> PathBuf {
        self.home.join(".config/Claude/claude_desktop_config.json")
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("HOME", self.home.display().to_string()),
            (
                "XDG_CONFIG_HOME",
                self.home.join(".config").display().to_string(),
            ),
            ("DOCKSIDE_HOME", self.dockside_home.display().to_string()),
            ("DOCKSIDE_SECRET_STORE", "file".into()),
            ("DOCKSIDE_BACKOFF_MAX_MS", "300".into()),
        ]
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new(bin("dockside"))
            .envs(self.env())
            .env_remove("DOCKSIDE_LAUNCHER")
            .args(args)
            .output()
            .expect("run dockside");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success(),
            "`dockside {}` failed:\n{text}",
            args.join(" ")
        );
        text
    }

    /// The entry `name` of the file, which must run a command (Claude Desktop has no remote
    /// entries).
    fn entry(&self, name: &str) -> dockside_core::clients::NativeCommand {
        let spec = by_id("claude-desktop").unwrap();
        let text = std::fs::read_to_string(self.claude()).unwrap();
        let doc =
            dockside_core::fsedit::open(spec.format, &spec.container(), &self.claude(), &text)
                .unwrap();
        let (_, value) = (doc.entries().into_iter())
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no entry {name} in {text}"));
        match spec.shape.decode(&value) {
            Some(Entry::Stdio(cmd)) => cmd,
            other => panic!("{name} is not a command entry: {other:?}"),
        }
    }

    /// Launches the entry `name` exactly as the file says and runs [`calls`] through it.
    fn assert_entry_works(&self, name: &str) {
        let cmd = self.entry(name);
        let mut env: serde_json::Map<String, Value> = (self.env().into_iter())
            .map(|(k, v)| (k.to_owned(), json!(v)))
            .collect();
        env.extend(cmd.env.iter().map(|(k, v)| (k.clone(), json!(v))));
        assert_calls(
            &format!("the Claude Desktop entry {name}"),
            json!({"command": cmd.command, "args": cmd.args, "env": env}),
            "",
        );
    }
}

#[test]
fn claude_desktop_reaches_a_remote_server_natively_and_managed_and_switches_back_byte_for_byte() {
    let (http_server, sse_server) = (
        Everything::start("streamableHttp"),
        Everything::start("sse"),
    );
    let d = Desktop::new();
    let demo = bin("dockside-demo-server").display().to_string();
    d.run(&[
        "server", "add", "demo", "--mode", "native", "--", &demo, "--name", "demo",
    ]);
    d.run(&[
        "server",
        "add",
        "everything",
        "--mode",
        "native",
        "--url",
        &http_server.url(),
        "--header",
        "X-Client=dockside-e2e",
    ]);
    d.run(&[
        "server",
        "add",
        "legacy",
        "--mode",
        "native",
        "--url",
        &sse_server.url(),
        "--transport",
        "sse",
    ]);
    d.run(&["client", "connect", "claude-desktop"]);
    let connected = std::fs::read(d.claude()).unwrap();
    let text = String::from_utf8_lossy(&connected).into_owned();
    assert!(
        text.contains("\"filesystem\"") && text.contains("\"weather\"") && text.contains("\r\n"),
        "the user's entries and line ends stay: {text}"
    );

    // Native: Claude Desktop runs `dockside connect --server NAME`, which reaches the server
    // itself; no daemon runs.
    for name in ["everything", "legacy"] {
        let cmd = d.entry(name);
        assert_eq!(cmd.args, ["connect", "--server", name], "{text}");
        d.assert_entry_works(name);
    }
    assert!(
        !d.dockside_home.join("daemon.json").exists(),
        "native mode needs no daemon"
    );

    // Managed: the same entry, through the daemon (started by the bridge).
    d.run(&["server", "mode", "everything", "managed"]);
    d.run(&["server", "mode", "legacy", "managed"]);
    assert_eq!(
        d.entry("everything").args,
        ["connect", "--server", "everything"]
    );
    for name in ["everything", "legacy"] {
        d.assert_entry_works(name);
    }
    assert!(d.dockside_home.join("daemon.json").exists());
    d.run(&["server", "mode", "everything", "native"]);
    d.run(&["server", "mode", "legacy", "native"]);
    d.run(&["stop"]);
    assert_eq!(std::fs::read(d.claude()).unwrap(), connected);

    // The production switch puts the remote servers behind the gateway too, and back.
    let out = d.run(&["switch", "production", "--yes", "--calls", "2"]);
    let ws = dockside_core::Workspace::load(dockside_core::Home::new(&d.dockside_home)).unwrap();
    for name in ["demo", "everything", "legacy"] {
        assert_eq!(
            ws.server(name).unwrap().state.mode,
            dockside_core::Mode::Managed,
            "{name}: {out}"
        );
    }
    d.assert_entry_works("everything");
    d.run(&["stop"]);
    d.run(&["switch", "development"]);
    assert_eq!(
        String::from_utf8(std::fs::read(d.claude()).unwrap()).unwrap(),
        text,
        "switch development gives the file back byte for byte"
    );
}

/// A process killed on drop.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An endpoint that answers every request with 401, as a server that wants a sign-in does.
fn refusing_endpoint() -> (Killed, String) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("node")
        .args([
            "-e",
            "require('http').createServer((q, s) => { s.writeHead(401, {'WWW-Authenticate': 'Bearer realm=\"e2e\"'}); s.end(); }).listen(Number(process.env.PORT), '127.0.0.1')",
        ])
        .env("PORT", port.to_string())
        .stdin(Stdio::null())
        .spawn()
        .expect("start node");
    let child = Killed(child);
    let addr = format!("127.0.0.1:{port}");
    wait_for("the refusing endpoint", Duration::from_secs(30), || {
        TcpStream::connect(&addr).ok().map(drop)
    });
    (child, format!("http://{addr}/mcp"))
}

#[test]
fn a_remote_that_wants_credentials_needs_sign_in_and_its_calls_say_so() {
    let (_endpoint, url) = refusing_endpoint();
    let home = TestHome::new();
    let text = json!({"registry": {
        "demo": {"command": demo_command("demo")},
        "locked": {"type": "remote", "remote": {"url": url}},
    }})
    .to_string();
    home.write_catalog_text("e2e", &text);
    write_managed_state(&home, &["demo", "locked"]);
    let mut cmd = home.dockside();
    cmd.args(["daemon", "--log-calls=false"])
        .env("DOCKSIDE_SECRET_STORE", "file");
    let gw = HttpGateway::start(cmd);
    wait_state(&gw, &home, "demo", "running");
    let locked = wait_state(&gw, &home, "locked", "needs-sign-in");
    let error = locked["error"].as_str().unwrap_or_default();
    // The sign-in answers for it: no credentials stored, so it names the fix.
    assert!(
        error.contains("dockside auth login locked") && error.contains("Sign in"),
        "{locked}"
    );

    let doc = dockside_e2e::mcp_client(&json!({
        "connect": http(&gw, &home, "/mcp/locked"),
        "steps": [{"op": "callTool", "name": "echo", "arguments": {"message": "x"}}],
    }));
    let message = doc["results"][0]["error"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("server 'locked' needs sign-in")
            && message.contains("dockside auth login locked"),
        "{doc:#}"
    );
    // Not retried: it waits for credentials and a restart.
    assert_eq!(status_of(&gw, &home, "locked")["restarts"], 0);
}
