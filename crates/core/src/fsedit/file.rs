//! Reading a user's file once, and writing it back atomically only if nobody changed it meanwhile.
//!
//! ```text
//! let snap = Snapshot::read(path)?;          // exact bytes remembered
//! let new_text = edit(snap.text())?;         // pure
//! commit(&snap, Some(&new_text), &opts)?;    // refuses if the file changed since `read`
//! ```
//!
//! `commit` writes a temp file in the same directory, fsyncs it, gives it the original file's
//! permissions, re-reads the original and compares it with the snapshot, keeps a backup, renames
//! the temp file over the original and fsyncs the directory. The check-then-rename window is a
//! few microseconds; an editor saving in exactly that window loses to Dockside, which is why a
//! backup is always kept. When the path is a symlink the link's target is written, so dotfile
//! managers' links survive.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

/// How many backups are kept per file.
pub const BACKUPS_KEPT: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: the file changed since Dockside read it (edited meanwhile?); nothing was written — run the command again", path.display())]
    Changed { path: PathBuf },
    #[error("{}: not valid UTF-8; Dockside will not edit it", path.display())]
    NotUtf8 { path: PathBuf },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> FileError + '_ {
    move |source| FileError::Io {
        path: path.to_owned(),
        source,
    }
}

/// A file's content as read, remembered so a later write can tell whether it changed.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The path as given (possibly a symlink).
    pub path: PathBuf,
    /// The file actually read and written (the symlink's target, or `path`).
    pub real_path: PathBuf,
    /// `None` when the file does not exist.
    pub text: Option<String>,
}

impl Snapshot {
    pub fn read(path: &Path) -> Result<Snapshot, FileError> {
        let real_path = fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
        let text = read_opt(&real_path)?;
        Ok(Snapshot {
            path: path.to_owned(),
            real_path,
            text,
        })
    }

    pub fn text(&self) -> &str {
        self.text.as_deref().unwrap_or("")
    }

    pub fn exists(&self) -> bool {
        self.text.is_some()
    }
}

fn read_opt(path: &Path) -> Result<Option<String>, FileError> {
    match fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| FileError::NotUtf8 {
                path: path.to_owned(),
            }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(path)(e)),
    }
}

/// Options for [`commit`].
#[derive(Debug, Clone, Default)]
pub struct CommitOptions {
    /// Where backups go (`DOCKSIDE_HOME/backups`); `None` disables backups.
    pub backup_root: Option<PathBuf>,
    /// Secret values written into backups as `${dockside-secret:NAME}` instead.
    pub redact: Option<crate::secrets::Redactor>,
}

/// What [`commit`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Committed {
    Unchanged,
    Written { backup: Option<PathBuf> },
    Deleted { backup: Option<PathBuf> },
}

/// Writes `new_text` (or deletes the file when `None`) if the file still holds exactly what
/// `snap` read. Does nothing when the content would not change.
pub fn commit(
    snap: &Snapshot,
    new_text: Option<&str>,
    opts: &CommitOptions,
) -> Result<Committed, FileError> {
    if snap.text.as_deref() == new_text {
        return Ok(Committed::Unchanged);
    }
    let path = &snap.real_path;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));

    let Some(new_text) = new_text else {
        ensure_unchanged(snap)?;
        let backup = backup(snap, opts)?;
        fs::remove_file(path).map_err(io_err(path))?;
        sync_dir(dir);
        return Ok(Committed::Deleted { backup });
    };

    fs::create_dir_all(dir).map_err(io_err(dir))?;
    injected_fault(snap)?;
    remove_stale_temps(path);
    let tmp = temp_path(path);
    let result = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(io_err(&tmp))?;
        f.write_all(new_text.as_bytes()).map_err(io_err(&tmp))?;
        if let Ok(meta) = fs::metadata(path) {
            f.set_permissions(meta.permissions())
                .map_err(io_err(&tmp))?;
        }
        f.sync_all().map_err(io_err(&tmp))?;
        drop(f);
        ensure_unchanged(snap)?;
        let backup = backup(snap, opts)?;
        fs::rename(&tmp, path).map_err(io_err(path))?;
        sync_dir(dir);
        Ok(Committed::Written { backup })
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// The environment variable naming a file whose writes fail: **for tests only** (a write failure
/// mid-transaction, which `chmod` cannot cause for root). Unset in normal use.
pub const FAULT_WRITE_ENV: &str = "DOCKSIDE_FAULT_WRITE";

fn injected_fault(snap: &Snapshot) -> Result<(), FileError> {
    let Some(target) = std::env::var_os(FAULT_WRITE_ENV).filter(|v| !v.is_empty()) else {
        return Ok(());
    };
    let target = Path::new(&target);
    if target == snap.path || target == snap.real_path {
        return Err(FileError::Io {
            path: snap.path.clone(),
            source: io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("write refused by {FAULT_WRITE_ENV} (test-only fault injection)"),
            ),
        });
    }
    Ok(())
}

fn ensure_unchanged(snap: &Snapshot) -> Result<(), FileError> {
    let now = read_opt(&snap.real_path).or_else(|e| match e {
        // Non-UTF-8 now means it changed.
        FileError::NotUtf8 { .. } => Ok(Some(String::from("\u{0}changed"))),
        e => Err(e),
    })?;
    if now != snap.text {
        return Err(FileError::Changed {
            path: snap.path.clone(),
        });
    }
    Ok(())
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    path.with_file_name(format!(
        ".{name}.dockside-{}-{nanos}.tmp",
        std::process::id()
    ))
}

/// Removes temp files a killed writer left beside `path` (`.NAME.dockside-PID-N.tmp`) whose
/// process is gone (Linux: no `/proc/PID`; elsewhere: older than ten minutes).
fn remove_stale_temps(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let prefix = format!(".{}.dockside-", name.to_string_lossy());
    let Ok(rd) = fs::read_dir(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }) else {
        return;
    };
    for e in rd.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = file
            .strip_prefix(&prefix)
            .and_then(|r| r.strip_suffix(".tmp"))
        else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or_default();
        let gone = if cfg!(target_os = "linux") {
            !Path::new("/proc").join(pid).exists()
        } else {
            e.metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 600)
        };
        if gone {
            let _ = fs::remove_file(e.path());
        }
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) {
    // Makes the rename durable; failure only weakens durability, never atomicity.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) {}

/// Copies the current content of the file to `backup_root/<file-key>/<name>.<timestamp>.bak`
/// and prunes old backups beyond [`BACKUPS_KEPT`].
fn backup(snap: &Snapshot, opts: &CommitOptions) -> Result<Option<PathBuf>, FileError> {
    let (Some(root), Some(text)) = (&opts.backup_root, &snap.text) else {
        return Ok(None);
    };
    let dir = backup_dir(root, &snap.real_path);
    fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    let name = file_name(&snap.real_path);
    let mut dest = dir.join(format!("{name}.{}.bak", timestamp(SystemTime::now())));
    let mut n = 1;
    while dest.exists() {
        dest = dir.join(format!("{name}.{}-{n}.bak", timestamp(SystemTime::now())));
        n += 1;
    }
    let text = match &opts.redact {
        Some(r) => std::borrow::Cow::Owned(r.redact(text)),
        None => std::borrow::Cow::Borrowed(text.as_str()),
    };
    fs::write(&dest, text.as_bytes()).map_err(io_err(&dest))?;
    prune(&dir, BACKUPS_KEPT);
    Ok(Some(dest))
}

/// The backup folder of one file: its name plus a short hash of its full path, so two
/// `settings.json` from different clients never mix.
pub fn backup_dir(root: &Path, file: &Path) -> PathBuf {
    let hash = Sha256::digest(file.to_string_lossy().as_bytes());
    root.join(format!("{}-{}", file_name(file), &hex::encode(hash)[..12]))
}

/// Backups of one file, oldest first.
pub fn list_backups(root: &Path, file: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(backup_dir(root, file))
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "bak"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn prune(dir: &Path, keep: usize) {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.sort();
    if v.len() > keep {
        for old in &v[..v.len() - keep] {
            let _ = fs::remove_file(old);
        }
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into())
}

/// `20261126T150455.123456789Z` (UTC; sorts lexically in time order).
pub fn timestamp(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, dd) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{dd:02}T{:02}{:02}{:02}.{:09}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_nanos()
    )
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_is_utc_calendar() {
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_795_000_000);
        assert_eq!(timestamp(t), "20261118T110640.000000000Z");
    }

    #[test]
    fn commit_refuses_changed_file_and_keeps_backups() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        fs::write(&p, "one").unwrap();
        let opts = CommitOptions {
            backup_root: Some(dir.path().join("backups")),
            ..Default::default()
        };
        let snap = Snapshot::read(&p).unwrap();
        fs::write(&p, "user edit").unwrap();
        assert!(matches!(
            commit(&snap, Some("two"), &opts),
            Err(FileError::Changed { .. })
        ));
        assert_eq!(fs::read_to_string(&p).unwrap(), "user edit");
        for i in 0..12 {
            let snap = Snapshot::read(&p).unwrap();
            commit(&snap, Some(&format!("v{i}")), &opts).unwrap();
        }
        assert_eq!(fs::read_to_string(&p).unwrap(), "v11");
        let backups = list_backups(&dir.path().join("backups"), &fs::canonicalize(&p).unwrap());
        assert_eq!(backups.len(), BACKUPS_KEPT);
        assert_eq!(fs::read_to_string(backups.last().unwrap()).unwrap(), "v10");
        // No temp files left behind.
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 2);
    }

    #[cfg(unix)]
    #[test]
    fn commit_keeps_permissions_and_symlinks() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        fs::write(&real, "{}").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o600)).unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let snap = Snapshot::read(&link).unwrap();
        commit(&snap, Some("{\"a\":1}"), &CommitOptions::default()).unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&real).unwrap(), "{\"a\":1}");
        assert_eq!(
            fs::metadata(&real).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}
