//! Who Dockside is at an authorization server, in the MCP specification's order: a client
//! registered by hand (`--client-id`, or the catalog's `oauth.client_id`), else one Dockside
//! registered there before, else a Client ID Metadata Document (when the server supports it and
//! Dockside's document URL is configured: it must be an HTTPS URL Dockside hosts), else Dynamic
//! Client Registration (`application_type: native`, the loopback redirect URI). Clients are
//! kept per issuer in the secret store, so every server behind one authorization server shares
//! one registration.

use rmcp::transport::auth::AuthorizationRequest;

use crate::config::Target;
use crate::discovery::Discovered;
use crate::error::AuthError;
use crate::store::{ClientRecord, Vault};

/// The name Dockside registers under.
pub(crate) const CLIENT_NAME: &str = "Dockside";

/// How Dockside identifies itself for one sign-in.
pub(crate) enum Identity {
    Client(ClientRecord),
    Document(String),
}

impl Identity {
    pub(crate) fn apply(self, request: AuthorizationRequest) -> AuthorizationRequest {
        match self {
            Identity::Client(record) => {
                let request = request.with_preregistered_client(record.client_id);
                match record.client_secret {
                    Some(secret) => request.with_client_secret(secret),
                    None => request,
                }
            }
            Identity::Document(url) => request.with_client_metadata_url(url),
        }
    }
}

/// A client given by the user for this sign-in (`--client-id`, `--client-secret-stdin`).
#[derive(Clone, Default)]
pub struct GivenClient {
    pub client_id: String,
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for GivenClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GivenClient")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

pub(crate) async fn identify(
    discovered: &mut Discovered,
    vault: &Vault,
    target: &Target,
    given: Option<GivenClient>,
    document_url: Option<&str>,
    redirect_uri: &str,
) -> Result<Identity, AuthError> {
    let issuer = discovered.issuer.clone();
    if let Some(given) = given {
        let record = ClientRecord {
            issuer,
            client_id: given.client_id,
            client_secret: given.client_secret,
        };
        vault.save_client(&record).await?;
        return Ok(Identity::Client(record));
    }
    if let Some(record) = catalog_client(vault, target, &issuer).await? {
        return Ok(Identity::Client(record));
    }
    if let Some(record) = vault.client(&issuer).await? {
        return Ok(Identity::Client(record));
    }
    let supports_document = discovered
        .metadata
        .additional_fields
        .get("client_id_metadata_document_supported")
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    if let (true, Some(url)) = (supports_document, document_url) {
        return Ok(Identity::Document(url.to_owned()));
    }
    if discovered.metadata.registration_endpoint.is_none() {
        return Err(AuthError::Registration {
            issuer,
            detail: "it offers no dynamic client registration and no client id is configured"
                .into(),
        });
    }
    // No `scope` in the registration: a client limited to its first scopes could not step up.
    let config = discovered
        .manager
        .register_client(CLIENT_NAME, redirect_uri, &[])
        .await
        .map_err(|e| AuthError::Registration {
            issuer: issuer.clone(),
            detail: e.to_string(),
        })?;
    let record = ClientRecord {
        issuer,
        client_id: config.client_id,
        client_secret: config.client_secret,
    };
    vault.save_client(&record).await?;
    Ok(Identity::Client(record))
}

/// The catalog's `oauth.client_id`, with the secret its `oauth.client_secret` names.
async fn catalog_client(
    vault: &Vault,
    target: &Target,
    issuer: &str,
) -> Result<Option<ClientRecord>, AuthError> {
    let Some(client_id) = target.config.client_id.clone() else {
        return Ok(None);
    };
    let client_secret = match &target.config.client_secret {
        None => None,
        Some(name) => Some(vault.secret(name.clone()).await?.ok_or_else(|| {
            AuthError::BadConfig {
                server: target.server.clone(),
                reason: format!(
                    "`oauth.client_secret` names the secret {name}, which is not stored; `dockside secret set {name}` stores it"
                ),
            }
        })?),
    };
    Ok(Some(ClientRecord {
        issuer: issuer.to_owned(),
        client_id,
        client_secret,
    }))
}

/// The secret of the client `client_id` at `issuer`, wherever Dockside keeps it.
pub(crate) async fn secret_of(
    vault: &Vault,
    target: &Target,
    issuer: &str,
    client_id: &str,
) -> Result<Option<String>, AuthError> {
    for record in [
        catalog_client(vault, target, issuer).await?,
        vault.client(issuer).await?,
    ]
    .into_iter()
    .flatten()
    {
        if record.client_id == client_id {
            return Ok(record.client_secret);
        }
    }
    Ok(None)
}
