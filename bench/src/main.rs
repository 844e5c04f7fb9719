//! `dockside-bench`: what the Dockside gateway adds to an MCP tool call, against calling the
//! server directly and against peer gateways, plus cold starts, batches, concurrency, mode
//! switches and memory. `scripts/bench` installs the peers, builds in release mode and runs
//! `dockside-bench run`, which writes `bench/results/<date>.json` and `docs/BENCHMARKS.md`.
//!
//! Where to start reading:
//! - [`setup`]: starting Dockside homes, the daemon and the peers in a scratch directory;
//! - [`mcp`] and [`http`]: the lean client every path is measured with;
//! - [`measure`]: the phases (latency interleaved across paths, batches, cold starts,
//!   concurrency, mode switches, a package server's first call, memory);
//! - [`report`]: the Markdown tables.

mod http;
mod mcp;
mod measure;
mod model;
mod procs;
mod report;
mod setup;
mod stats;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "dockside-bench",
    version,
    about = "Benchmarks of the Dockside gateway against direct stdio and peer gateways"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run every measurement, write the JSON results and the Markdown report.
    Run(Box<measure::RunArgs>),
    /// Drive one endpoint with sequential echo calls (e.g. while profiling it with perf) and
    /// print the latency summary as JSON.
    Load(measure::LoadArgs),
    /// Write the Markdown report from a results file.
    Report {
        /// A results JSON file written by `run`.
        results: PathBuf,
        /// Where to write the Markdown.
        #[arg(long, default_value = "docs/BENCHMARKS.md")]
        out: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Cmd::Run(args) => measure::run(*args),
        Cmd::Load(args) => measure::load(args),
        Cmd::Report { results, out } => {
            let text = std::fs::read_to_string(&results)
                .with_context(|| format!("reading {}", results.display()))?;
            let r: model::Results = serde_json::from_str(&text)?;
            let json_name = results
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            std::fs::write(&out, report::markdown(&r, &json_name))?;
            eprintln!("wrote {}", out.display());
            Ok(())
        }
    }
}
