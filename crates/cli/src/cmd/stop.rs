//! `dockside stop`: asks the daemon to stop and waits until it has.

use std::time::{Duration, Instant};

use clap::Args;
use dockside_api::DaemonClient;
use dockside_core::home::Home;
use serde_json::Value;

#[derive(Debug, Args)]
pub struct StopArgs {}

pub fn run(_args: StopArgs) -> anyhow::Result<()> {
    stop()
}

/// `dockside stop`: asks the daemon to stop and waits until it has.
fn stop() -> anyhow::Result<()> {
    let home = Home::from_env()?;
    let Some(client) = DaemonClient::for_home(&home) else {
        println!("dockside daemon: not running");
        return Ok(());
    };
    let pid = client.info.pid;
    let rt = dockside_gateway::service::run::runtime()?;
    let asked = rt.block_on(client.post::<Value>("/api/shutdown", None));
    let wait = |secs: u64| {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if !dockside_api::files::pid_alive(pid) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    };
    if asked.is_err() || !wait(10) {
        #[cfg(unix)]
        // SAFETY: plain signal to the pid the daemon published.
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGTERM);
        }
        if !wait(5) {
            anyhow::bail!("the daemon (pid {pid}) did not stop");
        }
    }
    println!("dockside daemon stopped (pid {pid})");
    Ok(())
}
