//! `dockside server image NAME [--pull | --build]`: the image a server runs in docker mode.
//!
//! Without a flag it says which image that is and whether this machine has it. `--pull` pulls it
//! with progress. `--build` builds the Dockerfile in the server's directory (its `x-dockside.cwd`,
//! else the project directory of its command, else `--dir`): an image server's build is tagged
//! with its catalog image; a host-command server's as `dockside/<name>:local`, which then becomes
//! its runtime image in the state.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use dockside_core::launch::Launch;
use dockside_core::Mode;
use dockside_docker::{engine, image};

use super::{change, workspace};

#[derive(clap::Args)]
pub struct ImageArgs {
    /// Server name
    name: String,
    /// Pull the image (progress on stderr)
    #[arg(long, conflicts_with = "build")]
    pull: bool,
    /// Build the Dockerfile in the server's directory
    #[arg(long)]
    build: bool,
    /// The build directory (default: the server's directory)
    #[arg(long, value_name = "DIR", requires = "build")]
    dir: Option<PathBuf>,
    /// Tag for the built image
    #[arg(long, value_name = "IMAGE", requires = "build")]
    tag: Option<String>,
}

/// The directory of a server's code: its `cwd`, else the nearest project root (a folder with
/// package.json, pyproject.toml, Dockerfile…) above the first file its command names.
fn server_dir(server: &dockside_core::Server) -> Option<PathBuf> {
    if let Some(cwd) = server.dockside.as_ref().and_then(|x| x.cwd.clone()) {
        return Some(cwd);
    }
    let command = server.host_command()?;
    let file = command
        .iter()
        .map(Path::new)
        .find(|p| p.is_absolute() && p.is_file())?;
    let start = file.parent()?;
    let markers = [
        "Dockerfile",
        "package.json",
        "pyproject.toml",
        "deno.json",
        "bun.lockb",
    ];
    start
        .ancestors()
        .find(|d| markers.iter().any(|m| d.join(m).exists()))
        .or(Some(start))
        .map(Path::to_owned)
}

pub fn run(args: ImageArgs) -> anyhow::Result<()> {
    let ws = workspace()?;
    let entry = ws
        .server(&args.name)
        .ok_or_else(|| dockside_core::Error::UnknownServer(args.name.clone()))?;
    let server = entry.server.clone();
    let current = match ws.launch_in(&args.name, Mode::Docker) {
        Ok(Launch::Container(c)) => Some(c.image),
        _ => None,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let docker = rt
        .block_on(engine::connect())
        .map_err(|u| anyhow::anyhow!("{u}"))?;
    if args.build {
        let dir = match args.dir.clone().or_else(|| server_dir(&server)) {
            Some(d) => d,
            None => bail!(
                "cannot tell which directory holds server '{}': pass --dir DIR (a folder with a Dockerfile)",
                args.name
            ),
        };
        let is_image_server = server.image.is_some();
        let tag = args.tag.clone().unwrap_or_else(|| match &server.image {
            Some(image) => image.clone(),
            None => format!("dockside/{}:local", args.name),
        });
        eprintln!("building {tag} from {}", dir.join("Dockerfile").display());
        rt.block_on(image::build(
            &docker,
            &dir,
            &tag,
            image::SOURCE_SKIP,
            |line| {
                eprintln!("  {line}");
            },
        ))
        .map_err(|e| anyhow::anyhow!("building {tag} failed: {e}"))?;
        if !is_image_server {
            change(|ws| {
                ws.state_mut().server_mut(&args.name).runtime_image = Some(tag.clone());
                Ok(())
            })
            .context("saving the state")?;
            eprintln!("{}: runtime image is now {tag}", args.name);
        }
        println!("{tag}");
        return Ok(());
    }
    let Some(current) = current else {
        bail!(
            "server '{}' has no image for docker mode: {}",
            args.name,
            ws.launch_in(&args.name, Mode::Docker)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        );
    };
    if args.pull {
        eprintln!("pulling {current}");
        let result = rt.block_on(image::pull(&docker, &current, |p, done| {
            eprint!("\r  {p}{}", if done { "\n" } else { "" });
            let _ = std::io::stderr().flush();
        }));
        if let Err(e) = result {
            bail!(
                "pulling {current} failed: {e}; {}",
                image::pull_hint(&args.name)
            );
        }
        println!("{current}");
        return Ok(());
    }
    let here = rt.block_on(docker.inspect_image(&current)).is_ok();
    println!(
        "{current} ({})",
        if here {
            "on this machine"
        } else {
            "not on this machine: pulled on first start, or `--pull` / `--build`"
        }
    );
    Ok(())
}
