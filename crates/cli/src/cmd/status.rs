//! `dockside status [--json]`: the daemon, its endpoint and token, and each server's state and
//! call statistics, from the control API.

use clap::Args;
use dockside_api::{DaemonClient, Metrics, RunState, Status};
use dockside_core::home::Home;
use serde_json::json;

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print JSON (`{"running", "token", "status": dockside_api::Status, "metrics"}`).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: StatusArgs) -> anyhow::Result<()> {
    status(args.json)
}

/// `dockside status [--json]`.
fn status(as_json: bool) -> anyhow::Result<()> {
    let home = Home::from_env()?;
    let rt = dockside_gateway::service::run::runtime()?;
    let token = dockside_api::read_token(&home);
    let token_path = dockside_api::files::token_path(&home);
    let client = DaemonClient::for_home(&home);
    let status: Option<Status> = match &client {
        Some(c) => Some(rt.block_on(c.get("/api/status"))?),
        None => None,
    };
    // Call counts, errors and latency per server and tool (`dockside_api::Metrics`).
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
        return Ok(());
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
                    "  {:width$}  {:13} {:8}",
                    v.name,
                    state,
                    v.mode.map(|m| m.as_str()).unwrap_or_default()
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
    Ok(())
}
