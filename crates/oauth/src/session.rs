//! The seam for the gateway: one remote server's sign-in, as the requests to it need it.
//!
//! The gateway asks [`Session::authorization`] for the `Authorization` header of each request
//! (the stored access token, refreshed first when it expires within a minute), and hands every
//! 401 or 403 to [`Session::challenge`], which answers [`Challenge::Retry`] when a retry can
//! succeed: a 401 refreshes the token once (a refreshed token that is refused again, or a
//! refresh token the authorization server rejects, needs a sign-in); a 403 `insufficient_scope`
//! re-authorizes with the granted scopes plus the challenged ones when the session may open a
//! browser ([`Session::with_step_up`]), at most once for the same scopes and
//! [`MAX_STEP_UPS`] times per session; else it says which sign-in would help.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dockside_core::Home;
use oauth2::TokenResponse;
use rmcp::transport::auth::{
    AuthError as RmcpError, OAuthClientConfig, StoredCredentials, WWWAuthenticateParams,
};
use sha2::{Digest, Sha256};

use crate::config::{OAuthConfig, Target};
use crate::discovery::discover;
use crate::error::{sign_in_message, AuthError};
use crate::flow::{login_in_browser, LoginOptions};
use crate::http::Client;
use crate::registration::secret_of;
use crate::store::Vault;
use crate::tokens::{access_token, expiring};

/// Step-ups (re-authorizations for more scopes) one session may start.
pub const MAX_STEP_UPS: u32 = 3;

/// What to do after a 401 or 403.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// The sign-in changed (refreshed, or re-authorized with more scopes): send the request again.
    Retry,
    /// Only the user can fix it; the message names `dockside auth login NAME` and the app's
    /// Sign in button.
    NeedsSignIn {
        message: String,
    },
    Fail(String),
}

#[derive(Default)]
struct State {
    /// The token a 401 made us refresh: refused again, it needs a sign-in, not another refresh.
    refreshed_after_401: Option<[u8; 32]>,
    /// Every scope a step-up asked for.
    stepped_up_for: BTreeSet<String>,
    step_ups: u32,
}

/// One remote server's sign-in.
pub struct Session {
    home: Home,
    target: Target,
    vault: Vault,
    http: Arc<Client>,
    step_up: Option<Duration>,
    refreshing: tokio::sync::Mutex<()>,
    state: Mutex<State>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("server", &self.target.server)
            .field("resource", &self.target.resource.as_str())
            .finish_non_exhaustive()
    }
}

fn fingerprint(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Session {
    pub fn new(
        home: Home,
        server: &str,
        resource_url: &str,
        config: OAuthConfig,
    ) -> Result<Session, AuthError> {
        let target = Target::new(server, resource_url, config)?;
        Ok(Session {
            vault: Vault::new(&home),
            home,
            target,
            http: Arc::new(Client::new()),
            step_up: None,
            refreshing: tokio::sync::Mutex::new(()),
            state: Mutex::new(State::default()),
        })
    }

    /// Lets a 403 `insufficient_scope` re-authorize in the user's browser, waiting up to
    /// `timeout` for it. Without it, such a 403 answers [`Challenge::NeedsSignIn`].
    pub fn with_step_up(mut self, timeout: Duration) -> Session {
        self.step_up = Some(timeout);
        self
    }

    fn needs_sign_in(&self, why: &str) -> AuthError {
        AuthError::NeedsSignIn(sign_in_message(&self.target.server, why))
    }

    /// `Bearer <token>` for the next request, or `None` when the server was never signed in to.
    pub async fn authorization(&self) -> Result<Option<String>, AuthError> {
        let Some(stored) = self.vault.tokens(&self.target.server).await? else {
            return Ok(None);
        };
        let Some(token) = access_token(&stored) else {
            return Ok(None);
        };
        let token = if expiring(&stored) {
            self.refresh(&token).await?
        } else {
            token
        };
        Ok(Some(format!("Bearer {token}")))
    }

    /// What to do about a response with `status` and its `WWW-Authenticate` header.
    pub async fn challenge(&self, status: u16, www_authenticate: Option<String>) -> Challenge {
        let outcome = match status {
            401 => self.unauthorized().await,
            403 => self.forbidden(www_authenticate).await,
            _ => Err(AuthError::Http {
                url: self.target.resource.to_string(),
                detail: format!("answered HTTP {status}, not an authorization challenge"),
            }),
        };
        match outcome {
            Ok(challenge) => challenge,
            Err(AuthError::NeedsSignIn(message)) => Challenge::NeedsSignIn { message },
            Err(e) => Challenge::Fail(e.to_string()),
        }
    }

    async fn unauthorized(&self) -> Result<Challenge, AuthError> {
        let stored = self.vault.tokens(&self.target.server).await?;
        let Some(token) = stored.as_ref().and_then(access_token) else {
            return Err(self.needs_sign_in("not signed in"));
        };
        if self.state.lock().unwrap().refreshed_after_401 == Some(fingerprint(&token)) {
            return Err(self.needs_sign_in("the server refused a freshly refreshed token"));
        }
        let fresh = self.refresh(&token).await?;
        self.state.lock().unwrap().refreshed_after_401 = Some(fingerprint(&fresh));
        Ok(Challenge::Retry)
    }

    async fn forbidden(&self, www_authenticate: Option<String>) -> Result<Challenge, AuthError> {
        let params = www_authenticate
            .as_deref()
            .map(|h| WWWAuthenticateParams::parse(h, &self.target.resource))
            .unwrap_or_default();
        if !params.is_insufficient_scope() {
            return Ok(Challenge::Fail(format!(
                "{} refused the request (HTTP 403{})",
                self.target.server,
                params.error.map(|e| format!(", {e}")).unwrap_or_default()
            )));
        }
        let challenged: BTreeSet<String> = params
            .scope
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let stored = self.vault.tokens(&self.target.server).await?;
        let granted: BTreeSet<String> = stored
            .map(|s| s.granted_scopes.into_iter().collect())
            .unwrap_or_default();
        let wanted: Vec<String> = granted.union(&challenged).cloned().collect();
        let scope_list = challenged.iter().cloned().collect::<Vec<_>>().join(" ");
        {
            let state = self.state.lock().unwrap();
            if state.step_ups > 0 && challenged.is_subset(&state.stepped_up_for) {
                return Ok(Challenge::Fail(format!(
                    "{} still needs scopes `{scope_list}` after a sign-in asked for them: the authorization server did not grant them",
                    self.target.server
                )));
            }
            if state.step_ups >= MAX_STEP_UPS {
                return Ok(Challenge::Fail(format!(
                    "{} asked for more scopes ({scope_list}) after {MAX_STEP_UPS} sign-ins in this session; giving up",
                    self.target.server
                )));
            }
        }
        let Some(timeout) = self.step_up else {
            let flags: String = wanted.iter().map(|s| format!(" --scope {s}")).collect();
            return Err(AuthError::NeedsSignIn(format!(
                "{server} needs more access (scopes {scope_list}): run `dockside auth login {server}{flags}`, or press Sign in next to {server} in the Dockside app",
                server = self.target.server
            )));
        };
        {
            let mut state = self.state.lock().unwrap();
            state.step_ups += 1;
            state.stepped_up_for.extend(wanted.iter().cloned());
        }
        let options = LoginOptions {
            scopes: wanted,
            challenge: www_authenticate,
            ..LoginOptions::default()
        };
        login_in_browser(&self.home, &self.target, options, timeout).await?;
        Ok(Challenge::Retry)
    }

    /// A fresh access token for the one that was `seen` stale or refused; one refresh at a
    /// time, and none when another caller already replaced that token.
    async fn refresh(&self, seen: &str) -> Result<String, AuthError> {
        let _one_at_a_time = self.refreshing.lock().await;
        let server = &self.target.server;
        let stored = self
            .vault
            .tokens(server)
            .await?
            .ok_or_else(|| self.needs_sign_in("not signed in"))?;
        match access_token(&stored) {
            Some(current) if current != seen && !expiring(&stored) => return Ok(current),
            None => return Err(self.needs_sign_in("not signed in")),
            Some(_) => {}
        }
        if stored
            .token_response
            .as_ref()
            .and_then(|t| t.refresh_token())
            .is_none()
        {
            return Err(
                self.needs_sign_in("the access token expired and there is no refresh token")
            );
        }
        let manager = self.refresher(&stored).await?;
        match manager.refresh_token().await {
            Ok(response) => Ok(response.access_token().secret().clone()),
            Err(RmcpError::TokenRefreshRejected(_) | RmcpError::AuthorizationRequired) => {
                self.vault.forget_tokens(server).await?;
                Err(self.needs_sign_in("the authorization server no longer accepts the sign-in"))
            }
            Err(e) => Err(AuthError::Refresh {
                server: server.clone(),
                detail: e.to_string(),
            }),
        }
    }

    /// rmcp's manager set up to refresh `stored`: the same authorization server and client.
    async fn refresher(
        &self,
        stored: &StoredCredentials,
    ) -> Result<rmcp::transport::auth::AuthorizationManager, AuthError> {
        let mut discovered = discover(&self.target, &self.http, &self.vault, None).await?;
        if stored.issuer.as_deref() != Some(discovered.issuer.as_str()) {
            return Err(self.needs_sign_in(&format!(
                "its authorization server is now {}",
                discovered.issuer
            )));
        }
        let secret = secret_of(
            &self.vault,
            &self.target,
            &discovered.issuer,
            &stored.client_id,
        )
        .await?;
        // The redirect URI is not used by a refresh.
        let mut config =
            OAuthClientConfig::new(stored.client_id.clone(), "http://127.0.0.1/callback");
        if let Some(secret) = secret {
            config = config.with_client_secret(secret);
        }
        discovered
            .manager
            .configure_client(config)
            .map_err(|e| AuthError::Refresh {
                server: self.target.server.clone(),
                detail: e.to_string(),
            })?;
        Ok(discovered.manager)
    }
}
