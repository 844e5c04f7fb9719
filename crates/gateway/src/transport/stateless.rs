//! Stateless (2026-07-28) requests over Streamable HTTP: each POST is one request with its own
//! short-lived session, checked as that revision asks (headers against the body, `_meta`,
//! version), answered as JSON with the status the revision gives an error (400, 404), or as an
//! SSE stream when something comes before the answer (progress, a `subscriptions/listen`
//! stream's notifications). The stream ends with the answer; closing it ends the request.

use std::convert::Infallible;
use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::sync::mpsc;

use super::common::{accepts_sse, known_scope};
use crate::engine::gateway::{Gateway, Session};
use crate::protocol::jsonrpc::{self, Kind};
use crate::protocol::peer::Outbound;
use crate::protocol::revision::{self, Headers};

/// Ends the request's session when its answer (or its stream) is done with.
struct Ends(Arc<Session>);

impl Drop for Ends {
    fn drop(&mut self) {
        self.0.close();
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn answer(msg: Value) -> Response {
    let status = msg
        .get("error")
        .map(revision::http_status)
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    (status, axum::Json(msg)).into_response()
}

/// Serves one stateless POST.
pub(super) async fn post(
    gw: &Gateway,
    scope: Option<String>,
    headers: &HeaderMap,
    msg: Value,
) -> Response {
    let (id, method) = match jsonrpc::classify(&msg) {
        Kind::Request { id, method } => (id.clone(), method.to_owned()),
        // Nothing to answer (cancellation is closing the request's stream).
        Kind::Notification { .. } | Kind::Response { .. } => {
            return StatusCode::ACCEPTED.into_response()
        }
        Kind::Invalid => {
            return answer(jsonrpc::response(
                Value::Null,
                Err(jsonrpc::error(
                    jsonrpc::INVALID_REQUEST,
                    "not a JSON-RPC 2.0 request",
                )),
            ))
        }
    };
    let h = Headers {
        version: header(headers, revision::VERSION_HEADER),
        method: header(headers, revision::METHOD_HEADER),
        name: header(headers, revision::NAME_HEADER),
    };
    if let Err(e) = revision::check_http(&h, &method, msg.get("params")) {
        return answer(jsonrpc::response(id, Err(e)));
    }
    if let Err(r) = known_scope(gw, &scope).await {
        return *r;
    }
    let (session, mut rx) = gw.open_session(scope);
    let ends = Ends(session.clone());
    session.handle(msg);
    let key = jsonrpc::id_key(&id);
    let is_answer = |m: &Value| matches!(jsonrpc::classify(m), Kind::Response { id } if jsonrpc::id_key(id) == key);
    let Some(first) = next(&mut rx).await else {
        return StatusCode::NO_CONTENT.into_response();
    };
    if is_answer(&first) {
        return answer(first);
    }
    if !accepts_sse(headers) {
        // JSON asked for: only the answer counts.
        while let Some(m) = next(&mut rx).await {
            if is_answer(&m) {
                return answer(m);
            }
        }
        return StatusCode::NO_CONTENT.into_response();
    }
    let stream = futures::stream::unfold(
        (Some(first), rx, ends, false),
        move |(pending, mut rx, ends, done)| {
            let key = key.clone();
            async move {
                if done {
                    return None;
                }
                let msg = match pending {
                    Some(m) => m,
                    None => next(&mut rx).await?,
                };
                let last = matches!(jsonrpc::classify(&msg), Kind::Response { id } if jsonrpc::id_key(id) == key);
                let event = Event::default().event("message").data(msg.to_string());
                Some((Ok::<_, Infallible>(event), (None, rx, ends, last)))
            }
        },
    );
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// The next message for the client; `None` when the request ended without one (cancelled).
async fn next(rx: &mut mpsc::UnboundedReceiver<Outbound>) -> Option<Value> {
    let out = rx.recv().await?;
    (!out.msg.is_null()).then_some(out.msg)
}
