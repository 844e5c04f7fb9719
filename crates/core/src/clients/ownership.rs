//! Dockside's record of the client files it keeps in sync and the entries it wrote there:
//! `DOCKSIDE_HOME/clients.json`.
//!
//! An entry is Dockside's only while its content hash matches what Dockside wrote. An entry
//! the user edited afterwards becomes theirs again and is never removed; an entry the user had
//! before Dockside took it over (`--adopt`, or identical to what Dockside would write) keeps its
//! original value and exact source text here and is put back, as written, on disconnect.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::fsedit::file::{self, CommitOptions, Snapshot};

/// The file name under `DOCKSIDE_HOME`.
pub const FILE: &str = "clients.json";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    #[serde(default)]
    pub clients: BTreeMap<String, ClientRecord>,
    /// Keyed by the config file's path.
    #[serde(default)]
    pub files: BTreeMap<String, OwnedFile>,
}

/// Per client (and scope): whether Dockside keeps it in sync, and how.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientRecord {
    #[serde(default)]
    pub connected: bool,
    /// One aggregate `dockside` entry instead of one entry per server.
    #[serde(default)]
    pub single_entry: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OwnedFile {
    #[serde(default)]
    pub entries: BTreeMap<String, OwnedEntry>,
    /// Dockside created the container (`mcpServers`…): removed again when it empties.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub created_container: bool,
    /// Dockside created the file: deleted again when nothing else is in it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub created_file: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OwnedEntry {
    /// [`content_hash`] of the value Dockside wrote.
    pub hash: String,
    /// The user's own entry this one replaced, restored when Dockside lets go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced: Option<Value>,
    /// That entry's exact source text in the file ([`crate::fsedit::EntryDoc::entry_text`]),
    /// put back verbatim when it still fits there. Records written before it existed, or an
    /// entry whose text could not be cut out on its own, restore `replaced` instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_text: Option<String>,
    /// While a write is in flight: the hash of the previous content, which is still
    /// Dockside's if the write never happened (crash between record and file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
}

impl OwnedEntry {
    pub fn new(hash: String, replaced: Option<Value>) -> Self {
        OwnedEntry {
            hash,
            replaced,
            replaced_text: None,
            alt: None,
        }
    }

    /// Whether an entry with this content hash is (still) the one Dockside wrote.
    pub fn matches(&self, hash: &str) -> bool {
        self.hash == hash || self.alt.as_deref() == Some(hash)
    }
}

impl OwnedFile {
    /// The record to save *before* writing the file: every entry that is Dockside's either
    /// before or after the write, so a crash at any point leaves nothing unaccounted for.
    pub fn in_flight(before: &OwnedFile, after: &OwnedFile) -> OwnedFile {
        let mut merged = after.clone();
        for (name, old) in &before.entries {
            match merged.entries.get_mut(name) {
                Some(new) if new.hash != old.hash => new.alt = Some(old.hash.clone()),
                Some(_) => {}
                None => {
                    merged.entries.insert(name.clone(), old.clone());
                }
            }
        }
        merged.created_container |= before.created_container;
        merged.created_file |= before.created_file;
        merged
    }
}

/// A stable hash of a JSON value (object keys sorted, so key order does not matter).
pub fn content_hash(v: &Value) -> String {
    fn canon(v: &Value, out: &mut String) {
        match v {
            Value::Object(o) => {
                let mut keys: Vec<&String> = o.keys().collect();
                keys.sort();
                out.push('{');
                for k in keys {
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    canon(&o[k], out);
                    out.push(',');
                }
                out.push('}');
            }
            Value::Array(a) => {
                out.push('[');
                for v in a {
                    canon(v, out);
                    out.push(',');
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut s = String::new();
    canon(v, &mut s);
    hex::encode(&Sha256::digest(s.as_bytes())[..16])
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    File(#[from] file::FileError),
    #[error("{}: {source} (fix or delete the file; Dockside then forgets which entries it wrote)", path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

impl Record {
    pub fn path(dockside_home: &Path) -> PathBuf {
        dockside_home.join(FILE)
    }

    pub fn load(dockside_home: &Path) -> Result<Record, RecordError> {
        let path = Self::path(dockside_home);
        let snap = Snapshot::read(&path)?;
        match snap.text {
            None => Ok(Record::default()),
            Some(t) => {
                let mut record: Record = serde_json::from_str(&t)
                    .map_err(|source| RecordError::Parse { path, source })?;
                // The user's entries Dockside replaced keep their secrets in the store.
                if t.contains("${dockside-secret:") {
                    let r = crate::secrets::Redactor::for_home(dockside_home);
                    record.map_replaced(|v| r.unredact_value(v), |t| r.unredact(t));
                }
                Ok(record)
            }
        }
    }

    /// Applies `value` and `text` to every user entry kept to put back.
    fn map_replaced(&mut self, value: impl Fn(&Value) -> Value, text: impl Fn(&str) -> String) {
        for file in self.files.values_mut() {
            for e in file.entries.values_mut() {
                if let Some(v) = &e.replaced {
                    e.replaced = Some(value(v));
                }
                if let Some(t) = &e.replaced_text {
                    e.replaced_text = Some(text(t));
                }
            }
        }
    }

    fn holds_replaced(&self) -> bool {
        (self.files.values()).any(|f| f.entries.values().any(|e| e.replaced.is_some()))
    }

    /// Atomic write (temp + fsync + rename).
    pub fn save(&self, dockside_home: &Path) -> Result<(), RecordError> {
        let path = Self::path(dockside_home);
        let snap = Snapshot::read(&path)?;
        // A user's entry kept to put back holds no secret value: stored ones become
        // `${dockside-secret:NAME}` here and come back on load.
        let mut redacted;
        let mut this = self;
        if self.holds_replaced() {
            let r = crate::secrets::Redactor::for_home(dockside_home);
            if !r.is_empty() {
                redacted = self.clone();
                redacted.map_replaced(|v| r.redact_value(v), |t| r.redact(t));
                this = &redacted;
            }
        }
        let mut text = serde_json::to_string_pretty(this).expect("record serializes");
        text.push('\n');
        file::commit(&snap, Some(&text), &CommitOptions::default())?;
        Ok(())
    }

    pub fn file(&self, path: &Path) -> OwnedFile {
        self.files
            .get(&path.to_string_lossy().into_owned())
            .cloned()
            .unwrap_or_default()
    }

    pub fn set_file(&mut self, path: &Path, owned: OwnedFile) {
        let key = path.to_string_lossy().into_owned();
        if owned == OwnedFile::default() {
            self.files.remove(&key);
        } else {
            self.files.insert(key, owned);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hash_ignores_key_order() {
        assert_eq!(
            content_hash(&json!({"a": 1, "b": [1, "x"]})),
            content_hash(&json!({"b": [1, "x"], "a": 1}))
        );
        assert_ne!(
            content_hash(&json!({"a": 1})),
            content_hash(&json!({"a": "1"}))
        );
    }
}
