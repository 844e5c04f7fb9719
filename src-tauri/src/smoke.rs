//! `--smoke-test`: proves the dashboard really starts — window, webview, page, IPC. (The tray
//! is another process, `dockside-tray`: tests/app/tray-e2e.sh.)
//!
//! The run shows the dashboard and waits for the page to call the `ui_ready` command (which
//! needs the bundled UI to load, its script to run and a command round trip to succeed).
//! Then it checks the window and exits 0; if `ui_ready` does not come within
//! [`TIMEOUT`], it exits 1.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde::Deserialize;
use tauri::{AppHandle, Manager, Runtime};

use crate::window;

/// What the UI saw on its first load (mirrors `UiReport` in `ui/src/api.ts`).
#[derive(Debug, Clone, Deserialize)]
pub struct UiReport {
    pub servers: Option<usize>,
    pub error: Option<String>,
}

pub const TIMEOUT: Duration = Duration::from_secs(20);

static STARTED: OnceLock<Instant> = OnceLock::new();

/// Starts the clock: exit 1 if the UI is not ready within [`TIMEOUT`].
pub fn arm<R: Runtime>(app: &AppHandle<R>) {
    STARTED.get_or_init(Instant::now);
    let app = app.clone();
    std::thread::spawn(move || {
        std::thread::sleep(TIMEOUT);
        eprintln!(
            "smoke test FAILED: the UI did not call `ui_ready` within {} s \
             (page not loaded, script error, or IPC refused — run with RUST_LOG=debug)",
            TIMEOUT.as_secs()
        );
        app.exit(1);
        // If the event loop is wedged, `exit` never gets processed.
        std::thread::sleep(Duration::from_secs(5));
        std::process::exit(1);
    });
}

/// Called from `ui_ready`: checks what should be up and exits accordingly.
pub fn finish<R: Runtime>(app: &AppHandle<R>, report: &UiReport) {
    let elapsed = STARTED.get().map(Instant::elapsed).unwrap_or_default();
    let mut problems = Vec::new();
    match app.get_webview_window(window::MAIN) {
        None => problems.push(format!("no `{}` window", window::MAIN)),
        Some(w) => {
            if !w.is_visible().unwrap_or(false) {
                problems.push(format!("the `{}` window is not visible", window::MAIN));
            }
        }
    }
    let backend = match (&report.servers, &report.error) {
        (Some(n), _) => format!("{n} servers listed"),
        (None, Some(err)) => format!("list_servers answered: {err}"),
        (None, None) => "no list_servers answer".to_string(),
    };
    if problems.is_empty() {
        eprintln!(
            "smoke test passed: window and UI up after {} ms ({backend})",
            elapsed.as_millis()
        );
        app.exit(0);
    } else {
        eprintln!("smoke test FAILED: {}", problems.join("; "));
        app.exit(1);
    }
}
