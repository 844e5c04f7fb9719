//! The Catalog editor's backend: servers as the form edits them, checked and saved by core.
//!
//! Validation is core's own ([`Workspace::validate`], names, duplicates, limits, modes): the
//! draft is applied to a freshly loaded workspace in memory and every problem is reported with
//! the form field it belongs to. Saving is the same apply followed by [`Workspace::save`]
//! (atomic, nothing written if anything is invalid or a file changed on disk meanwhile).

use std::num::NonZeroU32;
use std::path::Path;
use std::str::FromStr;

use dockside_core::catalog::CatalogFile;
use dockside_core::change::{self, ChangeError};
use dockside_core::clients::Context;
use dockside_core::state::{Cpus, Limits, Memory, NetworkPolicy};
use dockside_core::{Error, Home, Server, Workspace};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::BackendError;

/// A server as the editor sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Draft {
    /// The name it had when the editor opened it (`None`: a new server).
    #[serde(default)]
    pub original: Option<String>,
    /// Catalog to add a new server to.
    pub catalog: String,
    pub name: String,
    /// The catalog entry, in the catalog's own (Docker) shape, unknown keys included.
    pub server: Value,
    #[serde(default)]
    pub limits: DraftLimits,
    /// `catalog`, `none` or `open`.
    #[serde(default)]
    pub network: Option<String>,
    /// On a rename: clients' entries take the new name too (by default they keep the name
    /// they know, so the tool names they show do not change).
    #[serde(default)]
    pub rename_in_clients: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DraftLimits {
    #[serde(default)]
    pub cpus: Option<String>,
    #[serde(default)]
    pub memory: Option<String>,
    #[serde(default)]
    pub pids: Option<String>,
}

/// A problem with the draft, and the field it belongs to (`general` if none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldIssue {
    pub field: String,
    pub message: String,
    pub fix: Option<String>,
}

fn issue(field: &str, message: impl Into<String>) -> FieldIssue {
    FieldIssue {
        field: field.to_owned(),
        message: message.into(),
        fix: None,
    }
}

/// One server as the editor shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogServer {
    pub catalog: String,
    pub name: String,
    pub server: Value,
    pub limits: DraftLimits,
    pub network: String,
    pub mode: dockside_core::Mode,
}

#[derive(Debug, Clone, Serialize)]
pub struct CatalogView {
    pub catalogs: Vec<String>,
    pub servers: Vec<CatalogServer>,
}

pub fn view(home: &Home) -> Result<CatalogView, BackendError> {
    let ws = Workspace::load(home.clone())?;
    let servers = ws
        .servers()
        .map(|e| {
            let limits = &e.state.limits;
            Ok(CatalogServer {
                catalog: e.catalog.id.clone(),
                name: e.name.to_owned(),
                server: serde_json::to_value(e.server)
                    .map_err(|err| BackendError::Internal(err.to_string()))?,
                limits: DraftLimits {
                    cpus: limits.cpus.map(|c| c.get().to_string()),
                    memory: limits.memory.as_ref().map(|m| m.to_string()),
                    pids: limits.pids.map(|p| p.to_string()),
                },
                network: match e.state.network {
                    NetworkPolicy::Catalog => "catalog",
                    NetworkPolicy::None => "none",
                    NetworkPolicy::Open => "open",
                }
                .to_owned(),
                mode: e.state.mode,
            })
        })
        .collect::<Result<_, BackendError>>()?;
    let mut catalogs: Vec<String> = ws.catalogs().iter().map(|c| c.id.clone()).collect();
    if catalogs.is_empty() {
        catalogs.push("local".into());
    }
    Ok(CatalogView { catalogs, servers })
}

fn parse_limits(draft: &DraftLimits, issues: &mut Vec<FieldIssue>) -> Limits {
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let mut limits = Limits::default();
    if let Some(cpus) = text(&draft.cpus) {
        match cpus
            .parse::<f64>()
            .map_err(|_| format!("cpus must be a number above 0 (e.g. 0.5 or 2), not `{cpus}`"))
            .and_then(Cpus::try_from)
        {
            Ok(c) => limits.cpus = Some(c),
            Err(e) => issues.push(issue("limits.cpus", e)),
        }
    }
    if let Some(memory) = text(&draft.memory) {
        match Memory::from_str(&memory) {
            Ok(m) => limits.memory = Some(m),
            Err(e) => issues.push(issue("limits.memory", e)),
        }
    }
    if let Some(pids) = text(&draft.pids) {
        match pids.parse::<NonZeroU32>() {
            Ok(p) => limits.pids = Some(p),
            Err(_) => issues.push(issue(
                "limits.pids",
                format!("pids must be a whole number above 0, not `{pids}`"),
            )),
        }
    }
    limits
}

/// Applies `draft` to `ws` in memory; every problem found is returned.
fn apply(ws: &mut Workspace, draft: &Draft) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    let name = draft.name.trim();
    if let Err(e) = dockside_core::error::check_name("server", name) {
        issues.push(issue("name", e.to_string()));
    }
    let server: Option<Server> = match serde_json::from_value(draft.server.clone()) {
        Ok(s) => Some(s),
        Err(e) => {
            issues.push(issue(
                "server",
                format!("the server entry is not valid: {e}"),
            ));
            None
        }
    };
    let limits = parse_limits(&draft.limits, &mut issues);
    let network = NetworkPolicy::from_str(draft.network.as_deref().unwrap_or("catalog"))
        .unwrap_or_else(|e| {
            issues.push(issue("network", e));
            NetworkPolicy::Catalog
        });
    let Some(server) = server else { return issues };
    if !issues.is_empty() {
        return issues;
    }

    let result = match draft.original.as_deref() {
        None => ws.add_server(&draft.catalog, name, server),
        Some(original) if original == name => ws.server_mut(name).map(|s| *s = server),
        Some(original) => {
            // A rename: same catalog, same state (mode, limits…), new name; clients keep
            // calling it by the name they know unless asked (an alias for every client).
            let catalog = ws.server(original).map(|e| e.catalog.id.clone());
            let mut state = ws.state().servers.get(original).cloned();
            if draft.rename_in_clients {
                if let Some(s) = &mut state {
                    s.aliases.clear();
                }
            } else {
                let s = state.get_or_insert_with(Default::default);
                s.aliases
                    .entry("*".into())
                    .or_insert_with(|| original.to_owned());
            }
            match catalog {
                None => Err(Error::UnknownServer(original.to_owned())),
                Some(catalog) => ws.remove_server(original).and_then(|_| {
                    ws.add_server(&catalog, name, server)?;
                    if let Some(state) = state {
                        ws.state_mut().servers.insert(name.to_owned(), state);
                    }
                    Ok(())
                }),
            }
        }
    };
    if let Err(e) = result {
        let field = match e {
            Error::ServerExists { .. } | Error::BadName { .. } => "name",
            _ => "general",
        };
        issues.push(issue(field, e.to_string()));
        return issues;
    }
    let has_state = ws.state().servers.contains_key(name);
    if has_state || !limits.is_empty() || network != NetworkPolicy::Catalog {
        let state = ws.state_mut().server_mut(name);
        state.limits = limits;
        state.network = network;
    }
    if let Err(Error::Invalid(found)) = ws.validate() {
        for i in found {
            let field = if i.message.contains("neither `image`") {
                "command"
            } else if i.message.contains("also defined in") || i.message.contains("name") {
                "name"
            } else if i.message.contains("cannot run in") {
                "mode"
            } else {
                "general"
            };
            issues.push(FieldIssue {
                field: field.into(),
                message: i.message,
                fix: i.fix,
            });
        }
    }
    issues
}

/// Core's verdict on a draft, without saving anything.
pub fn validate(home: &Home, draft: &Draft) -> Result<Vec<FieldIssue>, BackendError> {
    let mut ws = Workspace::load(home.clone())?;
    Ok(apply(&mut ws, draft))
}

/// Why a save did not happen: the draft's issues, or an error.
enum Refused {
    Issues(Vec<FieldIssue>),
    Failed(BackendError),
}

impl From<ChangeError> for Refused {
    fn from(err: ChangeError) -> Self {
        Refused::Failed(err.into())
    }
}

/// Validates and saves the draft, syncing every connected client (`dockside_core::change`, all
/// or nothing); returns the issues instead if there are any.
pub fn save(ctx: &Context, draft: &Draft) -> Result<Vec<FieldIssue>, BackendError> {
    let edit = |ws: &mut Workspace| match apply(ws, draft) {
        issues if issues.is_empty() => Ok(()),
        issues => Err(Refused::Issues(issues)),
    };
    match change::apply(ctx, edit) {
        Ok(((), applied)) => {
            tracing::info!(
                server = draft.name.trim(),
                synced = applied.synced.len(),
                "server saved"
            );
            Ok(Vec::new())
        }
        Err(Refused::Issues(issues)) => Ok(issues),
        Err(Refused::Failed(err)) => Err(err),
    }
}

/// Removes a server from its catalog and the state, and from every connected client.
pub fn remove(ctx: &Context, name: &str) -> Result<(), BackendError> {
    let (_, applied) = change::apply(ctx, |ws| ws.remove_server(name).map_err(ChangeError::from))?;
    tracing::info!(
        server = name,
        synced = applied.synced.len(),
        "server removed"
    );
    Ok(())
}

/// The draft as catalog YAML (`registry: {name: …}`), for the YAML view.
pub fn yaml(draft: &Draft) -> Result<String, BackendError> {
    let server: Server = serde_json::from_value(draft.server.clone())
        .map_err(|e| BackendError::Internal(format!("the server entry is not valid: {e}")))?;
    let mut registry = serde_json::Map::new();
    registry.insert(
        draft.name.trim().to_owned(),
        serde_json::to_value(server).map_err(|e| BackendError::Internal(e.to_string()))?,
    );
    yaml_serde::to_string(&serde_json::json!({ "registry": registry }))
        .map_err(|e| BackendError::Internal(e.to_string()))
}

/// A server read back from the YAML view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParsedEntry {
    pub name: String,
    pub server: Value,
}

/// What the YAML view's text says: one server, or the problems with `line:column`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParsedYaml {
    pub entry: Option<ParsedEntry>,
    pub issues: Vec<FieldIssue>,
}

/// Parses the YAML view (`registry: {name: …}`, the catalog's own shape) with core's parser,
/// whose errors carry their line and column.
pub fn parse_yaml(text: &str) -> ParsedYaml {
    let fail = |message: String, fix: Option<String>| ParsedYaml {
        entry: None,
        issues: vec![FieldIssue {
            field: "yaml".into(),
            message,
            fix,
        }],
    };
    let catalog = match dockside_core::Catalog::parse(text, Path::new("YAML")) {
        Ok(c) => c,
        Err(issue) => {
            let at = issue
                .location
                .map(|(line, column)| format!("line {line}, column {column}: "))
                .unwrap_or_default();
            return fail(format!("{at}{}", issue.message), issue.fix);
        }
    };
    let mut servers = catalog.registry.into_iter();
    match (servers.next(), servers.next()) {
        (Some((name, server)), None) => match serde_json::to_value(&server) {
            Ok(server) => ParsedYaml {
                entry: Some(ParsedEntry { name, server }),
                issues: Vec::new(),
            },
            Err(e) => fail(e.to_string(), None),
        },
        (None, _) => fail(
            "no server under `registry:`".into(),
            Some("write `registry:` then the server's name and its fields, indented".into()),
        ),
        (Some(_), Some(_)) => fail(
            "more than one server: the editor edits one server at a time".into(),
            Some("add the others with “New server”".into()),
        ),
    }
}

/// Imports a Docker catalog file (`*.yaml`) as a new catalog, or Docker's legacy setup folder
/// (`~/.docker/mcp`: catalogs, `registry.yaml`, `config.yaml`, `tools.yaml`). Returns a summary.
pub fn import_catalog(home: &Home, path: &Path) -> Result<String, BackendError> {
    let mut ws = Workspace::load(home.clone())?;
    let summary = if path.is_dir() {
        let imported = dockside_core::docker_legacy::import(&mut ws, path)?;
        let mut s = format!("imported {} server(s)", imported.servers.len());
        if !imported.missing.is_empty() {
            s.push_str(&format!(
                "; enabled but defined nowhere: {}",
                imported.missing.join(", ")
            ));
        }
        s
    } else {
        let file = CatalogFile::load(path)?;
        let n = file.catalog.registry.len();
        let id = file.id.clone();
        ws.insert_catalog(file)?;
        format!("imported catalog `{id}` with {n} server(s)")
    };
    ws.save()?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn home() -> (tempfile::TempDir, Home) {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path());
        std::fs::create_dir_all(home.catalogs_dir()).unwrap();
        std::fs::write(
            home.catalog_path("local"),
            "registry:\n  echo:\n    title: Echo\n    command: [node, /srv/echo.js]\n    dateAdded: '2025'\n",
        )
        .unwrap();
        (dir, home)
    }

    /// Client files under the test's folder; entries run `/opt/dockside`.
    fn ctx(home: &Home) -> Context {
        Context {
            env: dockside_core::clients::Env::with_home(home.root().join("user")),
            dockside_home: home.root().to_owned(),
            launcher: dockside_core::clients::Launcher("/opt/dockside".into()),
        }
    }

    fn draft(v: Value) -> Draft {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn duplicates_and_bad_fields_are_reported_by_field() {
        let (_dir, home) = home();
        let issues = validate(
            &home,
            &draft(json!({"catalog": "local", "name": "echo", "server": {"image": "x/y"}})),
        )
        .unwrap();
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].field, "name");
        assert!(issues[0].message.contains("already exists"), "{issues:?}");

        let issues = validate(
            &home,
            &draft(json!({"catalog": "local", "name": "-bad", "server": {},
                "limits": {"cpus": "0", "memory": "12q", "pids": "x"}, "network": "some"})),
        )
        .unwrap();
        let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "limits.cpus",
                "limits.memory",
                "limits.pids",
                "network"
            ]
        );

        let issues = validate(
            &home,
            &draft(json!({"catalog": "local", "name": "empty", "server": {"title": "t"}})),
        )
        .unwrap();
        assert_eq!(issues[0].field, "command", "{issues:?}");
    }

    #[test]
    fn save_adds_edits_renames_and_keeps_unknown_keys() {
        let (_dir, home) = home();
        let added = save(
            &ctx(&home),
            &draft(
                json!({"catalog": "local", "name": "web", "server": {"image": "mcp/web:1"},
                "limits": {"memory": "256m"}, "network": "none"}),
            ),
        )
        .unwrap();
        assert!(added.is_empty(), "{added:?}");
        let v = view(&home).unwrap();
        let echo = v.servers.iter().find(|s| s.name == "echo").unwrap().clone();
        assert_eq!(echo.server["dateAdded"], "2025");
        let web = v.servers.iter().find(|s| s.name == "web").unwrap();
        assert_eq!(web.limits.memory.as_deref(), Some("256m"));
        assert_eq!(web.network, "none");

        let mut server = echo.server.clone();
        server["title"] = json!("Echo 2");
        let issues = save(
            &ctx(&home),
            &draft(
                json!({"original": "echo", "catalog": "local", "name": "echo2", "server": server}),
            ),
        )
        .unwrap();
        assert!(issues.is_empty(), "{issues:?}");
        let text = std::fs::read_to_string(home.catalog_path("local")).unwrap();
        assert!(
            text.contains("echo2:") && text.contains("dateAdded"),
            "{text}"
        );
        assert!(!text.contains("  echo:\n"), "{text}");
        remove(&ctx(&home), "web").unwrap();
        assert_eq!(view(&home).unwrap().servers.len(), 1);
    }

    #[test]
    fn saving_and_removing_a_server_sync_connected_clients() {
        use dockside_core::clients::{by_id, sync, workspace as bridge};
        let (_dir, home) = home();
        let ctx = ctx(&home);
        let target = sync::Target::user(by_id("cursor").unwrap());
        let path = target.path(&ctx.env);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "{\r\n\t// mine\r\n\t\"mcpServers\": {}\r\n}\r\n").unwrap();
        let mut ws = Workspace::load(home.clone()).unwrap();
        ws.set_mode("echo", dockside_core::Mode::Native).unwrap();
        ws.save().unwrap();
        bridge::connect(&ws, &ctx, &target, false, false).unwrap();
        assert!(std::fs::read_to_string(&path)
            .unwrap()
            .contains("/srv/echo.js"));

        let echo = json!({"original": "echo", "catalog": "local", "name": "echo",
            "server": {"command": ["node", "/srv/echo2.js"]}});
        assert!(save(&ctx, &draft(echo)).unwrap().is_empty());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("/srv/echo2.js") && !text.contains("/srv/echo.js"),
            "{text}"
        );

        // A draft with issues saves nothing and leaves the client file alone.
        let before = std::fs::read(&path).unwrap();
        let bad = json!({"catalog": "local", "name": "bad name", "server": {"command": ["x"]}});
        assert_eq!(save(&ctx, &draft(bad)).unwrap()[0].field, "name");
        assert_eq!(std::fs::read(&path).unwrap(), before);

        // A rename keeps the client's name for it (its tool names), unless asked.
        let entry_names = || -> Vec<String> {
            let text = std::fs::read_to_string(&path).unwrap();
            let v: Value = serde_json::from_str(&text.replace("\t// mine\r\n", "")).unwrap();
            v["mcpServers"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect()
        };
        let renamed = json!({"original": "echo", "catalog": "local", "name": "echo3",
            "server": {"command": ["node", "/srv/echo2.js"]}});
        assert!(save(&ctx, &draft(renamed)).unwrap().is_empty());
        assert_eq!(entry_names(), ["echo"]);
        let renamed = json!({"original": "echo3", "catalog": "local", "name": "echo4",
            "server": {"command": ["node", "/srv/echo2.js"]}, "renameInClients": true});
        assert!(save(&ctx, &draft(renamed)).unwrap().is_empty());
        assert_eq!(entry_names(), ["echo4"]);

        remove(&ctx, "echo4").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("echo"), "{text}");
        assert!(
            text.contains("// mine") && text.contains("\r\n\t\"mcpServers\""),
            "{text}"
        );
    }

    #[test]
    fn the_yaml_view_reads_back_one_server_or_says_where_it_is_wrong() {
        let parsed = parse_yaml("registry:\n  web:\n    image: mcp/web:2\n    x: 1\n");
        assert_eq!(
            parsed.entry,
            Some(ParsedEntry {
                name: "web".into(),
                server: json!({"image": "mcp/web:2", "x": 1}),
            })
        );
        let bad = parse_yaml("registry:\n  web:\n    longLived: maybe\n");
        assert!(bad.entry.is_none());
        assert!(
            bad.issues[0].message.starts_with("line 3, column 16:"),
            "{:?}",
            bad.issues
        );
        assert!(parse_yaml("registry: {}\n").issues[0]
            .message
            .contains("no server"));
        assert!(
            parse_yaml("registry: {a: {image: x}, b: {image: y}}\n").issues[0]
                .message
                .contains("one server at a time")
        );
    }

    #[test]
    fn yaml_view_and_catalog_import() {
        let (dir, home) = home();
        let text = yaml(&draft(
            json!({"catalog": "local", "name": "web", "server": {"image": "mcp/web:1", "command": ["--x"]}}),
        ))
        .unwrap();
        assert_eq!(
            text,
            "registry:\n  web:\n    image: mcp/web:1\n    command:\n    - --x\n"
        );
        let file = dir.path().join("docker.yaml");
        std::fs::write(&file, "registry:\n  fetch:\n    image: mcp/fetch\n").unwrap();
        let summary = import_catalog(&home, &file).unwrap();
        assert_eq!(summary, "imported catalog `docker` with 1 server(s)");
        assert!(view(&home).unwrap().catalogs.contains(&"docker".to_owned()));
    }
}
