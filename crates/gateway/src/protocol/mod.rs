//! Layer 1, protocol: MCP's JSON-RPC framing and the facts of the protocol, with no transport,
//! no process and no routing. Everything above builds on it; it imports nothing of the crate.
//!
//! - [`jsonrpc`]: classifying and building JSON-RPC messages;
//! - [`peer`]: one side of a conversation (id allocation, reply matching), transport-free;
//! - [`handshake`]: the one `initialize` replay (a restarted daemon, a new container);
//! - [`revision`]: the session era (2024-11-05 … 2025-11-25) and the stateless one
//!   (2026-07-28): what tells them apart, their headers, errors, result stamps and cache hints;
//! - the protocol versions the gateway speaks and the Streamable HTTP session header.

pub mod handshake;
pub mod jsonrpc;
pub mod peer;
pub mod revision;

/// MCP protocol versions the gateway speaks with clients (initialize-based), oldest first.
pub const PROTOCOL_VERSIONS: &[&str] = &["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];

/// What a remote server's relay tells the gateway when the server closed a call's stream
/// before answering (it will resume it): the gateway closes its own client's stream too, and a
/// client that can resume comes back with `Last-Event-ID`. Never sent to a client or server.
pub const STREAM_CLOSED: &str = "notifications/dockside/stream_closed";

/// The first revision whose clients resume SSE streams (priming events, `Last-Event-ID`).
pub const RESUMABLE_SINCE: &str = "2025-11-25";

/// Streamable HTTP's session header.
pub const SESSION_HEADER: &str = "mcp-session-id";
