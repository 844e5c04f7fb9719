//! The production switch from the app: the review (plan and per-file diffs) through
//! `dockside_core::switch`, the switch itself and its undo through the `dockside` CLI.
//!
//! Why the CLI: the pre-flight (images, every server started in its target mode, tool lists
//! compared, latency measured) and the verification afterwards are gateway code, and the app
//! never links or re-implements the gateway. `dockside switch production --yes --json` prints
//! one JSON document (`{plan, preflight, record, problems}`) on stdout and, on stderr, one
//! `{"type":"preflight-progress","server","message"}` line per pre-flight step; the app turns
//! each into the Tauri event [`EVENT_PROGRESS`]. `dockside switch development --json` undoes
//! the last production switch and prints `{record, problems}`.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use dockside_core::clients::sync::Context;
use dockside_core::secrets::SecretStore;
use dockside_core::switch::{self, plan_production, PlanOptions, SwitchPlan, SwitchRecord};
use dockside_core::{Home, Mode, Profile, Workspace};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tauri::{AppHandle, Emitter, Runtime};

use crate::hub::Hub;
use crate::model::{run_blocking, BackendError};

/// Tauri event carrying one [`Progress`] step of a running switch.
pub const EVENT_PROGRESS: &str = "production-progress";

/// The review screen's data (mirrors `ProductionPreview` in `ui/src/api.ts`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductionPreview {
    /// A switch can run from here (the `dockside` command was found).
    pub available: bool,
    /// Why not, when not.
    pub reason: Option<String>,
    /// What switching to production would change (`None` when the plan cannot be made).
    pub plan: Option<SwitchPlan>,
    /// The profile now.
    pub profile: Profile,
    /// The production switch "Undo" puts back, if one is applied.
    pub undo: Option<SwitchSummary>,
    /// Secrets that enabled servers declare and the store lacks: the review asks for them
    /// before the switch (names only, never a value).
    pub missing_secrets: Vec<MissingSecret>,
    /// The secret store could not be read, so missing secrets are unknown.
    pub secrets_error: Option<String>,
}

/// A secret an enabled server declares that the store lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MissingSecret {
    pub server: String,
    /// The secret's name (`dockside secret set NAME`).
    pub name: String,
    /// The variable the server gets it in.
    pub env: String,
}

/// The secrets that the servers not `off` in `ws` declare and `stored` lacks, server by server.
pub fn missing_secrets(ws: &Workspace, stored: &BTreeSet<String>) -> Vec<MissingSecret> {
    ws.servers()
        .filter(|e| e.state.mode != Mode::Off)
        .flat_map(|e| {
            e.server
                .secrets
                .iter()
                .flatten()
                .filter(|s| !stored.contains(&s.name))
                .map(move |s| MissingSecret {
                    server: e.name.to_owned(),
                    name: s.name.clone(),
                    env: s.env.clone(),
                })
        })
        .collect()
}

/// One recorded switch, in short.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SwitchSummary {
    pub id: String,
    /// Unix time, seconds.
    pub time: u64,
    /// Servers it moved.
    pub servers: usize,
    /// Client files it changed.
    pub files: usize,
}

impl SwitchSummary {
    pub fn of(record: &SwitchRecord) -> SwitchSummary {
        SwitchSummary {
            id: record.id.clone(),
            time: record.time,
            servers: record.servers.iter().filter(|s| s.from != s.to).count(),
            files: record.files.iter().filter(|f| f.before != f.after).count(),
        }
    }
}

/// Computes the review: the plan for every connected client of `ctx`, the profile, and what
/// Undo would put back. `cli` is the `dockside` binary that would run the switch;
/// `replace_docker_gateway` plans the removal of Docker MCP Toolkit's `MCP_DOCKER` entries.
pub fn preview(
    ctx: &Context,
    cli: Option<&Path>,
    replace_docker_gateway: bool,
) -> Result<ProductionPreview, BackendError> {
    let home = Home::new(&ctx.dockside_home);
    let ws = Workspace::load(home.clone())?;
    let profile = ws.state().profile;
    let undo = switch::latest(home.root(), true).map(|r| SwitchSummary::of(&r));
    let (plan, plan_error) = match ws.validate().map_err(|e| e.to_string()).and_then(|()| {
        let opts = PlanOptions {
            replace_docker_gateway,
            ..PlanOptions::default()
        };
        plan_production(&ws, ctx, &opts).map_err(|e| e.to_string())
    }) {
        Ok(plan) => (Some(plan), None),
        Err(e) => (None, Some(e)),
    };
    let reason = match (cli, plan_error) {
        (_, Some(e)) => Some(format!("The production plan cannot be made: {e}")),
        (None, None) => Some(
            "The `dockside` command was not found beside the app or on PATH: it runs the \
             pre-flight and the switch (set DOCKSIDE_BIN to its path)."
                .into(),
        ),
        (Some(_), None) => None,
    };
    let (missing_secrets, secrets_error) = match SecretStore::open(&home).names() {
        Ok(stored) => (missing_secrets(&ws, &stored), None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    Ok(ProductionPreview {
        available: reason.is_none(),
        reason,
        plan,
        profile,
        undo,
        missing_secrets,
        secrets_error,
    })
}

/// One pre-flight step, as the CLI reports it on stderr.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub server: String,
    pub message: String,
}

/// A `preflight-progress` line of the CLI's stderr, if `line` is one.
pub fn parse_progress(line: &str) -> Option<Progress> {
    let v: Value = serde_json::from_str(line.trim()).ok()?;
    if v.get("type")?.as_str()? != "preflight-progress" {
        return None;
    }
    Some(Progress {
        server: v.get("server")?.as_str()?.to_owned(),
        message: v.get("message")?.as_str()?.to_owned(),
    })
}

/// How a switch (or its undo) ended (mirrors `SwitchOutcome` in `ui/src/api.ts`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SwitchOutcome {
    /// Done, and verification found nothing wrong.
    pub ok: bool,
    /// Client files and state were changed (a record exists: Undo can put them back).
    pub applied: bool,
    /// The plan as the CLI made it (`SwitchPlan`).
    pub plan: Option<Value>,
    /// The pre-flight report (`PreflightReport`): per server, tools before/after, latency.
    pub preflight: Option<Value>,
    /// The switch record (`SwitchRecord`, without the files' text).
    pub record: Option<Value>,
    /// What verification found.
    pub problems: Vec<String>,
    /// Why it stopped (the CLI's error), when it did.
    pub error: Option<String>,
}

/// Reads what `dockside switch … --json` printed. `stderr` holds the lines that were not
/// progress (the error report, warnings).
pub fn outcome(success: bool, stdout: &str, stderr: &[String]) -> SwitchOutcome {
    let doc: Value = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
    let take = |key: &str| doc.get(key).filter(|v| !v.is_null()).cloned();
    let mut record = take("record");
    // The files' full text is for undo, not for the screen.
    if let Some(files) = record
        .as_mut()
        .and_then(|r| r.get_mut("files"))
        .and_then(Value::as_array_mut)
    {
        for f in files {
            if let Some(f) = f.as_object_mut() {
                f.remove("before");
                f.remove("after");
                f.remove("ownedBefore");
                f.remove("ownedAfter");
            }
        }
    }
    if let Some(r) = record.as_mut().and_then(Value::as_object_mut) {
        r.remove("stateBefore");
        r.remove("stateAfter");
    }
    let problems: Vec<String> = doc
        .get("problems")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let error = if success {
        None
    } else {
        let text: Vec<&str> = stderr
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty() && !l.starts_with("warning:"))
            .collect();
        let text = text.join("\n");
        Some(match text.strip_prefix("error: ") {
            Some(rest) => rest.to_owned(),
            None if text.is_empty() => "the `dockside` command failed without saying why".into(),
            None => text,
        })
    };
    SwitchOutcome {
        ok: success && problems.is_empty(),
        applied: record.is_some(),
        plan: take("plan"),
        preflight: take("preflight"),
        record,
        problems,
        error,
    }
}

/// A production switch (or its undo) is running in this dashboard.
static SWITCHING: AtomicBool = AtomicBool::new(false);

/// Runs a production switch or its undo through the `dockside` CLI (one at a time), forwarding
/// pre-flight progress to the UI; then notifies, and has the tray (whose production item follows
/// the profile) and the UI list again.
pub async fn run_switch<R: Runtime>(
    hub: &Arc<Hub>,
    app: AppHandle<R>,
    args: Vec<&'static str>,
    to_production: bool,
) -> Result<SwitchOutcome, BackendError> {
    let Some(binary) = hub.dockside.clone() else {
        return Err(BackendError::Internal(
            "the `dockside` command was not found beside the app or on PATH".into(),
        ));
    };
    if SWITCHING.swap(true, Ordering::SeqCst) {
        return Err(BackendError::Internal(
            "a switch is already running; wait for it to finish".into(),
        ));
    }
    let home = hub.home.clone();
    let result = run_blocking(move || {
        run_cli(&binary, &home, &args, |p| {
            let _ = app.emit(EVENT_PROGRESS, &p);
        })
    })
    .await;
    SWITCHING.store(false, Ordering::SeqCst);
    let outcome = result?;
    if let Some(event) = notification(to_production, &outcome) {
        hub.notify(&event);
    }
    hub.edited().await;
    Ok(outcome)
}

/// Runs `dockside ARGS` for `home`, calling `on_progress` for each pre-flight step as it
/// happens. Blocking: call it on the blocking pool.
pub fn run_cli(
    binary: &Path,
    home: &Home,
    args: &[&str],
    mut on_progress: impl FnMut(Progress),
) -> Result<SwitchOutcome, BackendError> {
    tracing::info!(binary = %binary.display(), ?args, "running the CLI");
    let mut child = Command::new(binary)
        .args(args)
        .env(Home::ENV, home.root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| BackendError::Internal(format!("cannot start {}: {e}", binary.display())))?;
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let mut other = Vec::new();
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            match parse_progress(&line) {
                Some(p) => on_progress(p),
                None => other.push(line),
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| BackendError::Internal(format!("{}: {e}", binary.display())))?;
    let stdout = reader.join().unwrap_or_default();
    let result = outcome(status.success(), &stdout, &other);
    tracing::info!(ok = result.ok, applied = result.applied, error = ?result.error, "CLI finished");
    Ok(result)
}

/// The notification event for a finished switch (`notify.rs` knows these kinds), if any.
pub fn notification(to_production: bool, outcome: &SwitchOutcome) -> Option<Value> {
    if !outcome.applied {
        return None;
    }
    let files = outcome
        .record
        .as_ref()
        .and_then(|r| r.get("files"))
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let problems = if outcome.problems.is_empty() {
        String::new()
    } else {
        format!(
            " Verification found {} problem(s): {}",
            outcome.problems.len(),
            outcome.problems.join("; ")
        )
    };
    Some(if to_production {
        let servers = outcome
            .plan
            .as_ref()
            .and_then(|p| p.get("servers"))
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        serde_json::json!({
            "type": "production-applied",
            "summary": format!(
                "{servers} server(s) behind the gateway, {files} client file(s) updated.{problems}"
            ),
        })
    } else {
        serde_json::json!({
            "type": "production-rolled-back",
            "reason": format!("Back to development: {files} client file(s) and the modes restored.{problems}"),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_lines_are_recognised() {
        assert_eq!(
            parse_progress(r#"{"type":"preflight-progress","server":"demo","message":"started"}"#),
            Some(Progress {
                server: "demo".into(),
                message: "started".into()
            })
        );
        assert_eq!(parse_progress("error: no"), None);
        assert_eq!(parse_progress(r#"{"type":"other"}"#), None);
    }

    #[test]
    fn a_switch_that_went_through() {
        let stdout = r#"{"plan":{"servers":[{"name":"demo","from":"native","to":"managed"}]},
            "preflight":{"servers":[],"problems":[]},
            "record":{"id":"s1","stateBefore":"x","stateAfter":"y",
                "files":[{"path":"/a","before":"1","after":"2","ownedBefore":{},"ownedAfter":{}}]},
            "problems":[]}"#;
        let o = outcome(true, stdout, &[]);
        assert!(o.ok && o.applied);
        assert_eq!(o.error, None);
        let record = o.record.as_ref().unwrap();
        assert!(record.get("stateBefore").is_none());
        assert_eq!(record["files"][0], serde_json::json!({"path": "/a"}));
        let note = notification(true, &o).unwrap();
        assert_eq!(note["type"], "production-applied");
        assert_eq!(
            note["summary"],
            "1 server(s) behind the gateway, 1 client file(s) updated."
        );
        assert_eq!(
            notification(false, &o).unwrap()["type"],
            "production-rolled-back"
        );
    }

    #[test]
    fn a_failed_preflight_changes_nothing_and_says_why() {
        let stdout = r#"{"plan":{"servers":[]},"preflight":{"servers":[],"problems":["docker: not running"]}}"#;
        let stderr = vec![
            "warning: something".to_owned(),
            "error: the pre-flight found 1 problem(s); nothing was changed:".to_owned(),
            "  - docker: not running".to_owned(),
        ];
        let o = outcome(false, stdout, &stderr);
        assert!(!o.ok && !o.applied);
        assert!(o.preflight.is_some());
        assert_eq!(
            o.error.as_deref(),
            Some("the pre-flight found 1 problem(s); nothing was changed:\n- docker: not running")
        );
        assert_eq!(notification(true, &o), None);
        // No output at all.
        let o = outcome(false, "", &[]);
        assert!(o.error.unwrap().contains("without saying why"));
    }

    #[test]
    fn verification_problems_are_not_ok_but_applied() {
        let stdout = r#"{"plan":{},"preflight":{},"record":{"id":"s2","files":[]},"problems":["demo: not running"]}"#;
        let o = outcome(false, stdout, &["error: switched, but…".into()]);
        assert!(!o.ok && o.applied);
        assert_eq!(o.problems, ["demo: not running"]);
        assert!(notification(true, &o).unwrap()["summary"]
            .as_str()
            .unwrap()
            .contains("demo: not running"));
    }

    /// The real CLI (`target/debug/dockside`, built by `cargo build -p dockside-cli`): a switch
    /// and its undo in a home with nothing to run (no daemon needed), read back as the app does.
    #[test]
    fn the_cli_switches_and_undoes_as_the_app_reads_it() {
        let cli = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug/dockside");
        assert!(
            cli.is_file(),
            "{} is not built: run `cargo build -p dockside-cli` first (scripts/test does)",
            cli.display()
        );
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path().join("home"));
        std::fs::create_dir_all(home.root()).unwrap();
        let mut steps = Vec::new();
        let on = run_cli(
            &cli,
            &home,
            &["switch", "production", "--yes", "--json"],
            |p| steps.push(p),
        )
        .unwrap();
        assert!(on.ok && on.applied, "{on:?}");
        assert!(on.preflight.is_some() && on.plan.is_some());
        let record = on.record.as_ref().unwrap();
        assert_eq!(record["profileAfter"], "production");
        assert!(record.get("stateBefore").is_none());
        assert_eq!(
            Workspace::load(home.clone()).unwrap().state().profile,
            Profile::Production
        );
        assert!(notification(true, &on).is_some());

        let off = run_cli(&cli, &home, &["switch", "development", "--json"], |_| {}).unwrap();
        assert!(off.ok && off.applied, "{off:?}");
        assert_eq!(off.record.as_ref().unwrap()["kind"], "restore");
        assert_eq!(
            Workspace::load(home.clone()).unwrap().state().profile,
            Profile::Development
        );
        // Nothing left to undo: still JSON, nothing applied.
        let again = run_cli(&cli, &home, &["switch", "development", "--json"], |_| {}).unwrap();
        assert!(again.ok && !again.applied, "{again:?}");
        assert!(steps.is_empty(), "no server, no pre-flight step: {steps:?}");
    }

    #[test]
    fn preview_of_an_empty_home() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path().join("home"));
        let mut ctx = Context::for_home(home.root());
        ctx.env.home = dir.path().join("user");
        let p = preview(&ctx, Some(Path::new("/opt/dockside")), false).unwrap();
        assert!(p.available, "{:?}", p.reason);
        assert_eq!(p.profile, Profile::Development);
        assert!(p.undo.is_none());
        assert!(p.missing_secrets.is_empty() && p.secrets_error.is_none());
        let p = preview(&ctx, None, false).unwrap();
        assert!(!p.available);
        assert!(p.reason.unwrap().contains("DOCKSIDE_BIN"));
    }

    /// The review lists the secrets enabled servers lack, and forgets one once it is stored.
    #[test]
    fn preview_asks_for_the_missing_secrets_of_enabled_servers() {
        crate::secrets::use_file_secret_store();
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path().join("home"));
        std::fs::create_dir_all(home.catalogs_dir()).unwrap();
        std::fs::write(
            home.catalogs_dir().join("local.yaml"),
            "registry:\n  github:\n    image: mcp/github\n    secrets:\n      - {name: github.token, env: GITHUB_TOKEN}\n      - {name: github.app, env: GITHUB_APP}\n  \
             notes:\n    image: mcp/notes\n    secrets:\n      - {name: notes.key, env: NOTES_KEY}\n",
        )
        .unwrap();
        std::fs::write(
            home.state_path(),
            "servers:\n  github: {mode: managed}\n  notes: {mode: off}\n",
        )
        .unwrap();
        let mut ctx = Context::for_home(home.root());
        ctx.env.home = dir.path().join("user");
        SecretStore::open(&home).set("github.app", "v").unwrap();
        let p = preview(&ctx, Some(Path::new("/opt/dockside")), false).unwrap();
        assert_eq!(
            p.missing_secrets,
            [MissingSecret {
                server: "github".into(),
                name: "github.token".into(),
                env: "GITHUB_TOKEN".into()
            }]
        );
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["missingSecrets"][0]["name"], "github.token");
        SecretStore::open(&home).set("github.token", "v").unwrap();
        let p = preview(&ctx, Some(Path::new("/opt/dockside")), false).unwrap();
        assert!(p.missing_secrets.is_empty(), "{:?}", p.missing_secrets);
    }
}
