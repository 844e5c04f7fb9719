//! The dashboard window (label `main`, declared hidden in `tauri.conf.json`).
//!
//! Closing it only hides it: the app lives in the tray until "Quit".

use tauri::{AppHandle, Manager, Runtime, Window, WindowEvent};

pub const MAIN: &str = "main";

/// Shows, un-minimizes and focuses the dashboard.
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    let Some(window) = app.get_webview_window(MAIN) else {
        tracing::error!("the dashboard window `{MAIN}` does not exist");
        return;
    };
    let result = window
        .unminimize()
        .and_then(|()| window.show())
        .and_then(|()| window.set_focus());
    if let Err(err) = result {
        tracing::warn!("could not show the dashboard: {err}");
    }
}

/// Window event hook: turns "close" on the dashboard into "hide".
pub fn on_window_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    if let WindowEvent::CloseRequested { api, .. } = event {
        if window.label() == MAIN {
            api.prevent_close();
            if let Err(err) = window.hide() {
                tracing::warn!("could not hide the dashboard: {err}");
            }
        }
    }
}
