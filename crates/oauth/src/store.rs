//! Sign-in records in Dockside's secret store (the OS keychain, or `secrets.json` 0600), never
//! in plain files:
//!
//! - `oauth.<server>.token` — one server's tokens: rmcp's [`StoredCredentials`] (client id,
//!   access and refresh token, when they were received, granted scopes, issuer);
//! - `oauth.client.<hash of the issuer>` — the client Dockside is at one authorization server
//!   (registered dynamically, or given with `--client-id`), shared by the servers it protects.
//!
//! The secret store is blocking (a keychain is asked over D-Bus), so every access runs on the
//! blocking pool.

use async_trait::async_trait;
use dockside_core::secrets::SecretStore;
use dockside_core::Home;
use rmcp::transport::auth::{AuthError as RmcpError, CredentialStore, StoredCredentials};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::AuthError;

/// A client registration at one authorization server.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ClientRecord {
    pub issuer: String,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for ClientRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRecord")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// The secret store of one Dockside home, for sign-in records.
#[derive(Debug, Clone)]
pub(crate) struct Vault {
    home: Home,
}

impl Vault {
    pub(crate) fn new(home: &Home) -> Vault {
        Vault { home: home.clone() }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(SecretStore) -> Result<T, AuthError> + Send + 'static,
    ) -> Result<T, AuthError> {
        let home = self.home.clone();
        tokio::task::spawn_blocking(move || f(SecretStore::open(&home)))
            .await
            .expect("a secret store task does not panic")
    }

    async fn get<T: DeserializeOwned + Send + 'static>(
        &self,
        name: String,
    ) -> Result<Option<T>, AuthError> {
        self.blocking(move |store| match store.get(&name)? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| AuthError::Corrupt {
                    name,
                    detail: e.to_string(),
                }),
        })
        .await
    }

    async fn set<T: Serialize>(&self, name: String, value: &T) -> Result<(), AuthError> {
        let text = serde_json::to_string(value).expect("a sign-in record serializes");
        self.blocking(move |store| Ok(store.set(&name, &text)?))
            .await
    }

    async fn remove(&self, name: String) -> Result<bool, AuthError> {
        self.blocking(move |store| Ok(store.remove(&name)?)).await
    }

    pub(crate) async fn tokens(
        &self,
        server: &str,
    ) -> Result<Option<StoredCredentials>, AuthError> {
        self.get(token_name(server)).await
    }

    pub(crate) async fn save_tokens(
        &self,
        server: &str,
        credentials: &StoredCredentials,
    ) -> Result<(), AuthError> {
        self.set(token_name(server), credentials).await
    }

    pub(crate) async fn forget_tokens(&self, server: &str) -> Result<bool, AuthError> {
        self.remove(token_name(server)).await
    }

    pub(crate) async fn client(&self, issuer: &str) -> Result<Option<ClientRecord>, AuthError> {
        self.get(client_name(issuer)).await
    }

    pub(crate) async fn save_client(&self, record: &ClientRecord) -> Result<(), AuthError> {
        self.set(client_name(&record.issuer), record).await
    }

    /// A secret stored by the user under `name` (a catalog's `oauth.client_secret`).
    pub(crate) async fn secret(&self, name: String) -> Result<Option<String>, AuthError> {
        self.blocking(move |store| Ok(store.get(&name)?)).await
    }

    /// rmcp's view of one server's token record.
    pub(crate) fn credential_store(&self, server: &str) -> TokenStore {
        TokenStore {
            vault: self.clone(),
            server: server.to_owned(),
        }
    }
}

fn token_name(server: &str) -> String {
    let safe: String = server
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("oauth.{safe}.token")
}

fn client_name(issuer: &str) -> String {
    format!(
        "oauth.client.{}",
        &hex::encode(Sha256::digest(issuer.as_bytes()))[..16]
    )
}

/// One server's tokens, where rmcp's authorization manager loads and saves them.
pub(crate) struct TokenStore {
    vault: Vault,
    server: String,
}

fn store_error(e: AuthError) -> RmcpError {
    RmcpError::CredentialStoreError(e.to_string())
}

#[async_trait]
impl CredentialStore for TokenStore {
    async fn load(&self) -> Result<Option<StoredCredentials>, RmcpError> {
        self.vault.tokens(&self.server).await.map_err(store_error)
    }

    async fn save(&self, credentials: StoredCredentials) -> Result<(), RmcpError> {
        self.vault
            .save_tokens(&self.server, &credentials)
            .await
            .map_err(store_error)
    }

    async fn clear(&self) -> Result<(), RmcpError> {
        self.vault
            .forget_tokens(&self.server)
            .await
            .map(drop)
            .map_err(store_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_names_are_valid_secret_names() {
        assert_eq!(token_name("git hub/x"), "oauth.git_hub_x.token");
        let name = client_name("https://as.example.com/t1");
        assert!(
            name.starts_with("oauth.client.") && name.len() == 29,
            "{name}"
        );
    }

    #[test]
    fn a_client_secret_is_not_in_debug_output() {
        let record = ClientRecord {
            issuer: "https://as".into(),
            client_id: "id".into(),
            client_secret: Some("s3cret-value".into()),
        };
        assert!(!format!("{record:?}").contains("s3cret"));
    }
}
