//! Updates through Tauri's updater plugin, run for the tray (`--update check|install`: the
//! tray holds no Tauri app, see `dockside_desktop::updates`).
//!
//! [`report`] asks the configured endpoint (`plugins.updater.endpoints` in `tauri.conf.json`,
//! set by the release workflow; [`URL_ENV`] overrides it) for a newer version, downloads it and
//! verifies its minisign signature against the public key built into the app
//! (`plugins.updater.pubkey`). `check` stops there; the tray keeps the version and installs it
//! when the user says so (the tray's "Install update…" or the notification's button) or when
//! it quits anyway — never while servers run unasked. `install` downloads and verifies again,
//! then installs: on Linux the plugin installs an AppImage in place, or a `.deb`/`.rpm` with
//! `pkexec`, a graphical `sudo` prompt or `sudo`; on macOS it replaces the `.app`; on Windows it
//! runs the MSI/NSIS installer.

use dockside_desktop::updates::UpdateReport;
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

/// Checks the endpoint for a newer version; downloads it and verifies its signature. Returns
/// the update and its bytes (`None`: up to date). Installs nothing.
async fn download<R: Runtime>(
    app: &AppHandle<R>,
) -> Result<Option<(Update, Vec<u8>)>, UpdateError> {
    let updater = match builder(app)?.build() {
        Err(tauri_plugin_updater::Error::EmptyEndpoints) => return Err(UpdateError::NoEndpoint),
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
    tracing::info!(version = %update.version, bytes = bytes.len(), "update downloaded, signature verified");
    Ok(Some((update, bytes)))
}

/// `--update check|install`, for the tray: what happened, as the tray reads it.
pub async fn report<R: Runtime>(app: &AppHandle<R>, install: bool) -> UpdateReport {
    let result = download(app).await.and_then(|found| {
        let Some((update, bytes)) = found else {
            return Ok(UpdateReport::UpToDate);
        };
        let version = update.version.clone();
        if !install {
            return Ok(UpdateReport::Ready { version });
        }
        tracing::info!(%version, "installing the update");
        update.install(&bytes)?;
        tracing::info!(%version, "update installed");
        Ok(UpdateReport::Installed { version })
    });
    result.unwrap_or_else(|err| match err {
        UpdateError::NoEndpoint => UpdateReport::NoEndpoint {
            message: err.to_string(),
        },
        UpdateError::BadSignature { .. } => UpdateReport::BadSignature {
            message: err.to_string(),
        },
        other => UpdateReport::Failed {
            message: other.to_string(),
        },
    })
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
