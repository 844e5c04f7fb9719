//! "Start at login": a login item on macOS (a LaunchAgent), an XDG autostart entry on Linux, a
//! Run key on Windows (the `auto-launch` crate, which Tauri's autostart plugin wraps too). The
//! entry is named "Dockside", as earlier versions named it, and starts the tray
//! ([`launch::tray_launcher`]): the light process, never the dashboard.

use auto_launch::{AutoLaunch, AutoLaunchBuilder};

use crate::launch;

/// The entry's name (Tauri's autostart plugin used the product name: entries made by earlier
/// versions are found and replaced).
const NAME: &str = "Dockside";

fn entry() -> Result<AutoLaunch, String> {
    let path = launch::tray_launcher()
        .ok_or_else(|| "cannot tell where Dockside's tray binary is".to_owned())?;
    let mut builder = AutoLaunchBuilder::new();
    builder
        .set_app_name(NAME)
        .set_app_path(&path.to_string_lossy())
        .set_macos_launch_mode(auto_launch::MacOSLaunchMode::LaunchAgent);
    builder
        .build()
        .map_err(|err| format!("start at login is not available here: {err}"))
}

/// Whether Dockside starts at login (false when it cannot be told).
pub fn enabled() -> bool {
    entry()
        .and_then(|e| e.is_enabled().map_err(|err| err.to_string()))
        .unwrap_or(false)
}

/// Turns "Start at login" on or off (nothing to do when it already is). Turning it on again
/// rewrites the entry, so one left by an older version starts this tray.
pub fn set(on: bool) -> Result<(), String> {
    let entry = entry()?;
    let result = if on {
        entry.enable()
    } else if entry.is_enabled().unwrap_or(false) {
        entry.disable()
    } else {
        return Ok(());
    };
    result.map_err(|err| format!("could not change start at login: {err}"))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    /// The XDG entry lands in `~/.config/autostart`, starts the tray, and goes away.
    #[test]
    fn the_login_entry_starts_the_tray_and_can_be_removed() {
        let dir = tempfile::tempdir().unwrap();
        // auto-launch finds the folder through `$HOME` (no other test here reads it).
        std::env::set_var("HOME", dir.path());
        std::env::remove_var("APPIMAGE");
        assert!(!super::enabled());
        super::set(true).unwrap();
        assert!(super::enabled());
        let file = dir.path().join(".config/autostart/Dockside.desktop");
        let text = std::fs::read_to_string(&file).unwrap();
        let exec = text
            .lines()
            .find_map(|l| l.strip_prefix("Exec="))
            .unwrap_or_default()
            .to_owned();
        assert!(exec.contains("dockside-tray"), "{text}");
        super::set(false).unwrap();
        assert!(!file.exists());
        assert!(!super::enabled());
        // Off again: nothing to do, no error.
        super::set(false).unwrap();
    }
}
