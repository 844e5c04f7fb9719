//! What both Streamable HTTP front ends ([`super::http`] for sessions, [`super::stateless`] for
//! stateless requests) share: error answers, content negotiation, the scoped endpoint's check.

use std::time::Duration;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::engine::gateway::Gateway;
use crate::protocol::jsonrpc;

pub(super) fn error_response(
    status: StatusCode,
    code: i64,
    message: impl Into<String>,
) -> Response {
    let body = jsonrpc::response(Value::Null, Err(jsonrpc::error(code, message)));
    (status, axum::Json(body)).into_response()
}

pub(super) fn accepts_sse(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT).iter().any(|v| {
        v.to_str()
            .is_ok_and(|s| s.contains("text/event-stream") || s.contains("*/*"))
    })
}

/// A scoped endpoint names a server the gateway runs (or is starting); else 404.
pub(super) async fn known_scope(gw: &Gateway, scope: &Option<String>) -> Result<(), Box<Response>> {
    let Some(server) = scope else { return Ok(()) };
    let known = |gw: &Gateway| {
        gw.wanted().iter().any(|s| &s.name == server) || gw.upstream(server).is_some()
    };
    // A daemon that just started may still be reading its catalogs.
    for _ in 0..40 {
        if known(gw) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(Box::new(error_response(
        StatusCode::NOT_FOUND,
        jsonrpc::INVALID_REQUEST,
        format!("no server '{server}' runs in this gateway"),
    )))
}
