//! `dockside`: manage MCP servers and switch each between native, managed, docker and off.
//!
//! Each top-level subcommand lives in its own module under `cmd/` with a clap `Args` type and a `run`
//! function; this file only parses and dispatches.

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "dockside",
    version,
    about = "Manage MCP servers and switch each between native, managed, docker and off",
    long_about = "Manage MCP servers and switch each between native, managed, docker and off.\n\n\
        Files live under $DOCKSIDE_HOME (default: the platform config directory, e.g. ~/.config/dockside):\n  \
        catalogs/*.yaml  catalogs in Docker's MCP catalog format\n  \
        state.yaml       per-server mode, limits, network policy, and the active profile"
)]
struct Cli {
    /// The docker context to use for Docker (as `docker --context`), before DOCKER_HOST,
    /// DOCKER_CONTEXT and the current context; a daemon started by this command inherits it
    #[arg(long, global = true, value_name = "NAME", env = dockside_docker::discovery::CONTEXT_ENV)]
    docker_context: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Client(cmd::client::Args),
    Catalog(cmd::catalog::Args),
    Server(cmd::server::Args),
    /// The MCP gateway in the foreground (`gateway run`).
    Gateway(cmd::gateway::GatewayArgs),
    /// Run the gateway as a long-lived service on Streamable HTTP, with the control API.
    Daemon(cmd::daemon::DaemonArgs),
    /// Show whether the daemon runs, its endpoint, token and servers.
    Status(cmd::status::StatusArgs),
    /// Stop the daemon.
    Stop(cmd::stop::StopArgs),
    /// Server logs (stderr, container output), merged with timestamps; -f follows.
    Logs(cmd::logs::LogsArgs),
    /// Bridge stdio to the daemon (what client configs launch).
    Connect(cmd::connect::ConnectArgs),
    /// Run a native server's command with its secrets from the store (what client entries of
    /// native servers with secrets launch).
    Exec(cmd::exec::ExecArgs),
    /// Secret values for servers' `secrets:` (OS keychain, or a 0600 file where none runs).
    Secret(cmd::secret::Args),
    /// Check Docker, runtimes, client files, the daemon, and whether each server can run here.
    Doctor(cmd::doctor::DoctorArgs),
    Switch(cmd::switch::Args),
    /// Sign in to remote MCP servers (OAuth): login, ls, logout.
    Auth(cmd::auth::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(context) = &cli.docker_context {
        // The one place discovery reads it; set before any thread starts (and inherited by a
        // daemon this command spawns).
        std::env::set_var(dockside_docker::discovery::CONTEXT_ENV, context);
    }
    let result = match cli.command {
        Command::Client(args) => cmd::client::run(args),
        Command::Catalog(args) => cmd::catalog::run(args),
        Command::Server(args) => cmd::server::run(args),
        Command::Gateway(args) => cmd::gateway::run(args),
        Command::Daemon(args) => cmd::daemon::run(args),
        Command::Status(args) => cmd::status::run(args),
        Command::Stop(args) => cmd::stop::run(args),
        Command::Logs(args) => cmd::logs::run(args),
        Command::Connect(args) => cmd::connect::run(args),
        Command::Exec(args) => cmd::exec::run(args),
        Command::Secret(args) => cmd::secret::run(args),
        Command::Doctor(args) => cmd::doctor::run(args),
        Command::Switch(args) => cmd::switch::run(args),
        Command::Auth(args) => cmd::auth::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
