//! What an adapter is: data about one client's config file.

use std::path::{Path, PathBuf};

use super::env::Env;
use super::shape::Shape;
use crate::fsedit::{Container, Format};

/// One AI client: where its MCP config lives and how entries are spelled there.
#[derive(Debug)]
pub struct ClientSpec {
    /// Stable id used on the command line and in Dockside's records (`claude-desktop`).
    pub id: &'static str,
    pub name: &'static str,
    pub format: Format,
    /// Key path of the entries' container (`["mcpServers"]`).
    pub container: &'static [&'static str],
    /// For a YAML list container: the field naming each item.
    pub list_name_key: Option<&'static str>,
    pub shape: Shape,
    /// User-scope config files in order of preference: the first that exists is used, else
    /// the first.
    pub user_paths: fn(&Env) -> Vec<PathBuf>,
    /// The project-scope file inside a project folder, where the client has one.
    pub project_path: Option<fn(&Path) -> PathBuf>,
    /// Where the shape is documented.
    pub docs: &'static str,
}

impl ClientSpec {
    pub fn container(&self) -> Container {
        let keys: Vec<String> = self.container.iter().map(|s| (*s).to_owned()).collect();
        match (self.format, self.list_name_key) {
            (Format::Toml, _) => Container::TomlTable(keys),
            (Format::Yaml, Some(name_key)) => Container::YamlList {
                key: keys.concat(),
                name_key: name_key.to_owned(),
            },
            (Format::Yaml, None) => Container::YamlMap(keys.concat()),
            _ => Container::JsonObject(keys),
        }
    }

    /// The user-scope config file: the first candidate that exists, else the first.
    pub fn user_path(&self, env: &Env) -> PathBuf {
        let candidates = (self.user_paths)(env);
        candidates
            .iter()
            .find(|p| p.exists())
            .unwrap_or(&candidates[0])
            .clone()
    }
}
