//! Where Dockside's binaries are: the `dockside` CLI the daemon runs from, the tray
//! (`dockside-tray`) and the dashboard (`dockside-app`). Installed together they sit in one
//! folder (`/usr/bin`, the `.app`'s `MacOS`, the Windows install dir, `target/<profile>`).

use std::path::{Path, PathBuf};

/// The tray binary's name (without `.exe`).
pub const TRAY: &str = "dockside-tray";
/// The dashboard binary's name (the Tauri app; without `.exe`).
pub const APP: &str = "dockside-app";

/// `name` in this executable's folder (whether or not it exists).
pub fn sibling(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.with_file_name(format!("{name}{}", std::env::consts::EXE_SUFFIX)))
}

/// The `dockside` binary: beside this executable (installed together, or `target/debug`; from
/// an AppImage, its stable link), else on PATH; `DOCKSIDE_BIN` overrides both.
pub fn find_dockside() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("DOCKSIDE_BIN").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let beside = sibling("dockside");
    // From an AppImage, the daemon runs from its own mount: it may outlive this app's.
    if let Some(link) = beside
        .as_deref()
        .and_then(dockside_core::clients::appimage::stable_binary)
    {
        return Some(link);
    }
    let path_dirs = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    let name = format!("dockside{}", std::env::consts::EXE_SUFFIX);
    beside
        .into_iter()
        .chain(path_dirs.iter().map(|dir| dir.join(&name)))
        .find(|candidate| candidate.is_file())
}

/// What starts Dockside (its tray) from outside: the AppImage when running from one (its
/// `AppRun` starts the tray), else the tray binary beside this one.
pub fn tray_launcher() -> Option<PathBuf> {
    appimage().or_else(|| sibling(TRAY))
}

/// The AppImage this process runs from (`$APPIMAGE`, set by the AppImage runtime).
pub fn appimage() -> Option<PathBuf> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    std::env::var_os("APPIMAGE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| Path::new(p).is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockside_is_found_through_the_override() {
        // Only the override is checked here: PATH and the build dir differ between machines.
        std::env::set_var("DOCKSIDE_BIN", "/opt/x/dockside");
        assert_eq!(find_dockside(), Some(PathBuf::from("/opt/x/dockside")));
        std::env::remove_var("DOCKSIDE_BIN");
    }

    #[test]
    fn siblings_share_this_executables_folder() {
        let exe = std::env::current_exe().unwrap();
        let tray = sibling(TRAY).unwrap();
        assert_eq!(tray.parent(), exe.parent());
        assert!(tray
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("dockside-tray"));
    }
}
