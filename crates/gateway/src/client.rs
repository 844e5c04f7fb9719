//! Talking to a running daemon: `dockside status`, `dockside stop` and `dockside server
//! restart` over core's control-API client ([`DaemonClient`], shared with the tray app), and
//! [`ensure_daemon`], which starts a daemon when none runs.

use std::time::{Duration, Instant};

use dockside_api::{DaemonInfo, Metrics, RunState, ServerStatus, Status};
use dockside_core::home::Home;
use serde_json::{json, Value};

pub use dockside_api::client::{ClientError, DaemonClient};

/// The client of the daemon running for `home`, if one runs (its pid is alive).
pub fn daemon_client(home: &Home) -> Option<DaemonClient> {
    DaemonClient::for_home(home)
}

/// The running daemon of `home`, started from this very binary when none runs.
pub async fn ensure_daemon(home: &Home) -> anyhow::Result<DaemonInfo> {
    dockside_api::ensure_daemon(home, &dockside_api::start::current_binary()?).await
}

/// `dockside status [--json]`.
pub fn status(as_json: bool) -> anyhow::Result<i32> {
    let home = Home::from_env()?;
    let rt = crate::run::runtime()?;
    let token = dockside_api::read_token(&home);
    let token_path = dockside_api::files::token_path(&home);
    let client = daemon_client(&home);
    let status: Option<Status> = match &client {
        Some(c) => Some(rt.block_on(c.get("/api/status"))?),
        None => None,
    };
    // Call counts, errors and latency per server and tool (`core::api::Metrics`).
    let metrics: Option<Metrics> = client
        .as_ref()
        .and_then(|c| rt.block_on(c.get("/api/metrics")).ok());
    if as_json {
        let doc = json!({
            "running": status.is_some(),
            "home": home.root(),
            "token": token,
            "tokenPath": token_path,
            "status": status,
            "metrics": metrics,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(0);
    }
    match &status {
        None => println!(
            "dockside daemon: not running (home {})",
            home.root().display()
        ),
        Some(s) => {
            println!(
                "dockside daemon: running (pid {}, up {}s, {} client sessions)\nendpoint: {}  (per server: {}/<server>)",
                s.pid, s.uptime_secs, s.sessions, s.url, s.url
            );
        }
    }
    match &token {
        Some(t) => println!("token: {t}  ({})", token_path.display()),
        None => println!(
            "token: none yet (created at {} when the daemon first starts)",
            token_path.display()
        ),
    }
    if let Some(s) = status {
        if s.servers.is_empty() {
            println!("servers: none (set a server to `managed` to run it here)");
        } else {
            println!("servers:");
            let width = s.servers.iter().map(|v| v.name.len()).max().unwrap_or(4);
            for v in &s.servers {
                let state = serde_json::to_value(v.state)?
                    .as_str()
                    .unwrap_or("?")
                    .to_string();
                let mut line = format!(
                    "  {:width$}  {:10} {:8}",
                    v.name,
                    state,
                    v.mode.clone().unwrap_or_default()
                );
                if v.state == RunState::Running {
                    line.push_str(&format!(
                        " pid {}  {} tools",
                        v.pid.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
                        v.tools
                    ));
                }
                if v.restarts > 0 {
                    line.push_str(&format!("  {} restarts", v.restarts));
                }
                let calls = metrics
                    .as_ref()
                    .and_then(|m| m.servers.iter().find(|m| m.server == v.name));
                if let Some(m) = calls.map(|m| &m.calls).filter(|c| c.calls > 0) {
                    line.push_str(&format!(
                        "  {} calls ({} errors) p50 {:.1} ms p99 {:.1} ms",
                        m.calls, m.errors, m.p50_ms, m.p99_ms
                    ));
                }
                if let Some(e) = &v.error {
                    line.push_str(&format!("  ({e})"));
                }
                println!("{}", line.trim_end());
            }
        }
        for w in s.warnings {
            println!("warning: {w}");
        }
    }
    Ok(0)
}

/// `dockside server restart NAME`: restarts a server in the running daemon, also out of a
/// crash loop; the error says why when it does not start.
pub fn restart_server(name: &str) -> anyhow::Result<ServerStatus> {
    let home = Home::from_env()?;
    let Some(client) = daemon_client(&home) else {
        anyhow::bail!(
            "the Dockside daemon is not running (home {}); `dockside daemon` starts it",
            home.root().display()
        );
    };
    let rt = crate::run::runtime()?;
    Ok(rt.block_on(client.post(&format!("/api/servers/{name}/restart"), None))?)
}

/// `dockside stop`: asks the daemon to stop and waits until it has.
pub fn stop() -> anyhow::Result<i32> {
    let home = Home::from_env()?;
    let Some(client) = daemon_client(&home) else {
        println!("dockside daemon: not running");
        return Ok(0);
    };
    let pid = client.info.pid;
    let rt = crate::run::runtime()?;
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
    Ok(0)
}
