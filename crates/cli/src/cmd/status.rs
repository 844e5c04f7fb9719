//! `dockside status [--json]`: whether the daemon runs, its endpoint and token, and its servers.

use clap::Args;

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print JSON (`{"running", "token", "status": core::api::Status}`).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: StatusArgs) -> anyhow::Result<()> {
    dockside_gateway::client::status(args.json).map(|_| ())
}
