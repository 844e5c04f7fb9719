//! `dockside stop`: stops the daemon of this DOCKSIDE_HOME and waits until it is gone.

use clap::Args;

#[derive(Debug, Args)]
pub struct StopArgs {}

pub fn run(_args: StopArgs) -> anyhow::Result<()> {
    dockside_gateway::client::stop().map(|_| ())
}
