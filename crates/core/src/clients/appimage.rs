//! Dockside run from its AppImage.
//!
//! The AppImage runtime mounts the image at a new folder on every start (`$APPDIR`, such as
//! `/tmp/.mount_DocksiAbC123`) and unmounts it when the program it started exits. The
//! `…/usr/bin/dockside` inside is therefore no path to write into a client's file, nor one a
//! daemon that outlives the app can run from. The stable path is a link on the user's `PATH`,
//! `~/.local/bin/dockside` → the AppImage file (`$APPIMAGE`): the image's entry point
//! (`AppRun`, written by `scripts/appimage`) runs the CLI when started under the name
//! `dockside`. Moving the AppImage leaves the link dangling (`dockside doctor` reports the
//! entries as missing); the next start from the new place points it there again and
//! `dockside client sync` repairs the entries.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The AppImage a binary was started from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppImage {
    /// The `.AppImage` file (`$APPIMAGE`).
    pub image: PathBuf,
}

impl AppImage {
    /// The AppImage holding `binary`, from the runtime's `$APPIMAGE` and `$APPDIR`: `None`
    /// unless both are set and `binary` lies inside the mounted (or extracted) image.
    pub fn holding(binary: &Path) -> Option<AppImage> {
        Self::from_vars(
            std::env::var_os("APPIMAGE"),
            std::env::var_os("APPDIR"),
            binary,
        )
    }

    fn from_vars(
        image: Option<OsString>,
        mount: Option<OsString>,
        binary: &Path,
    ) -> Option<AppImage> {
        let image = PathBuf::from(image.filter(|v| !v.is_empty())?);
        let mount = PathBuf::from(mount.filter(|v| !v.is_empty())?);
        (image.is_absolute() && mount.is_absolute() && binary.starts_with(&mount))
            .then_some(AppImage { image })
    }

    /// The `dockside` link to this AppImage, made (or pointed here again) when needed:
    /// `HOME/.local/bin/dockside`, or `HOME/.local/share/dockside/bin/dockside` when the
    /// first is a file of the user's own (never replaced). The error names the link.
    pub fn stable_link(&self, home: &Path) -> std::io::Result<PathBuf> {
        let on_path = home.join(".local/bin/dockside");
        let link = match std::fs::symlink_metadata(&on_path) {
            Ok(meta) if !meta.file_type().is_symlink() => {
                home.join(".local/share/dockside/bin/dockside")
            }
            _ => on_path,
        };
        if std::fs::read_link(&link).ok().as_deref() != Some(self.image.as_path()) {
            point(&link, &self.image).map_err(|e| {
                std::io::Error::new(e.kind(), format!("cannot link {}: {e}", link.display()))
            })?;
        }
        Ok(link)
    }
}

/// The stable `dockside` to run instead of `binary` when `binary` is inside an AppImage (see
/// the module docs); `None` elsewhere, or when the link cannot be made (with a warning on
/// stderr, which the CLI shows and the app and daemon log: the caller keeps `binary`, which
/// works only while that AppImage runs).
pub fn stable_binary(binary: &Path) -> Option<PathBuf> {
    let image = AppImage::holding(binary)?;
    let home = super::env::Env::from_process().home;
    image
        .stable_link(&home)
        .inspect_err(|err| {
            eprintln!(
                "warning: running from {}, but {err}; client entries written now run {}, which \
                 goes away when this AppImage stops",
                image.image.display(),
                binary.display()
            )
        })
        .ok()
}

/// Makes `link` a symbolic link to `target`, replacing an older link in one step.
#[cfg(unix)]
fn point(link: &Path, target: &Path) -> std::io::Result<()> {
    let dir = link.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let staged = dir.join(format!(".dockside-link-{}", std::process::id()));
    let _ = std::fs::remove_file(&staged);
    std::os::unix::fs::symlink(target, &staged)?;
    std::fs::rename(&staged, link).inspect_err(|_| {
        let _ = std::fs::remove_file(&staged);
    })
}

#[cfg(not(unix))]
fn point(_link: &Path, _target: &Path) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "AppImages exist on Linux only",
    ))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn vars(image: &Path, mount: &Path) -> (Option<OsString>, Option<OsString>) {
        (Some(image.into()), Some(mount.into()))
    }

    #[test]
    fn only_a_binary_inside_the_mounted_image_is_in_an_appimage() {
        let image = Path::new("/home/me/Apps/Dockside.AppImage");
        let mount = Path::new("/tmp/.mount_DocksiAbC123");
        let inside = mount.join("usr/bin/dockside");
        let (i, m) = vars(image, mount);
        assert_eq!(
            AppImage::from_vars(i.clone(), m.clone(), &inside),
            Some(AppImage {
                image: image.to_owned()
            })
        );
        assert_eq!(
            AppImage::from_vars(i.clone(), m.clone(), Path::new("/usr/bin/dockside")),
            None
        );
        assert_eq!(AppImage::from_vars(None, m, &inside), None);
        assert_eq!(AppImage::from_vars(i, None, &inside), None);
        let (i, m) = vars(Path::new("Dockside.AppImage"), mount);
        assert_eq!(
            AppImage::from_vars(i, m, &inside),
            None,
            "relative $APPIMAGE"
        );
    }

    #[test]
    fn the_link_is_made_then_kept_then_pointed_at_a_moved_image() {
        let home = tempfile::tempdir().unwrap();
        let first = AppImage {
            image: home.path().join("Downloads/Dockside.AppImage"),
        };
        let link = first.stable_link(home.path()).unwrap();
        assert_eq!(link, home.path().join(".local/bin/dockside"));
        assert_eq!(std::fs::read_link(&link).unwrap(), first.image);

        let made = std::fs::symlink_metadata(&link)
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(first.stable_link(home.path()).unwrap(), link);
        let kept = std::fs::symlink_metadata(&link)
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(made, kept, "an up-to-date link is left alone");

        let moved = AppImage {
            image: home.path().join("Apps/Dockside.AppImage"),
        };
        assert_eq!(moved.stable_link(home.path()).unwrap(), link);
        assert_eq!(std::fs::read_link(&link).unwrap(), moved.image);
        let leftovers: Vec<_> = std::fs::read_dir(link.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, vec![OsString::from("dockside")]);
    }

    #[test]
    fn a_link_that_cannot_be_made_is_named_in_the_error() {
        let home = tempfile::tempdir().unwrap();
        // `.local` is a file: no folder can be made under it.
        std::fs::write(home.path().join(".local"), "").unwrap();
        let image = AppImage {
            image: home.path().join("Dockside.AppImage"),
        };
        let err = image.stable_link(home.path()).unwrap_err().to_string();
        let link = home.path().join(".local/bin/dockside");
        assert!(
            err.starts_with(&format!("cannot link {}: ", link.display())),
            "{err}"
        );
    }

    #[test]
    fn a_dockside_of_the_user_s_own_is_never_replaced() {
        let home = tempfile::tempdir().unwrap();
        let own = home.path().join(".local/bin/dockside");
        std::fs::create_dir_all(own.parent().unwrap()).unwrap();
        std::fs::write(&own, "#!/bin/sh\necho mine\n").unwrap();
        let image = AppImage {
            image: home.path().join("Dockside.AppImage"),
        };
        let link = image.stable_link(home.path()).unwrap();
        assert_eq!(link, home.path().join(".local/share/dockside/bin/dockside"));
        assert_eq!(std::fs::read_link(&link).unwrap(), image.image);
        assert_eq!(
            std::fs::read_to_string(&own).unwrap(),
            "#!/bin/sh\necho mine\n"
        );
    }
}
