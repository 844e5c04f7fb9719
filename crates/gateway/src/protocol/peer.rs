//! One side of a JSON-RPC conversation, independent of the byte transport.
//!
//! A [`Peer`] allocates ids for the requests *we* send, matches the responses the other side
//! returns, and hands every other incoming message back to its owner. Outgoing messages go to an
//! unbounded channel of [`Outbound`] that a transport task drains (a child's stdin, a client's
//! stdout, an HTTP session's streams). `related` tells a transport which client request a message
//! belongs to, so Streamable HTTP can put progress and server→client requests on that request's
//! stream.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use serde_json::Value;
use tokio::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, BufWriter,
};
use tokio::sync::{mpsc, oneshot};

use crate::protocol::jsonrpc;

/// A message on its way out, with the id of the client request it relates to, if any. A `null`
/// message with `related` set means that request ended without a reply (it was cancelled).
#[derive(Debug, Clone)]
pub struct Outbound {
    pub msg: Value,
    pub related: Option<Value>,
}

/// The answer to one of our requests: the `result` or the `error` object, as received.
pub type Reply = Result<Value, Value>;

#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error("the connection to {0} is closed")]
    Closed(String),
}

pub struct Peer {
    name: String,
    out: mpsc::UnboundedSender<Outbound>,
    pending: Mutex<HashMap<u64, oneshot::Sender<Reply>>>,
    next_id: AtomicU64,
    closed: AtomicBool,
}

/// A request in flight: its id on the wire and the receiver of its reply.
pub struct Pending {
    pub id: u64,
    rx: oneshot::Receiver<Reply>,
    name: String,
}

impl Pending {
    pub async fn reply(self) -> Result<Reply, PeerError> {
        self.rx.await.map_err(|_| PeerError::Closed(self.name))
    }
}

impl Peer {
    pub fn new(
        name: impl Into<String>,
    ) -> (std::sync::Arc<Peer>, mpsc::UnboundedReceiver<Outbound>) {
        let (out, rx) = mpsc::unbounded_channel();
        let peer = Peer {
            name: name.into(),
            out,
            pending: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            closed: AtomicBool::new(false),
        };
        (std::sync::Arc::new(peer), rx)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Sends a request and returns its id and a handle on the reply.
    pub fn start_request(
        &self,
        method: &str,
        params: Option<Value>,
        related: Option<Value>,
    ) -> Pending {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        if !self.is_closed() {
            self.pending.lock().unwrap().insert(id, tx);
            self.send(jsonrpc::request(id.into(), method, params), related);
        }
        Pending {
            id,
            rx,
            name: self.name.clone(),
        }
    }

    pub async fn request(&self, method: &str, params: Option<Value>) -> Result<Reply, PeerError> {
        self.start_request(method, params, None).reply().await
    }

    /// Forgets a request we no longer wait for (e.g. after cancelling it).
    pub fn forget(&self, id: u64) {
        self.pending.lock().unwrap().remove(&id);
    }

    pub fn notify(&self, method: &str, params: Option<Value>, related: Option<Value>) {
        self.send(jsonrpc::notification(method, params), related);
    }

    pub fn send(&self, msg: Value, related: Option<Value>) {
        let _ = self.out.send(Outbound { msg, related });
    }

    /// Takes one received message: completes the matching pending request when it is a
    /// response to one of ours, and otherwise gives it back.
    pub fn accept(&self, msg: Value) -> Option<Value> {
        if let jsonrpc::Kind::Response { id } = jsonrpc::classify(&msg) {
            let Some(id) = id.as_u64() else {
                tracing::debug!(peer = %self.name, "response with a foreign id ignored");
                return None;
            };
            let Some(tx) = self.pending.lock().unwrap().remove(&id) else {
                tracing::debug!(peer = %self.name, id, "response to an unknown or cancelled request ignored");
                return None;
            };
            let mut msg = msg;
            let obj = msg.as_object_mut().expect("a response is an object");
            let reply = match obj.remove("error") {
                Some(err) => Err(err),
                None => Ok(obj.remove("result").unwrap_or(Value::Null)),
            };
            let _ = tx.send(reply);
            return None;
        }
        Some(msg)
    }

    /// Marks the connection closed and fails every request still waiting for a reply.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.pending.lock().unwrap().clear();
    }
}

/// Writes outbound messages as newline-delimited JSON (the MCP stdio framing), flushing when the
/// queue is momentarily empty so bursts go out in one write.
pub async fn write_lines<W: AsyncWrite + Unpin>(
    writer: W,
    mut rx: mpsc::UnboundedReceiver<Outbound>,
) {
    let mut w = BufWriter::new(writer);
    while let Some(out) = rx.recv().await {
        if out.msg.is_null() {
            // "Request over without a reply": nothing to write on a byte stream.
            continue;
        }
        let mut line = match serde_json::to_vec(&out.msg) {
            Ok(b) => b,
            Err(_) => continue,
        };
        line.push(b'\n');
        if w.write_all(&line).await.is_err() {
            return;
        }
        if rx.is_empty() && w.flush().await.is_err() {
            return;
        }
    }
    let _ = w.flush().await;
    let _ = w.shutdown().await;
}

/// The longest line a peer may send: a message carrying a large base64 image fits, a runaway
/// server does not take the gateway's memory with it.
pub const MAX_LINE: usize = 32 << 20;

/// What [`read_lines`] does with a line that is not JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonJson {
    /// Log it and go on (clients).
    Skip,
    /// Stop reading and say why (servers: stdout is for the protocol only).
    Fail,
}

/// Reads newline-delimited JSON and passes every message to `on_msg` (batches are split).
/// Returns `Ok` at end of input, and `Err(why)` at a line longer than `max_line` bytes or, with
/// [`NonJson::Fail`], at a line that is not JSON. Memory stays bounded by `max_line`.
pub async fn read_lines<R: AsyncRead + Unpin>(
    reader: R,
    who: &str,
    non_json: NonJson,
    max_line: usize,
    mut on_msg: impl FnMut(Value),
) -> Result<(), String> {
    let mut reader = BufReader::new(reader);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let limit = max_line as u64 + 1;
        match (&mut reader).take(limit).read_until(b'\n', &mut buf).await {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) => {
                tracing::debug!(from = %who, "read error: {e}");
                return Ok(());
            }
        }
        if buf.len() > max_line && buf.last() != Some(&b'\n') {
            return Err(format!(
                "wrote a line longer than {} MiB to stdout (the limit for one JSON-RPC message)",
                max_line >> 20
            ));
        }
        let line = buf.trim_ascii();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_slice::<Value>(line) {
            Ok(v) => jsonrpc::unbatch(v).into_iter().for_each(&mut on_msg),
            Err(e) if non_json == NonJson::Fail => {
                return Err(format!(
                    "wrote {} bytes that are not JSON-RPC to stdout ({e}); stdout is for the MCP protocol only, logs go to stderr",
                    line.len()
                ))
            }
            Err(e) => tracing::warn!(from = %who, "ignoring a line that is not JSON: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn matches_replies_and_passes_other_messages() {
        let (peer, mut rx) = Peer::new("t");
        let pending = peer.start_request("tools/list", None, None);
        let sent = rx.recv().await.unwrap().msg;
        assert_eq!(sent["method"], "tools/list");
        let id = sent["id"].clone();
        assert!(peer
            .accept(json!({"jsonrpc":"2.0","method":"notifications/progress"}))
            .is_some());
        assert!(peer
            .accept(json!({"jsonrpc":"2.0","id":id,"error":{"code":-1,"message":"m","data":[1]}}))
            .is_none());
        let reply = pending.reply().await.unwrap();
        assert_eq!(reply, Err(json!({"code":-1,"message":"m","data":[1]})));
        let p2 = peer.start_request("x", None, None);
        peer.close();
        assert!(p2.reply().await.is_err());
    }
}
