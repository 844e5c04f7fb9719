//! The one client of the daemon's control API: JSON over HTTP under
//! `/api/…` with the bearer token of the Dockside home, and the Server-Sent Events stream at
//! `/api/events`. Used by the CLI (`dockside status`, `stop`, `server restart`, the
//! production switch's pre-flight) and by the tray app.
//!
//! Where the daemon listens is read from `<home>/daemon.json` on every
//! [`DaemonClient::for_home`], so a restarted daemon on another port is found again.

use std::time::Duration;

use futures::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::Value;

use dockside_core::{Home, Mode};

use crate::files::{read_info, read_token};
use crate::{
    DaemonInfo, PackageRequest, PackageUpdate, ServerStatus, SetMode, SignInStarted, SseParser,
    Status, ToolLatency,
};

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

/// Quick calls (status, lists): the daemon answers these at once.
const QUICK: Duration = Duration::from_secs(5);
/// Calls that may start a server or pull its image.
const SLOW: Duration = Duration::from_secs(120);

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

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// A request to `path` with the token.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut r = self.http.request(method, self.url(path));
        if let Some(t) = &self.token {
            r = r.bearer_auth(t);
        }
        r
    }

    fn unreachable(&self, source: reqwest::Error) -> ClientError {
        ClientError::Unreachable {
            url: self.info.base_url(),
            source,
        }
    }

    /// Sends `request` and decodes the JSON answer; a 4xx/5xx becomes [`ClientError::Api`]
    /// with the daemon's message.
    pub async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        timeout: Option<Duration>,
    ) -> Result<T, ClientError> {
        let request = match timeout {
            Some(t) => request.timeout(t),
            None => request,
        };
        let resp = request.send().await.map_err(|e| self.unreachable(e))?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| self.unreachable(e))?;
        if !status.is_success() {
            return Err(ClientError::Api {
                status: status.as_u16(),
                message: api_error_message(&body),
            });
        }
        serde_json::from_slice(&body).map_err(|e| ClientError::Decode(e.to_string()))
    }

    /// `GET path`, no time limit.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.send(self.request(reqwest::Method::GET, path), None)
            .await
    }

    /// `POST path` with an optional JSON body, no time limit.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: Option<Value>,
    ) -> Result<T, ClientError> {
        let mut r = self.request(reqwest::Method::POST, path);
        if let Some(b) = body {
            r = r.json(&b);
        }
        self.send(r, None).await
    }

    /// `PUT path` with a JSON body, no time limit.
    pub async fn put<T: DeserializeOwned>(
        &self,
        path: &str,
        body: Value,
    ) -> Result<T, ClientError> {
        self.send(self.request(reqwest::Method::PUT, path).json(&body), None)
            .await
    }

    pub async fn status(&self) -> Result<Status, ClientError> {
        self.send(
            self.request(reqwest::Method::GET, "/api/status"),
            Some(QUICK),
        )
        .await
    }

    pub async fn servers(&self) -> Result<Vec<ServerStatus>, ClientError> {
        self.send(
            self.request(reqwest::Method::GET, "/api/servers"),
            Some(QUICK),
        )
        .await
    }

    /// Saves the mode (the daemon writes `state.yaml` through core) and reloads.
    pub async fn set_mode(&self, server: &str, mode: Mode) -> Result<ServerStatus, ClientError> {
        let body = SetMode { mode };
        let path = format!("/api/servers/{}/mode", path_segment(server));
        self.send(
            self.request(reqwest::Method::PUT, &path).json(&body),
            Some(SLOW),
        )
        .await
    }

    /// Looks for a newer version of a package server's package and, unless `check`, moves its
    /// pin there (the daemon installs it first). No time limit: an install can take a while.
    pub async fn update_package(
        &self,
        server: &str,
        check: bool,
    ) -> Result<PackageUpdate, ClientError> {
        let path = format!("/api/servers/{}/package", path_segment(server));
        let body = serde_json::to_value(PackageRequest { check }).expect("plain struct");
        self.post(&path, Some(body)).await
    }

    /// Starts the sign-in of a remote server (the daemon opens the page in the browser).
    pub async fn sign_in(&self, server: &str) -> Result<SignInStarted, ClientError> {
        let path = format!("/api/servers/{}/sign-in", path_segment(server));
        self.send(self.request(reqwest::Method::POST, &path), Some(SLOW))
            .await
    }

    /// `start`, `stop` or `restart`.
    pub async fn action(&self, server: &str, action: &str) -> Result<ServerStatus, ClientError> {
        let path = format!("/api/servers/{}/{action}", path_segment(server));
        self.send(self.request(reqwest::Method::POST, &path), Some(SLOW))
            .await
    }

    pub async fn latency(&self) -> Result<Vec<ToolLatency>, ClientError> {
        self.send(
            self.request(reqwest::Method::GET, "/api/latency"),
            Some(QUICK),
        )
        .await
    }

    pub async fn shutdown(&self) -> Result<Value, ClientError> {
        self.send(
            self.request(reqwest::Method::POST, "/api/shutdown"),
            Some(QUICK),
        )
        .await
    }

    /// Follows `/api/events`, calling `on_event` with each event's JSON, until the stream ends
    /// (the daemon stopped) or fails. Events are passed as JSON so that event kinds newer than
    /// the caller still reach it.
    pub async fn follow_events(&self, mut on_event: impl FnMut(Value)) -> Result<(), ClientError> {
        let resp = self
            .request(reqwest::Method::GET, "/api/events")
            .header("accept", "text/event-stream")
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
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
            let chunk = chunk.map_err(|e| self.unreachable(e))?;
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

/// The daemon's message in an error answer: `{"error": …}` ([`super::ApiError`]), else the body.
fn api_error_message(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| {
            v.get("error").map(|e| {
                e.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| e.to_string())
            })
        })
        .unwrap_or_else(|| String::from_utf8_lossy(body).trim().to_owned())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::{info_path, token_path};

    #[test]
    fn info_and_token_come_from_the_home() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path());
        assert!(DaemonClient::for_home(&home).is_none());
        std::fs::write(
            info_path(&home),
            format!(
                r#"{{"pid":{},"host":"127.0.0.1","port":8813,"version":"0.1.0","startedAt":5}}"#,
                std::process::id()
            ),
        )
        .unwrap();
        std::fs::write(token_path(&home), "secret\n").unwrap();
        let client = DaemonClient::for_home(&home).unwrap();
        assert_eq!(
            client.url("/api/status"),
            "http://127.0.0.1:8813/api/status"
        );
        if std::env::var_os("MCP_GATEWAY_AUTH_TOKEN").is_none() {
            assert_eq!(client.token(), Some("secret"));
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
        assert_eq!(
            api_error_message(br#"{"error":{"code":1}}"#),
            r#"{"code":1}"#
        );
        assert_eq!(api_error_message(b"plain\n"), "plain");
    }
}
