//! Switch records: `<home>/switches/<id>.json`, one per switch, kept so any switch can be
//! undone (`dockside switch rollback ID`) and listed (`dockside switch history`).
//!
//! A record holds, per client file, the exact text before and after and Dockside's ownership
//! record of that file before and after; and the state before and after (as YAML text). It is
//! written before any client file changes (status `applying`) and updated once the switch is
//! applied, failed or undone, so even a crash mid-switch leaves what is needed to undo it.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::plan::ServerMove;
use super::preflight::PreflightReport;
use super::SwitchError;
use crate::clients::ownership::OwnedFile;
use crate::state::Profile;

/// The folder under the Dockside home.
pub const DIR: &str = "switches";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SwitchKind {
    /// `dockside switch production`.
    Production,
    /// `dockside switch development` or `rollback`: undoes another record.
    Restore,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SwitchStatus {
    /// Written before the first client file; still so after a crash mid-switch.
    Applying,
    Applied,
    /// Nothing changed (every written file was put back).
    Failed,
    /// Undone by a later record (`undone_by`).
    Undone,
}

/// One client file in a switch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileRecord {
    /// Dockside's client key (`claude-desktop`, `cursor@/project`).
    pub key: String,
    pub client: String,
    pub path: PathBuf,
    /// The file's text before (`None`: it did not exist).
    pub before: Option<String>,
    pub after: Option<String>,
    pub owned_before: OwnedFile,
    pub owned_after: OwnedFile,
    /// The backup of `before` under `<home>/backups`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<PathBuf>,
    /// Entries the user edited since the switch being undone; kept as they are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kept_user_edits: Vec<String>,
}

/// One switch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SwitchRecord {
    /// Sortable by time: `20261126T160455.123456789Z`.
    pub id: String,
    pub kind: SwitchKind,
    /// Unix time, seconds.
    pub time: u64,
    pub status: SwitchStatus,
    pub profile_before: Profile,
    pub profile_after: Profile,
    #[serde(default)]
    pub servers: Vec<ServerMove>,
    pub files: Vec<FileRecord>,
    /// `state.yaml` before and after, as YAML.
    pub state_before: String,
    pub state_after: String,
    /// The record this one undoes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes: Option<String>,
    /// The record that undid this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undone_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preflight: Option<PreflightReport>,
    /// Why it failed, or what verification found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

pub fn dir(home: &Path) -> PathBuf {
    home.join(DIR)
}

/// A new record id: the current time, sortable.
pub fn new_id() -> String {
    crate::fsedit::file::timestamp(SystemTime::now())
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl SwitchRecord {
    pub fn path(home: &Path, id: &str) -> PathBuf {
        dir(home).join(format!("{id}.json"))
    }

    pub fn load(home: &Path, id: &str) -> Result<SwitchRecord, SwitchError> {
        let path = Self::path(home, id);
        let text = std::fs::read_to_string(&path).map_err(|e| SwitchError::Record {
            path: path.display().to_string(),
            message: if e.kind() == std::io::ErrorKind::NotFound {
                format!("no switch `{id}` (see `dockside switch history`)")
            } else {
                e.to_string()
            },
        })?;
        serde_json::from_str(&text).map_err(|e| SwitchError::Record {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }

    /// Writes the record atomically.
    pub fn save(&self, home: &Path) -> Result<(), SwitchError> {
        let mut text = serde_json::to_string_pretty(self).expect("a record serializes");
        text.push('\n');
        crate::atomic::write(&Self::path(home, &self.id), text.as_bytes())?;
        Ok(())
    }
}

/// Every record, oldest first (records that do not parse are skipped).
pub fn history(home: &Path) -> Vec<SwitchRecord> {
    let mut ids: Vec<String> = std::fs::read_dir(dir(home))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .strip_suffix(".json")
                        .map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids.iter()
        .filter_map(|id| SwitchRecord::load(home, id).ok())
        .collect()
}
