//! Starting a daemon when none runs: one way for the `dockside connect` bridge, the CLI and the
//! tray app. The daemon runs detached in its own process group (a terminal's Ctrl-C to the
//! starter does not reach it; it may outlive the app), logging to `<home>/daemon.log`.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dockside_core::Home;

use crate::files::{log_path, read_info};
use crate::DaemonInfo;

/// How long [`ensure_daemon`] waits for a new daemon to answer.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Starts `binary daemon` for `home` and returns at once; the caller owns the child (reap it).
pub fn spawn_daemon(home: &Home, binary: &Path) -> anyhow::Result<Child> {
    std::fs::create_dir_all(home.root())?;
    let log_path = log_path(home);
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", log_path.display()))?;
    let mut cmd = Command::new(binary);
    cmd.arg("daemon")
        .env(Home::ENV, home.root())
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    cmd.spawn()
        .map_err(|e| anyhow::anyhow!("cannot start {}: {e}", binary.display()))
}

/// Whether a daemon accepts connections where `info` says it listens.
pub async fn accepting(info: &DaemonInfo) -> bool {
    let host = if info.host == "0.0.0.0" {
        "127.0.0.1"
    } else {
        info.host.as_str()
    };
    tokio::net::TcpStream::connect((host, info.port))
        .await
        .is_ok()
}

/// The running daemon of `home`, started from `binary` (waiting until it answers) when none
/// runs.
pub async fn ensure_daemon(home: &Home, binary: &Path) -> anyhow::Result<DaemonInfo> {
    if let Some(info) = read_info(home) {
        if accepting(&info).await {
            return Ok(info);
        }
    }
    let mut child = spawn_daemon(home, binary)?;
    let log = log_path(home);
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Some(info) = read_info(home) {
            if accepting(&info).await {
                // Reap our child in the background whatever happens to it.
                std::thread::spawn(move || {
                    let _ = child.wait();
                });
                return Ok(info);
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            // Lost a race with another starter? Then theirs is fine.
            if let Some(info) = read_info(home) {
                if accepting(&info).await {
                    return Ok(info);
                }
            }
            anyhow::bail!(
                "the daemon exited ({status}) while starting; see {}",
                log.display()
            );
        }
        if Instant::now() > deadline {
            anyhow::bail!(
                "the daemon did not start within {} s; see {}",
                START_TIMEOUT.as_secs(),
                log.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The running daemon of `home`, started from this very program (`dockside`) when none runs.
pub async fn ensure_own_daemon(home: &Home) -> anyhow::Result<DaemonInfo> {
    ensure_daemon(home, &current_binary()?).await
}

/// This program, as the binary to start a daemon from: `dockside` itself. A binary replaced on
/// disk while it runs (an upgrade, a rebuild) reads as "<path> (deleted)" on Linux; the new
/// binary at the original path is the one to start.
pub fn current_binary() -> std::io::Result<std::path::PathBuf> {
    let exe = std::env::current_exe()?;
    Ok(
        match exe.to_str().and_then(|p| p.strip_suffix(" (deleted)")) {
            Some(path) => path.into(),
            None => exe,
        },
    )
}
