//! Applying a plan and undoing a switch, each as one transaction over every client file and the
//! state.
//!
//! Apply: record (status `applying`) → every client file through [`sync::commit_all`] (each
//! atomic with a backup; one failure puts back the ones already written) → state → record
//! (`applied`) → [`verify_files`].
//!
//! Undo ([`restore`]): a file still holding exactly what the switch wrote gets its old bytes
//! back; a file the user edited since gets a three-way merge of the entries the switch changed
//! (base: what the switch wrote; an entry the user changed or removed since is theirs and stays).
//! The state is merged the same way, per server.

use std::path::Path;

use indexmap::IndexMap;
use serde_json::Value;

use super::plan::SwitchPlan;
use super::preflight::PreflightReport;
use super::record::{self, FileRecord, SwitchKind, SwitchRecord, SwitchStatus};
use super::SwitchError;
use crate::clients::ownership::{content_hash, Record};
use crate::clients::plan::{unified_diff, FilePlan};
use crate::clients::sync::{self, Context, Planned, Target};
use crate::fsedit::file::{Committed, Snapshot};
use crate::fsedit::{self, EditError};
use crate::state::State;
use crate::{Home, Workspace};

/// A switch that went through, and what verification found (empty: all good).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Applied {
    pub record: SwitchRecord,
    pub problems: Vec<String>,
}

/// An undone switch: the new record, and the same verification.
pub type Restored = Applied;

fn state_yaml(state: &State, home: &Home) -> Result<String, SwitchError> {
    Ok(crate::yaml::to_string(state, None, &home.state_path())?)
}

fn parse_state(text: &str, home: &Home) -> Result<State, SwitchError> {
    crate::yaml::parse(text, &home.state_path())
        .map_err(|issue| SwitchError::Workspace(crate::Error::Invalid(vec![issue])))
}

fn file_record(p: &Planned) -> FileRecord {
    FileRecord {
        key: p.target.key(),
        client: p.target.spec.name.to_owned(),
        path: p.snap.path.clone(),
        before: p.snap.text.clone(),
        after: p.plan.new_text.clone(),
        owned_before: p.before.clone(),
        owned_after: p.plan.owned.clone(),
        backup: None,
        kept_user_edits: Vec::new(),
    }
}

fn set_backups(record: &mut SwitchRecord, outcomes: &[sync::Outcome]) {
    for (f, o) in record.files.iter_mut().zip(outcomes) {
        f.backup = match &o.committed {
            Some(Committed::Written { backup } | Committed::Deleted { backup }) => backup.clone(),
            _ => None,
        };
    }
}

/// Applies `plan` (after a passed pre-flight, kept in the record): client files, then state.
pub fn apply(
    ctx: &Context,
    plan: &SwitchPlan,
    preflight: Option<&PreflightReport>,
) -> Result<Applied, SwitchError> {
    let home = plan.before.home().clone();
    let mut rec = SwitchRecord {
        id: record::new_id(),
        kind: SwitchKind::Production,
        time: record::now(),
        status: SwitchStatus::Applying,
        profile_before: plan.before.state().profile,
        profile_after: plan.after.state().profile,
        servers: plan.servers.clone(),
        files: plan.planned.iter().map(file_record).collect(),
        state_before: state_yaml(plan.before.state(), &home)?,
        state_after: state_yaml(plan.after.state(), &home)?,
        undoes: None,
        undone_by: None,
        preflight: preflight.cloned(),
        problems: Vec::new(),
    };
    rec.save(home.root())?;
    let outcomes = match sync::commit_all(ctx, &plan.planned) {
        Ok(o) => o,
        Err(e) => {
            rec.status = SwitchStatus::Failed;
            rec.problems.push(e.to_string());
            rec.save(home.root())?;
            return Err(e.into());
        }
    };
    set_backups(&mut rec, &outcomes);
    let mut ws = plan.after.clone();
    save_state_or_put_files_back(ctx, &home, &mut rec, &mut ws)?;
    rec.status = SwitchStatus::Applied;
    let problems = verify_files(ctx, &rec);
    rec.problems = problems.clone();
    rec.save(home.root())?;
    Ok(Applied {
        record: rec,
        problems,
    })
}

/// Saves the state once every client file of `rec` is written; when that fails, puts the files
/// back (they hold exactly what was just written) and records the switch as failed.
fn save_state_or_put_files_back(
    ctx: &Context,
    home: &Home,
    rec: &mut SwitchRecord,
    ws: &mut Workspace,
) -> Result<(), SwitchError> {
    let Err(e) = ws.save() else {
        return Ok(());
    };
    let undo: Vec<Planned> = rec
        .files
        .iter()
        .filter_map(|f| undo_file(ctx, f).ok().flatten().map(|(p, _)| p))
        .collect();
    let _ = sync::commit_all(ctx, &undo);
    rec.status = SwitchStatus::Failed;
    rec.problems.push(format!("saving the state failed: {e}"));
    rec.save(home.root())?;
    Err(e.into())
}

/// Checks every file of a record: it parses and holds each entry Dockside wrote, unchanged.
pub fn verify_files(ctx: &Context, rec: &SwitchRecord) -> Vec<String> {
    let _ = ctx;
    let mut problems = Vec::new();
    for f in &rec.files {
        let Some(target) = Target::from_key(&f.key) else {
            problems.push(format!("{}: unknown client `{}`", f.path.display(), f.key));
            continue;
        };
        let snap = match Snapshot::read(&f.path) {
            Ok(s) => s,
            Err(e) => {
                problems.push(e.to_string());
                continue;
            }
        };
        let Some(text) = snap.text.as_deref() else {
            if !f.owned_after.entries.is_empty() {
                problems.push(format!("{}: the file is missing", f.path.display()));
            }
            continue;
        };
        let spec = target.spec;
        if let Err(e) = fsedit::parse_value(spec.format, &f.path, text) {
            problems.push(e.to_string());
            continue;
        }
        let entries = match fsedit::open(spec.format, &spec.container(), &f.path, text) {
            Ok(d) => d.entries(),
            Err(e) => {
                problems.push(e.to_string());
                continue;
            }
        };
        for (name, owned) in &f.owned_after.entries {
            match entries.get(name) {
                Some(v) if owned.matches(&content_hash(v)) => {}
                Some(_) => problems.push(format!(
                    "{}: entry `{name}` is not what Dockside wrote",
                    f.path.display()
                )),
                None => problems.push(format!("{}: entry `{name}` is missing", f.path.display())),
            }
        }
    }
    problems
}

fn entries_of(
    target: &Target,
    path: &Path,
    text: Option<&str>,
) -> Result<IndexMap<String, Value>, EditError> {
    match text {
        None => Ok(IndexMap::new()),
        Some(t) => {
            Ok(fsedit::open(target.spec.format, &target.spec.container(), path, t)?.entries())
        }
    }
}

fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => content_hash(x) == content_hash(y),
        (None, None) => true,
        _ => false,
    }
}

/// What undoing one file of a record writes: `None` when the file already holds its old text.
/// Returns the planned write and the entries kept because the user edited them since.
fn undo_file(ctx: &Context, f: &FileRecord) -> Result<Option<(Planned, Vec<String>)>, SwitchError> {
    let target = Target::from_key(&f.key).ok_or_else(|| {
        SwitchError::Other(format!("{}: unknown client `{}`", f.path.display(), f.key))
    })?;
    let snap = Snapshot::read(&f.path).map_err(crate::clients::SyncError::from)?;
    if snap.text == f.before {
        return Ok(None);
    }
    let (new_text, mut owned, kept) = if snap.text == f.after {
        (f.before.clone(), f.owned_before.clone(), Vec::new())
    } else if snap.text.is_none() {
        // The user deleted the file since: theirs.
        return Ok(None);
    } else {
        let before = entries_of(&target, &f.path, f.before.as_deref())
            .map_err(crate::clients::SyncError::from)?;
        let after = entries_of(&target, &f.path, f.after.as_deref())
            .map_err(crate::clients::SyncError::from)?;
        let mut doc = fsedit::open(
            target.spec.format,
            &target.spec.container(),
            &f.path,
            snap.text(),
        )
        .map_err(crate::clients::SyncError::from)?;
        let current = doc.entries();
        let mut names: Vec<&String> = after.keys().collect();
        names.extend(before.keys().filter(|n| !after.contains_key(*n)));
        let mut kept = Vec::new();
        for name in names {
            let (b, a, c) = (before.get(name), after.get(name), current.get(name));
            if same(a, b) {
                continue;
            }
            if !same(a, c) {
                kept.push(name.clone());
                continue;
            }
            match b {
                Some(v) => doc.set(name, v),
                None => doc.remove(name),
            }
            .map_err(crate::clients::SyncError::from)?;
        }
        (Some(doc.text()), f.owned_before.clone(), kept)
    };
    for name in &kept {
        owned.entries.remove(name);
    }
    let record = Record::load(&ctx.dockside_home).map_err(crate::clients::SyncError::from)?;
    let diff = unified_diff(&f.path, snap.text.as_deref(), new_text.as_deref());
    Ok(Some((
        Planned {
            before: record.file(&f.path),
            target,
            snap,
            plan: FilePlan {
                new_text,
                owned,
                changes: Vec::new(),
            },
            diff,
        },
        kept,
    )))
}

/// Merges the state back: per server, what the switch changed and nobody changed since goes
/// back to what it was; the profile too.
fn merge_state(current: &State, before: &State, after: &State) -> State {
    let mut out = current.clone();
    let mut names: Vec<&String> = after.servers.keys().collect();
    names.extend(
        before
            .servers
            .keys()
            .filter(|n| !after.servers.contains_key(*n)),
    );
    for name in names {
        let (b, a) = (before.servers.get(name), after.servers.get(name));
        if a == b {
            continue;
        }
        let c = current.servers.get(name);
        if c == a {
            match b {
                Some(v) => {
                    out.servers.insert(name.clone(), v.clone());
                }
                None => {
                    out.servers.shift_remove(name);
                }
            }
        } else if let (Some(c), Some(a)) = (c, a) {
            if c.mode == a.mode {
                out.server_mut(name).mode = b.map(|b| b.mode).unwrap_or_default();
            }
        }
    }
    if current.profile == after.profile {
        out.profile = before.profile;
    }
    out
}

/// The record to undo for `dockside switch development` (the latest applied production switch)
/// or `dockside switch rollback` without an id (the latest applied switch). A switch still
/// `applying` (its process stopped midway) counts as applied.
pub fn latest(home: &Path, production_only: bool) -> Option<SwitchRecord> {
    record::history(home).into_iter().rev().find(|r| {
        matches!(r.status, SwitchStatus::Applied | SwitchStatus::Applying)
            && (!production_only || r.kind == SwitchKind::Production)
    })
}

/// Undoes switch `id`: its client files and state go back to what they were before it, keeping
/// every edit made since.
pub fn restore(ctx: &Context, home: &Home, id: &str) -> Result<Restored, SwitchError> {
    let mut target = SwitchRecord::load(home.root(), id)?;
    // `applying`: the process stopped mid-switch; each file is put back as far as it got.
    if !matches!(
        target.status,
        SwitchStatus::Applied | SwitchStatus::Applying
    ) {
        return Err(SwitchError::Other(format!(
            "switch {id} is {}; only an applied switch can be undone",
            serde_json::to_value(target.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        )));
    }
    let mut planned = Vec::new();
    let mut kept_by_file = Vec::new();
    for f in &target.files {
        if let Some((p, kept)) = undo_file(ctx, f)? {
            planned.push(p);
            kept_by_file.push(kept);
        }
    }
    let mut ws = Workspace::load(home.clone())?;
    let before = parse_state(&target.state_before, home)?;
    let after = parse_state(&target.state_after, home)?;
    let state_now = ws.state().clone();
    let merged = merge_state(&state_now, &before, &after);

    let mut rec = SwitchRecord {
        id: record::new_id(),
        kind: SwitchKind::Restore,
        time: record::now(),
        status: SwitchStatus::Applying,
        profile_before: state_now.profile,
        profile_after: merged.profile,
        servers: target
            .servers
            .iter()
            .map(|s| super::plan::ServerMove {
                from: s.to,
                to: s.from,
                build: None,
                ..s.clone()
            })
            .collect(),
        files: planned
            .iter()
            .zip(&kept_by_file)
            .map(|(p, kept)| FileRecord {
                kept_user_edits: kept.clone(),
                ..file_record(p)
            })
            .collect(),
        state_before: state_yaml(&state_now, home)?,
        state_after: state_yaml(&merged, home)?,
        undoes: Some(id.to_owned()),
        undone_by: None,
        preflight: None,
        problems: Vec::new(),
    };
    rec.save(home.root())?;
    let outcomes = match sync::commit_all(ctx, &planned) {
        Ok(o) => o,
        Err(e) => {
            rec.status = SwitchStatus::Failed;
            rec.problems.push(e.to_string());
            rec.save(home.root())?;
            return Err(e.into());
        }
    };
    set_backups(&mut rec, &outcomes);
    if merged != state_now {
        *ws.state_mut() = merged;
        save_state_or_put_files_back(ctx, home, &mut rec, &mut ws)?;
    }
    rec.status = SwitchStatus::Applied;
    let problems = verify_files(ctx, &rec);
    rec.problems = problems.clone();
    rec.save(home.root())?;
    target.status = SwitchStatus::Undone;
    target.undone_by = Some(rec.id.clone());
    target.save(home.root())?;
    Ok(Applied {
        record: rec,
        problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::by_id;
    use crate::clients::env::Env;
    use crate::clients::plan::Launcher;
    use crate::clients::workspace as bridge;
    use crate::state::{Mode, Profile};
    use crate::switch::{plan_production, PlanOptions};

    const USER: &str =
        "{\n  // mine\n  \"mcpServers\": {\n    \"mine\": { \"command\": \"my-server\" }\n  }\n}\n";

    struct T {
        _dir: tempfile::TempDir,
        home: Home,
        ctx: Context,
        target: Target,
    }

    fn setup() -> T {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path().join("dockside"));
        let ctx = Context {
            env: Env::with_home(dir.path().join("home")),
            dockside_home: home.root().to_owned(),
            launcher: Launcher("dockside".into()),
        };
        let mut ws = Workspace::load(home.clone()).unwrap();
        for (name, cmd) in [("a", vec!["/opt/a"]), ("b", vec!["node", "/x/b.js"])] {
            ws.add_server(
                "local",
                name,
                crate::Server {
                    command: Some(cmd.into_iter().map(str::to_owned).collect()),
                    ..Default::default()
                },
            )
            .unwrap();
            ws.set_mode(name, Mode::Native).unwrap();
        }
        ws.save().unwrap();
        let target = Target::user(by_id("cursor").unwrap());
        let path = target.path(&ctx.env);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, USER).unwrap();
        bridge::connect(&ws, &ctx, &target, false, false).unwrap();
        T {
            _dir: dir,
            home,
            ctx,
            target,
        }
    }

    fn text(t: &T) -> String {
        std::fs::read_to_string(t.target.path(&t.ctx.env)).unwrap()
    }

    #[test]
    fn production_then_back_is_byte_identical() {
        let t = setup();
        let before = text(&t);
        let ws = Workspace::load(t.home.clone()).unwrap();
        let plan = plan_production(&ws, &t.ctx, &PlanOptions::default()).unwrap();
        let moves: Vec<(&str, Mode)> = plan
            .servers
            .iter()
            .map(|s| (s.name.as_str(), s.to))
            .collect();
        assert_eq!(moves, [("a", Mode::Managed), ("b", Mode::Docker)]);
        assert_eq!(plan.profile, Profile::Production);
        assert_eq!(plan.clients[0].user_entries, ["mine"]);
        assert!(plan.clients[0].diff.contains("+"), "{:?}", plan.clients[0]);
        let applied = apply(&t.ctx, &plan, None).unwrap();
        assert!(applied.problems.is_empty(), "{:?}", applied.problems);
        let after = text(&t);
        assert!(
            after.contains("[\"connect\", \"--server\", \"a\"]"),
            "{after}"
        );
        assert!(after.contains("// mine"), "{after}");
        assert!(!after.contains("/x/b.js"), "{after}");
        let ws = Workspace::load(t.home.clone()).unwrap();
        assert_eq!(ws.state().profile, Profile::Production);
        assert_eq!(ws.server("b").unwrap().state.mode, Mode::Docker);

        let rec = latest(t.home.root(), true).unwrap();
        restore(&t.ctx, &t.home, &rec.id).unwrap();
        assert_eq!(text(&t), before);
        let ws = Workspace::load(t.home.clone()).unwrap();
        assert_eq!(ws.state().profile, Profile::Development);
        assert_eq!(ws.server("a").unwrap().state.mode, Mode::Native);
        assert!(latest(t.home.root(), true).is_none());
        // The undo is itself undoable.
        let undo = latest(t.home.root(), false).unwrap();
        assert_eq!(undo.kind, SwitchKind::Restore);
    }

    #[test]
    fn edits_made_since_the_switch_survive_the_undo() {
        let t = setup();
        let ws = Workspace::load(t.home.clone()).unwrap();
        let plan = plan_production(&ws, &t.ctx, &PlanOptions::default()).unwrap();
        let rec = apply(&t.ctx, &plan, None).unwrap().record;
        // The user edits their own entry and Dockside's `b` entry, and adds one.
        let path = t.target.path(&t.ctx.env);
        let edited = text(&t)
            .replace("\"my-server\"", "\"my-server-2\"")
            .replace("\"--server\", \"b\"", "\"--server\", \"b\", \"--verbose\"");
        assert_ne!(edited, text(&t));
        std::fs::write(&path, &edited).unwrap();
        let restored = restore(&t.ctx, &t.home, &rec.id).unwrap();
        let now = text(&t);
        assert!(now.contains("my-server-2"), "{now}");
        assert!(now.contains("/opt/a"), "`a` is native again: {now}");
        assert!(now.contains("--verbose"), "the edited `b` stays: {now}");
        assert_eq!(restored.record.files[0].kept_user_edits, ["b"]);
        // `b` is the user's now: a later sync leaves it alone.
        let owned = Record::load(&t.ctx.dockside_home).unwrap().file(&path);
        assert!(!owned.entries.contains_key("b"));
    }

    #[test]
    fn user_entries_move_too_when_asked_and_come_back() {
        let t = setup();
        let before = text(&t);
        let ws = Workspace::load(t.home.clone()).unwrap();
        let opts = PlanOptions {
            include_user_entries: true,
            ..PlanOptions::default()
        };
        let plan = plan_production(&ws, &t.ctx, &opts).unwrap();
        let mine = plan.servers.iter().find(|s| s.name == "mine").unwrap();
        assert!(mine.imported);
        assert_eq!(mine.to, Mode::Managed);
        assert!(plan.clients[0].user_entries.is_empty());
        let rec = apply(&t.ctx, &plan, None).unwrap().record;
        assert!(text(&t).contains("[\"connect\", \"--server\", \"mine\"]"));
        // Undo, redo (rolling back the undo), undo again: the same bytes each time.
        let undo = restore(&t.ctx, &t.home, &rec.id).unwrap().record;
        assert_eq!(text(&t), before);
        let after = text(&t);
        restore(&t.ctx, &t.home, &undo.id).unwrap();
        assert_ne!(text(&t), after);
        assert_eq!(
            Workspace::load(t.home.clone()).unwrap().state().profile,
            Profile::Production
        );
        let redo = latest(t.home.root(), false).unwrap();
        restore(&t.ctx, &t.home, &redo.id).unwrap();
        assert_eq!(text(&t), before);
        let history = crate::switch::history(t.home.root());
        assert_eq!(history.len(), 4);
    }

    #[test]
    fn a_single_entry_client_ends_with_the_aggregate_entry_only() {
        let t = setup();
        let path = t.target.path(&t.ctx.env);
        sync::disconnect(&t.ctx, &t.target).unwrap();
        let own = USER.replace(
            "\"mine\": { \"command\": \"my-server\" }",
            "\"mine\": { \"command\": \"my-server\" },\n    \"a\": { \"command\": \"/opt/a\" }",
        );
        std::fs::write(&path, &own).unwrap();
        let ws = Workspace::load(t.home.clone()).unwrap();
        bridge::connect(&ws, &t.ctx, &t.target, true, false).unwrap();
        let before = text(&t);
        let plan = plan_production(&ws, &t.ctx, &PlanOptions::default()).unwrap();
        let rec = apply(&t.ctx, &plan, None).unwrap().record;
        let after = text(&t);
        assert!(after.contains("\"dockside\""), "{after}");
        assert!(
            !after.contains("/opt/a") && !after.contains("/x/b.js"),
            "{after}"
        );
        assert!(after.contains("my-server"), "{after}");
        restore(&t.ctx, &t.home, &rec.id).unwrap();
        assert_eq!(text(&t), before);
    }

    #[test]
    fn only_moves_the_named_servers() {
        let t = setup();
        let ws = Workspace::load(t.home.clone()).unwrap();
        let opts = PlanOptions {
            only: vec!["b".into()],
            ..PlanOptions::default()
        };
        let plan = plan_production(&ws, &t.ctx, &opts).unwrap();
        let moves: Vec<(&str, Mode)> = plan
            .servers
            .iter()
            .map(|s| (s.name.as_str(), s.to))
            .collect();
        assert_eq!(moves, [("a", Mode::Native), ("b", Mode::Docker)]);
        assert_eq!(plan.profile, Profile::Development);
        assert!(plan.clients[0].diff.contains("/x/b.js"));
        assert!(!plan.clients[0].diff.contains("/opt/a"));
        let bad = PlanOptions {
            only: vec!["nope".into()],
            ..PlanOptions::default()
        };
        assert!(plan_production(&ws, &t.ctx, &bad).is_err());
    }

    #[test]
    fn state_merge_keeps_changes_made_since() {
        let yaml = |s: &str| -> State { crate::yaml::parse(s, Path::new("s")).unwrap() };
        let before = yaml("servers:\n  a: {mode: native}\n  b: {mode: native}\n");
        let after =
            yaml("profile: production\nservers:\n  a: {mode: docker}\n  b: {mode: managed}\n");
        let now = yaml("profile: production\nservers:\n  a: {mode: docker}\n  b: {mode: off}\n");
        let merged = merge_state(&now, &before, &after);
        assert_eq!(merged.profile, Profile::Development);
        assert_eq!(merged.server("a").mode, Mode::Native);
        assert_eq!(merged.server("b").mode, Mode::Off);
    }
}
