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
//! - here: the relay process. What a remote server is ([`RemoteSpec`]), the sign-in seam
//!   ([`RemoteAuth`]) and its [`Outage`]s are in [`crate::upstream::endpoint`].
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
use crate::protocol::jsonrpc::{self, Kind};
pub use link::header_map;
use link::{End, Link};

pub use super::endpoint::{
    check_url, AuthOutcome, Outage, RemoteAuth, RemoteSpec, Timeouts, Transport,
};

/// Starts the relay for the remote server `server`. Nothing is sent before the gateway's
/// `initialize`: an endpoint that cannot be reached ends the relay with an [`Outage`], which
/// the upstream's start reports.
pub fn launch(server: &str, remote: &RemoteSpec) -> std::io::Result<Launched> {
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
        server.to_owned(),
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

/// The relay: the gateway's lines in, each request and response sent on the transport in its
/// own task (a long call must not hold up the answer to a sampling request it caused).
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
        let (queue, mut queued) = mpsc::unbounded_channel::<Value>();
        let me = self.clone();
        self.link.spawn(async move {
            while let Some(msg) = queued.recv().await {
                me.clone().dispatch(msg).await;
            }
        });
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
                    let _ = queue.send(msg);
                }
            }
        }
    }

    /// Sends the gateway's messages in order as far as order matters: a notification is
    /// delivered before anything that follows it (`initialized` before the first `tools/list`,
    /// or a server that changes its lists on `initialized` answers with the old ones), while
    /// requests and responses go in their own tasks.
    async fn dispatch(self: Arc<Self>, msg: Value) {
        if matches!(jsonrpc::classify(&msg), Kind::Notification { .. }) {
            self.send(msg).await;
        } else {
            let me = self.clone();
            self.link.spawn(async move { me.send(msg).await });
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
