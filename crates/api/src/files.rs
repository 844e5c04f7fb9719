//! The files a daemon keeps in its Dockside home, and the one reader and writer of each:
//!
//! | file | what | written by |
//! | --- | --- | --- |
//! | `daemon.json` | where the running daemon listens ([`DaemonInfo`]) | [`write_info`], removed by [`remove_info`] |
//! | `daemon.lock` | held (`File::try_lock`: `flock` / `LockFileEx`) while a daemon lives: one daemon per home | [`DaemonLock`] |
//! | `daemon.log` | the detached daemon's stdout and stderr | [`crate::start`] |
//! | `token` | the bearer token of the MCP endpoints and the control API (mode 0600) | [`load_or_create_token`] |

use std::io::Write;
use std::path::PathBuf;

use dockside_core::Home;

use crate::DaemonInfo;

/// The daemon's default port (Docker's gateway uses 8811).
pub const DEFAULT_PORT: u16 = 8813;

pub fn info_path(home: &Home) -> PathBuf {
    home.root().join("daemon.json")
}

pub fn token_path(home: &Home) -> PathBuf {
    home.root().join("token")
}

pub fn lock_path(home: &Home) -> PathBuf {
    home.root().join("daemon.lock")
}

pub fn log_path(home: &Home) -> PathBuf {
    home.root().join("daemon.log")
}

/// What `daemon.json` says, if it parses, whether or not its daemon still lives.
fn read_info_file(home: &Home) -> Option<DaemonInfo> {
    let text = std::fs::read_to_string(info_path(home)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Where the daemon of `home` listens, if `daemon.json` names one whose process is alive (it
/// may still not answer: callers that need an answer connect).
pub fn read_info(home: &Home) -> Option<DaemonInfo> {
    read_info_file(home).filter(|info| pid_alive(info.pid))
}

/// Publishes where this daemon listens (whole file or nothing: written aside, then renamed).
pub fn write_info(home: &Home, info: &DaemonInfo) -> std::io::Result<()> {
    let tmp = home.root().join(".daemon.json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(info)?)?;
    std::fs::rename(&tmp, info_path(home))
}

/// Removes `daemon.json` if it still names daemon `pid` (a newer daemon's file stays).
pub fn remove_info(home: &Home, pid: u32) {
    if read_info_file(home).is_some_and(|i| i.pid == pid) {
        let _ = std::fs::remove_file(info_path(home));
    }
}

/// The token: `MCP_GATEWAY_AUTH_TOKEN` if set (the daemon reads it the same way), else the
/// token file.
pub fn read_token(home: &Home) -> Option<String> {
    if let Some(t) = std::env::var("MCP_GATEWAY_AUTH_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
    {
        return Some(t);
    }
    std::fs::read_to_string(token_path(home))
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// The token, generated (32 random bytes, hex) and saved with mode 0600 the first time.
pub fn load_or_create_token(home: &Home) -> anyhow::Result<String> {
    if let Some(t) = read_token(home) {
        return Ok(t);
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness for a token: {e}"))?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::create_dir_all(home.root())?;
    let p = token_path(home);
    // Written whole to a private temporary file, then linked into place: a process killed
    // at any point leaves no token or the whole token, never an empty file.
    let tmp = home
        .root()
        .join(format!(".token.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let written = opts.open(&tmp).and_then(|mut f| {
        f.write_all(token.as_bytes())?;
        f.sync_all()
    });
    let linked = written.and_then(|()| std::fs::hard_link(&tmp, &p));
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(token),
        // Someone else created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            read_token(home).ok_or_else(|| anyhow::anyhow!("{} is empty", p.display()))
        }
        Err(e) => Err(anyhow::anyhow!("cannot write {}: {e}", p.display())),
    }
}

/// Whether process `pid` exists and is not a zombie.
pub fn pid_alive(pid: u32) -> bool {
    #[cfg(target_os = "linux")]
    {
        // A zombie (exited, not yet reaped by its parent) is not alive.
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next());
            if state == Some("Z") {
                return false;
            }
        }
    }
    #[cfg(unix)]
    {
        // SAFETY: signal 0 only checks for existence.
        let r = unsafe { libc::kill(pid as libc::pid_t, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(windows)]
    {
        use windows_sys::Win32::Foundation::{
            CloseHandle, GetLastError, ERROR_ACCESS_DENIED, STILL_ACTIVE,
        };
        use windows_sys::Win32::System::Threading::{
            GetExitCodeProcess, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
        };
        // SAFETY: plain Win32 calls on a handle we open and close here.
        unsafe {
            let handle = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
            if handle.is_null() {
                // Another user's process exists but refuses us.
                return GetLastError() == ERROR_ACCESS_DENIED;
            }
            let mut code = 0u32;
            let ok = GetExitCodeProcess(handle, &mut code) != 0;
            CloseHandle(handle);
            ok && code == STILL_ACTIVE as u32
        }
    }
}

/// The exclusive per-home lock, held while the daemon lives.
pub struct DaemonLock {
    _file: std::fs::File,
}

impl DaemonLock {
    pub fn acquire(home: &Home) -> anyhow::Result<DaemonLock> {
        std::fs::create_dir_all(home.root())?;
        let path = lock_path(home);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
        // `flock` on Unix, `LockFileEx` on Windows: released by the OS when the process dies.
        if let Err(e) = file.try_lock() {
            if let std::fs::TryLockError::Error(e) = e {
                anyhow::bail!("cannot lock {}: {e}", path.display());
            }
            let running = read_info(home)
                .map(|i| format!(" (pid {}, {}/mcp)", i.pid, i.base_url()))
                .unwrap_or_default();
            anyhow::bail!(
                "a Dockside daemon already runs for {}{running}; `dockside status` shows it, `dockside stop` stops it",
                home.root().display()
            );
        }
        Ok(DaemonLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_round_trips_and_only_its_daemon_removes_it() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path());
        assert!(read_info(&home).is_none());
        let info = DaemonInfo {
            pid: std::process::id(),
            host: "127.0.0.1".into(),
            port: 9,
            version: "0".into(),
            started_at: 1,
        };
        write_info(&home, &info).unwrap();
        assert_eq!(read_info(&home), Some(info.clone()));
        remove_info(&home, info.pid + 1);
        assert!(info_path(&home).exists());
        remove_info(&home, info.pid);
        assert!(!info_path(&home).exists());
    }

    #[test]
    fn a_dead_daemon_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path());
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let info = DaemonInfo {
            pid,
            host: "127.0.0.1".into(),
            port: 9,
            version: "0".into(),
            started_at: 1,
        };
        write_info(&home, &info).unwrap();
        assert!(read_info(&home).is_none());
    }

    #[test]
    fn the_token_is_made_once_and_private() {
        if std::env::var_os("MCP_GATEWAY_AUTH_TOKEN").is_some() {
            return; // the variable overrides the file by design
        }
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path());
        let t = load_or_create_token(&home).unwrap();
        assert_eq!(t.len(), 64);
        assert_eq!(load_or_create_token(&home).unwrap(), t);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(token_path(&home))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
