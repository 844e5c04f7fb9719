//! `dockside-demo-server`: a small MCP server over stdio, used by the demo catalog, the
//! end-to-end tests and the benchmarks.
//!
//! It needs no network and no files of its own, and it is linked statically so it can run in a
//! `FROM scratch` image (`docker/demo-server/Dockerfile`). Each tool exercises one thing a gateway
//! has to get right: payloads (`echo`), progress and cancellation (`sleep`), tool errors (`fail`),
//! crashes and restarts (`crash`), secret and network policies (`env`, `net_probe`) and mount
//! policies (`read_file`, `write_file`). See [`server`] for the protocol surface.
//!
//! stdout carries the protocol only; the single start-up line and any diagnostics go to stderr.

mod cli;
mod server;

use std::process::ExitCode;

use rmcp::ServiceExt;

use crate::cli::Command;
use crate::server::DemoServer;

fn main() -> ExitCode {
    let options = match cli::parse(std::env::args_os().skip(1)) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => {
            print!("{}", cli::HELP);
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("{} {}", cli::BIN_NAME, env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!(
                "{}: {message}\nTry `{} --help`.",
                cli::BIN_NAME,
                cli::BIN_NAME
            );
            return ExitCode::from(2);
        }
    };

    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("{}: cannot start the async runtime: {error}", cli::BIN_NAME);
            return ExitCode::FAILURE;
        }
    };

    runtime.block_on(async move {
        let server = DemoServer::new(options.name);
        eprintln!("{} ready", cli::BIN_NAME);
        // `stdio_pipes` reads and writes pipes without a blocking thread per message, and falls
        // back to plain stdin/stdout for anything that is not a pipe.
        let service = match server.serve(rmcp::transport::io::stdio_pipes()).await {
            Ok(service) => service,
            Err(error) => {
                eprintln!("{}: MCP session did not start: {error}", cli::BIN_NAME);
                return ExitCode::FAILURE;
            }
        };
        match service.waiting().await {
            Ok(_) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!(
                    "{}: MCP session ended with an error: {error}",
                    cli::BIN_NAME
                );
                ExitCode::FAILURE
            }
        }
    })
}
