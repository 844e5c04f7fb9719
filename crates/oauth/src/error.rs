//! What can go wrong while signing in or using a sign-in, worded for the person who has to act.

use std::time::Duration;

/// An OAuth failure: what failed, where, and what to do.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("server {0} is not in any catalog; `dockside server ls` lists them")]
    UnknownServer(String),
    #[error("server {0} is not a remote server (no `remote.url` in its catalog entry); sign-in is only for remote MCP servers")]
    NotRemote(String),
    #[error("server {server}: `remote.url` {url:?} is not an http(s) URL: {reason}")]
    BadUrl {
        server: String,
        url: String,
        reason: String,
    },
    #[error("server {server}: `oauth` block in its catalog entry is malformed: {reason}")]
    BadConfig { server: String, reason: String },
    #[error("could not find how to sign in to {resource}: {detail}")]
    Discovery { resource: String, detail: String },
    #[error("the authorization server {issuer} does not offer PKCE with S256 (its metadata lists code_challenge_methods_supported = {methods}); Dockside refuses to sign in without it")]
    NoS256 { issuer: String, methods: String },
    #[error("the authorization server's metadata for {resource} has no `issuer`; Dockside needs it to check the sign-in response")]
    NoIssuer { resource: String },
    #[error("could not register Dockside as a client of {issuer}: {detail}; pass a client registered by hand with `dockside auth login NAME --client-id ID`")]
    Registration { issuer: String, detail: String },
    #[error("sign-in was refused at the authorization server: {error}{}", .description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Denied {
        error: String,
        description: Option<String>,
    },
    #[error("no answer from the browser within {} s: the sign-in page was not completed; run the command again (`--no-browser` prints the address to open by hand)", .0.as_secs())]
    Timeout(Duration),
    #[error("could not open a browser ({0}); open the address printed above by hand, or use `--no-browser`")]
    Browser(String),
    #[error("the loopback listener for the sign-in redirect failed: {0}")]
    Loopback(String),
    #[error("sign-in with {issuer} failed: {detail}")]
    Flow { issuer: String, detail: String },
    #[error("{0}")]
    NeedsSignIn(String),
    #[error("refreshing the sign-in for {server} failed: {detail}")]
    Refresh { server: String, detail: String },
    #[error("the secret store failed: {0}")]
    Store(#[from] dockside_core::secrets::SecretError),
    #[error("the stored sign-in record {name} is unreadable ({detail}); `dockside auth logout` removes it")]
    Corrupt { name: String, detail: String },
    #[error("HTTP request to {url} failed: {detail}")]
    Http { url: String, detail: String },
}

/// The message a caller shows when `server` needs a sign-in: it names both ways to do it.
pub fn sign_in_message(server: &str, why: &str) -> String {
    format!("{server} needs you to sign in ({why}): run `dockside auth login {server}`, or press Sign in next to {server} in the Dockside app")
}
