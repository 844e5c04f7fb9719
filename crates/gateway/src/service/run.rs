//! `dockside gateway run`: load the selection, start every server, serve clients.

use std::time::Duration;

use dockside_core::home::Home;

use super::config::{self, Selection};
use super::options::{self, RunOptions, Transport};
use crate::engine::gateway::Gateway;

/// Logs go to stderr (stdout may be the MCP stream). `RUST_LOG` overrides the level.
pub fn init_logging(verbose: bool) {
    use tracing_subscriber::EnvFilter;
    let default = if verbose {
        "info,dockside_gateway=debug,dockside=debug"
    } else {
        "warn,dockside_gateway=info"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // bollard traces request bodies, and a container's body holds its secrets as env: never
    // below info for it, whatever RUST_LOG says.
    let filter = filter.add_directive("bollard=info".parse().expect("a valid directive"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Takes PATH and the version managers' variables from the user's login shell (a daemon started
/// by the GUI has launchd's minimal PATH otherwise): before the runtime starts any thread.
/// Names are logged, never values.
pub fn adopt_login_env() {
    match dockside_api::login_env::adopt() {
        Ok(names) if names.is_empty() => {}
        Ok(names) => tracing::info!("from the login shell: {}", names.join(", ")),
        Err(e) => tracing::warn!("{e}; servers get this process's PATH as it is"),
    }
}

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// Prints each server's stderr to ours, prefixed with its name.
pub fn mirror_server_stderr(gw: &Gateway) {
    let logs = super::received(gw.subscribe_logs());
    tokio::spawn(async move {
        let mut logs = std::pin::pin!(logs);
        while let Some(l) = futures::StreamExt::next(&mut logs).await {
            eprintln!("[{}] {}", l.server, l.line);
        }
    });
}

/// Warns about flags that only matter for docker-mode servers.
fn note_container_flags(opts: &RunOptions) {
    if opts.block_network || opts.cpus.is_some() || opts.memory.is_some() {
        tracing::info!("--block-network, --cpus and --memory apply to docker-mode servers; host processes run unconfined");
    }
}

/// Runs `dockside gateway run`; returns the process exit code.
pub fn run(opts: RunOptions) -> anyhow::Result<i32> {
    init_logging(opts.verbose);
    adopt_login_env();
    let rt = runtime()?;
    let code = rt.block_on(run_async(opts))?;
    rt.shutdown_timeout(Duration::from_secs(1));
    Ok(code)
}

async fn run_async(opts: RunOptions) -> anyhow::Result<i32> {
    let home = Home::from_env()?;
    let selected = config::select_async(&home, &opts.selection).await?;
    for (server, error) in &selected.errors {
        eprintln!("error: server '{server}': {error}");
    }
    let specs = selected.specs;
    let secret_values = selected.secret_values;
    note_container_flags(&opts);
    if specs.is_empty() {
        tracing::warn!(
            "no servers selected: set a server to `managed`, or pass --servers / --catalog (home: {})",
            home.root().display()
        );
    }
    let docker = opts.docker_runtime(&home)?;
    let gw = options::gateway(opts.gateway_config(), &docker);
    gw.set_secret_values(secret_values);
    mirror_server_stderr(&gw);
    let failures = gw.start_servers(specs.clone()).await;
    for f in &failures {
        eprintln!("error: {f}");
    }
    if opts.dry_run {
        print_dry_run(&gw, &specs);
        gw.shutdown().await;
        let ok = failures.is_empty() && selected.errors.is_empty();
        return Ok(if ok { 0 } else { 1 });
    }
    let _watch = if opts.watch {
        let paths = config::watched_paths(&home, &opts.selection);
        let (gw, home, sel) = (gw.clone(), home.clone(), opts.selection.clone());
        Some(crate::engine::watch::watch(paths, move || {
            let (gw, home, sel) = (gw.clone(), home.clone(), sel.clone());
            async move { reload(&gw, &home, &sel).await }
        })?)
    } else {
        None
    };
    match opts.transport {
        Transport::Stdio => {
            tokio::select! {
                _ = crate::transport::stdio::serve_stdio(&gw, None) => {}
                _ = shutdown_signal() => {}
            }
        }
        Transport::Streaming => {
            let server = opts.http_options(&home)?;
            tokio::select! {
                r = crate::transport::http::serve(gw.clone(), server, None) => r?,
                _ = shutdown_signal() => {}
            }
        }
    }
    gw.shutdown().await;
    let _ = docker.reap_at_shutdown().await;
    Ok(0)
}

/// Applies the current catalogs and state: only changed servers restart.
pub async fn reload(gw: &Gateway, home: &Home, sel: &Selection) {
    match config::select_async(home, sel).await {
        Ok(selected) => {
            for (server, error) in &selected.errors {
                tracing::error!("server '{server}': {error}");
            }
            gw.set_secret_values(selected.secret_values.clone());
            for f in gw.apply(selected.specs).await {
                tracing::error!("{f}");
            }
        }
        Err(e) => tracing::error!("reload skipped: {e:#}"),
    }
}

fn print_dry_run(gw: &Gateway, specs: &[crate::UpstreamSpec]) {
    let tools = gw.exposed_tools();
    for spec in specs {
        match gw.upstream(&spec.name) {
            Some(up) => {
                let mine: Vec<_> = tools.iter().filter(|(_, s, _)| s == &spec.name).collect();
                println!(
                    "{}: ok ({} {}, pid {}), {} tools",
                    spec.name,
                    up.init["serverInfo"]["name"].as_str().unwrap_or("?"),
                    up.init["serverInfo"]["version"].as_str().unwrap_or("?"),
                    up.pid.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
                    mine.len()
                );
                for (exposed, _, _) in mine {
                    println!("  {exposed}");
                }
            }
            None => println!("{}: failed to start", spec.name),
        }
    }
    for w in gw.warnings() {
        println!("warning: {w}");
    }
}
