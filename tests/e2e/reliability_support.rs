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
pub fn daemon(home: &TestHome, env: &[(&str, &str)]) -> Daemon {
    let mut all = vec![("DOCKSIDE_SECRET_STORE", "file")];
    all.extend_from_slice(env);
    Daemon::start(home, &["daemon", "--log-calls=false"], &all)
}

/// The [`Fixture`] behind [`daemon`]: `dockside daemon --log-calls=false`, the file secret
/// store, and `env`.
pub fn fixture(env: &[(&str, &str)]) -> Fixture {
    Fixture::new()
        .arg("--log-calls=false")
        .env("DOCKSIDE_SECRET_STORE", "file")
        .envs(env)
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
    conn: Option<BufReader<Chopped>>,
    session: Option<String>,
    next_id: u64,
    /// Accept `text/event-stream` too (the server may then answer with an SSE stream).
    sse: bool,
    /// Split every request and every read at random points (see [`Chopped`]).
    split: Option<Rng>,
}

impl RawHttp {
    /// Connects and initializes a session on `path` (`/mcp` or `/mcp/<server>`).
    pub fn connect(addr: &str, path: &str, token: &str) -> Result<RawHttp, String> {
        RawHttp::connect_with(addr, path, token, false, None)
    }

    /// [`RawHttp::connect`], also accepting SSE responses (`sse`) and, with `split`, writing
    /// each request in random-sized pieces (flushed one by one) and reading each response in
    /// random-sized reads.
    pub fn connect_with(
        addr: &str,
        path: &str,
        token: &str,
        sse: bool,
        split: Option<Rng>,
    ) -> Result<RawHttp, String> {
        let mut c = RawHttp {
            addr: addr.into(),
            path: path.into(),
            token: token.into(),
            conn: None,
            session: None,
            next_id: 1,
            sse,
            split,
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
            let rng = self.split.as_mut().map(|r| Rng::from_seed(r.next()));
            self.conn = Some(BufReader::new(Chopped { stream: s, rng }));
        }
        let body = body.to_string();
        let accept = if self.sse {
            "application/json, text/event-stream"
        } else {
            "application/json"
        };
        let mut head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nAccept: {accept}\r\nMCP-Protocol-Version: 2025-06-18\r\nContent-Length: {}\r\n",
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
                .write_split(format!("{head}{body}").as_bytes())
                .map_err(|e| format!("write: {e}"))?;
            read_response(conn)
        })();
        match result {
            Ok((status, headers, mut body)) => {
                if headers.iter().any(|(k, v)| {
                    k.eq_ignore_ascii_case("content-type") && v.contains("text/event-stream")
                }) {
                    body = sse_reply(&body)?;
                }
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

/// A TCP stream that, given an [`Rng`], reads at most a random 1..=16 KiB per `read` (1..=8
/// bytes a quarter of the time, to split characters) and writes in random-sized pieces, each
/// flushed on its own (the socket has `TCP_NODELAY`).
pub struct Chopped {
    pub stream: TcpStream,
    pub rng: Option<Rng>,
}

impl Chopped {
    fn piece(&mut self, left: usize) -> usize {
        match &mut self.rng {
            None => left,
            Some(rng) => rng.piece(left, 16 << 10),
        }
    }

    pub fn write_split(&mut self, mut bytes: &[u8]) -> std::io::Result<()> {
        while !bytes.is_empty() {
            let n = self.piece(bytes.len());
            self.stream.write_all(&bytes[..n])?;
            self.stream.flush()?;
            bytes = &bytes[n..];
        }
        Ok(())
    }
}

impl Read for Chopped {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.piece(buf.len());
        self.stream.read(&mut buf[..n])
    }
}

/// The JSON-RPC response in an SSE body: the `data:` of the last event holding an `id` (the
/// body must be UTF-8; lines are split only at `\n`, as the stream is read whole).
fn sse_reply(body: &[u8]) -> Result<Vec<u8>, String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("SSE body is not UTF-8: {e}"))?;
    let mut reply = None;
    for event in text.replace("\r\n", "\n").split("\n\n") {
        let data: Vec<&str> = event
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(|d| d.strip_prefix(' ').unwrap_or(d))
            .collect();
        if data.is_empty() {
            continue;
        }
        let data = data.join("\n");
        if serde_json::from_str::<Value>(&data).is_ok_and(|v| v.get("id").is_some()) {
            reply = Some(data.into_bytes());
        }
    }
    reply.ok_or_else(|| format!("no response in the SSE body: {text:.300}"))
}

type Headers = Vec<(String, String)>;

fn read_response(conn: &mut impl BufRead) -> Result<(u16, Headers, Vec<u8>), String> {
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

/// A `dockside connect [--server NAME]` bridge (or any stdio MCP server, [`Connect::spawn`]),
/// driven over its stdio (JSON lines).
pub struct Connect {
    pub child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
    next_id: u64,
    /// Write each message in random-sized pieces, each flushed on its own.
    split: Option<Rng>,
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
        cmd.env("DOCKSIDE_SECRET_STORE", "file");
        Connect::spawn(cmd, None)
    }

    /// Starts `cmd` (e.g. `dockside gateway run`) with piped stdio and initializes; with
    /// `split`, every message is written in random-sized pieces.
    pub fn spawn(mut cmd: Command, split: Option<Rng>) -> Connect {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the stdio MCP process");
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
            split,
        };
        let init = c
            .request(
                "initialize",
                // The revision today's clients ask for: the daemon answers it over resumable SSE
                // (priming events, event ids), which the bridge must not turn into stray lines.
                json!({"protocolVersion": "2025-11-25", "capabilities": {},
                       "clientInfo": {"name": "connect-e2e", "version": "0"}}),
                Duration::from_secs(90),
            )
            .expect("initialize over stdio");
        assert!(init.get("result").is_some(), "{init}");
        c.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        c
    }

    /// From now on, writes each message in random-sized pieces, each flushed on its own.
    pub fn with_split(mut self, split: Option<Rng>) -> Connect {
        self.split = split;
        self
    }

    /// Sends a request without waiting; returns its id (see [`Connect::recv`]).
    pub fn send_request(&mut self, method: &str, params: Value) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// Writes one line as is (split like [`Connect::send`]).
    pub fn send_line(&mut self, line: &str) {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.write_split(&bytes);
    }

    /// The next line on stdout that is not a notification or a server→client request, unparsed.
    /// Cheap for big replies: only a line with `"method"` in its first 200 bytes is decoded.
    pub fn recv_line(&mut self, timeout: Duration) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .map_err(|e| format!("no reply: {e}"))?;
            let head = &line.as_bytes()[..line.len().min(200)];
            // Not JSON at all: returned, so that the caller sees it.
            if !head.windows(8).any(|w| w == b"\"method\"")
                || serde_json::from_str::<Value>(&line).map_or(true, |m| m.get("method").is_none())
            {
                return Ok(line);
            }
        }
    }

    /// The next reply (skipping notifications and server→client requests).
    pub fn recv(&mut self, timeout: Duration) -> Result<Value, String> {
        let line = self.recv_line(timeout)?;
        serde_json::from_str(&line).map_err(|_| format!("not JSON on stdout: {line:.300}"))
    }

    pub fn send(&mut self, msg: &Value) {
        let mut bytes = msg.to_string().into_bytes();
        bytes.push(b'\n');
        self.write_split(&bytes);
    }

    fn write_split(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while !rest.is_empty() {
            let n = match &mut self.split {
                None => rest.len(),
                Some(rng) => rng.piece(rest.len(), 64 << 10),
            };
            let _ = self.stdin.write_all(&rest[..n]);
            let _ = self.stdin.flush();
            rest = &rest[n..];
        }
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
        let msg = self
            .recv(timeout)
            .map_err(|e| format!("{method} #{id}: {e}"))?;
        assert_eq!(
            msg["id"],
            json!(id),
            "a reply with another request's id: {msg}"
        );
        Ok(msg)
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
