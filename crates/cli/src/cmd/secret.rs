//! `dockside secret set|ls|rm`: values for the `secrets: [{name, env}]` servers declare.
//!
//! Values go to the OS keychain, or, where none runs (a headless Linux box), to a 0600 file
//! under DOCKSIDE_HOME (with a warning). `set` reads the value from stdin, never from the command
//! line (which other users can see in `ps` and shells keep in history).

use std::io::{BufRead, IsTerminal, Read};

use clap::{Args as ClapArgs, Subcommand};
use dockside_core::secrets::SecretStore;
use dockside_core::Home;

#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Store a secret; the value is read from stdin (one line, or everything piped in).
    Set {
        /// The secret's name as servers declare it, e.g. github.personal_access_token.
        name: String,
    },
    /// List the stored secrets' names (never their values).
    Ls {
        #[arg(long)]
        json: bool,
    },
    /// Delete a secret.
    Rm { name: String },
}

fn store() -> anyhow::Result<SecretStore> {
    let store = SecretStore::open(&Home::from_env()?);
    if let Some(warning) = store.warning() {
        eprintln!("warning: {warning}");
    }
    Ok(store)
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Set { name } => {
            let stdin = std::io::stdin();
            let mut value = String::new();
            if stdin.is_terminal() {
                // One line typed by hand; piped input is read whole (it may span lines).
                eprintln!("value for {name}, then Enter:");
                stdin.lock().read_line(&mut value)?;
            } else {
                stdin.lock().read_to_string(&mut value)?;
            }
            let value = value.strip_suffix('\n').unwrap_or(&value);
            let value = value.strip_suffix('\r').unwrap_or(value);
            if value.is_empty() {
                anyhow::bail!("no value on stdin: pipe it in, e.g. `printf %s \"$TOKEN\" | dockside secret set {name}`");
            }
            let store = store()?;
            store.set(&name, value)?;
            eprintln!("stored {name} in {}", store.describe());
        }
        Command::Ls { json } => {
            let store = store()?;
            let names = store.names()?;
            if json {
                super::print_json(&serde_json::json!({
                    "store": store.describe(),
                    "names": names,
                }))?;
            } else if names.is_empty() {
                eprintln!(
                    "no secrets in {}; `dockside secret set NAME` adds one",
                    store.describe()
                );
            } else {
                for name in names {
                    println!("{name}");
                }
            }
        }
        Command::Rm { name } => {
            let store = store()?;
            if !store.remove(&name)? {
                anyhow::bail!("no secret named {name}; `dockside secret ls` lists them");
            }
            eprintln!("removed {name}");
        }
    }
    Ok(())
}
