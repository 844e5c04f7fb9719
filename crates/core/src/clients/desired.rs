//! From Dockside's state (which servers are enabled, in which mode) to the entries a client
//! should hold. The one place where modes turn into client entries.

use super::plan::{Desired, DesiredEntry};

/// The name of the aggregate entry written with `--single-entry`.
pub const AGGREGATE_NAME: &str = "dockside";

/// A server's mode as far as clients are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerMode {
    Native,
    Managed,
    Docker,
    Off,
}

/// What sync needs to know about one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerView {
    pub name: String,
    /// The entry's name in this client's file: the server's name, or its alias there.
    pub entry: String,
    pub mode: ServerMode,
    /// How a client runs it itself (`native` mode): its host command, or its URL.
    pub native: Option<DesiredEntry>,
}

/// One entry per enabled server under its entry name: `native` → its own command,
/// `managed`/`docker` → `dockside connect --server NAME`. With `single_entry`, the gateway
/// servers share one aggregate `dockside` entry instead (native servers keep their own).
/// A `native` server without a host command (image only) goes through the gateway.
pub fn desired_entries(servers: &[ServerView], single_entry: bool) -> Desired {
    let mut out = Desired::new();
    let mut any_gateway = false;
    for s in servers {
        let entry = match (s.mode, &s.native) {
            (ServerMode::Off, _) => continue,
            (ServerMode::Native, Some(native)) => native.clone(),
            _ if single_entry => {
                any_gateway = true;
                continue;
            }
            _ => DesiredEntry::Gateway {
                server: s.name.clone(),
            },
        };
        out.insert(s.entry.clone(), entry);
    }
    if any_gateway && !out.contains_key(AGGREGATE_NAME) {
        out.insert(AGGREGATE_NAME.to_owned(), DesiredEntry::Aggregate);
    }
    out
}
