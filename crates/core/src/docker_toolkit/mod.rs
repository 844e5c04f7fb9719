//! Docker MCP Toolkit users brought over: the `MCP_DOCKER` entry in their AI clients, and the
//! servers behind it.
//!
//! `docker mcp client connect` writes one stdio entry, `MCP_DOCKER`, running
//! `docker mcp gateway run [--profile ID]` (docker/mcp-gateway `pkg/client/config.go`; an entry
//! without `--profile`/`-p` runs profile `default`, `pkg/client/parse.go`). The servers that
//! gateway runs are a profile in the SQLite database `~/.docker/mcp/mcp-toolkit.db` ([`db`]), or,
//! on an install Docker has not migrated yet, the legacy files ([`crate::docker_legacy`]).
//!
//! - [`gateway_profile`]: whether a client entry is Docker's gateway, and its profile. Such an
//!   entry is never a server to import: it is a whole gateway;
//! - [`gateway_entries`] / [`sightings`]: the clients holding one;
//! - [`import`]: a profile's servers into the Dockside catalog `docker-<profile>` — same
//!   images, same secret names, config values and tool allow-lists in the state; new container
//!   servers in `docker` mode;
//! - [`servers_behind`]: the names of the servers a profile runs (the Clients screen's count,
//!   the production switch's check before it replaces `MCP_DOCKER` with Dockside's entries).
//!
//! Dockside never writes Docker's files: the database is opened read-only, the legacy files
//! are only read.

pub mod db;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value;

use crate::catalog::{safe_name, Server, ServerKind};
use crate::clients::env::Env;
use crate::clients::shape::Entry;
use crate::clients::spec::ClientSpec;
use crate::clients::ALL;
use crate::docker_legacy;
use crate::fsedit::{self, file::Snapshot};
use crate::state::Mode;
use crate::Workspace;

pub use db::{DbError, Profile, ProfileServer, DB_FILE};

/// The entry name `docker mcp client connect` writes.
pub const ENTRY_NAME: &str = "MCP_DOCKER";

/// The profile an entry without `--profile` runs.
pub const DEFAULT_PROFILE: &str = "default";

/// Docker's MCP folder for this user: `~/.docker/mcp`.
pub fn default_dir(env: &Env) -> PathBuf {
    env.home.join(".docker").join("mcp")
}

/// The profile `entry` runs when it is Docker's gateway (`docker mcp gateway run …`, under
/// any name), else `None`.
pub fn gateway_profile(entry: &Entry) -> Option<String> {
    let Entry::Stdio(c) = entry else {
        return None;
    };
    let program = Path::new(&c.command).file_stem()?.to_str()?;
    if !program.eq_ignore_ascii_case("docker") || c.args.get(..3)? != ["mcp", "gateway", "run"] {
        return None;
    }
    let mut profile = None;
    let mut args = c.args[3..].iter();
    while let Some(arg) = args.next() {
        if arg == "--profile" || arg == "-p" {
            profile = args.next().cloned();
        } else if let Some(value) = arg
            .strip_prefix("--profile=")
            .or_else(|| arg.strip_prefix("-p="))
        {
            profile = Some(value.to_owned());
        }
    }
    Some(profile.unwrap_or_else(|| DEFAULT_PROFILE.to_owned()))
}

/// Whether `entry` is Docker's gateway: the client importer leaves such an entry out.
pub fn is_gateway_entry(entry: &Entry) -> bool {
    gateway_profile(entry).is_some()
}

/// A Docker gateway entry in one client file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GatewayEntry {
    /// The entry's name (`MCP_DOCKER`).
    pub entry: String,
    pub profile: String,
}

/// The Docker gateway entries among the entries of a file of client `spec`.
pub fn gateway_entries(spec: &ClientSpec, entries: &IndexMap<String, Value>) -> Vec<GatewayEntry> {
    entries
        .iter()
        .filter_map(|(name, value)| {
            let profile = gateway_profile(&spec.shape.decode(value)?)?;
            Some(GatewayEntry {
                entry: name.clone(),
                profile,
            })
        })
        .collect()
}

/// A client whose user-scope file holds a Docker gateway entry.
#[derive(Debug, Clone)]
pub struct Sighting {
    pub client: &'static ClientSpec,
    pub path: PathBuf,
    pub gateway: GatewayEntry,
}

/// Every known client's user-scope file holding a Docker gateway entry. Files that do not exist
/// or cannot be read are passed over (`dockside client list` reports those).
pub fn sightings(env: &Env) -> Vec<Sighting> {
    let mut out = Vec::new();
    for spec in ALL {
        let path = spec.user_path(env);
        let Ok(snap) = Snapshot::read(&path) else {
            continue;
        };
        let Some(text) = snap.text.as_deref() else {
            continue;
        };
        let Ok(doc) = fsedit::open(spec.format, &spec.container(), &path, text) else {
            continue;
        };
        for gateway in gateway_entries(spec, &doc.entries()) {
            out.push(Sighting {
                client: spec,
                path: path.clone(),
                gateway,
            });
        }
    }
    out
}

#[derive(Debug, thiserror::Error)]
pub enum ToolkitError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Workspace(#[from] crate::Error),
    #[error("{}: no profile `{profile}`; the profiles there are: {}", .path.display(), known_list(.known))]
    UnknownProfile {
        path: PathBuf,
        profile: String,
        /// `id (name)` of every profile in the database.
        known: Vec<String>,
    },
    #[error("{}: not found, so there is no profile `{profile}` (Docker MCP Toolkit keeps its profiles in this file)", .path.display())]
    NoDatabase { path: PathBuf, profile: String },
    #[error("{}: not found, and neither is {} (Docker MCP Toolkit keeps its servers in one of them); pass the folder that holds them with --docker DIR", .registry.display(), .database.display())]
    Nothing {
        registry: PathBuf,
        database: PathBuf,
    },
    #[error("the clients run several Docker MCP Toolkit profiles ({}); pick one with --profile", .0.join(", "))]
    SeveralProfiles(Vec<String>),
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        "none".into()
    } else {
        known.join(", ")
    }
}

/// The profile to import when none is named: the one the clients' Docker gateway entries run,
/// else `default`.
pub fn profile_in_use(sightings: &[Sighting]) -> Result<String, ToolkitError> {
    let profiles: BTreeSet<&str> = sightings
        .iter()
        .map(|s| s.gateway.profile.as_str())
        .collect();
    match profiles.len() {
        0 => Ok(DEFAULT_PROFILE.to_owned()),
        1 => Ok(profiles.into_iter().next().unwrap_or_default().to_owned()),
        _ => Err(ToolkitError::SeveralProfiles(
            sightings
                .iter()
                .map(|s| format!("{} runs `{}`", s.client.id, s.gateway.profile))
                .collect(),
        )),
    }
}

/// Where the servers came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Source {
    /// A profile of the database at `path`.
    Profile {
        path: PathBuf,
        profile: String,
        name: String,
    },
    /// The legacy files in the folder `path`.
    Legacy { path: PathBuf },
}

/// One server brought over.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportedServer {
    pub name: String,
    /// The Dockside catalog it is in.
    pub catalog: String,
    /// Its mode in Dockside (a server imported before keeps its mode).
    pub mode: Mode,
    /// New to Dockside (else its definition was updated).
    pub added: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The names of the secrets it declares (values come from Dockside's secret store).
    pub secrets: Vec<String>,
    /// Why its mode is what it is, when that is not obvious.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A server of the profile that was not brought over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub name: String,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Imported {
    pub source: Source,
    pub servers: Vec<ImportedServer>,
    pub skipped: Vec<Skipped>,
    pub notes: Vec<String>,
}

impl Imported {
    /// The secrets the imported servers declare that `stored` (the names in Dockside's secret
    /// store) lacks, sorted: each needs `dockside secret set NAME`.
    pub fn missing_secrets(&self, stored: &BTreeSet<String>) -> Vec<String> {
        let needed: BTreeSet<&String> = self.servers.iter().flat_map(|s| &s.secrets).collect();
        needed
            .into_iter()
            .filter(|n| !stored.contains(*n))
            .cloned()
            .collect()
    }
}

/// Imports the servers Docker's gateway runs for `profile` from Docker's MCP folder `dir` into
/// `ws` (in memory; the caller saves). The profile comes from `dir/mcp-toolkit.db`; where that
/// database does not exist, or does not hold `default` yet (Docker moves the legacy files into
/// it the next time its gateway runs), from the legacy files. `named`: the user named the
/// profile (a profile Docker does not have is then an error even without a database).
pub fn import(
    ws: &mut Workspace,
    dir: &Path,
    profile: &str,
    named: bool,
) -> Result<Imported, ToolkitError> {
    let database = dir.join(DB_FILE);
    let registry = dir.join(docker_legacy::REGISTRY_FILE);
    if database.is_file() {
        let profiles = db::read(&database)?;
        if let Some(p) = profiles.iter().find(|p| p.id == profile) {
            return import_profile(ws, &database, p);
        }
        if profile == DEFAULT_PROFILE && registry.is_file() {
            let mut imported = import_legacy(ws, dir)?;
            imported.notes.push(format!(
                "{} has no profile `default` yet; Docker moves these legacy files into it the next time its gateway runs",
                database.display()
            ));
            return Ok(imported);
        }
        return Err(ToolkitError::UnknownProfile {
            path: database,
            profile: profile.to_owned(),
            known: profiles
                .iter()
                .map(|p| format!("{} ({})", p.id, p.name))
                .collect(),
        });
    }
    if named && profile != DEFAULT_PROFILE {
        return Err(ToolkitError::NoDatabase {
            path: database,
            profile: profile.to_owned(),
        });
    }
    if !registry.is_file() {
        return Err(ToolkitError::Nothing { registry, database });
    }
    import_legacy(ws, dir)
}

/// The names of the servers Docker's gateway runs for `profile` (from the same place
/// [`import`] would take them).
pub fn servers_behind(dir: &Path, profile: &str) -> Result<Vec<String>, ToolkitError> {
    let database = dir.join(DB_FILE);
    let registry = dir.join(docker_legacy::REGISTRY_FILE);
    if database.is_file() {
        let profiles = db::read(&database)?;
        if let Some(p) = profiles.iter().find(|p| p.id == profile) {
            return Ok(p
                .servers
                .iter()
                .map(|s| s.name().unwrap_or(s.label()).to_owned())
                .collect());
        }
        if profile != DEFAULT_PROFILE || !registry.is_file() {
            return Err(ToolkitError::UnknownProfile {
                path: database,
                profile: profile.to_owned(),
                known: profiles.iter().map(|p| p.id.clone()).collect(),
            });
        }
    } else if profile != DEFAULT_PROFILE {
        return Err(ToolkitError::NoDatabase {
            path: database,
            profile: profile.to_owned(),
        });
    }
    if !registry.is_file() {
        return Err(ToolkitError::Nothing { registry, database });
    }
    Ok(docker_legacy::enabled(dir)?)
}

/// The legacy files, through [`docker_legacy::import`].
fn import_legacy(ws: &mut Workspace, dir: &Path) -> Result<Imported, ToolkitError> {
    let known: BTreeSet<String> = ws.servers().map(|e| e.name.to_owned()).collect();
    let legacy = docker_legacy::import(ws, dir)?;
    let servers = legacy
        .servers
        .iter()
        .map(|name| describe(ws, name, !known.contains(name), None))
        .collect();
    Ok(Imported {
        source: Source::Legacy {
            path: dir.to_owned(),
        },
        servers,
        skipped: legacy
            .missing
            .into_iter()
            .map(|name| Skipped {
                name,
                reason: format!(
                    "enabled in {} but defined in none of its catalogs/*.yaml",
                    docker_legacy::REGISTRY_FILE
                ),
            })
            .collect(),
        notes: legacy
            .shadowed
            .into_iter()
            .map(|(name, catalog)| format!("{name} is also in Docker catalog `{catalog}`; the later catalog's definition was used, as Docker does"))
            .collect(),
    })
}

/// The Dockside catalog a profile's servers go to.
pub fn catalog_id(profile: &str) -> String {
    safe_name(&format!("docker-{profile}"), "docker")
}

fn import_profile(
    ws: &mut Workspace,
    database: &Path,
    profile: &Profile,
) -> Result<Imported, ToolkitError> {
    let catalog = catalog_id(&profile.id);
    let mut out = Imported {
        source: Source::Profile {
            path: database.to_owned(),
            profile: profile.id.clone(),
            name: profile.name.clone(),
        },
        servers: Vec::new(),
        skipped: Vec::new(),
        notes: Vec::new(),
    };
    for s in &profile.servers {
        let label = s.name().unwrap_or(s.label()).to_owned();
        let (name, server, config) = match catalog_server(s) {
            Ok(found) => found,
            Err(reason) => {
                out.skipped.push(Skipped {
                    name: label,
                    reason,
                });
                continue;
            }
        };
        if let Some(other) = ws.server(&name).map(|e| e.catalog.id.clone()) {
            if other != catalog {
                out.skipped.push(Skipped {
                    name,
                    reason: format!(
                        "Dockside already has a server of that name in catalog `{other}`; left as it is"
                    ),
                });
                continue;
            }
        }
        let (mode, note) = match server.kind() {
            Some(ServerKind::Container) => (Mode::Docker, None),
            // Docker's gateway was its client; Dockside's gateway takes over.
            Some(ServerKind::Remote) => (Mode::Managed, None),
            Some(ServerKind::Poci) => (
                Mode::Off,
                Some("`poci` servers (a container per tool call) do not run in Dockside".into()),
            ),
            Some(ServerKind::HostCommand) => (Mode::Managed, None),
            None => {
                out.skipped.push(Skipped {
                    name,
                    reason: "its definition has neither an image nor a remote URL".into(),
                });
                continue;
            }
        };
        let added = ws.server(&name).is_none();
        ws.catalog_mut(&catalog)?
            .registry
            .insert(name.clone(), server);
        let state = ws.state_mut().server_mut(&name);
        if added {
            state.mode = mode;
        }
        state.config = config;
        state.tools.clone_from(&s.tools);
        out.servers
            .push(describe(ws, &name, added, note.filter(|_| added)));
    }
    Ok(out)
}

/// A profile server as a catalog server: its snapshot (Docker's full catalog definition),
/// with its config values for the state.
fn catalog_server(
    s: &ProfileServer,
) -> Result<(String, Server, IndexMap<String, yaml_serde::Value>), String> {
    let snapshot = s.snapshot.as_ref().ok_or(
        "Docker has not stored its definition yet (no snapshot); run `docker mcp gateway run` once, then import again",
    )?;
    let name = s.name().ok_or("its definition has no name")?.to_owned();
    let mut fields = snapshot
        .server
        .as_object()
        .cloned()
        .ok_or("its definition is not an object")?;
    // Go writes empty values for the fields it does not omit (`image: ""`, `remote: {}`).
    fields.retain(|key, value| key != "name" && !is_empty(value));
    let pinned = |v: &Option<String>| v.clone().filter(|v| !v.is_empty()).map(Value::String);
    if s.kind == "image" && !fields.contains_key("image") {
        if let Some(image) = pinned(&s.image) {
            fields.insert("image".into(), image);
        }
    }
    if s.kind == "remote" {
        if let (Some(url), Value::Object(remote)) = (
            pinned(&s.endpoint),
            fields
                .entry("remote")
                .or_insert_with(|| Value::Object(Default::default())),
        ) {
            remote.entry("url").or_insert(url);
        }
    }
    let server: Server = serde_json::from_value(Value::Object(fields))
        .map_err(|e| format!("its definition is not in Docker's catalog shape: {e}"))?;
    let config = match &s.config {
        Some(values) => values
            .iter()
            .map(|(k, v)| Ok((k.clone(), yaml_serde::to_value(v)?)))
            .collect::<Result<_, yaml_serde::Error>>()
            .map_err(|e| format!("its config values cannot be read: {e}"))?,
        None => IndexMap::new(),
    };
    Ok((name, server, config))
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// How server `name` of `ws` came out of an import.
fn describe(ws: &Workspace, name: &str, added: bool, note: Option<String>) -> ImportedServer {
    let entry = ws.server(name).expect("just imported");
    ImportedServer {
        name: name.to_owned(),
        catalog: entry.catalog.id.clone(),
        mode: entry.state.mode,
        added,
        image: entry.server.image.clone(),
        url: entry.server.remote.as_ref().and_then(|r| r.url.clone()),
        secrets: (entry.server.secrets.iter().flatten())
            .map(|s| s.name.clone())
            .collect(),
        note,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::shape::NativeCommand;
    use crate::Home;

    fn stdio(command: &str, args: &[&str]) -> Entry {
        Entry::Stdio(NativeCommand {
            command: command.into(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            ..NativeCommand::default()
        })
    }

    #[test]
    fn recognises_dockers_gateway_and_its_profile() {
        let profile = |command, args: &[&str]| gateway_profile(&stdio(command, args));
        assert_eq!(
            profile("docker", &["mcp", "gateway", "run"]).as_deref(),
            Some("default")
        );
        assert_eq!(
            profile("docker", &["mcp", "gateway", "run", "--profile", "work"]).as_deref(),
            Some("work")
        );
        assert_eq!(
            profile("docker.exe", &["mcp", "gateway", "run", "-p", "dev"]).as_deref(),
            Some("dev")
        );
        assert_eq!(
            profile(
                "/usr/local/bin/docker",
                &["mcp", "gateway", "run", "--profile=x"]
            )
            .as_deref(),
            Some("x")
        );
        assert_eq!(profile("docker", &["mcp", "gateway"]), None);
        assert_eq!(profile("docker", &["run", "-i", "mcp/github"]), None);
        assert_eq!(profile("npx", &["mcp", "gateway", "run"]), None);
        assert!(!is_gateway_entry(&Entry::Remote {
            url: "https://x".into(),
            headers: IndexMap::new()
        }));
    }

    fn workspace() -> (tempfile::TempDir, Workspace) {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::load(Home::new(dir.path())).unwrap();
        (dir, ws)
    }

    #[test]
    fn a_profile_comes_over_with_images_secrets_config_and_tools() {
        let docker = tempfile::tempdir().unwrap();
        db::testing::create(
            &docker.path().join(DB_FILE),
            &[("default", "Default Profile", db::testing::SERVERS)],
        )
        .unwrap();
        let (_home, mut ws) = workspace();
        let imported = import(&mut ws, docker.path(), "default", false).unwrap();
        ws.save().unwrap();
        assert!(
            matches!(&imported.source, Source::Profile { profile, .. } if profile == "default")
        );
        let names: Vec<&str> = imported.servers.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["github-official", "filesystem", "cloudflare-docs"]);
        assert!(imported.skipped.is_empty());

        let github = ws.server("github-official").unwrap();
        assert_eq!(github.catalog.id, "docker-default");
        assert_eq!(github.state.mode, Mode::Docker);
        assert_eq!(
            github.server.image.as_deref(),
            Some("mcp/github@sha256:1111111111111111111111111111111111111111111111111111111111111111")
        );
        let secret = &github.server.secrets.as_ref().unwrap()[0];
        assert_eq!(
            (secret.name.as_str(), secret.env.as_str()),
            (
                "github.personal_access_token",
                "GITHUB_PERSONAL_ACCESS_TOKEN"
            )
        );
        assert_eq!(
            github.state.tools.as_deref(),
            Some(&["create_issue".to_owned(), "get_file_contents".to_owned()][..])
        );
        assert!(github.server.remote.is_none() && github.server.name.is_none());

        let fs = ws.server("filesystem").unwrap();
        assert_eq!(fs.state.mode, Mode::Docker);
        assert_eq!(fs.state.tools, None);
        let Ok(crate::Launch::Container(launch)) = ws.launch("filesystem") else {
            panic!("filesystem runs in a container")
        };
        assert_eq!(launch.args, ["/home/me/src"]);

        let remote = ws.server("cloudflare-docs").unwrap();
        assert_eq!(remote.state.mode, Mode::Managed);
        assert_eq!(
            remote.server.remote.as_ref().unwrap().url.as_deref(),
            Some("https://docs.mcp.cloudflare.com/sse")
        );
        assert_eq!(remote.state.tools.as_deref(), Some(&[][..]));
        assert_eq!(imported.servers[2].note, None);

        let stored: BTreeSet<String> = BTreeSet::new();
        assert_eq!(
            imported.missing_secrets(&stored),
            ["github.personal_access_token"]
        );
        let stored = BTreeSet::from(["github.personal_access_token".to_owned()]);
        assert!(imported.missing_secrets(&stored).is_empty());

        // Again: nothing changes, modes the user set are kept.
        ws.set_mode("github-official", Mode::Off).unwrap();
        ws.save().unwrap();
        let again = import(&mut ws, docker.path(), "default", false).unwrap();
        assert!(again.servers.iter().all(|s| !s.added));
        assert_eq!(ws.server("github-official").unwrap().state.mode, Mode::Off);
    }

    #[test]
    fn unknown_profiles_and_missing_files_are_named() {
        let docker = tempfile::tempdir().unwrap();
        let (_home, mut ws) = workspace();
        let err = import(&mut ws, docker.path(), "default", false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("registry.yaml: not found"), "{err}");
        assert!(err.contains(DB_FILE), "{err}");
        let err = import(&mut ws, docker.path(), "work", true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no profile `work`"), "{err}");

        let database = docker.path().join(DB_FILE);
        db::testing::create(
            &database,
            &[("default", "Default Profile", "[]"), ("dev", "Dev", "[]")],
        )
        .unwrap();
        let err = import(&mut ws, docker.path(), "work", true).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: no profile `work`; the profiles there are: default (Default Profile), dev (Dev)",
                database.display()
            )
        );
        assert!(servers_behind(docker.path(), "work").is_err());
        assert!(servers_behind(docker.path(), "dev").unwrap().is_empty());
    }

    #[test]
    fn servers_that_cannot_come_over_say_why() {
        let docker = tempfile::tempdir().unwrap();
        let servers = r#"[
          {"type":"image","image":"mcp/a@sha256:aa","tools":null},
          {"type":"image","image":"mcp/b","tools":null,"snapshot":{"server":{"name":"taken","type":"server","image":"mcp/b","remote":{}}}},
          {"type":"image","image":"mcp/c","tools":null,"snapshot":{"server":{"name":"c","type":"server","image":"","remote":{}}}}
        ]"#;
        db::testing::create(&docker.path().join(DB_FILE), &[("p", "P", servers)]).unwrap();
        let (_home, mut ws) = workspace();
        ws.add_server(
            "mine",
            "taken",
            yaml_serde::from_str("image: me/taken").unwrap(),
        )
        .unwrap();
        let imported = import(&mut ws, docker.path(), "p", true).unwrap();
        assert_eq!(imported.skipped.len(), 2);
        assert_eq!(imported.skipped[0].name, "mcp/a@sha256:aa");
        assert!(imported.skipped[0].reason.contains("no snapshot"));
        assert!(imported.skipped[1].reason.contains("catalog `mine`"));
        // An empty image in the snapshot: the profile's own pinned reference.
        assert_eq!(
            ws.server("c").unwrap().server.image.as_deref(),
            Some("mcp/c")
        );
        assert_eq!(
            ws.server("taken").unwrap().server.image.as_deref(),
            Some("me/taken")
        );
        assert_eq!(
            servers_behind(docker.path(), "p").unwrap(),
            ["mcp/a@sha256:aa", "taken", "c"]
        );
    }

    #[test]
    fn legacy_files_without_a_database_still_come_over() {
        const FIXTURE: &str = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/docker/mcp"
        );
        let (_home, mut ws) = workspace();
        let imported = import(&mut ws, Path::new(FIXTURE), "default", false).unwrap();
        assert!(matches!(imported.source, Source::Legacy { .. }));
        assert_eq!(imported.servers.len(), 6);
        assert_eq!(imported.skipped.len(), 39);
        let clickhouse = imported
            .servers
            .iter()
            .find(|s| s.name == "clickhouse")
            .unwrap();
        assert_eq!(clickhouse.mode, Mode::Docker);
        assert!(clickhouse.added);
        assert_eq!(
            servers_behind(Path::new(FIXTURE), "default").unwrap().len(),
            45
        );
    }
}
