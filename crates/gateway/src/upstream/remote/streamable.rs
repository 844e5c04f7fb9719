//! Streamable HTTP (MCP 2025-03-26 and later): every message is POSTed with
//! `Accept: application/json, text/event-stream`; the answer is JSON, an SSE stream that ends
//! with the reply (progress and server→client requests come first on it), or 202 for
//! notifications and responses. The `Mcp-Session-Id` the server gives with its `initialize`
//! answer, and the negotiated `MCP-Protocol-Version`, go with every later request. After
//! `notifications/initialized` a GET stream carries server-initiated messages, when the server
//! offers one (405: it does not). A stream that breaks before it is done is resumed with
//! `Last-Event-ID` when the server gave event ids. A session the server forgot (404) ends the
//! relay: the supervisor starts a new one. Stopping sends DELETE. A stateless (2026-07-28)
//! request goes outside the session, with `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name`
//! as that revision asks, and its error answers (400, 404 with a JSON-RPC body) are relayed as
//! they are.

use std::sync::atomic::{AtomicBool, Ordering};

use futures::StreamExt;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{json, Value};

use super::link::{is_event_stream, read_events, End, Failure, Link};
use crate::protocol::jsonrpc::{self, Kind};
use crate::protocol::revision::{self, VERSION_HEADER};
use crate::protocol::{SESSION_HEADER, STREAM_CLOSED};

const LAST_EVENT_ID: &str = "last-event-id";

pub(super) struct Streamable {
    link: Arc<Link>,
    url: String,
    session: RwLock<Option<String>>,
    version: RwLock<Option<String>>,
    listening: AtomicBool,
}

impl Streamable {
    pub(super) fn new(link: Arc<Link>, url: &str) -> Arc<Streamable> {
        Arc::new(Streamable {
            link,
            url: url.to_owned(),
            session: RwLock::new(None),
            version: RwLock::new(None),
            listening: AtomicBool::new(false),
        })
    }

    fn session(&self) -> Option<String> {
        self.session.read().unwrap().clone()
    }

    /// The session and protocol version headers, once known.
    fn in_session(&self, mut r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        if let Some(s) = self.session() {
            r = r.header(SESSION_HEADER, s);
        }
        if let Some(v) = self.version.read().unwrap().clone() {
            r = r.header(VERSION_HEADER, v);
        }
        r
    }

    fn get(
        &self,
        last_event_id: Option<&str>,
    ) -> impl Fn(&reqwest::Client) -> reqwest::RequestBuilder + '_ {
        let last = last_event_id.map(str::to_owned);
        move |c| {
            let mut r = self.in_session(c.get(&self.url).header(ACCEPT, "text/event-stream"));
            if let Some(id) = &last {
                r = r.header(LAST_EVENT_ID, id);
            }
            r
        }
    }

    /// A message from the server: the protocol version is read off the `initialize` answer.
    fn take(&self, data: &str) -> Vec<Value> {
        if data.trim().is_empty() {
            // An event that only sets an id (a resumable stream's priming event).
            return vec![];
        }
        let Ok(msg) = serde_json::from_str::<Value>(data) else {
            self.link
                .log(format!("{}: ignored an event that is not JSON", self.url));
            return vec![];
        };
        let msgs = jsonrpc::unbatch(msg);
        for m in &msgs {
            if let Some(v) = m["result"]["protocolVersion"].as_str() {
                let mut version = self.version.write().unwrap();
                if version.is_none() {
                    *version = Some(v.to_owned());
                }
            }
            self.link.deliver(m.clone());
        }
        msgs
    }

    /// POSTs one message and relays its answer. Returns the status when `fallback` is set and
    /// the endpoint refused the POST as a Streamable HTTP endpoint would not (400, 404, 405).
    pub(super) async fn send(self: &Arc<Self>, msg: &Value, fallback: bool) -> Option<u16> {
        let (id, method) = match jsonrpc::classify(msg) {
            Kind::Request { id, method } => (Some(id.clone()), Some(method)),
            Kind::Notification { method } => (None, Some(method)),
            _ => (None, None),
        };
        let body = msg.to_string();
        // A stateless (2026-07-28) request goes outside the session, with its own headers.
        let stateless = revision::http_headers(msg);
        let post = |c: &reqwest::Client| {
            let r = c
                .post(&self.url)
                .header(ACCEPT, "application/json, text/event-stream")
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
            match &stateless {
                None => self.in_session(r),
                Some(headers) => headers.iter().fold(r, |r, (k, v)| r.header(*k, v)),
            }
        };
        let resp = match self.link.execute(post).await {
            Ok(resp) => resp,
            Err(f) if stateless.is_some() => {
                self.link.failed(msg, f);
                return None;
            }
            Err(Failure::Http {
                status: Some(s @ (400 | 404 | 405)),
                ..
            }) if fallback => return Some(s),
            Err(Failure::Http {
                status: Some(404), ..
            }) if self.session().is_some() => {
                self.link.end(End::Gone(format!(
                    "{} ended the session (HTTP 404): starting a new one",
                    self.url
                )));
                return None;
            }
            Err(f) => {
                self.link.failed(msg, f);
                return None;
            }
        };
        if method == Some("initialize") {
            if let Some(s) = resp
                .headers()
                .get(SESSION_HEADER)
                .and_then(|v| v.to_str().ok())
            {
                *self.session.write().unwrap() = Some(s.to_owned());
            }
        }
        if method == Some("notifications/initialized") {
            self.listen();
        }
        // Only a request waits for an answer.
        let id = id?;
        if is_event_stream(&resp) {
            self.follow(resp, msg, &id).await;
        } else if let Err(e) = self.read_json(resp).await {
            self.link.failed(
                msg,
                Failure::Http {
                    status: None,
                    detail: format!("{}: the answer broke off: {e}", self.url),
                    answer: None,
                },
            );
        }
        None
    }

    /// Relays a JSON answer. One that streams JSON lines (a stateless server's
    /// `subscriptions/listen`) is relayed line by line as they come.
    async fn read_json(&self, resp: reqwest::Response) -> Result<(), reqwest::Error> {
        let mut body = resp.bytes_stream();
        let mut buf: Vec<u8> = Vec::new();
        let mut lines = true;
        while let Some(chunk) = body.next().await {
            buf.extend_from_slice(&chunk?);
            while let Some(end) = buf.iter().position(|b| *b == b'\n').filter(|_| lines) {
                match serde_json::from_slice::<Value>(&buf[..end]) {
                    Ok(_) => {
                        let line: Vec<u8> = buf.drain(..=end).collect();
                        self.take(&String::from_utf8_lossy(&line));
                    }
                    // JSON over several lines: read to the end.
                    Err(_) => lines = false,
                }
            }
        }
        self.take(&String::from_utf8_lossy(&buf));
        Ok(())
    }

    /// Relays a POST's SSE stream until the reply to `id`; resumes it with `Last-Event-ID`
    /// when it breaks off before.
    async fn follow(&self, mut resp: reqwest::Response, msg: &Value, id: &Value) {
        let mut last_id: Option<String> = None;
        loop {
            let mut answered = false;
            read_events(resp, |ev| {
                if ev.id.is_some() {
                    last_id = ev.id.clone();
                }
                for m in self.take(&ev.data) {
                    answered |= m.get("method").is_none() && m.get("id") == Some(id);
                }
            })
            .await;
            if answered {
                return;
            }
            let Some(from) = last_id.clone() else {
                self.link.failed(
                    msg,
                    Failure::Http {
                        status: None,
                        detail: format!("{} closed the stream before answering", self.url),
                        answer: None,
                    },
                );
                return;
            };
            self.link.log(format!(
                "{}: a call's stream broke off; resuming after event {from}",
                self.url
            ));
            let closed = json!({"requestId": id});
            self.link
                .deliver(jsonrpc::notification(STREAM_CLOSED, Some(closed)));
            resp = match self.link.execute(self.get(Some(&from))).await {
                Ok(r) => r,
                Err(f) => return self.link.failed(msg, f),
            };
        }
    }

    /// Opens the GET stream for server-initiated messages (once).
    fn listen(self: &Arc<Self>) {
        if self.listening.swap(true, Ordering::SeqCst) {
            return;
        }
        let me = self.clone();
        self.link.spawn(async move { me.listen_loop().await });
    }

    async fn listen_loop(&self) {
        let mut last_id: Option<String> = None;
        let mut pause = Duration::from_millis(100);
        let mut first = true;
        loop {
            let opened = Instant::now();
            let resp = self.link.execute(self.get(last_id.as_deref())).await;
            if std::mem::take(&mut first) {
                self.missed_before_listening();
            }
            match resp {
                Ok(resp) => {
                    let ended = read_events(resp, |ev| {
                        if ev.id.is_some() {
                            last_id = ev.id.clone();
                        }
                        self.take(&ev.data);
                    })
                    .await;
                    let how = if ended { "closed" } else { "broke off" };
                    match &last_id {
                        Some(id) => self.link.log(format!(
                            "{}: the GET stream {how}; resuming after event {id}",
                            self.url
                        )),
                        None => self.link.log(format!(
                            "{}: the GET stream {how}; opening it again",
                            self.url
                        )),
                    }
                }
                Err(Failure::Http {
                    status: Some(405), ..
                }) => return,
                Err(Failure::Http {
                    status: Some(404), ..
                }) if self.session().is_some() => {
                    return self.link.end(End::Gone(format!(
                        "{} ended the session (HTTP 404): starting a new one",
                        self.url
                    )))
                }
                Err(Failure::Http { detail, .. }) => {
                    return self
                        .link
                        .log(format!("no stream for server-initiated messages: {detail}"))
                }
                Err(Failure::Outage(o)) => return self.link.end(End::Outage(o)),
            }
            // A stream that stayed up a while starts the pacing over; one that closes at once
            // is opened again less and less often.
            if opened.elapsed() > Duration::from_secs(5) {
                pause = Duration::from_millis(100);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(5));
        }
    }

    /// What a server sends on its own between `initialized` and the GET stream opening is
    /// lost (servers often change their lists as the session starts: server-everything adds its
    /// sampling tool once it knows the client samples). The lists are read again.
    fn missed_before_listening(&self) {
        for list in ["tools", "prompts", "resources"] {
            let method = format!("notifications/{list}/list_changed");
            self.link.deliver(jsonrpc::notification(&method, None));
        }
    }

    /// Ends the session on the server (DELETE), best effort.
    pub(super) async fn close(&self) {
        if self.session().is_none() {
            return;
        }
        let delete = |c: &reqwest::Client| self.in_session(c.delete(&self.url));
        let _ = tokio::time::timeout(Duration::from_secs(2), self.link.execute(delete)).await;
    }
}
