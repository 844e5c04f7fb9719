//! `dockside connect [--server NAME]`: the stdio bridge a client's config launches; it attaches
//! to the running daemon (starting it if none runs) and survives daemon restarts.

use clap::Args;

#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// Bridge to one server's own endpoint (its own tool names) instead of the aggregated one.
    #[arg(long)]
    pub server: Option<String>,
}

pub fn run(args: ConnectArgs) -> anyhow::Result<()> {
    dockside_gateway::client::bridge::connect(args.server).map(|_| ())
}
