//! The Secrets screen's data: every secret name a server declares (`secrets: [{name, env}]` in
//! the catalogs) or the store holds, who uses it, whether it is set, and where values live
//! ([`dockside_core::secrets::SecretStore`]: the OS keychain, or a 0600 file with a warning).
//!
//! It mirrors `dockside secret set|ls|rm` (`crates/cli/src/cmd/secret.rs`): the same store, the
//! same name checks (the store's own [`SecretError::BadName`]), an empty value refused, removing
//! a name that is not stored an error. A value travels one way only: from the UI into
//! [`set`], then into the store. Nothing here reads a value back ([`SecretStore::get`] is never
//! called), returns, logs or emits one; "set" is whether the store lists the name.

use std::collections::{BTreeMap, BTreeSet};

use dockside_core::secrets::{Backend, SecretStore};
use dockside_core::{Home, Mode, Workspace};
use serde::Serialize;

use crate::model::BackendError;

/// A server that declares a secret (mirrors `SecretUser` in `ui/src/api.ts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretUser {
    pub server: String,
    /// The environment variable the server gets the value in.
    pub env: String,
    /// The server's mode: `off` servers do not need it now.
    pub mode: Mode,
}

/// One row of the Secrets screen (mirrors `SecretRow` in `ui/src/api.ts`). Never a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretRow {
    pub name: String,
    /// The store holds a value for it.
    pub set: bool,
    /// Servers that declare it, in catalog order.
    pub users: Vec<SecretUser>,
    /// Not set, and a server that is not `off` declares it.
    pub missing: bool,
}

/// The Secrets screen (mirrors `SecretsView` in `ui/src/api.ts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretsView {
    /// `keychain` or `file`.
    pub backend: &'static str,
    /// Where values live ([`SecretStore::describe`]).
    pub store: String,
    /// Why the file is used when the keychain was wanted ([`SecretStore::warning`]).
    pub warning: Option<String>,
    /// Sorted by name.
    pub secrets: Vec<SecretRow>,
    /// The catalogs could not be read: only the stored names are listed.
    pub catalog_error: Option<String>,
}

/// Opens this home's store as the CLI does (`DOCKSIDE_SECRET_STORE` forces a backend).
/// Blocking: the keychain may be asked over D-Bus.
pub fn store(home: &Home) -> SecretStore {
    let store = SecretStore::open(home);
    if let Some(warning) = store.warning() {
        tracing::warn!("{warning}");
    }
    store
}

/// Rows for `ws`'s declared secrets and the `stored` names.
pub fn rows(ws: Option<&Workspace>, stored: &BTreeSet<String>) -> Vec<SecretRow> {
    let mut users: BTreeMap<String, Vec<SecretUser>> =
        stored.iter().map(|n| (n.clone(), Vec::new())).collect();
    for entry in ws.into_iter().flat_map(Workspace::servers) {
        for secret in entry.server.secrets.iter().flatten() {
            users
                .entry(secret.name.clone())
                .or_default()
                .push(SecretUser {
                    server: entry.name.to_owned(),
                    env: secret.env.clone(),
                    mode: entry.state.mode,
                });
        }
    }
    users
        .into_iter()
        .map(|(name, users)| {
            let set = stored.contains(&name);
            let missing = !set && users.iter().any(|u| u.mode != Mode::Off);
            SecretRow {
                name,
                set,
                users,
                missing,
            }
        })
        .collect()
}

/// The Secrets screen for `home`.
pub fn list(home: &Home) -> Result<SecretsView, BackendError> {
    let store = store(home);
    let stored = store.names()?;
    let (ws, catalog_error) = match Workspace::load(home.clone()) {
        Ok(ws) => (Some(ws), None),
        Err(e) => (None, Some(e.to_string())),
    };
    Ok(SecretsView {
        backend: match store.backend() {
            Backend::Keychain => "keychain",
            Backend::File => "file",
        },
        store: store.describe(),
        warning: store.warning().map(str::to_owned),
        secrets: rows(ws.as_ref(), &stored),
        catalog_error,
    })
}

/// Stores `value` under `name` (one final line break dropped, as `dockside secret set` does
/// with what it reads) and returns the new list.
pub fn set(home: &Home, name: &str, value: &str) -> Result<SecretsView, BackendError> {
    let value = value.strip_suffix('\n').unwrap_or(value);
    let value = value.strip_suffix('\r').unwrap_or(value);
    if value.is_empty() {
        return Err(BackendError::Secret(format!(
            "no value for {name}: type or paste it"
        )));
    }
    let store = store(home);
    store.set(name, value)?;
    tracing::info!(secret = %name, store = %store.describe(), "secret stored");
    list(home)
}

/// Deletes `name`'s value and returns the new list; an error when the store has none.
pub fn remove(home: &Home, name: &str) -> Result<SecretsView, BackendError> {
    let store = store(home);
    if !store.remove(name)? {
        return Err(BackendError::Secret(format!(
            "no secret named {name} in {}",
            store.describe()
        )));
    }
    tracing::info!(secret = %name, "secret removed");
    list(home)
}

/// Tests only: every test of this crate that touches the secret store uses the 0600 file
/// store under its temp home (`DOCKSIDE_SECRET_STORE=file`), never the machine's keychain.
#[cfg(test)]
pub(crate) fn use_file_secret_store() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::env::set_var("DOCKSIDE_SECRET_STORE", "file"));
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUE: &str = "ghp_s3cret-VALUE-never-shown";

    fn home_with_catalog() -> (tempfile::TempDir, Home) {
        use_file_secret_store();
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path().join("home"));
        std::fs::create_dir_all(home.catalogs_dir()).unwrap();
        std::fs::write(
            home.catalogs_dir().join("local.yaml"),
            "registry:\n  github:\n    image: mcp/github\n    secrets:\n      - {name: github.personal_access_token, env: GITHUB_PERSONAL_ACCESS_TOKEN}\n  \
             notes:\n    image: mcp/notes\n    secrets:\n      - {name: notes.key, env: NOTES_KEY}\n      - {name: github.personal_access_token, env: GH_TOKEN}\n",
        )
        .unwrap();
        std::fs::write(
            home.state_path(),
            "servers:\n  github: {mode: docker}\n  notes: {mode: off}\n",
        )
        .unwrap();
        (dir, home)
    }

    fn row<'a>(view: &'a SecretsView, name: &str) -> &'a SecretRow {
        view.secrets
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("no row {name} in {view:?}"))
    }

    #[test]
    fn lists_declared_and_stored_names_with_their_users() {
        let (_dir, home) = home_with_catalog();
        let view = list(&home).unwrap();
        assert_eq!(view.backend, "file");
        assert!(view.store.ends_with("secrets.json (mode 0600)"), "{view:?}");
        assert_eq!(view.catalog_error, None);
        let names: Vec<&str> = view.secrets.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["github.personal_access_token", "notes.key"]);
        let gh = row(&view, "github.personal_access_token");
        assert!(!gh.set && gh.missing, "an enabled server needs it: {gh:?}");
        assert_eq!(
            gh.users,
            [
                SecretUser {
                    server: "github".into(),
                    env: "GITHUB_PERSONAL_ACCESS_TOKEN".into(),
                    mode: Mode::Docker
                },
                SecretUser {
                    server: "notes".into(),
                    env: "GH_TOKEN".into(),
                    mode: Mode::Off
                },
            ]
        );
        let notes = row(&view, "notes.key");
        assert!(!notes.set && !notes.missing, "only an off server uses it");
    }

    #[test]
    fn set_then_remove_and_no_value_ever_comes_back() {
        let (_dir, home) = home_with_catalog();
        let view = set(&home, "github.personal_access_token", &format!("{VALUE}\n")).unwrap();
        let gh = row(&view, "github.personal_access_token");
        assert!(gh.set && !gh.missing, "{gh:?}");
        let json = serde_json::to_string(&view).unwrap();
        assert!(!json.contains(VALUE), "{json}");
        assert!(!serde_json::to_string(&list(&home).unwrap())
            .unwrap()
            .contains(VALUE));
        // Stored without the line break, in the store the CLI reads.
        assert_eq!(
            SecretStore::open(&home)
                .get("github.personal_access_token")
                .unwrap()
                .as_deref(),
            Some(VALUE)
        );

        // A name no server declares is listed too, with no users.
        let view = set(&home, "spare.token", VALUE).unwrap();
        let spare = row(&view, "spare.token");
        assert!(spare.set && spare.users.is_empty() && !spare.missing);

        let view = remove(&home, "github.personal_access_token").unwrap();
        let gh = row(&view, "github.personal_access_token");
        assert!(!gh.set && gh.missing);
        let view = remove(&home, "spare.token").unwrap();
        assert!(view.secrets.iter().all(|r| r.name != "spare.token"));
        let err = remove(&home, "spare.token").unwrap_err().to_string();
        assert!(err.starts_with("no secret named spare.token in "), "{err}");
    }

    #[test]
    fn bad_names_and_empty_values_are_refused_with_the_stores_words() {
        let (_dir, home) = home_with_catalog();
        let err = set(&home, "../etc/passwd", VALUE).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("invalid secret name `../etc/passwd`"),
            "{text}"
        );
        assert!(!text.contains(VALUE));
        // What the UI receives (a Tauri command's error is serialized) holds no value either.
        let json = serde_json::to_string(&err).unwrap();
        assert!(
            json.contains("invalid secret name") && !json.contains(VALUE),
            "{json}"
        );
        assert!(remove(&home, "")
            .unwrap_err()
            .to_string()
            .starts_with("invalid secret name"));
        let err = set(&home, "ok.name", "\n").unwrap_err().to_string();
        assert_eq!(err, "no value for ok.name: type or paste it");
        assert!(store(&home).names().unwrap().is_empty(), "nothing stored");
    }

    #[test]
    fn broken_catalogs_still_list_the_stored_names() {
        let (_dir, home) = home_with_catalog();
        set(&home, "notes.key", VALUE).unwrap();
        std::fs::write(home.catalogs_dir().join("local.yaml"), "registry: [oops\n").unwrap();
        let view = list(&home).unwrap();
        assert!(view.catalog_error.is_some());
        assert_eq!(view.secrets.len(), 1);
        assert!(view.secrets[0].set && view.secrets[0].users.is_empty());
    }
}
