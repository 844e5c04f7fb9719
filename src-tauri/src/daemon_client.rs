//! A small client for the daemon's control API (`dockside daemon`, types in
//! [`dockside_core::api`]): JSON over HTTP under `/api/…` with the bearer token kept in the
//! Dockside home, and the Server-Sent Events stream at `/api/events`.
//!
//! The app never re-implements gateway logic: everything it knows about running servers comes
//! from here. Where the daemon listens is read from `<home>/daemon.json` ([`DaemonInfo`]) on
//! every [`DaemonClient::for_home`], so a restarted daemon on another port is found again.

use std::time::Duration;

use dockside_core::api::{DaemonInfo, ServerStatus, SetMode, Status, ToolLatency};
use dockside_core::{Home, Mode};
use futures::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// `<home>/daemon.json`: where a running daemon listens.
pub fn info_path(home: &Home) -> std::path::PathBuf {
    home.root().join("daemon.json")
}

/// `<home>/token`: the bearer token of the MCP endpoints and the control API.
pub fn token_path(home: &Home) -> std::path::PathBuf {
    home.root().join("token")
}

/// The token: `MCP_GATEWAY_AUTH_TOKEN` if set (as the daemon reads it), else the token file.
pub fn read_token(home: &Home) -> Option<String> {
    if let Some(t) = std::env::var("MCP_GATEWAY_AUTH_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
    {
        return Some(t);
    }
    std::fs::read_to_string(token_path(home))
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// What `daemon.json` says, if it exists and parses (the daemon may have died since).
pub fn read_info(home: &Home) -> Option<DaemonInfo> {
    let text = std::fs::read_to_string(info_path(home)).ok()?;
    serde_json::from_str(&text).ok()
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the Dockside daemon is not running")]
    NotRunning,
    #[error("cannot reach the Dockside daemon at {url}: {source}")]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("the Dockside daemon answered {status}: {message}")]
    Api { status: u16, message: String },
    #[error("unexpected answer from the Dockside daemon: {0}")]
    Decode(String),
}

/// A control-API client for one daemon.
#[derive(Debug, Clone)]
pub struct DaemonClient {
    pub info: DaemonInfo,
    token: Option<String>,
    http: reqwest::Client,
}

impl DaemonClient {
    /// The client of the daemon `daemon.json` names, if there is one (it may not answer).
    pub fn for_home(home: &Home) -> Option<DaemonClient> {
        read_info(home).map(|info| DaemonClient::new(info, read_token(home)))
    }

    pub fn new(info: DaemonInfo, token: Option<String>) -> DaemonClient {
        let http = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(2))
            .build()
            .expect("an HTTP client with default TLS-less settings");
        DaemonClient { info, token, http }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.info.base_url())
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut r = self.http.request(method, self.url(path));
        if let Some(t) = &self.token {
            r = r.bearer_auth(t);
        }
        r
    }

    async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        timeout: Duration,
    ) -> Result<T, ClientError> {
        let unreachable = |source| ClientError::Unreachable {
            url: self.info.base_url(),
            source,
        };
        let resp = request.timeout(timeout).send().await.map_err(unreachable)?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(unreachable)?;
        if !status.is_success() {
            return Err(ClientError::Api {
                status: status.as_u16(),
                message: api_error_message(&body),
            });
        }
        serde_json::from_slice(&body).map_err(|e| ClientError::Decode(e.to_string()))
    }

    pub async fn status(&self) -> Result<Status, ClientError> {
        self.send(
            self.request(reqwest::Method::GET, "/api/status"),
            Duration::from_secs(5),
        )
        .await
    }

    pub async fn servers(&self) -> Result<Vec<ServerStatus>, ClientError> {
        self.send(
            self.request(reqwest::Method::GET, "/api/servers"),
            Duration::from_secs(5),
        )
        .await
    }

    /// Saves the mode (the daemon writes `state.yaml` through core) and reloads.
    pub async fn set_mode(&self, server: &str, mode: Mode) -> Result<ServerStatus, ClientError> {
        let body = SetMode {
            mode: mode.as_str().to_owned(),
        };
        self.send(
            self.request(
                reqwest::Method::PUT,
                &format!("/api/servers/{}/mode", path_segment(server)),
            )
            .json(&body),
            // Starting a server (or pulling its image) can take a while.
            Duration::from_secs(120),
        )
        .await
    }

    /// `start`, `stop` or `restart`.
    pub async fn action(&self, server: &str, action: &str) -> Result<ServerStatus, ClientError> {
        self.send(
            self.request(
                reqwest::Method::POST,
                &format!("/api/servers/{}/{action}", path_segment(server)),
            ),
            Duration::from_secs(120),
        )
        .await
    }

    pub async fn latency(&self) -> Result<Vec<ToolLatency>, ClientError> {
        self.send(
            self.request(reqwest::Method::GET, "/api/latency"),
            Duration::from_secs(5),
        )
        .await
    }

    pub async fn shutdown(&self) -> Result<Value, ClientError> {
        self.send(
            self.request(reqwest::Method::POST, "/api/shutdown"),
            Duration::from_secs(5),
        )
        .await
    }

    /// Follows `/api/events`, calling `on_event` with each event's JSON, until the stream ends
    /// (the daemon stopped) or fails. Events are passed as JSON so that event kinds newer than
    /// this app still reach the UI.
    pub async fn follow_events(&self, mut on_event: impl FnMut(Value)) -> Result<(), ClientError> {
        let unreachable = |source| ClientError::Unreachable {
            url: self.info.base_url(),
            source,
        };
        let resp = self
            .request(reqwest::Method::GET, "/api/events")
            .header("accept", "text/event-stream")
            .send()
            .await
            .map_err(unreachable)?;
        if !resp.status().is_success() {
            let status = resp.status().as_u16();
            let body = resp.bytes().await.unwrap_or_default();
            return Err(ClientError::Api {
                status,
                message: api_error_message(&body),
            });
        }
        let mut parser = SseParser::default();
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(unreachable)?;
            for data in parser.push(&chunk) {
                match serde_json::from_str::<Value>(&data) {
                    Ok(event) => on_event(event),
                    Err(err) => tracing::warn!("daemon event is not JSON ({err}): {data}"),
                }
            }
        }
        Ok(())
    }
}

fn api_error_message(body: &[u8]) -> String {
    serde_json::from_slice::<dockside_core::api::ApiError>(body)
        .map(|e| e.error)
        .unwrap_or_else(|_| String::from_utf8_lossy(body).trim().to_owned())
}

/// Server names are `[A-Za-z0-9._-]` (core checks), so they are path-safe; anything else is
/// percent-encoded anyway.
fn path_segment(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Incremental Server-Sent Events parser: bytes in, complete events' `data` out.
#[derive(Debug, Default)]
pub struct SseParser {
    buffer: Vec<u8>,
    data: Vec<String>,
}

impl SseParser {
    /// Feeds bytes; returns the data of every event completed by them.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.buffer.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buffer.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line[..line.len() - 1]);
            let line = line.strip_suffix('\r').unwrap_or(&line);
            if line.is_empty() {
                if !self.data.is_empty() {
                    out.push(self.data.join("\n"));
                    self.data.clear();
                }
            } else if let Some(value) = line.strip_prefix("data:") {
                self.data
                    .push(value.strip_prefix(' ').unwrap_or(value).to_owned());
            }
            // `event:`, `id:`, `retry:` and `:` comments (keep-alives) carry nothing we use.
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_events_split_across_chunks() {
        let mut p = SseParser::default();
        assert!(p.push(b": keep-alive\n\ndata: {\"type\":").is_empty());
        assert_eq!(
            p.push(b"\"log\"}\r\n\r\ndata: a\ndata: b\n\n"),
            ["{\"type\":\"log\"}", "a\nb"]
        );
        assert!(p.push(b"data: x").is_empty());
        assert_eq!(p.push(b"\n\n"), ["x"]);
    }

    #[test]
    fn info_and_token_come_from_the_home() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path());
        assert!(DaemonClient::for_home(&home).is_none());
        std::fs::write(
            info_path(&home),
            r#"{"pid":1,"host":"127.0.0.1","port":8813,"version":"0.1.0","startedAt":5}"#,
        )
        .unwrap();
        std::fs::write(token_path(&home), "secret\n").unwrap();
        let client = DaemonClient::for_home(&home).unwrap();
        assert_eq!(
            client.url("/api/status"),
            "http://127.0.0.1:8813/api/status"
        );
        if std::env::var_os("MCP_GATEWAY_AUTH_TOKEN").is_none() {
            assert_eq!(client.token.as_deref(), Some("secret"));
        }
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(path_segment("demo-1.x_y"), "demo-1.x_y");
        assert_eq!(path_segment("a b/c"), "a%20b%2Fc");
    }

    #[test]
    fn api_errors_show_the_daemon_message() {
        assert_eq!(api_error_message(br#"{"error":"no server"}"#), "no server");
        assert_eq!(api_error_message(b"plain\n"), "plain");
    }
}
