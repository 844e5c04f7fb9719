//! The dashboard window (label `main`). The dashboard process exists for it: closing the
//! window ends the process (the tray, `dockside-tray`, lives on).

use tauri::{AppHandle, Emitter, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

pub const MAIN: &str = "main";

/// Tauri event asking an open dashboard to show a screen (`"servers"`, `"production"`, …).
pub const EVENT_NAVIGATE: &str = "navigate";

/// Shows, un-minimizes and focuses the dashboard, creating it if it is not open, on `screen`
/// when given (`production`, `clients`…).
pub fn show_main<R: Runtime>(app: &AppHandle<R>, screen: Option<&str>) {
    let window = match app.get_webview_window(MAIN) {
        Some(window) => {
            if let Some(screen) = screen {
                let _ = app.emit(EVENT_NAVIGATE, screen);
            }
            window
        }
        None => {
            // The UI reads its first screen from the URL's fragment.
            let page = match screen {
                Some(screen) => format!("index.html#{screen}"),
                None => "index.html".to_owned(),
            };
            let built = WebviewWindowBuilder::new(app, MAIN, WebviewUrl::App(page.into()))
                .title("Dockside")
                .inner_size(960.0, 640.0)
                .min_inner_size(640.0, 400.0)
                .center()
                .build();
            match built {
                Ok(window) => window,
                Err(err) => {
                    tracing::error!("could not open the dashboard: {err}");
                    return;
                }
            }
        }
    };
    let result = window
        .unminimize()
        .and_then(|()| window.show())
        .and_then(|()| window.set_focus());
    if let Err(err) = result {
        tracing::warn!("could not show the dashboard: {err}");
    }
}

/// `--show-on-stdin`: each line read on stdin shows the dashboard on the screen it names (an
/// empty line: as it is). The tray opens an open dashboard this way rather than starting a
/// second process. Reading stops at the end of stdin (the tray is gone).
pub fn show_on_stdin<R: Runtime>(app: AppHandle<R>) {
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            let screen = Some(line.trim().to_owned()).filter(|s| !s.is_empty());
            let asked = screen.as_deref().unwrap_or("as it is");
            tracing::info!("the tray asks to show the dashboard ({asked})");
            let handle = app.clone();
            let shown = app.run_on_main_thread(move || show_main(&handle, screen.as_deref()));
            if let Err(err) = shown {
                tracing::warn!("could not show the dashboard: {err}");
            }
        }
    });
}
