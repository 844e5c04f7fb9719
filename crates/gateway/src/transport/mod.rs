//! Layer 4, transport: how MCP clients reach the engine — [`stdio`] (one client on this
//! process's stdin/stdout) and [`http`] (Streamable HTTP, many clients, bearer token,
//! Host/Origin checks). Imports the engine and below; the engine never imports a transport.

pub mod http;
pub mod stdio;
