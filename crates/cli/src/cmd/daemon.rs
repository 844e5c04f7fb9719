//! `dockside daemon`: the gateway as a long-lived foreground service on Streamable HTTP, with
//! the control API under `/api/` (one daemon per DOCKSIDE_HOME).

use clap::Args;

use super::gateway::ServeArgs;

#[derive(Debug, Args)]
pub struct DaemonArgs {
    #[command(flatten)]
    pub serve: ServeArgs,
    /// TCP port (default 8813; 0 picks a free one).
    #[arg(long)]
    pub port: Option<u16>,
}

pub fn run(args: DaemonArgs) -> anyhow::Result<()> {
    let opts = dockside_gateway::service::options::RunOptions {
        transport: dockside_gateway::service::options::Transport::Streaming,
        port: args.port,
        ..args.serve.options()
    };
    let code = dockside_gateway::service::daemon::run(opts)?;
    if code != 0 {
        std::process::exit(code);
    }
    Ok(())
}
