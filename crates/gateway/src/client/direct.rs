//! `dockside connect --server NAME` for a remote server in `native` mode.
//!
//! `native` means the client reaches the server itself. Clients with a URL shape in their file
//! get the URL; the others (Claude Desktop has no remote shape) and every entry whose headers
//! name secrets (no client file may hold them) get `dockside connect --server NAME`, which
//! lands here: no daemon is involved; this process runs the gateway's own remote relay
//! ([`crate::upstream::remote`]) between its stdio and the server, with the headers' secrets
//! filled from the store. When the server cannot be reached or refuses the credentials, the
//! reason goes to stderr (the client's log) and the process exits, as a native server would.

use std::time::Duration;

use dockside_core::catalog::ServerKind;
use dockside_core::home::Home;
use dockside_core::packages;
use dockside_core::state::Mode;
use dockside_core::Workspace;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::service::config::{spec_from_server, SecretSource, Selection};
use crate::upstream::{remote, UpstreamSpec};

/// The spec of `name` when it is a remote server in `native` mode. Catalogs that do not load
/// are the daemon's to report: `None`.
pub fn native_remote(home: &Home, name: &str) -> anyhow::Result<Option<UpstreamSpec>> {
    let ws = match Workspace::load(home.clone()) {
        Ok(ws) => ws,
        Err(e) => {
            tracing::debug!("not looking for a native remote server: {e}");
            return Ok(None);
        }
    };
    let Some(entry) = ws.server(name) else {
        return Ok(None);
    };
    if entry.state.mode != Mode::Native || entry.server.kind() != Some(ServerKind::Remote) {
        return Ok(None);
    }
    let source = SecretSource::open(home, &Selection::default())?;
    let spec = spec_from_server(
        name,
        entry.server,
        &entry.state,
        &source,
        &packages::Store::new(home),
    )?;
    Ok(Some(spec))
}

/// Relays stdio to the remote server until the client closes stdin or the server is out of
/// reach; returns the exit code.
pub async fn run(spec: UpstreamSpec) -> anyhow::Result<i32> {
    let remote = spec.remote.as_ref().expect("a remote spec");
    let mut launched = remote::launch(&spec.name, remote)?;
    let mut to_server = launched.stdin;
    let stdin = tokio::spawn(async move {
        let mut stdin = BufReader::new(tokio::io::stdin());
        let mut line = Vec::new();
        loop {
            line.clear();
            match stdin.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    if to_server.write_all(&line).await.is_err() {
                        return;
                    }
                    let _ = to_server.flush().await;
                }
            }
        }
    });
    let mut from_server = launched.stdout;
    let stdout = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut from_server, &mut tokio::io::stdout()).await;
    });
    if let Some(mut log) = launched.stderr.take() {
        tokio::spawn(async move {
            let _ = tokio::io::copy(&mut log, &mut tokio::io::stderr()).await;
        });
    }
    let mut process = launched.process;
    tokio::select! {
        // The client closed stdin: end the session (DELETE) and leave.
        _ = stdin => {
            process.stop(Duration::from_secs(2)).await;
            Ok(0)
        }
        how = process.wait() => {
            let _ = tokio::time::timeout(Duration::from_secs(1), stdout).await;
            eprintln!("dockside: server '{}' {how}", spec.name);
            Ok(1)
        }
    }
}
