//! One sign-in: authorization code with PKCE S256 (RFC 7636), `state` and `iss` (RFC 9207)
//! checked, the `resource` indicator (RFC 8707) on the authorization and token requests, and
//! the loopback redirect (RFC 8252).
//!
//! [`start`] discovers, identifies Dockside and returns the address to open while the loopback
//! listener waits; [`PendingLogin::finish`] waits for the redirect and exchanges the code. The
//! CLI opens or prints the address itself; the daemon can hand it to the tray app and finish in
//! the background. [`login_in_browser`] does all of it with the user's browser.
//!
//! ```no_run
//! # async fn daemon(home: dockside_core::Home, target: dockside_oauth::Target) -> Result<(), dockside_oauth::AuthError> {
//! // The daemon answers the app's "Sign in" with the address and keeps the task's handle.
//! let pending = dockside_oauth::flow::start(&home, &target, Default::default()).await?;
//! let url = pending.url().to_owned(); // → the app opens it
//! let signed_in = tokio::spawn(pending.finish(std::time::Duration::from_secs(300)));
//! # let _ = (url, signed_in); Ok(()) }
//! ```
//!
//! Scopes: the ones asked for (`--scope`, the catalog's `oauth.scopes`), else the 401's
//! `scope`, else the protected resource metadata's `scopes_supported`, else none; rmcp adds
//! `offline_access` only when the authorization server lists it.

use std::sync::Arc;
use std::time::Duration;

use dockside_core::Home;
use rmcp::transport::auth::{AuthorizationRequest, AuthorizationSession};

use crate::config::Target;
use crate::discovery::discover;
use crate::error::AuthError;
use crate::http::Client;
use crate::loopback::Listener;
use crate::registration::{identify, GivenClient, CLIENT_NAME};
use crate::store::Vault;
use crate::tokens::Status;

/// What a sign-in asks for beyond the target.
#[derive(Debug, Clone, Default)]
pub struct LoginOptions {
    /// Scopes to ask for instead of the server's hints.
    pub scopes: Vec<String>,
    /// A client registered by hand.
    pub client: Option<GivenClient>,
    /// The HTTPS URL of Dockside's Client ID Metadata Document, where one is hosted.
    pub client_metadata_url: Option<String>,
    /// The `WWW-Authenticate` of the 401 or 403 that asked for this sign-in.
    pub challenge: Option<String>,
}

/// A sign-in waiting for the browser.
pub struct PendingLogin {
    url: String,
    issuer: String,
    server: String,
    session: AuthorizationSession,
    listener: Listener,
    vault: Vault,
}

impl std::fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingLogin")
            .field("server", &self.server)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

/// Starts a sign-in to `target`: the returned address is the authorization server's page.
pub async fn start(
    home: &Home,
    target: &Target,
    options: LoginOptions,
) -> Result<PendingLogin, AuthError> {
    let vault = Vault::new(home);
    let http = Arc::new(Client::new());
    let listener = Listener::bind().await?;
    let mut discovered = discover(target, &http, &vault, options.challenge.as_deref()).await?;
    let issuer = discovered.issuer.clone();
    let scopes = if options.scopes.is_empty() {
        target.config.scopes.clone()
    } else {
        options.scopes
    };
    let identity = identify(
        &mut discovered,
        &vault,
        target,
        options.client,
        options.client_metadata_url.as_deref(),
        listener.redirect_uri(),
    )
    .await?;
    let request = AuthorizationRequest::new(listener.redirect_uri())
        .with_client_name(CLIENT_NAME)
        .with_application_type("native");
    let request = if scopes.is_empty() {
        request.with_initial_scope_selection()
    } else {
        request.with_scopes(scopes)
    };
    let session = AuthorizationSession::new(discovered.manager, identity.apply(request))
        .await
        .map_err(|(_, e)| AuthError::Flow {
            issuer: issuer.clone(),
            detail: e.to_string(),
        })?;
    Ok(PendingLogin {
        url: session.get_authorization_url().to_owned(),
        issuer,
        server: target.server.clone(),
        session,
        listener,
        vault,
    })
}

impl PendingLogin {
    /// The authorization server's page to open in a browser.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Waits up to `timeout` for the browser's redirect, then exchanges the code for tokens and
    /// stores them.
    pub async fn finish(self, timeout: Duration) -> Result<Status, AuthError> {
        let callback = tokio::time::timeout(timeout, self.listener.wait())
            .await
            .map_err(|_| AuthError::Timeout(timeout))?;
        if let Some(error) = callback.get("error") {
            return Err(AuthError::Denied {
                error: error.clone(),
                description: callback.get("error_description").cloned(),
            });
        }
        let flow = |detail: String| AuthError::Flow {
            issuer: self.issuer.clone(),
            detail,
        };
        let (Some(code), Some(state)) = (callback.get("code"), callback.get("state")) else {
            return Err(flow(
                "the redirect carried neither a code nor an error".into(),
            ));
        };
        self.session
            .handle_callback_with_issuer(code, state, callback.get("iss").map(String::as_str))
            .await
            .map_err(|e| flow(e.to_string()))?;
        Status::of(&self.vault, &self.server).await
    }
}

/// A whole sign-in in the user's browser (`$BROWSER`, else the platform's opener).
pub async fn login_in_browser(
    home: &Home,
    target: &Target,
    options: LoginOptions,
    timeout: Duration,
) -> Result<Status, AuthError> {
    let pending = start(home, target, options).await?;
    crate::browser::open(pending.url())?;
    pending.finish(timeout).await
}
