//! `dockside switch production|development|history|rollback`: every server behind the gateway
//! and every client holding only gateway entries — or back — in one previewed, checked,
//! verified, reversible step. The work is in `dockside_core::switch` (plan, transaction,
//! records) and `dockside_gateway::client::preflight`; this file prints and asks.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};

use anyhow::{bail, Context as _};
use clap::Subcommand;
use dockside_core::clients::sync::Context;
use dockside_core::switch::{
    self, plan_production, Applied, PlanOptions, PreflightReport, SwitchPlan, SwitchRecord,
};
use dockside_core::{Home, Mode, Workspace};
use dockside_gateway::client::preflight::{self, PreflightOptions};

use super::print_json;

/// Switch between development (any mix of modes) and production (everything behind the gateway)
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Every enabled server behind the gateway, every connected client with gateway entries only
    #[command(long_about = "Switch to production.\n\n\
        Every enabled server goes behind the gateway: `docker` when it has or can get an image (its \
        catalog image, its runtime image, or a Dockerfile in its folder), else `managed`. Every \
        connected client ends with only gateway entries (`dockside connect --server NAME` under each \
        server's own name, or the single `dockside` entry where chosen); the native entries Dockside \
        wrote are removed; your own entries are listed and left alone (with \
        --replace-docker-gateway, Docker MCP Toolkit's `MCP_DOCKER` entry goes too).\n\n\
        Before any file changes, a pre-flight gets the images, starts every server in its new mode, \
        compares its tools with what it offers now (a missing tool stops the switch unless --force) \
        and measures the per-call latency overhead. Then all client files are written as one \
        transaction (atomic, with backups), the state is switched, and the result is verified. \
        `dockside switch development` undoes it.")]
    Production(Production),
    /// Undo the last production switch: modes and client files as they were
    Development(Undo),
    /// The switches made so far
    History {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Undo a switch (default: the last one)
    Rollback {
        /// Switch id (see `dockside switch history`)
        id: Option<String>,
        #[command(flatten)]
        undo: Undo,
    },
}

#[derive(clap::Args)]
struct Production {
    /// Print the plan and a unified diff per file; change nothing
    #[arg(long)]
    dry_run: bool,
    /// Do not ask for confirmation
    #[arg(long, short)]
    yes: bool,
    /// Move only these servers
    #[arg(long, value_name = "NAME", num_args = 1..)]
    only: Vec<String>,
    /// A server's target mode instead of the automatic choice (repeatable), e.g. `notes=managed`
    #[arg(long = "mode", value_name = "NAME=MODE", value_parser = parse_mode)]
    modes: Vec<(String, Mode)>,
    /// Let a server reach a host in docker mode, through the egress proxy (repeatable), e.g.
    /// `github=api.github.com` (ports 80 and 443) or `db=db.internal:5432`
    #[arg(long = "allow-host", value_name = "NAME=HOST[:PORT]", value_parser = parse_allow_host)]
    allow_hosts: Vec<(String, String)>,
    /// Also import your own client entries as servers and move them behind the gateway
    #[arg(long)]
    include_user_entries: bool,
    /// Replace Docker MCP Toolkit's `MCP_DOCKER` entry in the connected clients with Dockside's
    /// entries (import its servers first: `dockside catalog import --docker`)
    #[arg(long)]
    replace_docker_gateway: bool,
    /// A server that cannot run in docker mode goes to managed mode instead of failing the
    /// switch (asked at a terminal without this flag)
    #[arg(long)]
    else_managed: bool,
    /// Go ahead even when the pre-flight finds problems
    #[arg(long)]
    force: bool,
    /// Calls timed per server when measuring latency
    #[arg(long, default_value_t = 30, value_name = "N")]
    calls: usize,
    /// Print JSON (the plan, the pre-flight report, the record)
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct Undo {
    /// Print JSON
    #[arg(long)]
    json: bool,
}

fn parse_allow_host(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, host)) if !name.is_empty() && !host.is_empty() && !host.contains('/') => {
            Ok((name.to_owned(), host.to_owned()))
        }
        _ => Err(format!(
            "`{s}`: use NAME=HOST or NAME=HOST:PORT, e.g. github=api.github.com"
        )),
    }
}

fn parse_mode(s: &str) -> Result<(String, Mode), String> {
    let (name, mode) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: use NAME=MODE, e.g. notes=managed"))?;
    let mode: Mode = mode.parse()?;
    if !matches!(mode, Mode::Managed | Mode::Docker) {
        return Err(format!(
            "`{s}`: production runs servers behind the gateway: managed or docker"
        ));
    }
    Ok((name.to_owned(), mode))
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let home = Home::from_env()?;
    let ctx = Context::for_home(home.root());
    match args.action {
        Action::Production(p) => production(&home, &ctx, p),
        Action::Development(u) => {
            let Some(rec) = switch::latest(home.root(), true) else {
                let ws = Workspace::load(home.clone())?;
                if ws.state().profile == dockside_core::Profile::Production {
                    bail!("the profile is production, but no production switch is recorded in {}; set the modes back with `dockside server mode`", switch::record::dir(home.root()).display());
                }
                if u.json {
                    // The shape of an undo's JSON, with nothing undone.
                    return print_json(&serde_json::json!({"record": null, "problems": []}));
                }
                println!("already in development (no production switch to undo)");
                return Ok(());
            };
            undo(&home, &ctx, &rec, u.json)
        }
        Action::Rollback { id, undo: u } => {
            let rec = match id {
                Some(id) => SwitchRecord::load(home.root(), &id)?,
                None => switch::latest(home.root(), false)
                    .context("no switch to undo (see `dockside switch history`)")?,
            };
            undo(&home, &ctx, &rec, u.json)
        }
        Action::History { json } => history(&home, json),
    }
}

fn production(home: &Home, ctx: &Context, p: Production) -> anyhow::Result<()> {
    if !p.dry_run {
        // Package servers run their pinned install behind the gateway.
        super::server_package::pin_new(&p.only)?;
    }
    let ws = Workspace::load(home.clone())?;
    ws.validate()?;
    let mut opts = PlanOptions {
        only: p.only.clone(),
        include_user_entries: p.include_user_entries,
        replace_docker_gateway: p.replace_docker_gateway,
        modes: p.modes.iter().cloned().collect::<BTreeMap<_, _>>(),
        allow_hosts: p
            .allow_hosts
            .iter()
            .fold(BTreeMap::new(), |mut m, (name, host)| {
                m.entry(name.clone())
                    .or_insert_with(Vec::new)
                    .push(host.clone());
                m
            }),
    };
    let plan = plan_production(&ws, ctx, &opts)?;
    if p.json && p.dry_run {
        return print_json(&serde_json::to_value(&plan)?);
    }
    if !p.json {
        print_plan(&plan);
    }
    if p.dry_run {
        for c in &plan.clients {
            print!("{}", c.diff);
        }
        eprintln!("dry run: nothing was changed");
        return Ok(());
    }
    if plan.is_noop() {
        if p.json {
            return print_json(
                &serde_json::json!({"plan": plan, "preflight": null, "record": null, "problems": []}),
            );
        }
        println!("already in production: nothing to change");
        return Ok(());
    }
    if !p.yes && !confirm("Run the pre-flight and switch to production?")? {
        bail!("cancelled; nothing was changed");
    }

    let rt = dockside_gateway::service::run::runtime()?;
    let mut report = preflight_of(&rt, &p, &plan);
    let mut plan = plan;
    // A server that cannot run in docker mode is offered managed mode instead: the pre-flight
    // runs again with it there, and the rest of the switch goes ahead.
    loop {
        let failed: Vec<String> = (report.servers.iter())
            .filter(|s| s.to == Mode::Docker && !s.problems.is_empty())
            .filter(|s| !opts.modes.contains_key(&s.name))
            .map(|s| s.name.clone())
            .collect();
        if report.passed() || failed.is_empty() || !offer_managed(&p, &failed)? {
            break;
        }
        for name in failed {
            eprintln!("{name}: managed mode instead of docker (on the host, behind the gateway)");
            opts.modes.insert(name, Mode::Managed);
        }
        plan = plan_production(&ws, ctx, &opts)?;
        if !p.json {
            print_plan(&plan);
        }
        report = preflight_of(&rt, &p, &plan);
    }
    let blocking = report.blocking();
    if !report.passed() {
        if p.json {
            print_json(&serde_json::json!({"plan": plan, "preflight": report}))?;
        }
        bail!(
            "the pre-flight found {} problem(s); nothing was changed:\n  - {}\n(--force switches anyway; --else-managed runs a server that fails in docker mode in managed mode instead)",
            blocking.len(),
            blocking.join("\n  - ")
        );
    }
    if !blocking.is_empty() {
        eprintln!("warning: switching despite the pre-flight's problems (--force)");
    }

    let applied = switch::apply(ctx, &plan, Some(&report))
        .context("switching failed; every client file is as it was")?;
    let mut problems = applied.problems.clone();
    problems.extend(rt.block_on(preflight::verify_gateway(home, &plan, &report)));
    if p.json {
        print_json(
            &serde_json::json!({"plan": plan, "preflight": report, "record": applied.record, "problems": problems}),
        )?;
    } else {
        report_applied(&applied, "production");
    }
    if !problems.is_empty() {
        bail!(
            "switched, but verification found problems:\n  - {}\n`dockside switch development` undoes the switch",
            problems.join("\n  - ")
        );
    }
    if !p.json {
        println!(
            "switched to production (switch {}); `dockside switch development` undoes it",
            applied.record.id
        );
    }
    Ok(())
}

/// Runs the pre-flight of `plan` with progress on stderr: `  server: message` lines, or with
/// --json one JSON object a line (`{"type": "preflight-progress", "server", "message"}`) for
/// programs such as the tray app.
fn preflight_of(
    rt: &tokio::runtime::Runtime,
    p: &Production,
    plan: &SwitchPlan,
) -> PreflightReport {
    let popts = PreflightOptions {
        calls: p.calls,
        force: p.force,
        ..PreflightOptions::default()
    };
    if !p.json {
        eprintln!("pre-flight:");
    }
    let json_progress = p.json;
    let report = rt.block_on(preflight::run(plan, &popts, &|server, line| {
        if json_progress {
            eprintln!(
                "{}",
                serde_json::json!({"type": "preflight-progress", "server": server, "message": line})
            );
        } else {
            eprintln!("  {server}: {line}");
        }
    }));
    if !p.json {
        print_preflight(&report);
    }
    report
}

/// Whether servers that failed in docker mode go to managed mode instead: `--else-managed`, or
/// the user's answer at a terminal.
fn offer_managed(p: &Production, failed: &[String]) -> anyhow::Result<bool> {
    if p.else_managed {
        return Ok(true);
    }
    if p.yes || p.json || !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    confirm(&format!(
        "{} cannot run in docker mode. Run {} in managed mode instead (on the host, behind the gateway)?",
        failed.join(", "),
        if failed.len() == 1 { "it" } else { "them" }
    ))
}

fn confirm(question: &str) -> anyhow::Result<bool> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!("not a terminal: pass --yes to switch without a question (or --dry-run to preview)");
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

fn print_plan(plan: &SwitchPlan) {
    println!("servers:");
    let width = plan.servers.iter().map(|s| s.name.len()).max().unwrap_or(4);
    for s in &plan.servers {
        let mut line = format!("  {:width$}  {:8} -> {:8}", s.name, s.from, s.to);
        if let Some(i) = &s.image {
            line.push_str(&format!(" image {i}"));
        }
        if let Some(n) = &s.network {
            line.push_str(&format!(", network {n}"));
        }
        if let Some(r) = &s.reason {
            line.push_str(&format!("  ({r})"));
        }
        println!("{}", line.trim_end());
    }
    if plan.servers.is_empty() {
        println!("  none enabled");
    }
    println!("client files:");
    for c in &plan.clients {
        let state = if c.diff.is_empty() {
            "unchanged"
        } else {
            "changes"
        };
        println!("  {} ({}): {state}", c.path.display(), c.client);
        for ch in &c.changes {
            println!("    {ch}");
        }
        if !c.user_entries.is_empty() {
            println!(
                "    your own entries, left alone: {}",
                c.user_entries.join(", ")
            );
        }
    }
    if plan.clients.is_empty() {
        println!("  no connected client (`dockside client connect CLIENT`)");
    }
    for w in &plan.warnings {
        eprintln!("warning: {w}");
    }
}

fn print_preflight(report: &PreflightReport) {
    for s in &report.servers {
        let status = if s.problems.is_empty() {
            "ok"
        } else {
            "FAILED"
        };
        let tools = match &s.tools_before {
            _ if !s.started => "did not start".to_owned(),
            Some(b) if s.missing.is_empty() && s.added.is_empty() => {
                format!(
                    "{} tool(s), same as the {} now",
                    s.tools_after.len(),
                    b.len()
                )
            }
            Some(_) => format!("{} tool(s)", s.tools_after.len()),
            None => format!("{} tool(s), not compared", s.tools_after.len()),
        };
        println!(
            "pre-flight {}: {status} ({} mode{}, {tools})",
            s.name,
            s.to,
            s.image
                .as_deref()
                .map(|i| format!(", image {i}"))
                .unwrap_or_default(),
        );
        if let Some(l) = &s.latency {
            println!(
                "  latency over {} × {}: native p50 {:.2} ms, gateway p50 {:.2} ms: overhead {:+.2} ms per call",
                l.calls, l.probe, l.native_p50_ms, l.gateway_p50_ms, l.overhead_ms
            );
        }
        for p in &s.problems {
            println!("  problem: {p}");
        }
        for n in &s.notes {
            println!("  note: {n}");
        }
    }
    for p in &report.problems {
        println!("pre-flight problem: {p}");
    }
}

fn report_applied(applied: &Applied, what: &str) {
    for f in &applied.record.files {
        if f.before == f.after {
            continue;
        }
        let backup = f
            .backup
            .as_deref()
            .map(|b| format!(" (backup {})", b.display()))
            .unwrap_or_default();
        println!("{what}: wrote {}{backup}", f.path.display());
        if !f.kept_user_edits.is_empty() {
            println!(
                "  kept your edits since the switch: {}",
                f.kept_user_edits.join(", ")
            );
        }
    }
}

fn undo(home: &Home, ctx: &Context, rec: &SwitchRecord, json: bool) -> anyhow::Result<()> {
    let restored = switch::restore(ctx, home, &rec.id)?;
    // Best effort: a running daemon picks up the modes now rather than on its next reload.
    if let Some(client) = dockside_api::DaemonClient::for_home(home) {
        if let Ok(rt) = dockside_gateway::service::run::runtime() {
            let _ = rt.block_on(client.post::<serde_json::Value>("/api/reload", None));
        }
    }
    if json {
        return print_json(&serde_json::to_value(&restored)?);
    }
    report_applied(&restored, "restored");
    for p in &restored.problems {
        eprintln!("warning: {p}");
    }
    println!(
        "undid switch {} (profile {:?} -> {:?}); recorded as {}",
        rec.id, restored.record.profile_before, restored.record.profile_after, restored.record.id
    );
    Ok(())
}

fn history(home: &Home, json: bool) -> anyhow::Result<()> {
    let records = switch::history(home.root());
    if json {
        return print_json(&serde_json::to_value(&records)?);
    }
    if records.is_empty() {
        println!("no switches yet");
    }
    for r in &records {
        let status = serde_json::to_value(r.status)?
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let mut line = format!(
            "{}  {:10} {:8} {:?} -> {:?}  {} file(s)",
            r.id,
            match r.kind {
                switch::SwitchKind::Production => "production",
                switch::SwitchKind::Restore => "restore",
            },
            status,
            r.profile_before,
            r.profile_after,
            r.files.iter().filter(|f| f.before != f.after).count()
        );
        if let Some(u) = &r.undoes {
            line.push_str(&format!("  undoes {u}"));
        }
        if let Some(u) = &r.undone_by {
            line.push_str(&format!("  undone by {u}"));
        }
        println!("{line}");
        for p in &r.problems {
            println!("    {p}");
        }
    }
    Ok(())
}
