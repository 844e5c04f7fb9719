//! Reading the servers a client already has, to import them into Dockside's catalog.
//!
//! The same server often sits in several clients under different spellings (Claude Desktop's
//! `command` + `args`, OpenCode's one `command` array…); entries are compared in client-neutral
//! form ([`Entry`]) so each server is imported once. Entries Dockside wrote itself are skipped.

use std::path::{Path, PathBuf};

use super::ownership::{content_hash, OwnedFile};
use super::shape::Entry;
use super::sync::Target;
use crate::fsedit::{self, EditError};

/// One server found in one client's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub client: &'static str,
    /// The client file's key in Dockside's record (`cursor`, `cursor@/abs/project`).
    pub key: String,
    pub path: PathBuf,
    /// The entry's name in that file.
    pub name: String,
    pub entry: Entry,
    /// Switched off in that client with its own flag (`disabled: true`, `enabled: false`).
    pub disabled: bool,
}

/// A server to import, with every place it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub name: String,
    pub entry: Entry,
    pub sources: Vec<Found>,
}

impl Imported {
    /// Switched off in every client it was found in: it comes in `off`.
    pub fn disabled(&self) -> bool {
        self.sources.iter().all(|f| f.disabled)
    }
}

/// The servers in one client's file (`target`'s, at `path`), except Dockside's own entries
/// (recorded in `owned`, or running `dockside connect`). Entries Dockside cannot read
/// (builtins…) are skipped.
pub fn read(
    target: &Target,
    path: &Path,
    text: &str,
    owned: &OwnedFile,
) -> Result<Vec<Found>, EditError> {
    let spec = target.spec;
    let doc = fsedit::open(spec.format, &spec.container(), path, text)?;
    Ok(doc
        .entries()
        .into_iter()
        .filter(|(name, v)| {
            owned
                .entries
                .get(name)
                .is_none_or(|rec| !rec.matches(&content_hash(v)))
        })
        .filter_map(|(name, v)| {
            let entry = spec.shape.decode(&v)?;
            if is_bridge(&entry) || crate::docker_toolkit::is_gateway_entry(&entry) {
                return None;
            }
            Some(Found {
                client: spec.id,
                key: target.key(),
                path: path.to_owned(),
                disabled: spec.shape.is_disabled(&v),
                name,
                entry,
            })
        })
        .collect())
}

/// `dockside connect …` and `dockside exec …` entries are Dockside's, never a server to import.
fn is_bridge(e: &Entry) -> bool {
    matches!(e, Entry::Stdio(c) if super::launchers::is_bridge(&c.command, &c.args))
}

/// Whether two entries run the same server: the same command line (and environment), or the
/// same URL — a remote server's headers are each client's way to pass its credentials.
fn same_server(a: &Entry, b: &Entry) -> bool {
    match (a, b) {
        (Entry::Remote { url: x, .. }, Entry::Remote { url: y, .. }) => x == y,
        _ => a == b,
    }
}

/// Merges what was found across clients: the same server (whatever its name) is imported once
/// (a remote one with the first headers found); a different server under a taken name gets
/// `NAME-CLIENT`. Each source keeps the name its client knows the server by.
pub fn dedupe(found: Vec<Found>) -> Vec<Imported> {
    let mut out: Vec<Imported> = Vec::new();
    for f in found {
        if let Some(i) = out.iter_mut().find(|i| same_server(&i.entry, &f.entry)) {
            if let (Entry::Remote { headers, .. }, Entry::Remote { headers: new, .. }) =
                (&mut i.entry, &f.entry)
            {
                if headers.is_empty() {
                    headers.clone_from(new);
                }
            }
            i.sources.push(f);
            continue;
        }
        let mut name = f.name.clone();
        if out.iter().any(|i| i.name == name) {
            name = format!("{}-{}", f.name, f.client);
            let mut n = 2;
            while out.iter().any(|i| i.name == name) {
                name = format!("{}-{}-{n}", f.name, f.client);
                n += 1;
            }
        }
        out.push(Imported {
            name,
            entry: f.entry.clone(),
            sources: vec![f],
        });
    }
    out
}
