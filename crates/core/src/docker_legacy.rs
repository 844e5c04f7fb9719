//! Docker MCP Toolkit's legacy files (`~/.docker/mcp`): import into Dockside, export back.
//!
//! Docker keeps catalogs in `catalogs/*.yaml`, the enabled servers in `registry.yaml`
//! (`registry: {<name>: {ref: ""}}`), config values in `config.yaml` (`<name>: {key: value}`) and tool
//! allow-lists in `tools.yaml` (`<name>: [tool, …]`). Import brings the enabled servers, verbatim, into
//! the Dockside catalog of the same file name, and their config values and allow-lists into the state.
//! Export writes the same four files from Dockside, for `docker mcp gateway run --catalog … --registry …`;
//! host-command servers are left out since Docker can only run images and remotes.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use yaml_serde::Value;

use crate::catalog::{self, Extra, ServerKind};
use crate::state::Mode;
use crate::workspace::Workspace;
use crate::{atomic, yaml, Error, Issue};

pub const REGISTRY_FILE: &str = "registry.yaml";
pub const CONFIG_FILE: &str = "config.yaml";
pub const TOOLS_FILE: &str = "tools.yaml";

#[derive(Debug, Default, Serialize, Deserialize)]
struct Registry {
    #[serde(default)]
    registry: IndexMap<String, RegistryEntry>,
    #[serde(flatten)]
    extra: Extra,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct RegistryEntry {
    #[serde(rename = "ref", default)]
    reference: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    config: Option<IndexMap<String, Value>>,
}

type ConfigFile = IndexMap<String, IndexMap<String, Value>>;
type ToolsFile = IndexMap<String, Vec<String>>;

/// What an import did.
#[derive(Debug, Default)]
pub struct Imported {
    pub servers: Vec<String>,
    /// Enabled in `registry.yaml` but defined in no catalog.
    pub missing: Vec<String>,
    /// Defined in several catalogs: `(server, catalog whose definition lost)`; Docker's later file wins.
    pub shadowed: Vec<(String, String)>,
}

/// What an export wrote.
#[derive(Debug, Default)]
pub struct Exported {
    pub catalogs: Vec<PathBuf>,
    pub registry: PathBuf,
    pub config: Option<PathBuf>,
    pub tools: Option<PathBuf>,
    /// Host-command servers, which Docker cannot run.
    pub skipped: Vec<String>,
}

/// Reads the legacy setup in `dir` into `ws` (in memory; the caller saves).
pub fn import(ws: &mut Workspace, dir: &Path) -> Result<Imported, Error> {
    let mut issues = Vec::new();
    let registry = read_registry(dir, &mut issues)?;
    let config_path = dir.join(CONFIG_FILE);
    let config: ConfigFile = yaml::read_optional(&config_path)?
        .map_or_else(Default::default, |t| {
            yaml::parse_or_collect(&t, &config_path, &mut issues)
        });
    let tools_path = dir.join(TOOLS_FILE);
    let tools: ToolsFile = yaml::read_optional(&tools_path)?.map_or_else(Default::default, |t| {
        yaml::parse_or_collect(&t, &tools_path, &mut issues)
    });
    let sources = catalog::load_dir(&dir.join("catalogs"), &mut issues)?;
    if !issues.is_empty() {
        return Err(Error::Invalid(issues));
    }

    let mut imported = Imported::default();
    let mut owner: IndexMap<&str, usize> = IndexMap::new();
    for (index, source) in sources.iter().enumerate() {
        for name in source
            .catalog
            .registry
            .keys()
            .filter(|n| registry.registry.contains_key(*n))
        {
            if let Some(previous) = owner.insert(name, index) {
                imported
                    .shadowed
                    .push((name.clone(), sources[previous].id.clone()));
            }
        }
    }
    imported.missing = registry
        .registry
        .keys()
        .filter(|n| !owner.contains_key(n.as_str()))
        .cloned()
        .collect();

    for (index, source) in sources.iter().enumerate() {
        let names: Vec<&str> = owner
            .iter()
            .filter(|(_, &i)| i == index)
            .map(|(n, _)| *n)
            .collect();
        if names.is_empty() {
            continue;
        }
        let mut incoming = source.clone();
        incoming.id = catalog_id(&source.id);
        incoming
            .catalog
            .registry
            .retain(|name, _| names.contains(&name.as_str()));
        if ws.catalogs().iter().any(|f| f.id == incoming.id) {
            let target = ws.catalog_mut(&incoming.id)?;
            target.registry.extend(incoming.catalog.registry);
        } else {
            ws.insert_catalog(incoming)?;
        }
        for name in names {
            let kind = source.catalog.registry[name].kind();
            let known = ws.state().servers.contains_key(name);
            let state = ws.state_mut().server_mut(name);
            if !known {
                state.mode = match kind {
                    Some(ServerKind::Container) => Mode::Docker,
                    Some(ServerKind::Remote | ServerKind::HostCommand) => Mode::Managed,
                    Some(ServerKind::Poci) | None => Mode::Off,
                };
            }
            let mut values = registry.registry[name].config.clone().unwrap_or_default();
            values.extend(config.get(name).cloned().unwrap_or_default());
            state.config = values;
            state.tools = tools.get(name).cloned();
            imported.servers.push(name.to_owned());
        }
    }
    Ok(imported)
}

/// The servers `registry.yaml` in `dir` enables.
pub fn enabled(dir: &Path) -> Result<Vec<String>, Error> {
    let mut issues = Vec::new();
    let registry = read_registry(dir, &mut issues)?;
    if !issues.is_empty() {
        return Err(Error::Invalid(issues));
    }
    Ok(registry.registry.into_keys().collect())
}

/// `dir/registry.yaml`; a parse error goes to `issues`, a missing file is an error.
fn read_registry(dir: &Path, issues: &mut Vec<Issue>) -> Result<Registry, Error> {
    let path = dir.join(REGISTRY_FILE);
    match yaml::read_optional(&path)? {
        Some(text) => Ok(yaml::parse_or_collect(&text, &path, issues)),
        None => {
            let issue = Issue::new(&path, "not found: Docker lists the enabled servers in this file")
                .with_fix("pass the directory that holds registry.yaml (default ~/.docker/mcp), or enable servers with `docker mcp server enable NAME`");
            Err(Error::Invalid(vec![issue]))
        }
    }
}

/// A Dockside catalog id for a Docker catalog file stem (Docker allows spaces and more in names).
fn catalog_id(stem: &str) -> String {
    crate::catalog::safe_name(stem, "docker")
}

/// Writes `ws` as a legacy setup into `dir` (`catalogs/<id>.yaml`, `registry.yaml`, and `config.yaml`,
/// `tools.yaml` when there are values). Servers not `off` are the enabled ones.
pub fn export(ws: &Workspace, dir: &Path) -> Result<Exported, Error> {
    let mut exported = Exported {
        registry: dir.join(REGISTRY_FILE),
        ..Exported::default()
    };
    let mut registry = Registry::default();
    let mut config = ConfigFile::new();
    let mut tools = ToolsFile::new();
    let mut writes = Vec::new();
    for file in ws.catalogs() {
        let mut out = file.clone();
        out.path = dir.join("catalogs").join(format!("{}.yaml", file.id));
        out.catalog.registry.retain(|name, server| {
            let runnable = !matches!(server.kind(), Some(ServerKind::HostCommand) | None);
            if !runnable {
                exported.skipped.push(name.clone());
            }
            runnable
        });
        if out.catalog.registry.is_empty() {
            continue;
        }
        for name in out.catalog.registry.keys() {
            let state = ws.state().server(name);
            if state.mode != Mode::Off {
                registry
                    .registry
                    .insert(name.clone(), RegistryEntry::default());
            }
            if !state.config.is_empty() {
                config.insert(name.clone(), state.config);
            }
            if let Some(allowed) = state.tools {
                tools.insert(name.clone(), allowed);
            }
        }
        writes.push((out.path.clone(), out.to_yaml()?));
        exported.catalogs.push(out.path);
    }
    writes.push((
        exported.registry.clone(),
        yaml::to_string(&registry, None, &exported.registry)?,
    ));
    if !config.is_empty() {
        let path = dir.join(CONFIG_FILE);
        writes.push((path.clone(), yaml::to_string(&config, None, &path)?));
        exported.config = Some(path);
    }
    if !tools.is_empty() {
        let path = dir.join(TOOLS_FILE);
        writes.push((path.clone(), yaml::to_string(&tools, None, &path)?));
        exported.tools = Some(path);
    }
    for (path, text) in writes {
        atomic::write(&path, text.as_bytes())?;
    }
    Ok(exported)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Home;

    const FIXTURE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/docker/mcp"
    );

    #[test]
    fn imports_enabled_servers_with_their_config_and_tools() {
        let home = tempfile::tempdir().unwrap();
        let mut ws = Workspace::load(Home::new(home.path())).unwrap();
        let imported = import(&mut ws, Path::new(FIXTURE)).unwrap();
        assert_eq!(imported.servers.len(), 6);
        assert_eq!(imported.missing.len(), 39);
        assert!(imported.missing.contains(&"github-official".to_owned()));
        ws.save().unwrap();

        let ws = Workspace::open(Home::new(home.path())).unwrap();
        let clickhouse = ws.server("clickhouse").unwrap();
        assert_eq!(clickhouse.catalog.id, "clickhouse-catalog");
        assert_eq!(clickhouse.state.mode, Mode::Docker);
        assert_eq!(clickhouse.state.config["host"], Value::from("localhost"));
        assert_eq!(
            clickhouse.state.tools.as_deref(),
            Some(&["list_databases".to_owned(), "run_select_query".to_owned()][..])
        );
        assert_eq!(ws.server("gitmcpmoby").unwrap().state.mode, Mode::Managed);
        assert_eq!(ws.server("duckduckgo").unwrap().state.tools, None);
        assert!(ws.server("filesystem").is_none());
        let Ok(crate::Launch::Container(launch)) = ws.launch("clickhouse") else {
            panic!()
        };
        assert_eq!(launch.env["CLICKHOUSE_PORT"], "8123");
        assert_eq!(launch.env["CLICKHOUSE_SECURE"], "");

        let out = tempfile::tempdir().unwrap();
        let exported = export(&ws, out.path()).unwrap();
        assert_eq!(exported.catalogs.len(), 6);
        assert!(exported.skipped.is_empty());
        assert!(exported.config.is_some() && exported.tools.is_some());
    }

    #[test]
    fn export_leaves_host_commands_out() {
        let home = tempfile::tempdir().unwrap();
        let mut ws = Workspace::load(Home::new(home.path())).unwrap();
        let host: crate::Server = yaml_serde::from_str("command: [node, /x.js]").unwrap();
        ws.add_server("local", "host", host).unwrap();
        let out = tempfile::tempdir().unwrap();
        let exported = export(&ws, out.path()).unwrap();
        assert_eq!(exported.skipped, ["host"]);
        assert!(exported.catalogs.is_empty() && exported.config.is_none());
        assert_eq!(fs_text(&exported.registry), "registry: {}\n");
    }

    #[test]
    fn docker_file_names_become_valid_catalog_ids() {
        assert_eq!(catalog_id("docker-mcp"), "docker-mcp");
        assert_eq!(catalog_id("My Catalog (2)"), "My-Catalog--2-");
        assert_eq!(catalog_id(".hidden"), "hidden");
        assert_eq!(catalog_id("ü"), "docker");
    }

    fn fs_text(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap()
    }
}
