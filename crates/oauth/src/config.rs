//! Which server to sign in to: its name, its canonical URL and its catalog's `oauth` block.

use dockside_core::catalog::Server;
use serde::Deserialize;
use url::Url;

use crate::error::AuthError;

/// A catalog entry's `oauth:` block, as far as sign-in uses it.
///
/// Docker's catalogs carry `oauth: {providers: [...], scopes: [...]}` (and its registry a flat
/// list of providers); Dockside reads `scopes` and adds a pre-registered client:
///
/// ```yaml
/// oauth:
///   scopes: [repo, read:org]          # asked for instead of the server's own hints
///   client_id: Iv1.abc                # registered by hand at the authorization server
///   client_secret: github.oauth_secret  # the *name* of a secret in the store, never a value
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct OAuthConfig {
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    /// The name of the secret holding the client secret.
    #[serde(default)]
    pub client_secret: Option<String>,
}

impl OAuthConfig {
    /// The block of `server` (named `name`); none, or Docker's flat provider list, is the default.
    pub fn of(name: &str, server: &Server) -> Result<OAuthConfig, AuthError> {
        match server.extra.get("oauth") {
            Some(value @ yaml_serde::Value::Mapping(_)) => yaml_serde::from_value(value.clone())
                .map_err(|e| AuthError::BadConfig {
                    server: name.to_owned(),
                    reason: e.to_string(),
                }),
            _ => Ok(OAuthConfig::default()),
        }
    }
}

/// One remote server to sign in to.
#[derive(Debug, Clone)]
pub struct Target {
    pub server: String,
    /// The canonical URL of the MCP endpoint: the RFC 8707 `resource` unless the server's
    /// protected resource metadata names another.
    pub resource: Url,
    pub config: OAuthConfig,
}

impl Target {
    pub fn new(server: &str, resource_url: &str, config: OAuthConfig) -> Result<Target, AuthError> {
        let bad = |reason: String| AuthError::BadUrl {
            server: server.to_owned(),
            url: resource_url.to_owned(),
            reason,
        };
        let mut resource = Url::parse(resource_url).map_err(|e| bad(e.to_string()))?;
        if !matches!(resource.scheme(), "http" | "https") || resource.host_str().is_none() {
            return Err(bad("expected http:// or https:// and a host".into()));
        }
        resource.set_fragment(None);
        Ok(Target {
            server: server.to_owned(),
            resource,
            config,
        })
    }

    /// The target for catalog entry `name`: it must be a remote server with a `remote.url`.
    pub fn of(name: &str, server: &Server) -> Result<Target, AuthError> {
        let url = server
            .remote
            .as_ref()
            .and_then(|r| r.url.as_deref())
            .ok_or_else(|| AuthError::NotRemote(name.to_owned()))?;
        Target::new(name, url, OAuthConfig::of(name, server)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(yaml: &str) -> Server {
        yaml_serde::from_str(yaml).unwrap()
    }

    #[test]
    fn remote_servers_become_targets() {
        let target = Target::of(
            "gh",
            &server("remote: {url: 'https://h/mcp#x'}\noauth: {scopes: [repo], client_id: abc, providers: []}"),
        )
        .unwrap();
        assert_eq!(target.resource.as_str(), "https://h/mcp");
        assert_eq!(target.config.scopes, ["repo"]);
        assert_eq!(target.config.client_id.as_deref(), Some("abc"));
        let flat = Target::of(
            "a",
            &server("remote: {url: 'https://h/'}\noauth: [{provider: a}]"),
        )
        .unwrap();
        assert_eq!(flat.config, OAuthConfig::default());
    }

    #[test]
    fn other_servers_are_refused_with_their_name() {
        let err = Target::of("local", &server("command: [x]")).unwrap_err();
        assert!(
            err.to_string().contains("local is not a remote server"),
            "{err}"
        );
        let err = Target::of("r", &server("remote: {url: 'ftp://h/'}")).unwrap_err();
        assert!(err.to_string().contains("not an http(s) URL"), "{err}");
    }
}
