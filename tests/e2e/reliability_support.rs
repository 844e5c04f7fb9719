//! Helpers shared by the `reliability_*` and `security_*` tests (`#[path]`-included after
//! `gateway_support.rs` as `support`).
//!
//! - [`hostile`]: the misbehaving server `tests/fixtures/hostile/server.py` (Python 3 standard
//!   library only); its last argument is a marker (the test home) so a test can find every
//!   process it started with [`processes_with`].
//! - [`RawHttp`]: a bare Streamable HTTP client (JSON responses, keep-alive, no SDK) fast enough
//!   for thousands of calls from plain threads, which matches every reply to its request id.
//! - [`Connect`]: a `dockside connect` bridge driven line by line over its stdio.
//! - [`slow`]: how many rounds a loop runs (`scripts/test --slow` sets `DOCKSIDE_SLOW=1`).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::gateway_support::*;

/// `fast` normally, `slow` under `scripts/test --slow` (the `#[ignore = "slow: …"]` variants pass
/// their own counts; this is for knobs inside a test).
pub fn slow() -> bool {
    std::env::var("DOCKSIDE_SLOW").is_ok_and(|v| v == "1")
}

/// The command line of a hostile server: `python3 server.py NAME MODE MARKER`.
pub fn hostile(name: &str, mode: &str, marker: &std::path::Path) -> Vec<String> {
    let script = dockside_e2e::workspace_root().join("tests/fixtures/hostile/server.py");
    vec![
        std::env::var("DOCKSIDE_TEST_PYTHON").unwrap_or_else(|_| "python3".into()),
        script.display().to_string(),
        name.into(),
        mode.into(),
        marker.display().to_string(),
    ]
}

/// Pids of live (non-zombie) processes whose command line contains `marker`.
pub fn processes_with(marker: &str) -> Vec<u32> {
    let mut pids = Vec::new();
    let me = std::process::id();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if pid == me {
            continue;
        }
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let zombie = stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
        if !zombie && cmdline.contains(marker) {
            pids.push(pid);
        }
    }
    pids
}

/// Resident memory of a process in KiB (`VmRSS`), 0 when it is gone.
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

pub fn kill9(pid: u32) {
    let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
}

/// A daemon over `home` with extra environment (supervisor knobs), not waiting for servers.
pub fn daemon(home: &TestHome, env: &[(&str, &str)]) -> HttpGateway {
    let mut cmd = home.dockside();
    cmd.args(["daemon", "--log-calls=false"])
        .env("DOCKSIDE_SECRET_STORE", "file");
    for (k, v) in env {
        cmd.env(k, v);
    }
    HttpGateway::start(cmd)
}

/// The daemon's status of `server` (`/api/servers`), `Null` when unknown.
pub fn status_of(gw: &HttpGateway, home: &TestHome, server: &str) -> Value {
    let (_, servers) = api(&gw.addr, &token(home), "GET", "/api/servers", None);
    servers
        .as_array()
        .and_then(|a| a.iter().find(|s| s["name"] == server).cloned())
        .unwrap_or(Value::Null)
}

/// Waits until `server` is in `state`; returns its status.
pub fn wait_server(
    gw: &HttpGateway,
    home: &TestHome,
    server: &str,
    state: &str,
    timeout: Duration,
) -> Value {
    wait_for(&format!("{server} to be {state}"), timeout, || {
        let s = status_of(gw, home, server);
        (s["state"] == state).then_some(s)
    })
}

/// A bare Streamable HTTP MCP session: JSON responses (no SSE), one keep-alive connection.
pub struct RawHttp {
    addr: String,
    path: String,
    token: String,
    conn: Option<BufReader<TcpStream>>,
    session: Option<String>,
    next_id: u64,
}

impl RawHttp {
    /// Connects and initializes a session on `path` (`/mcp` or `/mcp/<server>`).
    pub fn connect(addr: &str, path: &str, token: &str) -> Result<RawHttp, String> {
        let mut c = RawHttp {
            addr: addr.into(),
            path: path.into(),
            token: token.into(),
            conn: None,
            session: None,
            next_id: 1,
        };
        let init = c.request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "raw-e2e", "version": "0"}}),
        )?;
        if init.get("result").is_none() {
            return Err(format!("initialize failed: {init}"));
        }
        c.post(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))?;
        Ok(c)
    }

    /// Calls a tool; `Ok(text)` of its first content item, `Err` for a JSON-RPC error, a tool
    /// error (`isError`) or a transport failure. Checks the reply carries the request's id.
    pub fn call(&mut self, tool: &str, arguments: Value) -> Result<String, String> {
        let reply = self.request("tools/call", json!({"name": tool, "arguments": arguments}))?;
        if let Some(error) = reply.get("error") {
            return Err(error.to_string());
        }
        let text = reply["result"]["content"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if reply["result"]["isError"] == true {
            return Err(text);
        }
        Ok(text)
    }

    /// Sends a request and returns the whole response object (checked against the id).
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, String> {
        let id = self.next_id;
        self.next_id += 1;
        let (status, body) =
            self.post(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))?;
        let reply: Value = serde_json::from_slice(&body).map_err(|e| {
            format!(
                "HTTP {status}: not JSON ({e}): {}",
                String::from_utf8_lossy(&body)
            )
        })?;
        if status != 200 && reply.get("error").is_none() {
            return Err(format!("HTTP {status}: {reply}"));
        }
        if reply.get("error").is_none() || reply.get("id").is_some_and(|v| !v.is_null()) {
            assert_eq!(
                reply["id"],
                json!(id),
                "a reply with another request's id: {reply}"
            );
        }
        Ok(reply)
    }

    /// One POST on the keep-alive connection (reconnecting once if the server closed it).
    pub fn post(&mut self, body: &Value) -> Result<(u16, Vec<u8>), String> {
        match self.post_once(body) {
            Ok(r) => Ok(r),
            Err(_) if self.conn.is_none() => self.post_once(body),
            Err(e) => Err(e),
        }
    }

    fn post_once(&mut self, body: &Value) -> Result<(u16, Vec<u8>), String> {
        if self.conn.is_none() {
            let s = TcpStream::connect(&self.addr).map_err(|e| format!("connect: {e}"))?;
            s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
            s.set_nodelay(true).unwrap();
            self.conn = Some(BufReader::new(s));
        }
        let body = body.to_string();
        let mut head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nAccept: application/json\r\nMCP-Protocol-Version: 2025-06-18\r\nContent-Length: {}\r\n",
            self.path,
            self.addr,
            self.token,
            body.len()
        );
        if let Some(s) = &self.session {
            head.push_str(&format!("Mcp-Session-Id: {s}\r\n"));
        }
        head.push_str("\r\n");
        let result = (|| {
            let conn = self.conn.as_mut().unwrap();
            conn.get_mut()
                .write_all(format!("{head}{body}").as_bytes())
                .map_err(|e| format!("write: {e}"))?;
            read_response(conn)
        })();
        match result {
            Ok((status, headers, body)) => {
                if let Some(id) = headers.iter().find_map(|(k, v)| {
                    (k.eq_ignore_ascii_case("mcp-session-id")).then(|| v.clone())
                }) {
                    self.session = Some(id);
                }
                if headers
                    .iter()
                    .any(|(k, v)| k.eq_ignore_ascii_case("connection") && v == "close")
                {
                    self.conn = None;
                }
                Ok((status, body))
            }
            Err(e) => {
                self.conn = None;
                Err(e)
            }
        }
    }
}

type Headers = Vec<(String, String)>;

fn read_response(conn: &mut BufReader<TcpStream>) -> Result<(u16, Headers, Vec<u8>), String> {
    let mut line = String::new();
    conn.read_line(&mut line)
        .map_err(|e| format!("read status: {e}"))?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {line:?}"))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        conn.read_line(&mut line)
            .map_err(|e| format!("read header: {e}"))?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.to_lowercase())
    };
    let mut body = Vec::new();
    if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        loop {
            line.clear();
            conn.read_line(&mut line)
                .map_err(|e| format!("read chunk: {e}"))?;
            let size = usize::from_str_radix(line.trim(), 16)
                .map_err(|e| format!("chunk size {line:?}: {e}"))?;
            let mut chunk = vec![0; size + 2];
            conn.read_exact(&mut chunk)
                .map_err(|e| format!("read chunk: {e}"))?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        let len: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        body.resize(len, 0);
        conn.read_exact(&mut body)
            .map_err(|e| format!("read body: {e}"))?;
    }
    Ok((status, headers, body))
}

/// A `dockside connect [--server NAME]` bridge, driven over its stdio (JSON lines).
pub struct Connect {
    pub child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
    next_id: u64,
}

impl Connect {
    /// Starts the bridge (it starts the daemon when none runs) and initializes.
    pub fn start(home: &TestHome, server: Option<&str>, env: &[(&str, &str)]) -> Connect {
        let mut cmd = home.dockside();
        cmd.arg("connect");
        if let Some(s) = server {
            cmd.args(["--server", s]);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .env("DOCKSIDE_SECRET_STORE", "file")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dockside connect");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let mut c = Connect {
            child,
            stdin,
            lines,
            next_id: 1,
        };
        let init = c
            .request(
                "initialize",
                json!({"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "connect-e2e", "version": "0"}}),
                Duration::from_secs(90),
            )
            .expect("initialize through dockside connect");
        assert!(init.get("result").is_some(), "{init}");
        c.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        c
    }

    pub fn send(&mut self, msg: &Value) {
        let _ = writeln!(self.stdin, "{msg}");
        let _ = self.stdin.flush();
    }

    /// Sends a request and waits for the reply with its id (skipping notifications).
    pub fn request(
        &mut self,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, String> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .map_err(|e| format!("no reply to {method} #{id}: {e}"))?;
            let Ok(msg) = serde_json::from_str::<Value>(&line) else {
                return Err(format!("not JSON on stdout: {line}"));
            };
            if msg.get("method").is_some() {
                continue; // a notification or a server→client request
            }
            assert_eq!(
                msg["id"],
                json!(id),
                "a reply with another request's id: {msg}"
            );
            return Ok(msg);
        }
    }

    /// Calls a tool like [`RawHttp::call`].
    pub fn call(&mut self, tool: &str, arguments: Value) -> Result<String, String> {
        let reply = self.request(
            "tools/call",
            json!({"name": tool, "arguments": arguments}),
            Duration::from_secs(90),
        )?;
        if let Some(error) = reply.get("error") {
            return Err(error.to_string());
        }
        let text = reply["result"]["content"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if reply["result"]["isError"] == true {
            return Err(text);
        }
        Ok(text)
    }
}

impl Drop for Connect {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `(pid, port)` of the daemon recorded in `<home>/daemon.json`.
pub fn daemon_info(home: &TestHome) -> Option<(u32, u16)> {
    let text = std::fs::read_to_string(home.path().join("daemon.json")).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    Some((v["pid"].as_u64()? as u32, v["port"].as_u64()? as u16))
}
