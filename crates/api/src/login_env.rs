//! The user's login-shell environment, for a daemon started with a minimal one.
//!
//! A process started by the GUI (the tray app, a client app launched from the Dock, launchd)
//! inherits `PATH=/usr/bin:/bin:/usr/sbin:/sbin`, so `npx`, `uvx`, `node` and `docker`, which the
//! user's shell profile puts on PATH (Homebrew, nvm, fnm, asdf, mise, pyenv, volta, uv…), are not
//! found. The daemon and `gateway run` therefore read the login shell's environment once at start
//! ([`adopt`]): `$SHELL -l -i -c '<print markers and env -0>'` with stdin closed and a timeout;
//! only the text between the markers counts, so profile banners cannot confuse it. They keep PATH
//! (the login shell's entries first, then the inherited ones not already there) and the variables
//! version managers need (see [`kept`]); a variable the process already has is left as it is.
//! Values are never logged. `DOCKSIDE_LOGIN_SHELL=0` turns it off. Not on Windows, where GUI
//! programs get the user's PATH from the registry.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// `DOCKSIDE_LOGIN_SHELL=0` skips the login shell.
pub const SWITCH_ENV: &str = "DOCKSIDE_LOGIN_SHELL";

/// How long a login shell may take (nvm's init is slow; a hung profile must not hang the daemon).
pub const TIMEOUT: Duration = Duration::from_secs(10);

const MARKER: &str = "__DOCKSIDE_LOGIN_ENV_1f7c__";

/// Variables taken from the login shell besides PATH: what version managers and package tools
/// read, and the docker CLI's own (so the engine is the one the terminal uses).
const KEPT_PREFIXES: &[&str] = &[
    "NVM_",
    "FNM_",
    "ASDF_",
    "MISE_",
    "PYENV_",
    "UV_",
    "VOLTA_",
    "NPM_CONFIG_",
    "PNPM_",
    "BUN_",
    "HOMEBREW_",
    "DENO_",
    "RTX_",
    "RBENV_",
    "GOENV_",
    "SDKMAN_",
];
const KEPT_NAMES: &[&str] = &[
    "PATH",
    "NODE_PATH",
    "PIPX_HOME",
    "PIPX_BIN_DIR",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "GOPATH",
    "JAVA_HOME",
    "DOCKER_HOST",
    "DOCKER_CONTEXT",
    "DOCKER_CONFIG",
    "DOCKER_CERT_PATH",
    "DOCKER_TLS_VERIFY",
];

/// Whether the login shell's value of `name` is taken.
pub fn kept(name: &str) -> bool {
    KEPT_NAMES.contains(&name) || KEPT_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// The kept part of a login shell's environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginEnv {
    pub shell: PathBuf,
    pub vars: Vec<(String, OsString)>,
}

impl LoginEnv {
    /// The login shell of `$SHELL` (else `/bin/sh`), read once.
    pub fn read() -> Result<LoginEnv, String> {
        let shell = std::env::var_os("SHELL")
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/bin/sh"));
        LoginEnv::read_from(&shell, TIMEOUT)
    }

    /// Runs `shell -l -i -c …` and keeps what [`kept`] allows.
    pub fn read_from(shell: &Path, timeout: Duration) -> Result<LoginEnv, String> {
        let script = format!("printf '%s' '{MARKER}'; env -0; printf '%s' '{MARKER}'");
        let mut cmd = Command::new(shell);
        cmd.args(["-l", "-i", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot run the login shell {}: {e}", shell.display()))?;
        let mut stdout = child.stdout.take().expect("piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut out = Vec::new();
            let _ = std::io::Read::read_to_end(&mut stdout, &mut out);
            let _ = tx.send(out);
        });
        let out = rx.recv_timeout(timeout);
        // Whatever it left running (a profile that starts an agent) goes with it.
        #[cfg(unix)]
        // SAFETY: signalling the process group we created for this child.
        unsafe {
            libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL);
        }
        #[cfg(not(unix))]
        let _ = child.kill();
        let _ = child.wait();
        let out = out.map_err(|_| {
            format!(
                "the login shell {} did not print its environment within {} s",
                shell.display(),
                timeout.as_secs()
            )
        })?;
        let env = between_markers(&out).ok_or_else(|| {
            format!(
                "the login shell {} printed no environment (does `{} -l -i -c 'env -0'` work?)",
                shell.display(),
                shell.display()
            )
        })?;
        Ok(LoginEnv {
            shell: shell.to_owned(),
            vars: parse_env0(env)
                .into_iter()
                .filter(|(name, _)| kept(name))
                .collect(),
        })
    }

    pub fn get(&self, name: &str) -> Option<&OsStr> {
        self.vars
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_os_str())
    }

    /// The login shell's PATH entries, then `current`'s not already there.
    pub fn merged_path(&self, current: Option<&OsStr>) -> Option<OsString> {
        let login = self.get("PATH");
        let mut dirs: Vec<PathBuf> = Vec::new();
        for dir in login
            .into_iter()
            .chain(current)
            .flat_map(std::env::split_paths)
        {
            if !dir.as_os_str().is_empty() && !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
        std::env::join_paths(dirs).ok()
    }

    /// The variables to set in a process whose environment is `current`: the merged PATH, and
    /// every other kept variable it lacks.
    pub fn changes(&self, current: impl Fn(&str) -> Option<OsString>) -> Vec<(String, OsString)> {
        let mut out = Vec::new();
        if let Some(path) = self.merged_path(current("PATH").as_deref()) {
            if current("PATH").as_deref() != Some(path.as_os_str()) {
                out.push(("PATH".to_owned(), path));
            }
        }
        for (name, value) in &self.vars {
            if name != "PATH" && current(name).is_none() {
                out.push((name.clone(), value.clone()));
            }
        }
        out
    }
}

/// The text between the first marker and the last (the shell's `_` variable may hold the marker
/// too).
fn between_markers(out: &[u8]) -> Option<&[u8]> {
    let marker = MARKER.as_bytes();
    let mut at = out
        .windows(marker.len())
        .enumerate()
        .filter(|(_, w)| *w == marker);
    let start = at.next()?.0 + marker.len();
    let end = at.next_back()?.0;
    Some(&out[start..end])
}

fn parse_env0(bytes: &[u8]) -> Vec<(String, OsString)> {
    bytes
        .split(|b| *b == 0)
        .filter_map(|entry| {
            let text = String::from_utf8_lossy(entry);
            let (name, value) = text.split_once('=')?;
            (!name.is_empty() && !name.contains('\n'))
                .then(|| (name.to_owned(), OsString::from(value)))
        })
        .collect()
}

/// Reads the login shell and merges it into this process's environment (before any thread
/// starts: call it first thing in `dockside daemon` / `gateway run`). Returns the names of the
/// variables set, for the log; `Ok(empty)` when turned off or on Windows.
pub fn adopt() -> Result<Vec<String>, String> {
    if cfg!(windows) || std::env::var_os(SWITCH_ENV).is_some_and(|v| v == "0") {
        return Ok(Vec::new());
    }
    let login = LoginEnv::read()?;
    let changes = login.changes(|name| std::env::var_os(name));
    for (name, value) in &changes {
        std::env::set_var(name, value);
    }
    Ok(changes.into_iter().map(|(name, _)| name).collect())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn reads_a_login_shell_through_its_banners() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("tools");
        std::fs::write(
            dir.path().join(".profile"),
            format!(
                "echo 'Welcome!'\nexport PATH=\"{}:$PATH\"\nexport NVM_DIR=/x/nvm\nexport SECRET_THING=no\n",
                bin.display()
            ),
        )
        .unwrap();
        // `sh -l` reads $HOME/.profile: a wrapper gives the shell the scratch HOME.
        let wrapper = dir.path().join("shell");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nHOME={} exec /bin/sh \"$@\"\n",
                dir.path().display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(
            &wrapper,
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        let env = LoginEnv::read_from(&wrapper, TIMEOUT).unwrap();
        assert_eq!(env.get("NVM_DIR"), Some(OsStr::new("/x/nvm")));
        assert_eq!(env.get("SECRET_THING"), None);
        let merged = env
            .merged_path(Some(OsStr::new("/usr/bin:/opt/own")))
            .unwrap();
        let dirs: Vec<PathBuf> = std::env::split_paths(&merged).collect();
        assert_eq!(dirs[0], bin);
        assert!(dirs.ends_with(&[PathBuf::from("/opt/own")]), "{dirs:?}");
        assert_eq!(
            dirs.iter().filter(|d| *d == Path::new("/usr/bin")).count(),
            1
        );
    }

    #[test]
    fn a_hung_profile_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let shell = dir.path().join("shell");
        std::fs::write(&shell, "#!/bin/sh\nexec sleep 30\n").unwrap();
        std::fs::set_permissions(&shell, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let e = LoginEnv::read_from(&shell, Duration::from_millis(300)).unwrap_err();
        assert!(e.contains("did not print its environment"), "{e}");
    }

    #[test]
    fn the_process_keeps_its_own_values() {
        let env = LoginEnv {
            shell: "/bin/sh".into(),
            vars: vec![
                ("PATH".into(), "/login/bin:/usr/bin".into()),
                ("NVM_DIR".into(), "/login/nvm".into()),
                ("DOCKER_HOST".into(), "unix:///login.sock".into()),
            ],
        };
        let current = |name: &str| match name {
            "PATH" => Some(OsString::from("/usr/bin:/bin")),
            "DOCKER_HOST" => Some(OsString::from("unix:///mine.sock")),
            _ => None,
        };
        let changes = env.changes(current);
        assert_eq!(
            changes,
            vec![
                (
                    "PATH".to_owned(),
                    OsString::from("/login/bin:/usr/bin:/bin")
                ),
                ("NVM_DIR".to_owned(), OsString::from("/login/nvm")),
            ]
        );
    }
}
