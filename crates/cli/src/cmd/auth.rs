//! `dockside auth login|ls|logout`: signing in to remote MCP servers (OAuth 2.1, `crates/oauth`).
//!
//! The server's address is its catalog entry's `remote.url`. Tokens go to the secret store
//! (the OS keychain, or a 0600 file where none runs) and are never printed: `ls` shows who is
//! signed in, where, with which scopes and until when.

use std::io::{IsTerminal, Read};
use std::time::Duration;

use clap::{Args as ClapArgs, Subcommand};
use dockside_core::catalog::ServerKind;
use dockside_core::Home;
use dockside_oauth::flow::{self, LoginOptions};
use dockside_oauth::tokens::{self, Revocation, Status};
use dockside_oauth::{AuthError, GivenClient, Target};

#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign in to a remote server in the browser (authorization code with PKCE; the
    /// authorization server redirects back to a one-shot listener on 127.0.0.1).
    Login {
        /// The server's name in the catalog (it needs a `remote.url`).
        name: String,
        /// Print the sign-in address instead of opening a browser ($BROWSER, else the
        /// platform's opener).
        #[arg(long)]
        no_browser: bool,
        /// A scope to ask for (repeat for more); default: what the server asks for.
        #[arg(long = "scope", value_name = "SCOPE")]
        scopes: Vec<String>,
        /// A client id registered by hand at the authorization server (else Dockside
        /// registers itself where the server allows it).
        #[arg(long, value_name = "ID")]
        client_id: Option<String>,
        /// Read that client's secret from stdin; it is kept in the secret store.
        #[arg(long, requires = "client_id")]
        client_secret_stdin: bool,
        /// The HTTPS address of Dockside's Client ID Metadata Document, where one is hosted.
        #[arg(long, env = "DOCKSIDE_OAUTH_CLIENT_METADATA_URL", value_name = "URL")]
        client_metadata_url: Option<String>,
        /// How long to wait for the browser.
        #[arg(long, value_name = "SECONDS", default_value_t = 300)]
        timeout: u64,
    },
    /// Remote servers and their sign-ins (never the tokens).
    Ls {
        #[arg(long)]
        json: bool,
    },
    /// Forget a server's tokens, revoking them at the authorization server when it can.
    Logout { name: String },
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let home = Home::from_env()?;
    let rt = dockside_gateway::service::run::runtime()?;
    match args.command {
        Command::Login {
            name,
            no_browser,
            scopes,
            client_id,
            client_secret_stdin,
            client_metadata_url,
            timeout,
        } => {
            let target = target(&name)?;
            let client = match client_id {
                Some(client_id) => Some(GivenClient {
                    client_id,
                    client_secret: client_secret_stdin.then(read_secret).transpose()?,
                }),
                None => None,
            };
            let options = LoginOptions {
                scopes,
                client,
                client_metadata_url,
                challenge: None,
            };
            let status = rt.block_on(login(&home, &target, options, no_browser, timeout))?;
            eprintln!("signed in to {name}: {}", describe(&status));
            rt.block_on(restart_in_daemon(&home, &name));
        }
        Command::Ls { json } => {
            let statuses = rt.block_on(list(&home))?;
            if json {
                super::print_json(&serde_json::to_value(&statuses)?)?;
            } else if statuses.is_empty() {
                eprintln!("no remote servers in the catalogs");
            } else {
                for status in &statuses {
                    println!("{}\t{}", status.server, describe(status));
                }
            }
        }
        Command::Logout { name } => {
            let target = target(&name)?;
            let out = rt.block_on(tokens::logout(&home, &target))?;
            if !out.forgotten {
                eprintln!("{name} was not signed in");
                return Ok(());
            }
            let revocation = match out.revocation {
                Revocation::Revoked => "revoked at the authorization server".to_owned(),
                Revocation::Unsupported => {
                    "the authorization server offers no revocation: the tokens stay valid there until they expire".to_owned()
                }
                Revocation::NotAttempted => "nothing to revoke".to_owned(),
                Revocation::Failed(why) => format!("revoking them failed ({why})"),
            };
            eprintln!("signed out of {name}: tokens forgotten; {revocation}");
        }
    }
    Ok(())
}

/// A running daemon restarts the server, so a `needs-sign-in` server uses the new sign-in now.
async fn restart_in_daemon(home: &Home, name: &str) {
    let Some(client) = dockside_api::DaemonClient::for_home(home) else {
        return;
    };
    match client.action(name, "restart").await {
        Ok(_) => eprintln!("{name}: restarted in the running daemon"),
        Err(e) => eprintln!("{name}: the running daemon did not restart it ({e}); run `dockside server restart {name}`"),
    }
}

/// The remote server `name` of the catalogs.
fn target(name: &str) -> anyhow::Result<Target> {
    let workspace = super::workspace()?;
    let entry = workspace
        .server(name)
        .ok_or_else(|| AuthError::UnknownServer(name.to_owned()))?;
    Ok(Target::of(name, entry.server)?)
}

async fn login(
    home: &Home,
    target: &Target,
    options: LoginOptions,
    no_browser: bool,
    timeout: u64,
) -> anyhow::Result<Status> {
    let pending = flow::start(home, target, options).await?;
    eprintln!(
        "signing in to {} at {}; waiting up to {timeout} s",
        target.server,
        pending.issuer()
    );
    if no_browser {
        eprintln!("open this address in a browser:");
        println!("{}", pending.url());
    } else {
        eprintln!(
            "opening your browser; if it does not open, visit:\n  {}",
            pending.url()
        );
        dockside_oauth::browser::open(pending.url())?;
    }
    Ok(pending.finish(Duration::from_secs(timeout)).await?)
}

async fn list(home: &Home) -> anyhow::Result<Vec<Status>> {
    let workspace = super::workspace()?;
    let mut statuses = Vec::new();
    for entry in workspace.servers() {
        if entry.server.kind() == Some(ServerKind::Remote) {
            statuses.push(tokens::status(home, entry.name).await?);
        }
    }
    Ok(statuses)
}

/// `signed in at ISSUER, scopes …, expires in …` — never a token.
fn describe(status: &Status) -> String {
    if !status.signed_in {
        return "not signed in".into();
    }
    let mut parts = vec![format!(
        "signed in at {}",
        status.issuer.as_deref().unwrap_or("an unknown issuer")
    )];
    if !status.scopes.is_empty() {
        parts.push(format!("scopes {}", status.scopes.join(" ")));
    }
    if let Some(left) = status.expires_in() {
        parts.push(match left {
            0 => "access token expired".into(),
            left => format!("access token expires in {} min", left.div_ceil(60)),
        });
    }
    if status.refreshable {
        parts.push("refreshable".into());
    }
    parts.join(", ")
}

/// The client secret, from stdin.
fn read_secret() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("client secret, then Enter:");
    }
    let mut value = String::new();
    stdin.lock().read_to_string(&mut value)?;
    let value = value.trim_end_matches(['\r', '\n']).to_owned();
    if value.is_empty() {
        anyhow::bail!("no client secret on stdin: pipe it in, e.g. `printf %s \"$SECRET\" | dockside auth login NAME --client-id ID --client-secret-stdin`");
    }
    Ok(value)
}
