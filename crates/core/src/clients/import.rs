//! Reading the servers a client already has, to import them into Dockside's catalog.
//!
//! The same server often sits in several clients under different spellings (Claude Desktop's
//! `command` + `args`, OpenCode's one `command` array…); entries are compared in client-neutral
//! form ([`Entry`]) so each server is imported once. Entries Dockside wrote itself are skipped.

use std::path::{Path, PathBuf};

use super::ownership::{content_hash, OwnedFile};
use super::shape::Entry;
use super::spec::ClientSpec;
use crate::fsedit::{self, EditError};

/// One server found in one client's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub client: &'static str,
    pub path: PathBuf,
    pub name: String,
    pub entry: Entry,
}

/// A server to import, with every place it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub name: String,
    pub entry: Entry,
    pub sources: Vec<(&'static str, PathBuf)>,
}

/// The servers in one client's file, except Dockside's own entries (recorded in `owned`, or
/// running `dockside connect`). Entries Dockside cannot read (builtins…) are skipped.
pub fn read(
    spec: &'static ClientSpec,
    path: &Path,
    text: &str,
    owned: &OwnedFile,
) -> Result<Vec<Found>, EditError> {
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
            if is_bridge(&entry) {
                return None;
            }
            Some(Found {
                client: spec.id,
                path: path.to_owned(),
                name,
                entry,
            })
        })
        .collect())
}

/// `dockside connect …` entries are Dockside's bridge, never a server to import.
fn is_bridge(e: &Entry) -> bool {
    match e {
        Entry::Stdio(c) => {
            let stem = Path::new(&c.command)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned());
            stem.as_deref() == Some("dockside") && c.args.first().is_some_and(|a| a == "connect")
        }
        Entry::Remote { .. } => false,
    }
}

/// Merges what was found across clients: the same entry (whatever its name) is imported once;
/// a different entry under a taken name gets `NAME-CLIENT`.
pub fn dedupe(found: Vec<Found>) -> Vec<Imported> {
    let mut out: Vec<Imported> = Vec::new();
    for f in found {
        if let Some(i) = out.iter_mut().find(|i| i.entry == f.entry) {
            i.sources.push((f.client, f.path));
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
            entry: f.entry,
            sources: vec![(f.client, f.path)],
        });
    }
    out
}
