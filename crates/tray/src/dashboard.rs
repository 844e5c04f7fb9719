//! The dashboard: `dockside-app --dashboard`, a separate process started when the user opens
//! it, which exits when its window closes. A second one started while one is open hands over
//! to it (Tauri's single-instance plugin) and exits: it shows the screen asked for.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dockside_desktop::launch;
use tokio::sync::Notify;

#[derive(Default)]
pub struct Dashboards {
    /// Dashboards started and still running.
    running: Arc<Mutex<HashSet<u32>>>,
    /// Asks every running dashboard to close.
    close: Arc<Notify>,
}

impl Dashboards {
    /// Starts the dashboard on `screen` (`production`, `clients`…) or its first screen.
    pub fn open(&self, screen: Option<&str>) {
        let Some(app) = launch::sibling(launch::APP) else {
            tracing::error!("cannot tell where this executable is: no dashboard");
            return;
        };
        let mut command = tokio::process::Command::new(&app);
        command.arg("--dashboard");
        if let Some(screen) = screen {
            command.args(["--screen", screen]);
        }
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(err) => {
                tracing::error!("could not start the dashboard ({}): {err}", app.display());
                return;
            }
        };
        let Some(pid) = child.id() else { return };
        tracing::info!(pid, screen, "opened the dashboard");
        self.running.lock().expect("dashboards lock").insert(pid);
        let (running, close) = (Arc::clone(&self.running), Arc::clone(&self.close));
        tokio::spawn(async move {
            tokio::select! {
                status = child.wait() => tracing::info!(pid, ?status, "the dashboard exited"),
                _ = close.notified() => {
                    let _ = child.kill().await;
                }
            }
            running.lock().expect("dashboards lock").remove(&pid);
        });
    }

    /// Closes every dashboard (at quit); waits for them, a few seconds at most.
    pub async fn close_all(&self) {
        self.close.notify_waiters();
        for _ in 0..30 {
            if self.running.lock().expect("dashboards lock").is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
