//! What the gateway knows of a remote server before it speaks to it: where it is and how
//! ([`RemoteSpec`], [`Transport`], [`Timeouts`]), the sign-in seam ([`RemoteAuth`]), and why it
//! may be out of reach ([`Outage`]). The relay that speaks to it is [`crate::upstream::remote`].

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::Value;

use crate::protocol::jsonrpc;

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
