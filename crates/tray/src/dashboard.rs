//! The dashboard: `dockside-app --dashboard --show-on-stdin`, a separate process started when
//! the user opens it, which exits when its window closes. While one is open, opening the
//! dashboard again writes the screen asked for to its stdin: it shows that one, no second web
//! view starts. (A dashboard started by hand hands over to an open one through Tauri's
//! single-instance plugin.)

use std::collections::HashSet;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dockside_desktop::launch;
use tokio::io::AsyncWriteExt;
use tokio::process::ChildStdin;
use tokio::sync::Notify;

#[derive(Default)]
pub struct Dashboards {
    /// Dashboards started and still running.
    running: Arc<Mutex<HashSet<u32>>>,
    /// The newest running dashboard's pid and stdin, which takes the screens to show.
    newest: Arc<tokio::sync::Mutex<Option<(u32, ChildStdin)>>>,
    /// Asks every running dashboard to close.
    close: Arc<Notify>,
}

impl Dashboards {
    /// Shows the dashboard on `screen` (`production`, `clients`…) or as it is: the open one,
    /// else a new one (on its first screen when `screen` is `None`).
    pub async fn open(&self, screen: Option<&str>) {
        let mut newest = self.newest.lock().await;
        if let Some((pid, stdin)) = newest.as_mut() {
            let line = format!("{}\n", screen.unwrap_or_default());
            match stdin.write_all(line.as_bytes()).await {
                Ok(()) => {
                    tracing::info!(screen, "showed the open dashboard (pid {pid})");
                    return;
                }
                // It is closing: start another.
                Err(err) => tracing::info!(pid = *pid, "the dashboard is gone ({err})"),
            }
            *newest = None;
        }
        let Some(app) = launch::sibling(launch::APP) else {
            tracing::error!("cannot tell where this executable is: no dashboard");
            return;
        };
        let mut command = tokio::process::Command::new(&app);
        command
            .args(["--dashboard", "--show-on-stdin"])
            .stdin(Stdio::piped());
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
        *newest = child.stdin.take().map(|stdin| (pid, stdin));
        let (running, close) = (Arc::clone(&self.running), Arc::clone(&self.close));
        let newest = Arc::clone(&self.newest);
        tokio::spawn(async move {
            tokio::select! {
                status = child.wait() => tracing::info!(pid, ?status, "the dashboard exited"),
                _ = close.notified() => {
                    let _ = child.kill().await;
                }
            }
            running.lock().expect("dashboards lock").remove(&pid);
            let mut newest = newest.lock().await;
            if newest.as_ref().is_some_and(|(p, _)| *p == pid) {
                *newest = None;
            }
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
