//! Updates through Tauri's updater plugin: check, download and verify, then wait for the user.
//!
//! [`Updates::check`] asks the configured endpoint (`plugins.updater.endpoints` in
//! `tauri.conf.json`, set by the release workflow; [`URL_ENV`] overrides it) for a newer
//! version, downloads it and verifies its minisign signature against the public key built into
//! the app (`plugins.updater.pubkey`). A verified update is only kept in memory: installing it
//! replaces the app and the `dockside` binary, so it happens when the user says so (the tray's
//! "Install update…" or the notification's button) or when the app quits anyway — never while
//! servers run unasked. On Linux the plugin installs an AppImage in place, or a `.deb`/`.rpm`
//! with `pkexec`, a graphical `sudo` prompt or `sudo`; on macOS it replaces the `.app`; on
//! Windows it runs the MSI/NSIS installer.

use std::sync::Mutex;

use tauri::{AppHandle, Runtime, Url};
use tauri_plugin_updater::{Update, UpdaterExt};

/// Overrides the update manifest's address (`http://` is accepted by debug builds only).
pub const URL_ENV: &str = "DOCKSIDE_UPDATE_URL";
/// Debug builds only: the public key to verify updates with, instead of the built-in one (tests
/// sign with a throwaway key). Release builds ignore it.
pub const PUBKEY_ENV: &str = "DOCKSIDE_UPDATE_PUBKEY";

#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("this build has no update address (set {URL_ENV} to the address of a latest.json)")]
    NoEndpoint,
    #[error("{URL_ENV}=`{0}` is not a URL: {1}")]
    BadUrl(String, String),
    #[error("the update to {version} was refused: its signature does not match Dockside's public key ({detail})")]
    BadSignature { version: String, detail: String },
    #[error("{0}")]
    Updater(#[from] tauri_plugin_updater::Error),
}

/// A downloaded, verified update waiting to be installed.
struct Ready {
    update: Update,
    bytes: Vec<u8>,
}

/// The app's update state (managed by Tauri).
#[derive(Default)]
pub struct Updates {
    ready: Mutex<Option<Ready>>,
    /// Held during a check: a check from the tray while the one at start runs waits for it
    /// instead of downloading the same update again.
    checking: tokio::sync::Mutex<()>,
}

impl Updates {
    /// The version of the update waiting to be installed.
    pub fn ready_version(&self) -> Option<String> {
        let ready = self.ready.lock().expect("updates lock");
        ready.as_ref().map(|r| r.update.version.clone())
    }

    /// Checks for a newer version; downloads and verifies it. Returns the version ready to
    /// install (`None`: up to date). Installs nothing.
    pub async fn check<R: Runtime>(
        &self,
        app: &AppHandle<R>,
    ) -> Result<Option<String>, UpdateError> {
        let _one_at_a_time = self.checking.lock().await;
        if let Some(version) = self.ready_version() {
            return Ok(Some(version));
        }
        let updater = match builder(app)?.build() {
            Err(tauri_plugin_updater::Error::EmptyEndpoints) => {
                return Err(UpdateError::NoEndpoint)
            }
            other => other?,
        };
        let Some(update) = updater.check().await? else {
            return Ok(None);
        };
        tracing::info!(version = %update.version, "update found; downloading");
        let bytes = update
            .download(|_, _| {}, || {})
            .await
            .map_err(|err| refused(&update.version, err))?;
        let version = update.version.clone();
        tracing::info!(%version, bytes = bytes.len(), "update downloaded, signature verified");
        *self.ready.lock().expect("updates lock") = Some(Ready { update, bytes });
        Ok(Some(version))
    }

    /// Installs the update waiting, if any; returns its version.
    pub fn install(&self) -> Result<Option<String>, UpdateError> {
        let Some(ready) = self.ready.lock().expect("updates lock").take() else {
            return Ok(None);
        };
        tracing::info!(version = %ready.update.version, "installing the update");
        ready.update.install(&ready.bytes)?;
        tracing::info!(version = %ready.update.version, "update installed");
        Ok(Some(ready.update.version))
    }
}

fn builder<R: Runtime>(
    app: &AppHandle<R>,
) -> Result<tauri_plugin_updater::UpdaterBuilder, UpdateError> {
    let mut builder = app.updater_builder();
    if let Some(url) = std::env::var(URL_ENV).ok().filter(|v| !v.is_empty()) {
        let parsed = Url::parse(&url).map_err(|err| UpdateError::BadUrl(url, err.to_string()))?;
        builder = builder.endpoints(vec![parsed])?;
    }
    if cfg!(debug_assertions) {
        if let Some(key) = std::env::var(PUBKEY_ENV).ok().filter(|v| !v.is_empty()) {
            builder = builder.pubkey(key);
        }
    }
    Ok(builder)
}

/// A download whose signature fails verification is refused with a clear message.
fn refused(version: &str, err: tauri_plugin_updater::Error) -> UpdateError {
    use tauri_plugin_updater::Error as E;
    match err {
        E::Minisign(_)
        | E::Base64(_)
        | E::SignatureUtf8(_)
        | E::SignedVersionMismatch { .. }
        | E::MissingSignedVersion => UpdateError::BadSignature {
            version: version.to_owned(),
            detail: err.to_string(),
        },
        other => other.into(),
    }
}
