//! A lean MCP client: JSON-RPC over a child's stdio, over Streamable HTTP (JSON or SSE
//! responses, `Mcp-Session-Id`), and over the legacy HTTP+SSE transport (2024-11-05: a `GET`
//! event stream plus `POST`s to the endpoint it names).
//!
//! Each client is used by one thread and sends one request at a time, so a reply is simply read
//! after its request: no reader threads, no channels, nothing that would add its own latency.
//! Requests are written from pre-serialized argument text, so the client's cost does not grow
//! with the path under test.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use serde_json::{json, Value};

use crate::http::{self, Conn, Url};

pub const PROTOCOL_VERSION: &str = "2025-06-18";
/// The stateless revision, and the `_meta` its requests carry.
pub const STATELESS_VERSION: &str = "2026-07-28";
const STATELESS_META: &str = r#"{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"dockside-bench","version":"0"}}"#;
const TIMEOUT: Duration = Duration::from_secs(120);

/// Where a client connects: a command to spawn, or an HTTP endpoint.
#[derive(Debug, Clone)]
pub enum Target {
    Stdio {
        program: String,
        args: Vec<String>,
        env: Vec<(String, String)>,
        /// Where the child's stderr goes.
        stderr: Option<std::path::PathBuf>,
    },
    /// Streamable HTTP.
    Http {
        url: String,
        headers: Vec<(String, String)>,
    },
    /// Streamable HTTP as a client of the stateless revision (2026-07-28): no handshake, every
    /// request carries its version and capabilities in `_meta`.
    Stateless {
        url: String,
        headers: Vec<(String, String)>,
    },
    /// Legacy HTTP+SSE (protocol 2024-11-05).
    Sse {
        url: String,
        headers: Vec<(String, String)>,
    },
}

impl Target {
    pub fn transport_name(&self) -> &'static str {
        match self {
            Target::Stdio { .. } => "stdio",
            Target::Http { .. } => "streamable-http",
            Target::Stateless { .. } => "streamable-http (2026-07-28)",
            Target::Sse { .. } => "sse",
        }
    }
}

enum Wire {
    Stdio {
        child: Child,
        stdin: BufWriter<ChildStdin>,
        stdout: BufReader<ChildStdout>,
        line: Vec<u8>,
    },
    Http {
        conn: Conn,
        url: Url,
        headers: Vec<(String, String)>,
        session: Option<String>,
        version: &'static str,
    },
    Sse {
        /// The long-lived event stream.
        stream: Conn,
        stream_head: http::Head,
        posts: Conn,
        endpoint: Url,
        headers: Vec<(String, String)>,
    },
}

pub struct Client {
    wire: Wire,
    /// Stateless (2026-07-28): every request's params get this `_meta`.
    stateless: bool,
    next_id: u64,
    pub server_info: Value,
}

impl Client {
    /// Connects and completes the MCP handshake (`initialize`, `notifications/initialized`).
    pub fn connect(target: &Target) -> anyhow::Result<Client> {
        let wire = match target {
            Target::Stdio {
                program,
                args,
                env,
                stderr,
            } => {
                let mut cmd = Command::new(program);
                cmd.args(args)
                    .envs(env.iter().map(|(k, v)| (k, v)))
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped());
                match stderr {
                    Some(p) => {
                        let f = std::fs::OpenOptions::new()
                            .create(true)
                            .append(true)
                            .open(p)?;
                        cmd.stderr(f);
                    }
                    None => {
                        cmd.stderr(Stdio::null());
                    }
                }
                let mut child = cmd.spawn().with_context(|| format!("spawning {program}"))?;
                let stdin =
                    BufWriter::with_capacity(128 * 1024, child.stdin.take().expect("piped stdin"));
                let stdout = BufReader::with_capacity(
                    128 * 1024,
                    child.stdout.take().expect("piped stdout"),
                );
                Wire::Stdio {
                    child,
                    stdin,
                    stdout,
                    line: Vec::with_capacity(128 * 1024),
                }
            }
            Target::Http { url, headers } | Target::Stateless { url, headers } => {
                let url = Url::parse(url)?;
                Wire::Http {
                    conn: Conn::new(url.addr, TIMEOUT),
                    url,
                    headers: headers.clone(),
                    session: None,
                    version: match target {
                        Target::Stateless { .. } => STATELESS_VERSION,
                        _ => PROTOCOL_VERSION,
                    },
                }
            }
            Target::Sse { url, headers } => {
                let url = Url::parse(url)?;
                let mut stream = Conn::new(url.addr, TIMEOUT);
                let mut hs: Vec<(&str, &str)> = vec![("Accept", "text/event-stream")];
                hs.extend(headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                let mut head = stream.send("GET", &url, &hs, b"")?;
                if head.status != 200 {
                    let body = stream.read_body(&mut head).unwrap_or_default();
                    bail!(
                        "GET {}: HTTP {}: {}",
                        url.path,
                        head.status,
                        String::from_utf8_lossy(&body)
                    );
                }
                let endpoint = loop {
                    let ev = http::next_event(&mut stream, &mut head)?
                        .ok_or_else(|| anyhow!("SSE stream ended before its endpoint event"))?;
                    if ev.event == "endpoint" {
                        break url.join(String::from_utf8_lossy(&ev.data).trim())?;
                    }
                };
                Wire::Sse {
                    posts: Conn::new(endpoint.addr, TIMEOUT),
                    stream,
                    stream_head: head,
                    endpoint,
                    headers: headers.clone(),
                }
            }
        };
        let mut client = Client {
            wire,
            stateless: matches!(target, Target::Stateless { .. }),
            next_id: 1,
            server_info: Value::Null,
        };
        if client.stateless {
            let found = client.request("server/discover", "{}")?;
            client.server_info = found["_meta"]["io.modelcontextprotocol/serverInfo"].clone();
            return Ok(client);
        }
        let version = if matches!(target, Target::Sse { .. }) {
            "2024-11-05"
        } else {
            PROTOCOL_VERSION
        };
        let init = client.request(
            "initialize",
            &json!({
                "protocolVersion": version,
                "capabilities": {},
                "clientInfo": {"name": "dockside-bench", "version": env!("CARGO_PKG_VERSION")},
            })
            .to_string(),
        )?;
        client.server_info = init.get("serverInfo").cloned().unwrap_or(Value::Null);
        client.notify("notifications/initialized")?;
        Ok(client)
    }

    /// The exposed name of the server's `echo` tool (`echo`, `demo__echo`, …).
    pub fn find_echo(&mut self) -> anyhow::Result<String> {
        let list = self.request("tools/list", "{}")?;
        let names: Vec<String> = list["tools"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["name"].as_str().map(str::to_string))
            .collect();
        names
            .iter()
            .find(|n| *n == "echo")
            .or_else(|| {
                names
                    .iter()
                    .find(|n| n.ends_with("__echo") || n.ends_with("_echo") || n.ends_with("-echo"))
            })
            .cloned()
            .ok_or_else(|| anyhow!("no echo tool among {names:?}"))
    }

    /// Sends a request whose params are the given JSON text and returns its `result`.
    pub fn request(&mut self, method: &str, params_json: &str) -> anyhow::Result<Value> {
        let id = self.next_id;
        self.next_id += 1;
        let mut body = Vec::with_capacity(params_json.len() + 256);
        if self.stateless {
            // The same params with the revision's `_meta` first.
            let rest = params_json.trim().trim_start_matches('{').trim_start();
            let sep = if rest.starts_with('}') { "" } else { "," };
            write!(
                body,
                r#"{{"jsonrpc":"2.0","id":{id},"method":"{method}","params":{{"_meta":{STATELESS_META}{sep}{rest}}}"#
            )?;
        } else {
            write!(
                body,
                r#"{{"jsonrpc":"2.0","id":{id},"method":"{method}","params":{params_json}}}"#
            )?;
        }
        let mut reply = self
            .exchange(id, body)
            .with_context(|| format!("{method} (id {id})"))?;
        if let Some(err) = reply.get("error") {
            bail!("{method}: error {err}");
        }
        Ok(reply
            .get_mut("result")
            .map(Value::take)
            .unwrap_or(Value::Null))
    }

    /// Calls a tool with arguments given as JSON text (`{"message": "…"}`) and returns the text
    /// of its first content item.
    pub fn call_text(&mut self, tool_params_json: &str) -> anyhow::Result<String> {
        let mut r = self.request("tools/call", tool_params_json)?;
        if r.get("isError") == Some(&Value::Bool(true)) {
            bail!("tool error: {}", r["content"]);
        }
        match r["content"][0]["text"].take() {
            Value::String(s) => Ok(s),
            other => bail!("no text content in the result: {other}"),
        }
    }

    pub fn notify(&mut self, method: &str) -> anyhow::Result<()> {
        let body = format!(r#"{{"jsonrpc":"2.0","method":"{method}"}}"#).into_bytes();
        match &mut self.wire {
            Wire::Stdio { stdin, .. } => {
                stdin.write_all(&body)?;
                stdin.write_all(b"\n")?;
                stdin.flush()?;
            }
            Wire::Http {
                conn,
                url,
                headers,
                session,
                version,
            } => {
                let hs = http_headers(headers, session.as_deref(), version);
                let mut head = conn.send("POST", url, &hs, &body)?;
                conn.finish(&mut head)?;
                if head.status >= 300 {
                    bail!("{method}: HTTP {}", head.status);
                }
            }
            Wire::Sse {
                posts,
                endpoint,
                headers,
                ..
            } => {
                let hs = sse_post_headers(headers);
                let mut head = posts.send("POST", endpoint, &hs, &body)?;
                posts.finish(&mut head)?;
                if head.status >= 300 {
                    bail!("{method}: HTTP {}", head.status);
                }
            }
        }
        Ok(())
    }

    /// Sends one request and returns the response with `id`.
    fn exchange(&mut self, id: u64, body: Vec<u8>) -> anyhow::Result<Value> {
        match &mut self.wire {
            Wire::Stdio {
                stdin,
                stdout,
                line,
                child,
            } => {
                stdin.write_all(&body)?;
                stdin.write_all(b"\n")?;
                stdin.flush()?;
                loop {
                    line.clear();
                    let n = stdout.read_until(b'\n', line)?;
                    if n == 0 {
                        let status = child.try_wait().ok().flatten();
                        bail!("the server closed its stdout (exit status {status:?})");
                    }
                    let Ok(msg) = serde_json::from_slice::<Value>(line) else {
                        continue;
                    };
                    if is_response_to(&msg, id) {
                        return Ok(msg);
                    }
                    // Notifications and server requests are not part of the measured exchange.
                    {
                        if let (Some(req_id), Some(_)) = (msg.get("id"), msg.get("method")) {
                            // Answer pings and anything else with an empty result.
                            let answer = json!({"jsonrpc": "2.0", "id": req_id, "result": {}});
                            stdin.write_all(answer.to_string().as_bytes())?;
                            stdin.write_all(b"\n")?;
                            stdin.flush()?;
                        }
                    }
                }
            }
            Wire::Http {
                conn,
                url,
                headers,
                session,
                version,
            } => {
                let hs = http_headers(headers, session.as_deref(), version);
                let mut head = conn.send("POST", url, &hs, &body)?;
                if let Some(s) = head.header("mcp-session-id") {
                    *session = Some(s.to_string());
                }
                if head.status != 200 {
                    let text = conn.read_body(&mut head).unwrap_or_default();
                    bail!(
                        "HTTP {}: {}",
                        head.status,
                        String::from_utf8_lossy(&text)
                            .chars()
                            .take(300)
                            .collect::<String>()
                    );
                }
                if head.is_event_stream() {
                    // The server ends the stream after the response; reading to its end keeps
                    // the connection reusable.
                    let mut found = None;
                    while let Some(ev) = http::next_event(conn, &mut head)? {
                        if found.is_none() {
                            if let Ok(msg) = serde_json::from_slice::<Value>(&ev.data) {
                                if is_response_to(&msg, id) {
                                    found = Some(msg);
                                }
                            }
                        }
                    }
                    found.ok_or_else(|| anyhow!("the SSE response stream ended without a reply"))
                } else {
                    let body = conn.read_body(&mut head)?;
                    Ok(serde_json::from_slice(&body).context("the reply is not JSON")?)
                }
            }
            Wire::Sse {
                stream,
                stream_head,
                posts,
                endpoint,
                headers,
            } => {
                let hs = sse_post_headers(headers);
                let mut head = posts.send("POST", endpoint, &hs, &body)?;
                let text = posts.read_body(&mut head)?;
                if head.status >= 300 {
                    bail!(
                        "HTTP {}: {}",
                        head.status,
                        String::from_utf8_lossy(&text)
                            .chars()
                            .take(300)
                            .collect::<String>()
                    );
                }
                loop {
                    let ev = http::next_event(stream, stream_head)?
                        .ok_or_else(|| anyhow!("the SSE stream ended"))?;
                    if let Ok(msg) = serde_json::from_slice::<Value>(&ev.data) {
                        if is_response_to(&msg, id) {
                            return Ok(msg);
                        }
                    }
                }
            }
        }
    }

    /// Ends the session (`DELETE` for Streamable HTTP, closing stdin for a child).
    pub fn close(mut self) {
        match &mut self.wire {
            Wire::Stdio { child, .. } => {
                // Dropping stdin (below) ends a well-behaved server; don't wait forever.
                let _ = child.kill();
                let _ = child.wait();
            }
            Wire::Http {
                conn,
                url,
                headers,
                session,
                version,
            } => {
                if session.is_some() {
                    let hs = http_headers(headers, session.as_deref(), version);
                    if let Ok(mut head) = conn.send("DELETE", url, &hs, b"") {
                        let _ = conn.finish(&mut head);
                    }
                }
            }
            Wire::Sse { stream, .. } => stream.reset(),
        }
    }
}

fn http_headers<'a>(
    headers: &'a [(String, String)],
    session: Option<&'a str>,
    version: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let mut hs: Vec<(&str, &str)> = vec![
        ("Content-Type", "application/json"),
        ("Accept", "application/json, text/event-stream"),
        ("MCP-Protocol-Version", version),
    ];
    hs.extend(headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if let Some(s) = session {
        hs.push(("Mcp-Session-Id", s));
    }
    hs
}

fn sse_post_headers(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    let mut hs: Vec<(&str, &str)> = vec![("Content-Type", "application/json")];
    hs.extend(headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    hs
}

/// Whether a JSON-RPC message is the response to our request `id`.
fn is_response_to(v: &Value, id: u64) -> bool {
    v.get("method").is_none()
        && v.get("id").and_then(Value::as_u64) == Some(id)
        && (v.get("result").is_some() || v.get("error").is_some())
}

/// The params of a `tools/call` of `tool` with `{"message": message}`, as JSON text.
pub fn echo_params(tool: &str, message: &str) -> String {
    json!({"name": tool, "arguments": {"message": message}}).to_string()
}
