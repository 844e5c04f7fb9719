//! `dockside gateway run`: the MCP gateway in the foreground (flags compatible with
//! `docker mcp gateway run`).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use dockside_gateway::service::config::{absolute, Selection};
use dockside_gateway::service::options::{RunOptions, Transport};

#[derive(Debug, Args)]
pub struct GatewayArgs {
    #[command(subcommand)]
    pub command: GatewayCommand,
}

#[derive(Debug, Subcommand)]
pub enum GatewayCommand {
    /// Run the gateway: every `managed` server (or the --servers / --catalog selection),
    /// aggregated behind one MCP endpoint on stdio or Streamable HTTP.
    Run(RunArgs),
}

/// Flags shared by `gateway run` and `daemon`.
#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// Servers to run, whatever their mode (comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "NAME")]
    pub servers: Vec<String>,
    /// Catalog files to read instead of the catalogs in DOCKSIDE_HOME (every server in them runs
    /// unless --servers narrows it).
    #[arg(long, value_name = "FILE")]
    pub catalog: Vec<PathBuf>,
    /// Tool allow-list: `tool`, `server:tool`, `server:*` or `*` (comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "PATTERN")]
    pub tools: Vec<String>,
    /// Tool/prompt name prefix: `P` for every server or `SERVER=P` for one (default: the server
    /// name; an empty P means none).
    #[arg(long, value_name = "[SERVER=]PREFIX")]
    pub prefix: Vec<String>,
    /// Expose the servers' own names (collisions are reported, never shadowed silently).
    #[arg(long)]
    pub no_prefix: bool,
    /// Address to listen on (HTTP transports).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Allow a --host that other machines can reach (e.g. 0.0.0.0); refused without it.
    #[arg(long)]
    pub allow_remote: bool,
    /// Accept HTTP clients without the bearer token.
    #[arg(long)]
    pub allow_unauthenticated: bool,
    /// Keep servers running between calls (always the case for host processes).
    #[arg(long)]
    pub long_lived: bool,
    /// Seconds an on-demand docker-mode server may idle before its container stops (default 300;
    /// per server: `docker: {idleTimeout: N}` in the state).
    #[arg(long, value_name = "SECONDS")]
    pub idle_timeout: Option<u64>,
    /// Fail tool calls whose arguments or text results contain secrets.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub block_secrets: bool,
    /// Block network access of docker-mode servers except their allowHosts.
    #[arg(long)]
    pub block_network: bool,
    /// A `.env` file of secret values keyed by secret name (`github.personal_access_token=…`),
    /// used before the secret store (`dockside secret set`).
    #[arg(long, value_name = "FILE")]
    pub secrets: Option<PathBuf>,
    /// CPU limit per docker-mode server.
    #[arg(long)]
    pub cpus: Option<f64>,
    /// Memory limit per docker-mode server (e.g. 2Gb).
    #[arg(long)]
    pub memory: Option<String>,
    /// Log every tool call (name, duration; never argument values).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub log_calls: bool,
    /// Verbose logs.
    #[arg(long)]
    pub verbose: bool,
    /// Watch the catalogs and the state and apply changes (only changed servers restart).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub watch: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub serve: ServeArgs,
    /// `stdio` (default) or `streaming` (Streamable HTTP, endpoint /mcp).
    #[arg(long, default_value = "stdio")]
    pub transport: Transport,
    /// TCP port for HTTP transports (default 8811).
    #[arg(long)]
    pub port: Option<u16>,
    /// Start and initialize every server, print the tools each offers, and exit (0 when all
    /// started, 1 otherwise) without listening.
    #[arg(long)]
    pub dry_run: bool,
}

impl ServeArgs {
    pub fn options(&self) -> RunOptions {
        RunOptions {
            selection: Selection {
                catalogs: self.catalog.iter().map(|p| absolute(p)).collect(),
                servers: self.servers.clone(),
                prefixes: self.prefix.clone(),
                no_prefix: self.no_prefix,
                secrets_file: self.secrets.as_deref().map(absolute),
            },
            tools: self.tools.clone(),
            host: self.host.clone(),
            allow_remote: self.allow_remote,
            allow_unauthenticated: self.allow_unauthenticated,
            long_lived: self.long_lived,
            idle_timeout: self.idle_timeout,
            block_secrets: self.block_secrets,
            block_network: self.block_network,
            cpus: self.cpus,
            memory: self.memory.clone(),
            log_calls: self.log_calls,
            verbose: self.verbose,
            watch: self.watch,
            ..RunOptions::default()
        }
    }
}

pub fn run(args: GatewayArgs) -> anyhow::Result<()> {
    match args.command {
        GatewayCommand::Run(run) => {
            if run.port.is_some() && run.transport == Transport::Stdio && !run.dry_run {
                anyhow::bail!("--port needs an HTTP transport: add `--transport streaming`");
            }
            let opts = RunOptions {
                transport: run.transport,
                port: run.port,
                dry_run: run.dry_run,
                ..run.serve.options()
            };
            let code = dockside_gateway::service::run::run(opts)?;
            if code != 0 {
                std::process::exit(code);
            }
            Ok(())
        }
    }
}
