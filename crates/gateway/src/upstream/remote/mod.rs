//! Remote servers behind the launcher seam: the gateway talks MCP over a byte stream to a
//! [`Process`]; for a remote server that process is a relay that carries each JSON line to an
//! MCP endpoint over HTTP and writes what the endpoint sends back as JSON lines. The session,
//! the router and the supervisor above never know the server is remote.
//!
//! - [`streamable`]: Streamable HTTP (every message POSTed; JSON or SSE answers; the session
//!   id and protocol version headers; the GET stream for server-initiated messages; DELETE on
//!   stop);
//! - [`legacy_sse`]: 2024-11-05 HTTP+SSE (one GET stream whose `endpoint` event gives the URL to
//!   POST to);
//! - [`link`]: what both share: the HTTP client, headers, the [`RemoteAuth`] seam, timeouts,
//!   and how failures are classified;
//! - here: [`RemoteSpec`], [`Outage`] and the relay process.
//!
//! A failure that no retry of the same request can fix ends the relay with an [`Outage`]: the
//! endpoint cannot be reached ([`Outage::Unreachable`], the supervisor reconnects with its
//! backoff) or refused the credentials ([`Outage::NeedsSignIn`], not retried until asked).
//! An HTTP error answer to one message fails only that message, with an error naming the
//! server and the status. Header values are secrets: they are never logged.

mod legacy_sse;
mod link;
mod streamable;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot, watch};

use super::launch::{Launched, Process};
use super::spec::UpstreamSpec;
use crate::protocol::jsonrpc::{self, Kind};
pub use link::header_map;
use link::{End, Link};

/// Asks for the credentials a remote server wants; implemented by the sign-in (OAuth) code.
pub trait RemoteAuth: Send + Sync {
    /// The `Authorization` header value to send, if any (may refresh a token first).
    fn authorization(&self) -> BoxFuture<'_, Result<Option<String>, String>>;
    /// Called on a 401 or 403 with the `WWW-Authenticate` header; `Retry` sends the request
    /// again once.
    fn challenge(
        &self,
        status: u16,
        www_authenticate: Option<String>,
    ) -> BoxFuture<'_, AuthOutcome>;
}

/// What to do after the server refused a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthOutcome {
    /// Send the request again (once): new credentials are ready.
    Retry,
    /// A person has to sign in; `message` says how.
    NeedsSignIn {
        message: String,
    },
    Fail(String),
}

/// Which HTTP transport a remote server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transport {
    /// Streamable HTTP, falling back to legacy SSE when the endpoint refuses the `initialize`
    /// POST with 400, 404 or 405 (the MCP specification's backwards compatibility rule).
    #[default]
    Auto,
    StreamableHttp,
    Sse,
}

impl Transport {
    /// A catalog's `remote.transport_type` (`streamable-http`, `http`, `sse`; none: auto).
    pub fn parse(s: Option<&str>) -> Result<Transport, String> {
        match s.map(str::trim) {
            None | Some("") => Ok(Transport::Auto),
            Some("streamable-http" | "streamable_http" | "streamableHttp" | "http") => {
                Ok(Transport::StreamableHttp)
            }
            Some("sse") => Ok(Transport::Sse),
            Some(other) => Err(format!(
                "unknown transport_type `{other}`; use `streamable-http` or `sse`"
            )),
        }
    }
}

/// How long to wait for the remote server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Connecting (TCP and TLS).
    pub connect: Duration,
    /// From sending one HTTP request to its response's headers.
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(300),
        }
    }
}

/// Checks a remote server's URL: absolute, `http` or `https`, with a host.
pub fn check_url(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url.trim())
        .map_err(|e| format!("`{url}` is not a URL ({e}); give the server's MCP endpoint, e.g. https://example.com/mcp"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "`{url}` is not an http:// or https:// URL; a remote MCP server is reached over HTTP"
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("`{url}` names no host"));
    }
    Ok(())
}

/// A remote server: where it is, how to speak to it, and with which credentials.
#[derive(Clone, Default)]
pub struct RemoteSpec {
    pub url: String,
    pub transport: Transport,
    /// Headers with their secrets filled in (never logged; also in the spec's
    /// `secret_values`).
    pub headers: Vec<(String, String)>,
    pub auth: Option<Arc<dyn RemoteAuth>>,
    pub timeouts: Timeouts,
}

impl PartialEq for RemoteSpec {
    fn eq(&self, other: &Self) -> bool {
        let same_auth = match (&self.auth, &other.auth) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        same_auth
            && (&self.url, self.transport, &self.headers, self.timeouts)
                == (&other.url, other.transport, &other.headers, other.timeouts)
    }
}

impl std::fmt::Debug for RemoteSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("RemoteSpec")
            .field("url", &self.url)
            .field("transport", &self.transport)
            .field("headers", &header_names)
            .field("auth", &self.auth.is_some())
            .finish()
    }
}

/// Why a remote server is out of reach (the run states `unreachable` and `needs-sign-in`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outage {
    /// A connection error, a timeout, or an HTTP error answer to `initialize`.
    Unreachable(String),
    /// It refused the credentials, or wants some and has none.
    NeedsSignIn(String),
}

impl Outage {
    pub fn detail(&self) -> &str {
        match self {
            Outage::Unreachable(d) | Outage::NeedsSignIn(d) => d,
        }
    }

    /// The JSON-RPC error a call gets while `server` is out of reach.
    pub fn call_error(&self, server: &str) -> Value {
        let mut e = jsonrpc::error(jsonrpc::INTERNAL_ERROR, format!("server '{server}' {self}"));
        e["data"] = serde_json::json!({"server": server, "state": self.state()});
        e
    }

    /// The run state's name in the control API.
    pub fn state(&self) -> &'static str {
        match self {
            Outage::Unreachable(_) => "unreachable",
            Outage::NeedsSignIn(_) => "needs-sign-in",
        }
    }
}

impl std::fmt::Display for Outage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outage::Unreachable(d) => write!(f, "is unreachable: {d}"),
            Outage::NeedsSignIn(d) => write!(f, "needs sign-in: {d}"),
        }
    }
}

/// Starts the relay for `spec`'s remote server. Nothing is sent before the gateway's
/// `initialize`: an endpoint that cannot be reached ends the relay with an [`Outage`], which
/// the upstream's start reports.
pub fn launch(spec: &UpstreamSpec, remote: &RemoteSpec) -> std::io::Result<Launched> {
    let headers = header_map(&remote.headers).map_err(std::io::Error::other)?;
    let http = reqwest::Client::builder()
        .connect_timeout(remote.timeouts.connect)
        .build()
        .map_err(std::io::Error::other)?;
    let (gw_in, relay_in) = tokio::io::duplex(1 << 16);
    let (mut relay_out, gw_out) = tokio::io::duplex(1 << 16);
    let (mut relay_err, gw_err) = tokio::io::duplex(1 << 14);
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<String>();
    let (log_tx, mut log_rx) = mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        while let Some(line) = out_rx.recv().await {
            if relay_out
                .write_all(format!("{line}\n").as_bytes())
                .await
                .is_err()
            {
                return;
            }
        }
    });
    tokio::spawn(async move {
        while let Some(line) = log_rx.recv().await {
            if relay_err
                .write_all(format!("{line}\n").as_bytes())
                .await
                .is_err()
            {
                return;
            }
        }
    });
    let (end_tx, end_rx) = oneshot::channel();
    let link = Arc::new(Link::new(
        spec.name.clone(),
        http,
        headers,
        remote,
        out_tx,
        log_tx,
        end_tx,
    ));
    let relay = Arc::new(Relay {
        link: link.clone(),
        url: remote.url.clone(),
        transport: remote.transport,
        streamable: OnceLock::new(),
        legacy: OnceLock::new(),
    });
    let (stop_tx, stop_rx) = oneshot::channel();
    let (exit_tx, exit_rx) = watch::channel(None);
    tokio::spawn(async move {
        let lines = BufReader::new(relay_in).lines();
        let exit = relay.run(lines, stop_rx, end_rx).await;
        link.abort_tasks();
        let _ = exit_tx.send(Some(exit));
    });
    Ok(Launched {
        stdin: Box::pin(gw_in),
        stdout: Box::pin(gw_out),
        stderr: Some(Box::pin(gw_err)),
        process: Box::new(RemoteProcess {
            stop: Some(stop_tx),
            exited: exit_rx,
        }),
    })
}

/// How the relay ended: a description, and the outage when it was one.
type Exit = (String, Option<Outage>);

struct RemoteProcess {
    stop: Option<oneshot::Sender<()>>,
    exited: watch::Receiver<Option<Exit>>,
}

impl Process for RemoteProcess {
    fn pid(&self) -> Option<u32> {
        None
    }

    fn wait(&mut self) -> BoxFuture<'_, String> {
        Box::pin(async move {
            match self.exited.wait_for(Option::is_some).await {
                Ok(exit) => exit.as_ref().map(|e| e.0.clone()).unwrap_or_default(),
                Err(_) => "disconnected".into(),
            }
        })
    }

    fn stop(&mut self, _grace: Duration) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Some(stop) = self.stop.take() {
                let _ = stop.send(());
            }
            let _ = self.exited.wait_for(Option::is_some).await;
        })
    }

    fn outage(&self) -> Option<Outage> {
        self.exited.borrow().as_ref().and_then(|e| e.1.clone())
    }
}

/// The relay: the gateway's lines in, each sent on the transport in its own task (a long call
/// must not hold up the answer to a sampling request it caused).
struct Relay {
    link: Arc<Link>,
    url: String,
    transport: Transport,
    streamable: OnceLock<Arc<streamable::Streamable>>,
    legacy: OnceLock<Arc<legacy_sse::LegacySse>>,
}

impl Relay {
    async fn run(
        self: Arc<Self>,
        mut lines: tokio::io::Lines<BufReader<tokio::io::DuplexStream>>,
        mut stop: oneshot::Receiver<()>,
        mut end: oneshot::Receiver<End>,
    ) -> Exit {
        if self.transport == Transport::Sse {
            self.legacy();
        }
        loop {
            tokio::select! {
                _ = &mut stop => {
                    self.close().await;
                    return ("stopped".into(), None);
                }
                why = &mut end => {
                    self.close().await;
                    return match why {
                        Ok(End::Outage(o)) => (o.to_string(), Some(o)),
                        Ok(End::Gone(how)) => (how, None),
                        Err(_) => ("disconnected".into(), None),
                    };
                }
                line = lines.next_line() => {
                    let Ok(Some(line)) = line else {
                        self.close().await;
                        return ("stopped: the gateway closed its input".into(), None);
                    };
                    let Ok(msg) = serde_json::from_str::<Value>(&line) else { continue };
                    let me = self.clone();
                    self.link.spawn(async move { me.send(msg).await });
                }
            }
        }
    }

    fn legacy(&self) -> &Arc<legacy_sse::LegacySse> {
        self.legacy
            .get_or_init(|| legacy_sse::LegacySse::open(self.link.clone(), &self.url))
    }

    async fn send(&self, msg: Value) {
        if let Some(sse) = self.legacy.get() {
            return sse.send(msg).await;
        }
        let http = self
            .streamable
            .get_or_init(|| streamable::Streamable::new(self.link.clone(), &self.url));
        let is_init = matches!(
            jsonrpc::classify(&msg),
            Kind::Request {
                method: "initialize",
                ..
            }
        );
        let fallback = self.transport == Transport::Auto && is_init;
        if let Some(status) = http.send(&msg, fallback).await {
            self.link.log(format!(
                "{} refused Streamable HTTP (HTTP {status}): trying the legacy SSE transport",
                self.url
            ));
            self.legacy().send(msg).await;
        }
    }

    async fn close(&self) {
        if let Some(http) = self.streamable.get() {
            http.close().await;
        }
    }
}

#[cfg(test)]
mod tests;
