//! Finding the authorization server of a remote MCP server.
//!
//! rmcp's [`AuthorizationManager`] walks the documents: the protected resource metadata (RFC
//! 9728) named by a 401's `WWW-Authenticate: Bearer resource_metadata=…` or found at the
//! well-known URLs (path form, then root), then the authorization server's metadata (RFC 8414 /
//! OpenID Connect, the three well-known forms, `issuer` checked against the URL it came from).
//! Dockside adds what the MCP specification requires and rmcp lets pass: the metadata must come
//! from the server (no endpoints guessed from the URL), must list S256 in
//! `code_challenge_methods_supported`, and must name its `issuer`. When discovery fails, the
//! error lists which URL answered what.

use std::sync::Arc;

use rmcp::transport::auth::{AuthorizationManager, AuthorizationMetadata};
use url::Url;

use crate::config::Target;
use crate::error::AuthError;
use crate::http::Client;
use crate::store::Vault;

/// A manager that knows the authorization server, with the server's token record as its store.
pub(crate) struct Discovered {
    pub manager: AuthorizationManager,
    pub metadata: AuthorizationMetadata,
    pub issuer: String,
}

/// Discovers the authorization server of `target`, from `challenge` (a 401's
/// `WWW-Authenticate`) when the caller has one, else from the server's own 401 to a probe.
pub(crate) async fn discover(
    target: &Target,
    http: &Arc<Client>,
    vault: &Vault,
    challenge: Option<&str>,
) -> Result<Discovered, AuthError> {
    let resource = target.resource.as_str();
    let failed = |detail: String| AuthError::Discovery {
        resource: resource.to_owned(),
        detail,
    };
    let mut manager = AuthorizationManager::new_with_oauth_http_client(resource, http.clone())
        .await
        .map_err(|e| failed(e.to_string()))?;
    let challenge = match challenge {
        Some(c) => Some(c.to_owned()),
        None => probe(http, &target.resource).await,
    };
    let resolution = match manager
        .resolve_metadata_from_challenge(challenge.as_deref())
        .await
    {
        Ok(r) if r.source.is_discovered() => r,
        Ok(_) => {
            return Err(failed(format!(
                "it publishes no OAuth metadata ({})",
                diagnose(http, &target.resource).await
            )))
        }
        Err(e) => {
            return Err(failed(format!(
                "{e} ({})",
                diagnose(http, &target.resource).await
            )))
        }
    };
    let metadata = resolution.metadata;
    let issuer = metadata.issuer.clone().ok_or_else(|| AuthError::NoIssuer {
        resource: resource.to_owned(),
    })?;
    match &metadata.code_challenge_methods_supported {
        Some(methods) if methods.iter().any(|m| m == "S256") => {}
        methods => {
            return Err(AuthError::NoS256 {
                issuer,
                methods: methods
                    .as_ref()
                    .map(|m| format!("{m:?}"))
                    .unwrap_or_else(|| "(absent)".into()),
            })
        }
    }
    manager.set_metadata(metadata.clone());
    manager.set_credential_store(vault.credential_store(&target.server));
    Ok(Discovered {
        manager,
        metadata,
        issuer,
    })
}

/// An MCP `initialize` without a token, as a client's first request.
async fn post_initialize(
    http: &Client,
    resource: &Url,
) -> Result<reqwest::Response, reqwest::Error> {
    http.plain()
        .post(resource.clone())
        .header("Accept", "application/json, text/event-stream")
        .header("Content-Type", "application/json")
        .body(INITIALIZE)
        .send()
        .await
}

/// The challenge of the server's 401 to an unauthenticated `initialize`, if it answers so.
async fn probe(http: &Client, resource: &Url) -> Option<String> {
    let response = post_initialize(http, resource).await.ok()?;
    if response.status() != reqwest::StatusCode::UNAUTHORIZED {
        return None;
    }
    let value = response.headers().get("www-authenticate")?;
    value.to_str().ok().map(str::to_owned)
}

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"dockside","version":"0"}}}"#;

/// `POST <resource> → 401 …; GET <well-known> → 404; …`: what each place answered.
async fn diagnose(http: &Client, resource: &Url) -> String {
    let mut lines = Vec::new();
    let answer = |r: Result<reqwest::Response, reqwest::Error>| match r {
        Ok(r) => r.status().to_string(),
        Err(e) => format!("no answer: {}", with_causes(&e)),
    };
    let post = post_initialize(http, resource).await;
    lines.push(format!("POST {resource} → {}", answer(post)));
    for url in well_known(resource) {
        let got = http.plain().get(url.clone()).send().await;
        lines.push(format!("GET {url} → {}", answer(got)));
    }
    lines.join("; ")
}

/// `error: cause: cause` — reqwest's own message leaves out why (refused, reset, TLS…).
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// The protected resource metadata URLs, path form first, then root.
fn well_known(resource: &Url) -> Vec<Url> {
    let path = resource.path().trim_matches('/');
    let mut forms = Vec::new();
    if !path.is_empty() {
        forms.push(format!("/.well-known/oauth-protected-resource/{path}"));
    }
    forms.push("/.well-known/oauth-protected-resource".into());
    forms
        .into_iter()
        .map(|p| {
            let mut url = resource.clone();
            url.set_path(&p);
            url.set_query(None);
            url
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_urls_try_the_path_form_first() {
        let urls = well_known(&Url::parse("https://h/v1/mcp?x=1").unwrap());
        let urls: Vec<_> = urls.iter().map(Url::as_str).collect();
        assert_eq!(
            urls,
            [
                "https://h/.well-known/oauth-protected-resource/v1/mcp",
                "https://h/.well-known/oauth-protected-resource"
            ]
        );
    }
}
