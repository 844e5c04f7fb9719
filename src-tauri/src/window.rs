//! The dashboard window (label `main`), created only when the user opens it and destroyed when
//! closed: a tray app that nobody is looking at runs no web view (no WebKit process).
//!
//! Closing it does not quit: the app lives in the tray until "Quit" (`ExitRequested` without a
//! code is refused in `lib.rs`).

use tauri::{AppHandle, Emitter, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

pub const MAIN: &str = "main";

/// Turns GDK's own OpenGL off for this process unless the user set `GDK_GL` themselves.
///
/// GTK 3 on X11 picks its visuals when it opens the display by asking the GL driver (GLX):
/// that loads the driver, and Mesa's drivers load LLVM — about 50 MiB of a tray that shows no
/// window (measured: 125 → 74 MiB RSS, docs/BENCHMARKS.md). Dockside draws nothing with GDK's
/// GL. WebKit then renders the dashboard without hardware acceleration (it says so in the log),
/// which a page of lists and forms does not need; WebKit's snapshot API (WebDriver screenshots)
/// never returns in that mode, so tests/app/driver-e2e.sh turns GL back on. Call it first thing
/// in `main`, before any thread starts (it sets an environment variable; the daemon and its
/// servers inherit it, and only GTK's GL reads it).
pub fn without_gdk_gl() {
    if cfg!(target_os = "linux") && std::env::var_os("GDK_GL").is_none() {
        std::env::set_var("GDK_GL", "disable");
    }
}

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
