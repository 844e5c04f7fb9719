//! What both remote transports share: one HTTP client with the server's headers and its
//! [`RemoteAuth`], a timeout per request, how a failed exchange is classified ([`Failure`]),
//! reading an SSE body, and the relay's ends (messages to the gateway, log lines, its end).

use std::sync::{Arc, Mutex};

use futures::StreamExt;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use super::{AuthOutcome, Outage, RemoteAuth, RemoteSpec, Timeouts};
use crate::protocol::jsonrpc::{self, Kind};
use crate::protocol::revision;
use dockside_api::{SseEvent, SseParser};

/// Why the relay ends.
pub(super) enum End {
    Outage(Outage),
    /// Not an outage: the session is over (the supervisor starts a new one).
    Gone(String),
}

/// A failed HTTP exchange.
pub(super) enum Failure {
    /// Nothing more can go through: the relay ends.
    Outage(Outage),
    /// An error answer (or no answer in time) to this one request; `answer` is the JSON-RPC
    /// response the error answer's body held, if it held one.
    Http {
        status: Option<u16>,
        detail: String,
        answer: Option<Value>,
    },
}

/// The headers, checked: a name or value HTTP does not allow is an error naming the header
/// (never its value).
pub fn header_map(headers: &[(String, String)]) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        let name = HeaderName::from_bytes(k.trim().as_bytes())
            .map_err(|_| format!("`{k}` is not a valid HTTP header name"))?;
        let mut value = HeaderValue::from_str(v.trim())
            .map_err(|_| format!("the value of header `{k}` is not a valid HTTP header value"))?;
        value.set_sensitive(true);
        map.append(name, value);
    }
    Ok(map)
}

pub(super) struct Link {
    pub(super) server: String,
    http: reqwest::Client,
    headers: HeaderMap,
    auth: Option<Arc<dyn RemoteAuth>>,
    pub(super) timeouts: Timeouts,
    out: mpsc::UnboundedSender<String>,
    log: mpsc::UnboundedSender<String>,
    end: Mutex<Option<oneshot::Sender<End>>>,
    tasks: Mutex<JoinSet<()>>,
}

impl Link {
    pub(super) fn new(
        server: String,
        http: reqwest::Client,
        headers: HeaderMap,
        remote: &RemoteSpec,
        out: mpsc::UnboundedSender<String>,
        log: mpsc::UnboundedSender<String>,
        end: oneshot::Sender<End>,
    ) -> Link {
        Link {
            server,
            http,
            headers,
            auth: remote.auth.clone(),
            timeouts: remote.timeouts,
            out,
            log,
            end: Mutex::new(Some(end)),
            tasks: Mutex::new(JoinSet::new()),
        }
    }

    /// Runs `task` until it ends or the relay does.
    pub(super) fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        let mut tasks = self.tasks.lock().unwrap();
        while tasks.try_join_next().is_some() {}
        tasks.spawn(task);
    }

    pub(super) fn abort_tasks(&self) {
        self.tasks.lock().unwrap().abort_all();
    }

    /// A line for the server's log (`dockside logs`); never a header value.
    pub(super) fn log(&self, line: String) {
        let _ = self.log.send(line);
    }

    /// Ends the relay (the first end wins).
    pub(super) fn end(&self, why: End) {
        if let Some(tx) = self.end.lock().unwrap().take() {
            if let End::Outage(o) = &why {
                self.log(o.to_string());
            }
            let _ = tx.send(why);
        }
    }

    /// Messages (one, or a batch) to the gateway.
    pub(super) fn deliver(&self, msg: Value) {
        for m in jsonrpc::unbatch(msg) {
            let _ = self.out.send(m.to_string());
        }
    }

    /// What a failed exchange for `msg` means: an outage ends the relay (so does an error
    /// answer to `initialize`: there is no session); otherwise a request gets an error naming
    /// the server and the status.
    pub(super) fn failed(&self, msg: &Value, failure: Failure) {
        match failure {
            Failure::Outage(o) => self.end(End::Outage(o)),
            Failure::Http {
                answer: Some(answer),
                ..
            } if revision::declared_version(msg.get("params")).is_some() => self.deliver(answer),
            Failure::Http { detail, .. } => match jsonrpc::classify(msg) {
                Kind::Request {
                    method: "initialize",
                    ..
                } => self.end(End::Outage(Outage::Unreachable(detail))),
                Kind::Request { id, .. } => {
                    let e = jsonrpc::error(
                        jsonrpc::INTERNAL_ERROR,
                        format!("server '{}': {detail}", self.server),
                    );
                    let _ = self
                        .out
                        .send(jsonrpc::response(id.clone(), Err(e)).to_string());
                }
                _ => self.log(format!("a message was not delivered: {detail}")),
            },
        }
    }

    /// Sends the request `build` makes, with the server's headers and credentials; a 401 or
    /// 403 goes to the [`RemoteAuth`] once. Success statuses only.
    pub(super) async fn execute(
        &self,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, Failure> {
        let mut retried = false;
        loop {
            let mut req = build(&self.http).headers(self.headers.clone());
            if let Some(auth) = &self.auth {
                match auth.authorization().await {
                    Ok(Some(value)) => {
                        let mut value = HeaderValue::from_str(&value).map_err(|_| {
                            Failure::Outage(Outage::NeedsSignIn(
                                "the sign-in gave an Authorization value HTTP does not allow"
                                    .into(),
                            ))
                        })?;
                        value.set_sensitive(true);
                        req = req.header(AUTHORIZATION, value);
                    }
                    Ok(None) => {}
                    Err(e) => return Err(Failure::Outage(Outage::NeedsSignIn(e))),
                }
            }
            let resp = match tokio::time::timeout(self.timeouts.request, req.send()).await {
                Err(_) => {
                    return Err(Failure::Http {
                        status: None,
                        detail: format!(
                            "no answer within {}s",
                            self.timeouts.request.as_secs_f32()
                        ),
                        answer: None,
                    })
                }
                Ok(Err(e)) => return Err(Failure::Outage(Outage::Unreachable(describe(&e)))),
                Ok(Ok(resp)) => resp,
            };
            let status = resp.status();
            let url = resp.url().to_string();
            if status.as_u16() == 401 || status.as_u16() == 403 {
                let challenge = resp
                    .headers()
                    .get(WWW_AUTHENTICATE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let Some(auth) = &self.auth else {
                    return Err(Failure::Outage(Outage::NeedsSignIn(format!(
                        "{url} answered HTTP {status} and Dockside has no credentials it accepts; \
                         give them as a header (`--header 'Authorization=Bearer ${{secret:NAME}}'`)"
                    ))));
                };
                match auth.challenge(status.as_u16(), challenge).await {
                    AuthOutcome::Retry if !retried => {
                        retried = true;
                        continue;
                    }
                    AuthOutcome::Retry => {
                        return Err(Failure::Outage(Outage::NeedsSignIn(format!(
                            "{url} refused the new credentials too (HTTP {status})"
                        ))))
                    }
                    AuthOutcome::NeedsSignIn { message } => {
                        return Err(Failure::Outage(Outage::NeedsSignIn(message)))
                    }
                    AuthOutcome::Fail(detail) => {
                        return Err(Failure::Http {
                            status: Some(status.as_u16()),
                            detail,
                            answer: None,
                        })
                    }
                }
            }
            if !status.is_success() {
                let body = resp.text().await.unwrap_or_default();
                let answer = serde_json::from_str::<Value>(&body)
                    .ok()
                    .filter(|v| matches!(jsonrpc::classify(v), Kind::Response { .. }));
                let said = answer
                    .as_ref()
                    .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
                    .unwrap_or(body);
                let said: String = said.trim().chars().take(300).collect();
                let detail = if said.is_empty() {
                    format!("HTTP {status} from {url}")
                } else {
                    format!("HTTP {status} from {url}: {said}")
                };
                return Err(Failure::Http {
                    status: Some(status.as_u16()),
                    detail,
                    answer,
                });
            }
            return Ok(resp);
        }
    }
}

/// A reqwest error with its causes (`connection refused`, `dns error`…), without repeats.
fn describe(e: &reqwest::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// Whether a response body is an SSE stream.
pub(super) fn is_event_stream(resp: &reqwest::Response) -> bool {
    resp.headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.trim_start().starts_with("text/event-stream"))
}

/// Reads an SSE body to its end, handing over each event; `false` when the stream broke
/// rather than ended.
pub(super) async fn read_events(resp: reqwest::Response, mut each: impl FnMut(SseEvent)) -> bool {
    let mut parser = SseParser::default();
    let mut body = resp.bytes_stream();
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(bytes) => parser.push_events(&bytes).into_iter().for_each(&mut each),
            Err(_) => return false,
        }
    }
    true
}
