//! Safe editing of files that belong to the user (AI clients' config files).
//!
//! Dockside writes into files it does not own: `~/.claude.json`, VS Code's `mcp.json`, Codex's
//! `config.toml`, Goose's `config.yaml`… Those files hold the user's own servers, comments, and often
//! lots of unrelated state. The rules here are:
//!
//! * **Only the entries Dockside owns change.** Each format has an editor that changes one entry
//!   in place and leaves every other byte alone:
//!   - JSON / JSONC through `jsonc-parser`'s CST ([`jsonc`]): comments, key order, indentation,
//!     trailing commas and unknown keys are kept;
//!   - TOML through `toml_edit` ([`toml`]): comments, table order and formatting are kept;
//!   - YAML by text spans ([`yaml`]): no comment-preserving YAML serializer exists, so the editor
//!     finds the exact lines of one entry inside a block mapping / block sequence, replaces or
//!     removes only those lines (or appends new lines at the end of the container), and then
//!     re-parses the whole document to verify that the result is exactly the intended data
//!     change. Everything outside the touched lines — comments, anchors, quoting style, flow
//!     collections, key order — is preserved byte for byte. Entries Dockside writes are rendered
//!     in block style by `yaml_serde`.
//! * **A file that does not parse is never written**: [`ParseError`] says `file:line:col`.
//! * **Writes are atomic** ([`file`]): temp file in the same directory, fsync, rename over the
//!   original (original permissions kept; a symlink is followed so the link survives), then the
//!   directory is fsynced. A reader — or a `kill -9` at any instant — sees the old file or the new
//!   one, never a mix.
//! * **A write is refused if the file changed since it was read** (the user saved it meanwhile):
//!   [`file::Snapshot`] remembers the exact bytes, and [`file::commit`] re-reads and compares them
//!   just before the rename.
//! * **A backup is kept** before every overwrite, under `DOCKSIDE_HOME/backups/` (not beside the
//!   file: several clients load *every* file in their config folder — e.g. Continue's
//!   `.continue/mcpServers/` — so a stray `.bak` beside the file could be loaded as config, and
//!   VS Code/Zed watch their folders). The last 10 backups per file are kept.
//!
//! The editors implement one trait, [`EntryDoc`]: "a named collection of entries (a JSON object,
//! a TOML table, a YAML mapping, or a YAML list keyed by a `name` field) inside a document".
//! Entry values travel as `serde_json::Value` in every format.

pub mod file;
pub mod jsonc;
pub mod toml;
pub mod yaml;

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::Value;

/// A syntax error in a user's file, with a 1-based position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {message} (fix the file by hand; Dockside did not change it)", path.display())]
pub struct ParseError {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Errors from editing a document in memory.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error("{}: `{key}` is not {expected} (found {found}); Dockside will not touch it", path.display())]
    Shape {
        path: PathBuf,
        key: String,
        expected: &'static str,
        found: String,
    },
    #[error("{}: {message}", path.display())]
    Unsupported { path: PathBuf, message: String },
    #[error("{}: internal check failed after editing entry `{entry}`: {message}; nothing was written", path.display())]
    Verify {
        path: PathBuf,
        entry: String,
        message: String,
    },
}

/// The file formats client config files use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Strict JSON (no comments, no trailing commas).
    Json,
    /// JSON with comments and trailing commas.
    Jsonc,
    Toml,
    Yaml,
}

/// Where the named entries live inside a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Container {
    /// A JSON object reached by a key path from the root (`["mcpServers"]`).
    JsonObject(Vec<String>),
    /// A TOML table reached by a key path (`["mcp_servers"]`); each entry is a sub-table.
    TomlTable(Vec<String>),
    /// A YAML block mapping under a top-level key (`extensions`).
    YamlMap(String),
    /// A YAML block sequence under a top-level key whose items are mappings named by
    /// `name_key` (`mcpServers: [- name: x …]`).
    YamlList { key: String, name_key: String },
}

/// A named collection of entries inside a parsed document, editable in place.
pub trait EntryDoc {
    /// Every entry currently in the container, in file order.
    fn entries(&self) -> IndexMap<String, Value>;
    /// Whether the container itself exists in the document.
    fn has_container(&self) -> bool;
    /// Adds the entry at the end of the container (creating the container if needed), or
    /// replaces the value of an existing entry in place.
    fn set(&mut self, name: &str, value: &Value) -> Result<(), EditError>;
    /// Removes one entry; a missing entry is not an error.
    fn remove(&mut self, name: &str) -> Result<(), EditError>;
    /// Removes the container if it holds no entries (used to undo a container Dockside created).
    fn remove_container_if_empty(&mut self) -> Result<(), EditError>;
    /// The document's full text.
    fn text(&self) -> String;
}

/// Parses `text` (the content of `path`) and opens the container in it.
pub fn open(
    format: Format,
    container: &Container,
    path: &Path,
    text: &str,
) -> Result<Box<dyn EntryDoc>, EditError> {
    match (format, container) {
        (Format::Json | Format::Jsonc, Container::JsonObject(keys)) => Ok(Box::new(
            jsonc::JsonDoc::parse(path, text, format == Format::Jsonc, keys.clone())?,
        )),
        (Format::Toml, Container::TomlTable(keys)) => {
            Ok(Box::new(toml::TomlDoc::parse(path, text, keys.clone())?))
        }
        (Format::Yaml, Container::YamlMap(key)) => Ok(Box::new(yaml::YamlDoc::parse(
            path,
            text,
            yaml::Kind::Map { key: key.clone() },
        )?)),
        (Format::Yaml, Container::YamlList { key, name_key }) => {
            Ok(Box::new(yaml::YamlDoc::parse(
                path,
                text,
                yaml::Kind::List {
                    key: key.clone(),
                    name_key: name_key.clone(),
                },
            )?))
        }
        _ => Err(EditError::Unsupported {
            path: path.to_owned(),
            message: format!("container {container:?} cannot live in a {format:?} file"),
        }),
    }
}

/// Parses a whole document into the JSON data model (used to verify that a file parses, and by
/// tests). JSONC rules for `Json`/`Jsonc` as the format says.
pub fn parse_value(format: Format, path: &Path, text: &str) -> Result<Value, ParseError> {
    match format {
        Format::Json | Format::Jsonc => jsonc::parse_value(path, text, format == Format::Jsonc),
        Format::Toml => toml::parse_value(path, text),
        Format::Yaml => yaml::parse_value(path, text),
    }
}

/// 1-based line and column of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}
