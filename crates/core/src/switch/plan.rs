//! The production plan: which mode each server gets, and what every connected client's file
//! becomes (new text, unified diff, the user's own entries that stay).
//!
//! Reads the workspace and the client files; writes nothing. The plan keeps the snapshots it was
//! computed from, so [`super::transaction::apply`] refuses a file that changed since.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::SwitchError;
use crate::clients::import::{self, dedupe};
use crate::clients::ownership::content_hash;
use crate::clients::plan::Change;
use crate::clients::sync::{self, Context, Planned};
use crate::clients::workspace as bridge;
use crate::docker_toolkit::{self, GatewayEntry};
use crate::fsedit;
use crate::launch::Launch;
use crate::state::{Mode, Network, Profile};
use crate::Workspace;

/// Choices of `dockside switch production`.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Move only these servers (empty: every enabled server).
    pub only: Vec<String>,
    /// Also import the user's own client entries as servers and move them behind the gateway.
    pub include_user_entries: bool,
    /// Per-server target mode (`managed` or `docker`) instead of the automatic choice.
    pub modes: BTreeMap<String, Mode>,
    /// Remove Docker MCP Toolkit's gateway entry (`MCP_DOCKER`) from the connected clients, so
    /// they reach its servers through Dockside's own entries (undo puts it back).
    pub replace_docker_gateway: bool,
    /// Hosts each server may reach in `docker` mode, added to its state (`--allow-host`).
    pub allow_hosts: BTreeMap<String, Vec<String>>,
}

/// An image to build before a server can run in `docker` mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildPlan {
    /// The folder holding the `Dockerfile`.
    pub dir: PathBuf,
    pub tag: String,
}

/// One server's move.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerMove {
    pub name: String,
    pub from: Mode,
    pub to: Mode,
    /// Why it gets `to` (e.g. why not `docker`), when that is not obvious.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The image it runs in `docker` mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The image is built from the server's Dockerfile first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<BuildPlan>,
    /// The network its container gets in `docker` mode: none, only the hosts listed, or open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<Network>,
    /// A user's own client entry imported for this switch (`--include-user-entries`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub imported: bool,
}

impl ServerMove {
    /// Whether the gateway runs it after the switch.
    pub fn behind_gateway(&self) -> bool {
        matches!(self.to, Mode::Managed | Mode::Docker)
    }
}

/// One connected client's file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientChange {
    /// The client's display name (`Claude Desktop`).
    pub client: String,
    /// Dockside's key for it (`claude-desktop`, or `cursor@/project`).
    pub key: String,
    pub path: PathBuf,
    /// Unified diff of the file (empty: unchanged).
    pub diff: String,
    /// Entries in the file after the switch.
    pub entries: usize,
    /// Entries Dockside writes (gateway entries), by name.
    pub gateway_entries: Vec<String>,
    /// The user's own entries, left alone.
    pub user_entries: Vec<String>,
    /// What happens, one line per entry (`removed native entry demo`…).
    pub changes: Vec<String>,
}

/// Docker MCP Toolkit's gateway entry (`MCP_DOCKER`) in a connected client's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DockerGateway {
    /// Dockside's key for the client (`claude-desktop`).
    pub key: String,
    pub path: PathBuf,
    /// The entry's name and the profile it runs.
    #[serde(flatten)]
    pub gateway: GatewayEntry,
    /// The switch removes it ([`PlanOptions::replace_docker_gateway`]).
    pub replaced: bool,
}

/// What `dockside switch production` would do.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SwitchPlan {
    /// The profile after the switch.
    pub profile: Profile,
    pub servers: Vec<ServerMove>,
    pub clients: Vec<ClientChange>,
    /// Docker's gateway entries in the connected clients' files.
    pub docker_gateway: Vec<DockerGateway>,
    pub warnings: Vec<String>,
    #[serde(skip)]
    pub(crate) planned: Vec<Planned>,
    #[serde(skip)]
    pub(crate) before: Workspace,
    #[serde(skip)]
    pub(crate) after: Workspace,
}

impl SwitchPlan {
    /// The workspace as it is now.
    pub fn before(&self) -> &Workspace {
        &self.before
    }

    /// The workspace as the switch leaves it (modes, runtime images of built images, profile).
    pub fn after(&self) -> &Workspace {
        &self.after
    }

    /// Whether applying would change no file and no mode.
    pub fn is_noop(&self) -> bool {
        self.clients.iter().all(|c| c.diff.is_empty())
            && self.servers.iter().all(|s| s.from == s.to)
            && self.before.state().profile == self.profile
    }

    /// The moves of the servers the gateway runs after the switch.
    pub fn gateway_servers(&self) -> impl Iterator<Item = &ServerMove> {
        self.servers.iter().filter(|s| s.behind_gateway())
    }
}

/// The folder of a server's code holding a `Dockerfile`: its `cwd`, or the folder of the first
/// absolute file its command names, or up to three folders above.
pub fn dockerfile_dir(server: &crate::Server) -> Option<PathBuf> {
    let start = match server.dockside.as_ref().and_then(|x| x.cwd.clone()) {
        Some(cwd) => cwd,
        None => server
            .host_command()?
            .iter()
            .map(Path::new)
            .find(|p| p.is_absolute() && p.is_file())?
            .parent()?
            .to_owned(),
    };
    let home = std::env::var_os("HOME").map(PathBuf::from);
    start
        .ancestors()
        .take(4)
        .filter(|d| d.parent().is_some() && Some(*d) != home.as_deref())
        .find(|d| d.join("Dockerfile").is_file())
        .map(Path::to_owned)
}

/// Plans the switch to production for `ws` and every connected client of `ctx`.
pub fn plan_production(
    ws: &Workspace,
    ctx: &Context,
    opts: &PlanOptions,
) -> Result<SwitchPlan, SwitchError> {
    let connected = sync::connected(ctx)?;
    let mut after = ws.clone();
    let mut warnings = Vec::new();

    // 1. The user's own entries, imported on request.
    let mut imported: Vec<String> = Vec::new();
    if opts.include_user_entries {
        let record = crate::clients::ownership::Record::load(&ctx.dockside_home)
            .map_err(crate::clients::SyncError::from)?;
        let mut found = Vec::new();
        for (target, _) in &connected {
            let path = target.path(&ctx.env);
            let snap = crate::fsedit::file::Snapshot::read(&path)
                .map_err(crate::clients::SyncError::from)?;
            if let Some(text) = &snap.text {
                found.extend(
                    import::read(target, &path, text, &record.file(&path))
                        .map_err(crate::clients::SyncError::from)?,
                );
            }
        }
        for r in bridge::import_into(&mut after, "imported", &dedupe(found))? {
            if r.status == "added" {
                imported.push(r.name);
            }
        }
    }

    // 2. Modes.
    let names: Vec<String> = after.servers().map(|e| e.name.to_owned()).collect();
    for only in opts.only.iter().chain(opts.allow_hosts.keys()) {
        if !names.contains(only) {
            return Err(crate::Error::UnknownServer(only.clone()).into());
        }
    }
    for (name, hosts) in &opts.allow_hosts {
        let allowed = &mut after.state_mut().server_mut(name).allow_hosts;
        for host in hosts {
            if !allowed.contains(host) {
                allowed.push(host.clone());
            }
        }
    }
    let mut servers = Vec::new();
    for name in &names {
        let entry = after.server(name).expect("listed");
        let from = entry.state.mode;
        if from == Mode::Off {
            continue;
        }
        let server = entry.server.clone();
        let mut mv = ServerMove {
            name: name.clone(),
            from,
            to: from,
            reason: None,
            image: None,
            build: None,
            network: None,
            imported: imported.contains(name),
        };
        if !opts.only.is_empty() && !opts.only.contains(name) {
            mv.reason = Some("not selected (--only)".into());
            servers.push(mv);
            continue;
        }
        let docker = after.launch_in(name, Mode::Docker);
        match opts.modes.get(name) {
            Some(&mode) => match after.launch_in(name, mode) {
                Ok(l) => {
                    mv.to = mode;
                    mv.reason = Some("chosen with --mode".into());
                    if let Launch::Container(c) = l {
                        mv.image = Some(c.image);
                        mv.network = Some(c.network);
                    }
                }
                Err(e) => {
                    warnings.push(format!("{name}: {e}; it keeps its mode"));
                }
            },
            None => match (docker, dockerfile_dir(&server)) {
                (Ok(Launch::Container(c)), _) => {
                    mv.to = Mode::Docker;
                    mv.image = Some(c.image);
                    mv.network = Some(c.network);
                }
                (Err(_), Some(dir)) if server.image.is_none() => {
                    let tag = format!("dockside/{name}:local");
                    mv.to = Mode::Docker;
                    mv.reason = Some(format!(
                        "image built from {}",
                        dir.join("Dockerfile").display()
                    ));
                    mv.image = Some(tag.clone());
                    mv.build = Some(BuildPlan { dir, tag });
                    mv.network = Some(
                        after
                            .server(name)
                            .expect("listed")
                            .state
                            .network_for(&server),
                    );
                }
                (docker, _) => match after.launch_in(name, Mode::Managed) {
                    Ok(Launch::Host(_)) => {
                        mv.to = Mode::Managed;
                        mv.reason = Some(match docker {
                            Err(e) => format!("no image for docker mode ({e})"),
                            Ok(_) => "no image for docker mode".into(),
                        });
                    }
                    Ok(_) => {
                        mv.to = Mode::Managed;
                        mv.reason = Some("a remote server: the gateway is its client".into());
                    }
                    Err(e) => warnings.push(format!("{name}: {e}; it keeps its mode")),
                },
            },
        }
        servers.push(mv);
    }
    for mv in &servers {
        let st = after.state_mut().server_mut(&mv.name);
        st.mode = mv.to;
        if let Some(b) = &mv.build {
            st.runtime_image = Some(b.tag.clone());
        }
    }
    let all_behind = servers.iter().all(|s| s.behind_gateway());
    let profile = if all_behind {
        Profile::Production
    } else {
        warnings.push(
            "not every enabled server goes behind the gateway, so the profile stays development"
                .into(),
        );
        ws.state().profile
    };
    after.state_mut().profile = profile;

    // 3. Client files.
    let mut planned = Vec::new();
    let mut clients = Vec::new();
    let mut docker_gateway = Vec::new();
    let mut errors = Vec::new();
    for (target, rec) in &connected {
        let target = target.clone();
        let desired = bridge::desired(&after, &target.key(), rec.single_entry);
        let gateway: Vec<&str> = servers
            .iter()
            .filter(|s| s.behind_gateway())
            .map(|s| s.name.as_str())
            .collect();
        let planned_target = sync::plan_target(ctx, &target, &desired, opts.include_user_entries)
            .and_then(|p| drop_native_leftovers(p, &gateway).map_err(Into::into))
            .and_then(|p| drop_docker_gateway(p, opts.replace_docker_gateway).map_err(Into::into));
        match planned_target {
            Ok((p, found)) => {
                clients
                    .push(describe(&p, &desired, &found).map_err(crate::clients::SyncError::from)?);
                docker_gateway.extend(found.into_iter().map(|gateway| DockerGateway {
                    key: p.target.key(),
                    path: p.snap.path.clone(),
                    gateway,
                    replaced: opts.replace_docker_gateway,
                }));
                for c in &p.plan.changes {
                    if let Change::Conflict(n) = c {
                        warnings.push(format!(
                            "{}: `{n}` is your own entry with a server's name; left alone (--include-user-entries replaces it)",
                            p.snap.path.display()
                        ));
                    }
                }
                planned.push(p);
            }
            Err(error) => errors.push(sync::TargetError {
                target: Some(target),
                error,
            }),
        }
    }
    if !errors.is_empty() {
        return Err(SwitchError::Clients(errors));
    }
    warnings.extend(docker_gateway_warnings(
        ctx,
        &after,
        &connected,
        &docker_gateway,
        opts.replace_docker_gateway,
    ));
    Ok(SwitchPlan {
        profile,
        servers,
        clients,
        docker_gateway,
        warnings,
        planned,
        before: ws.clone(),
        after,
    })
}

/// Removes the native entries Dockside took over (a user's entry identical to what Dockside
/// writes) of servers now behind the gateway that the plan lets go of instead of removing — with
/// a single aggregate entry they are not wanted under their own names, and production means
/// gateway entries only. The switch record keeps them, so `switch development` puts them back.
fn drop_native_leftovers(p: Planned, gateway: &[&str]) -> Result<Planned, fsedit::EditError> {
    let entries = planned_entries(&p)?;
    let leftovers: Vec<String> = (p.before.entries.iter())
        .filter(|(name, owned)| {
            gateway.contains(&name.as_str())
                && !p.plan.owned.entries.contains_key(*name)
                && entries
                    .get(*name)
                    .is_some_and(|v| owned.matches(&content_hash(v)))
        })
        .map(|(name, _)| name.clone())
        .collect();
    remove_entries(p, &leftovers)
}

/// Docker MCP Toolkit's gateway entries left in the planned text, removed when `replace`: the
/// client then reaches those servers through Dockside's entries. The switch record keeps the
/// file's old text, so `switch development` puts the entry back byte for byte.
fn drop_docker_gateway(
    p: Planned,
    replace: bool,
) -> Result<(Planned, Vec<GatewayEntry>), fsedit::EditError> {
    let found = docker_toolkit::gateway_entries(p.target.spec, &planned_entries(&p)?);
    if !replace {
        return Ok((p, found));
    }
    let names: Vec<String> = found.iter().map(|g| g.entry.clone()).collect();
    Ok((remove_entries(p, &names)?, found))
}

/// The entries of the file as planned.
fn planned_entries(
    p: &Planned,
) -> Result<indexmap::IndexMap<String, serde_json::Value>, fsedit::EditError> {
    let spec = p.target.spec;
    match &p.plan.new_text {
        Some(text) => {
            Ok(fsedit::open(spec.format, &spec.container(), &p.snap.path, text)?.entries())
        }
        None => Ok(Default::default()),
    }
}

/// Removes `names` from the planned text (a change each) and updates the diff.
fn remove_entries(mut p: Planned, names: &[String]) -> Result<Planned, fsedit::EditError> {
    let Some(text) = p.plan.new_text.as_deref().filter(|_| !names.is_empty()) else {
        return Ok(p);
    };
    let spec = p.target.spec;
    let mut doc = fsedit::open(spec.format, &spec.container(), &p.snap.path, text)?;
    for name in names {
        doc.remove(name)?;
        p.plan.changes.push(Change::Removed(name.clone()));
    }
    p.plan.new_text = Some(doc.text());
    p.diff = crate::clients::plan::unified_diff(
        &p.snap.path,
        p.snap.text.as_deref(),
        p.plan.new_text.as_deref(),
    );
    Ok(p)
}

/// What the user should know about Docker's gateway entries: one kept beside Dockside's entries
/// (the client sees those tools twice), or — when replacing — servers of its profile Dockside
/// does not run, and clients holding one that Dockside does not keep in sync.
fn docker_gateway_warnings(
    ctx: &Context,
    after: &Workspace,
    connected: &[(
        crate::clients::Target,
        crate::clients::ownership::ClientRecord,
    )],
    found: &[DockerGateway],
    replace: bool,
) -> Vec<String> {
    let mut warnings = Vec::new();
    if !replace {
        for g in found {
            warnings.push(format!(
                "{}: `{}` runs Docker's MCP gateway (profile `{}`) beside Dockside's entries; --replace-docker-gateway replaces it (undo puts it back)",
                g.path.display(),
                g.gateway.entry,
                g.gateway.profile
            ));
        }
        return warnings;
    }
    let dir = docker_toolkit::default_dir(&ctx.env);
    let profiles: std::collections::BTreeSet<&str> =
        found.iter().map(|g| g.gateway.profile.as_str()).collect();
    for profile in profiles {
        match docker_toolkit::servers_behind(&dir, profile) {
            Ok(names) => {
                let (missing, off): (Vec<&String>, Vec<&String>) = names
                    .iter()
                    .filter(|n| after.server(n).is_none_or(|e| e.state.mode == Mode::Off))
                    .partition(|n| after.server(n).is_none());
                if !missing.is_empty() {
                    warnings.push(format!(
                        "Docker's profile `{profile}` runs {}, which Dockside does not have: `dockside catalog import --docker --profile {profile}` brings them over, else the clients lose their tools",
                        join(&missing)
                    ));
                }
                if !off.is_empty() {
                    warnings.push(format!(
                        "Docker's profile `{profile}` runs {}, which are off in Dockside: the clients lose their tools",
                        join(&off)
                    ));
                }
            }
            Err(e) => warnings.push(format!(
                "cannot tell which servers Docker's profile `{profile}` runs: {e}"
            )),
        }
    }
    for s in docker_toolkit::sightings(&ctx.env) {
        let key = s.client.id;
        if !connected.iter().any(|(t, _)| t.key() == key) {
            warnings.push(format!(
                "{}: `{}` runs Docker's MCP gateway, but {} is not connected to Dockside, so it keeps it (`dockside client connect {key}` first)",
                s.path.display(),
                s.gateway.entry,
                s.client.name
            ));
        }
    }
    warnings
}

fn join(names: &[&String]) -> String {
    names
        .iter()
        .map(|n| n.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe(
    p: &Planned,
    desired: &crate::clients::Desired,
    docker: &[GatewayEntry],
) -> Result<ClientChange, crate::fsedit::EditError> {
    let spec = p.target.spec;
    let path = &p.snap.path;
    let entries = match &p.plan.new_text {
        Some(t) => fsedit::open(spec.format, &spec.container(), path, t)?.entries(),
        None => Default::default(),
    };
    let owned = &p.plan.owned.entries;
    let user_entries = entries
        .iter()
        .filter(|(n, v)| owned.get(*n).is_none_or(|o| !o.matches(&content_hash(v))))
        .map(|(n, _)| n.clone())
        .collect();
    let gateway_entries = desired
        .keys()
        .filter(|n| entries.contains_key(*n))
        .cloned()
        .collect();
    let changes = p
        .plan
        .changes
        .iter()
        .map(|c| match c {
            Change::Added(n) => format!("add `{n}`"),
            Change::Updated(n) => format!("rewrite `{n}` as a gateway entry"),
            Change::Removed(n) => match docker.iter().find(|g| &g.entry == n) {
                Some(g) => format!(
                    "replace Docker's gateway `{n}` (profile `{}`) with Dockside's entries",
                    g.profile
                ),
                None => format!("remove `{n}`"),
            },
            Change::Restored(n) => format!("put back your own `{n}`"),
            Change::Adopted(n) => format!("replace your `{n}` (kept to put back)"),
            Change::TookOver(n) => format!("`{n}` already matches"),
            Change::Conflict(n) => format!("leave your own `{n}` alone"),
            Change::Released(n) => format!("`{n}` was edited by you; left as is"),
        })
        .collect();
    Ok(ClientChange {
        client: spec.name.to_owned(),
        key: p.target.key(),
        path: path.clone(),
        diff: p.diff.clone(),
        entries: entries.len(),
        gateway_entries,
        user_entries,
        changes,
    })
}
