//! Updates, from the tray: `dockside-app --update check` at start and from the menu (download
//! and verify, install nothing), `dockside-app --update install` on the user's OK or at quit
//! (see [`dockside_desktop::updates`]). Servers keep running until the user says so.

use std::process::Stdio;

use dockside_desktop::hub::Hub;
use dockside_desktop::launch;
use dockside_desktop::notify::{self, Kind, Note};
use dockside_desktop::updates::{UpdateReport, CHECK, INSTALL};

/// Runs the dashboard binary's updater and returns its report. Its log goes to ours.
async fn run(action: &str) -> UpdateReport {
    let failed = |message: String| UpdateReport::Failed { message };
    let Some(app) = launch::sibling(launch::APP) else {
        return failed("cannot tell where this executable is".into());
    };
    // Not `Command::output`: it pipes stderr too, and the updater's log would be lost.
    let output = match tokio::process::Command::new(&app)
        .args(["--update", action])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
    {
        Ok(child) => child.wait_with_output().await,
        Err(err) => Err(err),
    };
    match output {
        Ok(output) => UpdateReport::from_output(&String::from_utf8_lossy(&output.stdout))
            .unwrap_or_else(|| {
                failed(format!(
                    "{} --update {action} ended ({})",
                    app.display(),
                    output.status
                ))
            }),
        Err(err) => failed(format!("could not run {}: {err}", app.display())),
    }
}

/// Checks for an update, downloads and verifies it, and tells the user it is ready (installing
/// waits for their OK or the next quit: servers keep running). `asked`: from the tray menu, so
/// "up to date" and failures are told too; at start they are only logged, except a refused
/// signature, which is always told.
pub async fn check(hub: &Hub, asked: bool, on_install: impl FnOnce() + Send + 'static) {
    let note = match run(CHECK).await {
        UpdateReport::Ready { version } | UpdateReport::Installed { version } => {
            tracing::info!(%version, "an update is ready to install");
            *hub.update_ready.lock().expect("update lock") = Some(version.clone());
            hub.changed();
            Some(Note {
                action: Some(("install".into(), "Install and restart".into())),
                ..note(
                    &format!("Dockside {version} is ready to install"),
                    "Your servers keep running. Install it from the tray menu now, or it is \
                     installed when you quit Dockside."
                        .into(),
                )
            })
        }
        UpdateReport::UpToDate => {
            tracing::info!("Dockside is up to date");
            asked.then(|| note("Dockside is up to date", String::new()))
        }
        UpdateReport::NoEndpoint { message } => {
            tracing::info!("no update check: {message}");
            asked.then(|| note("Update check failed", message))
        }
        UpdateReport::BadSignature { message } => {
            tracing::warn!("update check: {message}");
            Some(note("Update check failed", message))
        }
        UpdateReport::Failed { message } => {
            tracing::warn!("update check: {message}");
            asked.then(|| note("Update check failed", message))
        }
    };
    let muted = hub
        .prefs
        .lock()
        .expect("prefs lock")
        .muted
        .contains(&Kind::Update);
    if let Some(note) = note.filter(|_| asked || !muted) {
        notify::show(note, move |_| on_install());
    }
}

fn note(title: &str, body: String) -> Note {
    Note {
        kind: Kind::Update,
        server: None,
        title: title.into(),
        body,
        action: None,
    }
}

/// Installs the update found earlier, if any (the installer may ask for a password). Returns
/// whether one was installed; failures are told.
pub async fn install(hub: &Hub) -> bool {
    if hub.update_ready.lock().expect("update lock").is_none() {
        return false;
    }
    match run(INSTALL).await {
        UpdateReport::Installed { version } => {
            tracing::info!(%version, "update installed");
            *hub.update_ready.lock().expect("update lock") = None;
            true
        }
        report => {
            let message = match report {
                UpdateReport::UpToDate => "the update is no longer offered".to_owned(),
                UpdateReport::NoEndpoint { message }
                | UpdateReport::BadSignature { message }
                | UpdateReport::Failed { message } => message,
                UpdateReport::Ready { version } | UpdateReport::Installed { version } => {
                    format!("{version} was downloaded but not installed")
                }
            };
            tracing::warn!("could not install the update: {message}");
            notify::show(note("Could not install the update", message), |_| {});
            false
        }
    }
}
