//! A server's tokens: what `dockside auth ls` shows of them (never the tokens), when they need
//! a refresh, and signing out (forgotten here, revoked at the authorization server when it has
//! a revocation endpoint, RFC 7009).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use dockside_core::Home;
use oauth2::TokenResponse;
use rmcp::transport::auth::StoredCredentials;
use serde::Serialize;

use crate::config::Target;
use crate::discovery::discover;
use crate::error::AuthError;
use crate::http::Client;
use crate::registration::secret_of;
use crate::store::Vault;

/// A token that expires within this margin is refreshed before it is used.
pub(crate) const REFRESH_MARGIN_SECS: u64 = 60;

/// One server's sign-in, without its tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub server: String,
    pub signed_in: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    pub scopes: Vec<String>,
    /// When the access token expires, in seconds since the Unix epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// Whether a refresh token is kept (the sign-in outlives the access token).
    pub refreshable: bool,
}

impl Status {
    pub(crate) async fn of(vault: &Vault, server: &str) -> Result<Status, AuthError> {
        let stored = vault.tokens(server).await?;
        let token = stored.as_ref().and_then(|s| s.token_response.as_ref());
        Ok(Status {
            server: server.to_owned(),
            signed_in: token.is_some(),
            issuer: stored.as_ref().and_then(|s| s.issuer.clone()),
            scopes: stored
                .as_ref()
                .map(|s| s.granted_scopes.clone())
                .unwrap_or_default(),
            expires_at: stored.as_ref().and_then(expires_at),
            refreshable: token.is_some_and(|t| t.refresh_token().is_some()),
        })
    }
}

impl Status {
    /// Seconds until the access token expires (0 once it has), if the server said.
    pub fn expires_in(&self) -> Option<u64> {
        Some(self.expires_at?.saturating_sub(now()))
    }
}

/// The sign-in of `server`, read from the secret store.
pub async fn status(home: &Home, server: &str) -> Result<Status, AuthError> {
    Status::of(&Vault::new(home), server).await
}

pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// When the stored access token expires, if the server said.
pub(crate) fn expires_at(stored: &StoredCredentials) -> Option<u64> {
    let lifetime = stored.token_response.as_ref()?.expires_in()?;
    Some(stored.token_received_at? + lifetime.as_secs())
}

/// Whether the access token should be refreshed before use.
pub(crate) fn expiring(stored: &StoredCredentials) -> bool {
    expires_at(stored).is_some_and(|at| at <= now() + REFRESH_MARGIN_SECS)
}

/// The stored access token, if any.
pub(crate) fn access_token(stored: &StoredCredentials) -> Option<String> {
    Some(
        stored
            .token_response
            .as_ref()?
            .access_token()
            .secret()
            .clone(),
    )
}

/// What signing out did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedOut {
    /// Whether there were tokens to forget.
    pub forgotten: bool,
    /// What happened at the authorization server.
    pub revocation: Revocation,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    Revoked,
    /// The authorization server lists no revocation endpoint.
    Unsupported,
    NotAttempted,
    Failed(String),
}

/// Forgets `target`'s tokens, after revoking them at the authorization server (refresh token
/// first: revoking it ends the grant) when it can. The tokens are forgotten even when the
/// revocation fails.
pub async fn logout(home: &Home, target: &Target) -> Result<SignedOut, AuthError> {
    let vault = Vault::new(home);
    let stored = match vault.tokens(&target.server).await {
        // An unreadable record cannot be revoked, only forgotten.
        Err(AuthError::Corrupt { .. }) => None,
        other => other?,
    };
    let revocation = match &stored {
        Some(stored) if stored.token_response.is_some() => revoke(&vault, target, stored)
            .await
            .unwrap_or_else(|e| Revocation::Failed(e.to_string())),
        _ => Revocation::NotAttempted,
    };
    let forgotten = vault.forget_tokens(&target.server).await?;
    Ok(SignedOut {
        forgotten,
        revocation,
    })
}

async fn revoke(
    vault: &Vault,
    target: &Target,
    stored: &StoredCredentials,
) -> Result<Revocation, AuthError> {
    let http = Arc::new(Client::new());
    let discovered = discover(target, &http, vault, None).await?;
    let Some(endpoint) = discovered
        .metadata
        .additional_fields
        .get("revocation_endpoint")
        .and_then(|v| v.as_str())
    else {
        return Ok(Revocation::Unsupported);
    };
    let token = stored
        .token_response
        .as_ref()
        .expect("checked by the caller");
    let (value, hint) = match token.refresh_token() {
        Some(refresh) => (refresh.secret().clone(), "refresh_token"),
        None => (token.access_token().secret().clone(), "access_token"),
    };
    let secret = secret_of(vault, target, &discovered.issuer, &stored.client_id).await?;
    let mut form = vec![("token", value), ("token_type_hint", hint.to_owned())];
    let request = http.plain().post(endpoint);
    let request = match secret {
        Some(secret) => request.basic_auth(&stored.client_id, Some(secret)),
        None => {
            form.push(("client_id", stored.client_id.clone()));
            request
        }
    };
    let response = request
        .form(&form)
        .send()
        .await
        .map_err(|e| AuthError::Http {
            url: endpoint.to_owned(),
            detail: e.to_string(),
        })?;
    Ok(if response.status().is_success() {
        Revocation::Revoked
    } else {
        Revocation::Failed(format!("{endpoint} answered {}", response.status()))
    })
}
