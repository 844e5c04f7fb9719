//! Applying plans to real files: read once, plan (pure), record, write atomically, record.
//!
//! Order of a sync, chosen so that a crash (or `kill -9`) at any point loses nothing:
//! 1. snapshot the client's file; plan;
//! 2. save the ownership record holding every entry that is Dockside's before *or* after
//!    the write ([`OwnedFile::in_flight`]);
//! 3. write the file atomically, refusing if it changed since step 1;
//! 4. save the final record.
//!
//! A crash after 2 leaves entries the record calls Dockside's under either their old or their
//! new hash, so the next sync recognizes them; a crash during 3 leaves the old file whole.

use crate::secrets::Redactor;
use std::path::{Path, PathBuf};

use super::env::Env;
use super::ownership::{ClientRecord, OwnedFile, Record, RecordError};
use super::plan::{self, Change, Desired, FilePlan, Launcher, PlanInput};
use super::spec::ClientSpec;
use crate::fsedit::file::{self, CommitOptions, Committed, FileError, Snapshot};
use crate::fsedit::EditError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error("unknown client `{0}` (see `dockside client list`)")]
    UnknownClient(String),
    #[error("{0} has no project-scope config file")]
    NoProjectScope(&'static str),
}

/// Where things are.
#[derive(Debug, Clone)]
pub struct Context {
    pub env: Env,
    pub dockside_home: PathBuf,
    pub launcher: Launcher,
}

impl Context {
    /// This process's environment, with Dockside's files under `dockside_home` and the
    /// bridge command from [`Launcher::detect`].
    pub fn for_home(dockside_home: &Path) -> Context {
        Context {
            env: Env::from_process(),
            dockside_home: dockside_home.to_owned(),
            launcher: Launcher::detect(),
        }
    }

    pub fn backups(&self) -> PathBuf {
        self.dockside_home.join("backups")
    }
}

impl Launcher {
    /// `$DOCKSIDE_LAUNCHER`; else this executable's absolute path when it is the `dockside`
    /// binary (clients such as Claude Desktop start servers with a minimal `PATH`); else
    /// `dockside`.
    pub fn detect() -> Launcher {
        let exe = std::env::current_exe()
            .ok()
            .filter(|p| p.file_stem().is_some_and(|s| s == "dockside"));
        Launcher::for_binary(exe.as_deref())
    }

    /// `$DOCKSIDE_LAUNCHER`; else `binary` (the `dockside` a program such as the tray app
    /// found) as an absolute path — its stable link when it is inside an AppImage
    /// ([`super::appimage`]); else `dockside`.
    pub fn for_binary(binary: Option<&Path>) -> Launcher {
        if let Some(v) = std::env::var_os("DOCKSIDE_LAUNCHER").filter(|v| !v.is_empty()) {
            return Launcher(v.to_string_lossy().into_owned());
        }
        let binary = binary.map(|b| super::appimage::stable_binary(b).unwrap_or_else(|| b.into()));
        Launcher(
            binary
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "dockside".into()),
        )
    }
}

/// A client's config file at one scope: user (no project) or a project folder.
#[derive(Debug, Clone)]
pub struct Target {
    pub spec: &'static ClientSpec,
    pub project: Option<PathBuf>,
}

impl Target {
    pub fn user(spec: &'static ClientSpec) -> Target {
        Target {
            spec,
            project: None,
        }
    }

    pub fn parse(id: &str, project: Option<&Path>) -> Result<Target, SyncError> {
        let spec =
            super::adapters::by_id(id).ok_or_else(|| SyncError::UnknownClient(id.to_owned()))?;
        if project.is_some() && spec.project_path.is_none() {
            return Err(SyncError::NoProjectScope(spec.name));
        }
        Ok(Target {
            spec,
            project: project.map(Path::to_owned),
        })
    }

    /// The key in Dockside's record: `cursor`, or `cursor@/abs/project`.
    pub fn key(&self) -> String {
        match &self.project {
            None => self.spec.id.to_owned(),
            Some(p) => format!("{}@{}", self.spec.id, p.display()),
        }
    }

    pub fn from_key(key: &str) -> Option<Target> {
        let (id, project) = match key.split_once('@') {
            Some((id, p)) => (id, Some(PathBuf::from(p))),
            None => (key, None),
        };
        Some(Target {
            spec: super::adapters::by_id(id)?,
            project,
        })
    }

    pub fn path(&self, env: &Env) -> PathBuf {
        match (&self.project, self.spec.project_path) {
            (Some(dir), Some(f)) => f(dir),
            _ => self.spec.user_path(env),
        }
    }
}

/// What a sync did (or would do).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub path: PathBuf,
    pub changes: Vec<Change>,
    pub diff: String,
    pub committed: Option<Committed>,
}

/// Plans a sync without writing anything.
pub fn preview(
    ctx: &Context,
    target: &Target,
    desired: &Desired,
    adopt: bool,
) -> Result<(Snapshot, FilePlan, OwnedFile), SyncError> {
    let path = target.path(&ctx.env);
    let record = Record::load(&ctx.dockside_home)?;
    let owned = record.file(&path);
    let snap = Snapshot::read(&path)?;
    let plan = plan::plan(&PlanInput {
        spec: target.spec,
        path: &path,
        text: snap.text.as_deref(),
        desired,
        owned: &owned,
        launcher: &ctx.launcher,
        adopt,
    })?;
    Ok((snap, plan, owned))
}

/// A planned change to one client file, not written yet.
#[derive(Debug, Clone)]
pub struct Planned {
    pub target: Target,
    pub snap: Snapshot,
    pub plan: FilePlan,
    /// The record of this file before the change.
    pub before: OwnedFile,
    pub diff: String,
}

impl Planned {
    fn path(&self) -> &Path {
        &self.snap.path
    }

    fn outcome(&self, committed: Committed) -> Outcome {
        Outcome {
            path: self.snap.path.clone(),
            changes: self.plan.changes.clone(),
            diff: self.diff.clone(),
            committed: Some(committed),
        }
    }
}

/// Plans one client's sync (read only).
pub fn plan_target(
    ctx: &Context,
    target: &Target,
    desired: &Desired,
    adopt: bool,
) -> Result<Planned, SyncError> {
    let (snap, plan, before) = preview(ctx, target, desired, adopt)?;
    let diff = plan::unified_diff(&snap.path, snap.text.as_deref(), plan.new_text.as_deref());
    Ok(Planned {
        target: target.clone(),
        snap,
        plan,
        before,
        diff,
    })
}

/// Serializes Dockside processes (CLI, tray, daemon) around client files and the record.
/// An OS advisory lock: released by the OS if the process dies, even by `kill -9`.
fn lock(ctx: &Context) -> Result<std::fs::File, SyncError> {
    let path = ctx.dockside_home.join("clients.lock");
    let io = |source| FileError::Io {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(&ctx.dockside_home).map_err(io)?;
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io)?;
    f.lock().map_err(io)?;
    Ok(f)
}

/// Writes every planned file or none: each file is checked and written atomically; if one
/// write fails (e.g. the user edited that file meanwhile), the files already written are put
/// back as they were and the record is restored.
pub fn commit_all(ctx: &Context, planned: &[Planned]) -> Result<Vec<Outcome>, SyncError> {
    let _lock = lock(ctx)?;
    commit_all_locked(ctx, planned)
}

fn commit_all_locked(ctx: &Context, planned: &[Planned]) -> Result<Vec<Outcome>, SyncError> {
    let mut record = Record::load(&ctx.dockside_home)?;
    let writes: Vec<&Planned> = planned
        .iter()
        .filter(|p| p.snap.text != p.plan.new_text)
        .collect();
    if !writes.is_empty() {
        for p in &writes {
            record.set_file(p.path(), OwnedFile::in_flight(&p.before, &p.plan.owned));
        }
        record.save(&ctx.dockside_home)?;
    }
    let opts = CommitOptions {
        backup_root: Some(ctx.backups()),
        redact: (!writes.is_empty()).then(|| Redactor::for_home(&ctx.dockside_home)),
    };
    let mut done: Vec<(&Planned, Committed)> = Vec::new();
    for p in &writes {
        match file::commit(&p.snap, p.plan.new_text.as_deref(), &opts) {
            Ok(c) => done.push((p, c)),
            Err(e) => {
                for (w, _) in done.iter().rev() {
                    let written = Snapshot {
                        text: w.plan.new_text.clone(),
                        ..w.snap.clone()
                    };
                    // Best effort: a file the user edited in this instant keeps their edit.
                    let _ =
                        file::commit(&written, w.snap.text.as_deref(), &CommitOptions::default());
                }
                for w in &writes {
                    record.set_file(w.path(), w.before.clone());
                }
                record.save(&ctx.dockside_home)?;
                return Err(e.into());
            }
        }
    }
    for p in planned {
        record.set_file(p.path(), p.plan.owned.clone());
    }
    record.save(&ctx.dockside_home)?;
    Ok(planned
        .iter()
        .map(|p| {
            let c = done
                .iter()
                .find(|(d, _)| std::ptr::eq(*d, p))
                .map_or(Committed::Unchanged, |(_, c)| c.clone());
            p.outcome(c)
        })
        .collect())
}

/// Brings one client's file to `desired`.
pub fn apply(
    ctx: &Context,
    target: &Target,
    desired: &Desired,
    adopt: bool,
) -> Result<Outcome, SyncError> {
    let _lock = lock(ctx)?;
    apply_locked(ctx, target, desired, adopt)
}

fn apply_locked(
    ctx: &Context,
    target: &Target,
    desired: &Desired,
    adopt: bool,
) -> Result<Outcome, SyncError> {
    let planned = plan_target(ctx, target, desired, adopt)?;
    let mut out = commit_all_locked(ctx, std::slice::from_ref(&planned))?;
    Ok(out.remove(0))
}

/// Marks a client connected (with its entry style) and syncs it.
pub fn connect(
    ctx: &Context,
    target: &Target,
    single_entry: bool,
    desired: impl Fn(bool) -> Desired,
    adopt: bool,
) -> Result<Outcome, SyncError> {
    let _lock = lock(ctx)?;
    let outcome = apply_locked(ctx, target, &desired(single_entry), adopt)?;
    let mut record = Record::load(&ctx.dockside_home)?;
    record.clients.insert(
        target.key(),
        ClientRecord {
            connected: true,
            single_entry,
        },
    );
    record.save(&ctx.dockside_home)?;
    Ok(outcome)
}

/// Removes every entry Dockside wrote (putting back user entries it replaced) and stops
/// syncing the client.
pub fn disconnect(ctx: &Context, target: &Target) -> Result<Outcome, SyncError> {
    let _lock = lock(ctx)?;
    let outcome = apply_locked(ctx, target, &Desired::new(), false)?;
    let mut record = Record::load(&ctx.dockside_home)?;
    record.clients.remove(&target.key());
    record.save(&ctx.dockside_home)?;
    Ok(outcome)
}

/// The connected clients, with their entry style.
pub fn connected(ctx: &Context) -> Result<Vec<(Target, ClientRecord)>, SyncError> {
    let record = Record::load(&ctx.dockside_home)?;
    Ok(record
        .clients
        .iter()
        .filter(|(_, c)| c.connected)
        .filter_map(|(k, c)| Some((Target::from_key(k)?, c.clone())))
        .collect())
}

/// A client whose file cannot be synced (it does not parse…), from [`sync_all`]; `target` is
/// `None` for a failure that is not about one client (Dockside's own record).
#[derive(Debug)]
pub struct TargetError {
    pub target: Option<Target>,
    pub error: SyncError,
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.target {
            Some(t) => write!(f, "{}: {}", t.key(), self.error),
            None => self.error.fmt(f),
        }
    }
}

impl std::error::Error for TargetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// Syncs every connected client after a state change, all or nothing: every file is planned
/// first; if any cannot be (a syntax error…), nothing is written and every failure is
/// returned; otherwise all are written with [`commit_all`] (rolled back together on failure).
pub fn sync_all(
    ctx: &Context,
    desired: impl Fn(&Target, bool) -> Desired,
) -> Result<Vec<(Target, Outcome)>, Vec<TargetError>> {
    let wrap = |target: Option<Target>, error: SyncError| vec![TargetError { target, error }];
    let _lock = lock(ctx).map_err(|e| wrap(None, e))?;
    let mut planned = Vec::new();
    let mut errors = Vec::new();
    for (target, c) in connected(ctx).map_err(|e| wrap(None, e))? {
        match plan_target(ctx, &target, &desired(&target, c.single_entry), false) {
            Ok(p) => planned.push(p),
            Err(error) => errors.push(TargetError {
                target: Some(target),
                error,
            }),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let outcomes = commit_all_locked(ctx, &planned).map_err(|e| wrap(None, e))?;
    Ok(planned
        .into_iter()
        .map(|p| p.target)
        .zip(outcomes)
        .collect())
}
