//! Layer 4, transport: how MCP clients reach the engine — [`stdio`] (one client on this
//! process's stdin/stdout) and [`http`] (Streamable HTTP, many clients, bearer token,
//! Host/Origin checks), with [`sign_in`] (the OAuth metadata and small authorization server
//! that let a standard MCP client get a token for the HTTP endpoint). Imports the engine and
//! below; the engine never imports a transport.

mod common;
pub mod http;
mod resume;
pub mod sign_in;
mod stateless;
pub mod stdio;
