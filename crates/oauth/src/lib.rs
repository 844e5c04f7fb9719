//! Signing in to remote MCP servers: OAuth 2.1 as an MCP client.
//!
//! A remote server that answers 401 is protected: Dockside finds its authorization server
//! (`discovery`: RFC 9728 protected resource metadata, then RFC 8414 /
//! OpenID Connect metadata), identifies itself there (`registration`: a client registered by
//! hand, else a Client ID Metadata Document, else Dynamic Client Registration), and runs the
//! authorization code flow with PKCE S256 in the user's browser ([`flow`], with the one-shot
//! `loopback` redirect listener and the [`browser`] opener). Tokens live in the secret store
//! (`store`), per server; [`Session`] is what the gateway uses for each request: the bearer
//! header, refreshed before it expires, and what to do on a 401 or 403 ([`Challenge`]).
//! [`tokens`] lists and signs out.
//!
//! ## Why rmcp's `auth` module
//!
//! The protocol is rmcp's (the MCP Rust SDK, `transport::auth`, built on the `oauth2` crate):
//! it follows the MCP authorization specification closely — the three well-known forms of
//! authorization server metadata with the `issuer` check, the registration order with
//! `application_type: native`, the `resource` indicator on the authorization, token *and*
//! refresh requests, scope selection (challenge, then protected resource metadata) with
//! `offline_access` only when offered, the RFC 9207 `iss` check including
//! `authorization_response_iss_parameter_supported` — and is tested against those rules. The
//! bare `oauth2` crate would leave all of that to be written here. What rmcp leaves to its
//! caller, Dockside owns: where tokens and clients are kept (the secret store, clients per
//! issuer), the loopback listener and browser, refusing metadata that is guessed or lacks
//! S256, the refresh margin and 401/403 policy with step-up limits, revocation on sign-out,
//! and errors that say which URL answered what. Its HTTP goes through the workspace's reqwest
//! with rustls (`http`), since the reqwest rmcp brings has no TLS here.

mod discovery;
mod http;
mod loopback;
mod registration;
mod store;

pub mod browser;
pub mod config;
pub mod error;
pub mod flow;
pub mod session;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tokens;

pub use config::{OAuthConfig, Target};
pub use error::AuthError;
pub use flow::{LoginOptions, PendingLogin};
pub use registration::GivenClient;
pub use session::{Challenge, Session};
pub use store::ClientRecord;
pub use tokens::{Revocation, SignedOut, Status};
