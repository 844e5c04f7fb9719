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
//! * **The file's own conventions are kept**: a UTF-8 byte order mark is taken off for parsing
//!   and put back on writing; new lines use the file's line break (`\r\n` or `\n`); a file
//!   without a final line break stays without one.
//! * **A user's entry Dockside replaced goes back as it was written**: [`EntryDoc::entry_text`]
//!   gives an entry's exact source text, [`EntryDoc::set_text`] puts such text back in place of
//!   the entry (checked by re-parsing), so a one-line entry stays one line.
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
    /// The exact source text of entry `name`, as [`EntryDoc::set_text`] takes it back: its
    /// value in JSON, its lines in YAML, its table or `key = value` in TOML (with `\n` line
    /// breaks). `None` when there is no such entry, or (TOML) it is not written in one piece.
    fn entry_text(&self, name: &str) -> Option<String>;
    /// Replaces the existing entry `name` with `text` (from [`EntryDoc::entry_text`]) verbatim.
    /// The result must parse to the document with the entry set to `value`, else nothing
    /// changes and the error is [`EditError::Verify`] (the text no longer fits there).
    fn set_text(&mut self, name: &str, text: &str, value: &Value) -> Result<(), EditError>;
    /// The document's full text.
    fn text(&self) -> String;
}

/// The UTF-8 byte order mark some Windows editors put at the start of a file.
const BOM: &str = "\u{feff}";

/// A document whose file starts with a byte order mark: edited without it, written with it.
struct WithBom(Box<dyn EntryDoc>);

impl EntryDoc for WithBom {
    fn entries(&self) -> IndexMap<String, Value> {
        self.0.entries()
    }
    fn has_container(&self) -> bool {
        self.0.has_container()
    }
    fn set(&mut self, name: &str, value: &Value) -> Result<(), EditError> {
        self.0.set(name, value)
    }
    fn remove(&mut self, name: &str) -> Result<(), EditError> {
        self.0.remove(name)
    }
    fn remove_container_if_empty(&mut self) -> Result<(), EditError> {
        self.0.remove_container_if_empty()
    }
    fn entry_text(&self, name: &str) -> Option<String> {
        self.0.entry_text(name)
    }
    fn set_text(&mut self, name: &str, text: &str, value: &Value) -> Result<(), EditError> {
        self.0.set_text(name, text, value)
    }
    fn text(&self) -> String {
        format!("{BOM}{}", self.0.text())
    }
}

/// Parses `text` (the content of `path`) and opens the container in it.
pub fn open(
    format: Format,
    container: &Container,
    path: &Path,
    text: &str,
) -> Result<Box<dyn EntryDoc>, EditError> {
    match text.strip_prefix(BOM) {
        Some(rest) => Ok(Box::new(WithBom(open_unmarked(
            format, container, path, rest,
        )?))),
        None => open_unmarked(format, container, path, text),
    }
}

/// [`open`] for a text without a byte order mark.
fn open_unmarked(
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
    let text = text.strip_prefix(BOM).unwrap_or(text);
    match format {
        Format::Json | Format::Jsonc => jsonc::parse_value(path, text, format == Format::Jsonc),
        Format::Toml => toml::parse_value(path, text),
        Format::Yaml => yaml::parse_value(path, text),
    }
}

/// The line break new lines in `text` get: `\r\n` when the file uses it, else `\n`.
pub(crate) fn line_break(text: &str) -> &'static str {
    if text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    }
}

/// `doc` (a whole document as data) with the existing entry `name` of the object at `keys`
/// replaced by `value`: what an edit of that entry must give when the document is parsed
/// again. `None` when there is no such entry.
pub(crate) fn with_entry(doc: &Value, keys: &[String], name: &str, value: &Value) -> Option<Value> {
    let mut doc = doc.clone();
    let container = keys.iter().try_fold(&mut doc, |v, k| v.get_mut(k))?;
    *container.get_mut(name)? = value.clone();
    Some(doc)
}

/// 1-based line and column of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A file that starts with a byte order mark parses in every format, and keeps the mark
    /// (once) through an edit and its undo.
    #[test]
    fn byte_order_mark_is_kept() {
        let path = Path::new("f");
        for (format, container, text) in [
            (
                Format::Json,
                Container::JsonObject(vec!["servers".into()]),
                "\u{feff}{\n  \"servers\": {\n    \"a\": {}\n  }\n}\n",
            ),
            (
                Format::Toml,
                Container::TomlTable(vec!["servers".into()]),
                "\u{feff}[servers.a]\ncmd = \"x\"\n",
            ),
            (
                Format::Yaml,
                Container::YamlMap("servers".into()),
                "\u{feff}servers:\n  a:\n    cmd: x\n",
            ),
        ] {
            assert!(parse_value(format, path, text).is_ok(), "{format:?}");
            let mut doc = open(format, &container, path, text).unwrap();
            doc.set("b", &json!({"cmd": "y"})).unwrap();
            let added = doc.text();
            assert!(added.starts_with('\u{feff}'), "{format:?}: {added}");
            assert_eq!(added.matches('\u{feff}').count(), 1, "{format:?}");
            let mut doc = open(format, &container, path, &added).unwrap();
            assert_eq!(doc.entries().len(), 2, "{format:?}: {added}");
            doc.remove("b").unwrap();
            assert_eq!(doc.text(), text, "{format:?}");
        }
    }
}
