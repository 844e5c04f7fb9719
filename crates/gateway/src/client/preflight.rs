//! The production switch's pre-flight: everything that can go wrong is tried before any client
//! file is touched.
//!
//! For every server the switch puts behind the gateway:
//! 1. `docker` mode: its image is present, or built from its Dockerfile, or pulled (progress is
//!    reported line by line);
//! 2. it is started the way it runs today (a host process for `native`/`managed`) and asked for
//!    its tools — the baseline;
//! 3. it is started in its target mode inside a private [`Gateway`] and initialized; its tools
//!    are compared with the baseline: a tool missing (or renamed) blocks the switch;
//! 4. the same call is timed a few dozen times on both sides — directly over the native stdio
//!    pipe, and through a gateway session scoped to the server (routing + the container's
//!    transport) — and the difference reported: the seed article's "measure the overhead" step,
//!    automated. The probe is a read-only tool (`readOnlyHint`, or one named `echo`/`ping`) with
//!    string arguments only; without one, `ping` to the server process itself.
//!
//! Nothing here changes a file; every process and container started is stopped at the end.
//! [`verify_gateway`] is the check after the switch: the daemon runs every server and lists
//! its tools.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dockside_api::{RunState, ServerStatus};
use dockside_core::home::Home;
use dockside_core::switch::{Latency, PreflightReport, ServerCheck, SwitchPlan};
use dockside_core::Mode;
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc};

use crate::service::config::{spec_from_server, SecretSource, Selection};
use crate::service::packages::{self, ImageOutcome};
use dockside_api::start::ensure_own_daemon as ensure_daemon;
use dockside_api::DaemonClient;
use dockside_docker::{image, DockerDefaults, DockerRuntime};

use crate::engine::gateway::{Gateway, GatewayConfig, Session};
use crate::protocol::peer::Outbound;
use crate::upstream::container::HybridLauncher;
use crate::upstream::session::StartError;
use crate::upstream::Upstream;

use super::network_hint;

/// How thorough the pre-flight is.
#[derive(Debug, Clone)]
pub struct PreflightOptions {
    /// Calls timed per server and side.
    pub calls: usize,
    /// Report problems but let the switch go ahead.
    pub force: bool,
    pub init_timeout: Duration,
}

impl Default for PreflightOptions {
    fn default() -> Self {
        PreflightOptions {
            calls: 30,
            force: false,
            init_timeout: Duration::from_secs(60),
        }
    }
}

/// Runs the pre-flight of `plan`; `progress(server, line)` hears about every step.
pub async fn run(
    plan: &SwitchPlan,
    opts: &PreflightOptions,
    progress: &(dyn Fn(&str, &str) + Send + Sync),
) -> PreflightReport {
    let home = plan.before().home().clone();
    let mut report = PreflightReport {
        forced: opts.force,
        ..PreflightReport::default()
    };
    let rt = DockerRuntime::new(home.root(), DockerDefaults::default());
    let docker_client = if plan.gateway_servers().any(|s| s.to == Mode::Docker) {
        match rt.check().await {
            Ok(d) => Some(d),
            Err(u) => {
                report.problems.push(format!("Docker is not usable: {u}"));
                None
            }
        }
    } else {
        None
    };
    let packages = dockside_core::packages::Store::new(&home);
    let source = match SecretSource::open(&home, &Selection::default()) {
        Ok(s) => s,
        Err(e) => {
            report.problems.push(format!("{e:#}"));
            SecretSource::default()
        }
    };
    let config = GatewayConfig {
        restart: false,
        log_calls: false,
        init_timeout: opts.init_timeout,
        ..GatewayConfig::default()
    };
    let gw = crate::service::options::gateway(config, &rt);
    let launcher = HybridLauncher::new(rt.clone());
    let (logs, _) = broadcast::channel(256);

    for mv in plan.gateway_servers() {
        let name = mv.name.as_str();
        let say = |line: &str| progress(name, line);
        let mut check = ServerCheck {
            name: mv.name.clone(),
            from: mv.from,
            to: mv.to,
            image: None,
            started: false,
            tools_before: None,
            tools_after: Vec::new(),
            missing: Vec::new(),
            added: Vec::new(),
            latency: None,
            problems: Vec::new(),
            notes: Vec::new(),
        };
        // 1. A pinned package is installed (and, for docker mode, its image built below).
        let is_package = plan
            .after()
            .server(name)
            .is_some_and(|e| e.server.package().is_some());
        if is_package && mv.to == Mode::Managed {
            if let Err(e) = packages::ensure_named(plan.after(), name, mv.to, None, &say).await {
                check.problems.push(e);
                report.servers.push(check);
                continue;
            }
        }
        // The image.
        if mv.to == Mode::Docker {
            let Some(d) = &docker_client else {
                check.problems.push(format!(
                    "needs Docker, which is not usable (see above); `--mode {name}=managed` runs it \
                     behind the gateway without Docker"
                ));
                report.servers.push(check);
                continue;
            };
            let image_name = mv.image.clone().unwrap_or_default();
            let outcome = if is_package {
                packages::ensure_named(plan.after(), name, mv.to, Some(d), &say)
                    .await
                    .map(|outcome| match outcome {
                        Some(ImageOutcome::Built) => "built".to_owned(),
                        _ => "present".to_owned(),
                    })
                    .map_err(|e| {
                        format!("{e}; or keep it out of Docker with `--mode {name}=managed`")
                    })
            } else if let Some(b) = &mv.build {
                say(&format!(
                    "building {} from {}",
                    b.tag,
                    b.dir.join("Dockerfile").display()
                ));
                image::build(d, &b.dir, &b.tag, image::SOURCE_SKIP, |l| say(l))
                    .await
                    .map(|()| "built".to_owned())
                    .map_err(|e| {
                        format!(
                            "building image {} from {} failed: {e}",
                            b.tag,
                            b.dir.join("Dockerfile").display()
                        )
                    })
            } else if d.inspect_image(&image_name).await.is_ok() {
                say(&format!("image {image_name} is present"));
                Ok("present".to_owned())
            } else {
                say(&format!("pulling {image_name}"));
                image::pull(d, &image_name, |p, done| {
                    say(&format!(
                        "pulling {image_name}: {p}{}",
                        if done { " (done)" } else { "" }
                    ))
                })
                .await
                .map(|_| "pulled".to_owned())
                .map_err(|e| {
                    format!(
                        "image {image_name} is not on this machine and pulling it failed: {e}; {}; \
                         or keep it out of Docker with `--mode {name}=managed`",
                        image::pull_hint(name)
                    )
                })
            };
            match outcome {
                Ok(s) => check.image = Some(s),
                Err(e) => {
                    check.image = Some("unavailable".into());
                    check.problems.push(e);
                    report.servers.push(check);
                    continue;
                }
            }
        }

        // 2. The baseline: the server as it runs today.
        let baseline = match plan.before().server(name) {
            Some(e) if mv.from != Mode::Off => {
                match spec_from_server(name, e.server, &e.state, &source, &packages) {
                    Ok(mut spec) => {
                        spec.name = format!("{name} (now)");
                        say(&format!("starting in {} mode (as now)", mv.from));
                        match Upstream::start(spec, &launcher, logs.clone(), opts.init_timeout)
                            .await
                        {
                            Ok(up) => Some(up),
                            Err(e) => {
                                check.notes.push(format!(
                                    "could not start it as it runs now ({e}); tools not compared"
                                ));
                                None
                            }
                        }
                    }
                    Err(e) => {
                        check.notes.push(format!(
                            "cannot start it as it runs now ({e:#}); tools not compared"
                        ));
                        None
                    }
                }
            }
            _ => None,
        };
        check.tools_before = baseline.as_ref().map(|u| tool_names(u));

        // 3. The target mode, behind a gateway.
        let target = match plan.after().server(name) {
            Some(e) => spec_from_server(name, e.server, &e.state, &source, &packages),
            None => Err(anyhow::anyhow!("not in the catalogs after the switch")),
        };
        say(&format!("starting in {} mode", mv.to));
        let up = match target {
            Ok(spec) => match gw.start_server(spec).await {
                Ok(up) => Some(up),
                Err(e) => {
                    let blocked = match (&e, mv.to) {
                        (StartError::Initialize { stderr, .. }, Mode::Docker) => {
                            network_hint::blocked(stderr)
                        }
                        _ => None,
                    };
                    check.problems.push(match blocked {
                        Some(b) => network_hint::advice(name, mv.network.as_ref(), &b),
                        None => format!("does not start in {} mode: {e}", mv.to),
                    });
                    None
                }
            },
            Err(e) => {
                check
                    .problems
                    .push(format!("cannot run in {} mode: {e:#}", mv.to));
                None
            }
        };
        if let Some(up) = &up {
            check.started = true;
            check.tools_after = tool_names(up);
            if let Some(before) = &check.tools_before {
                check.missing = before
                    .iter()
                    .filter(|t| !check.tools_after.contains(t))
                    .cloned()
                    .collect();
                check.added = check
                    .tools_after
                    .iter()
                    .filter(|t| !before.contains(t))
                    .cloned()
                    .collect();
                if !check.missing.is_empty() {
                    check.problems.push(format!(
                        "in {} mode it does not offer {} (it does in {} mode){}; clients using {} would lose {}",
                        mv.to,
                        quote(&check.missing),
                        mv.from,
                        if check.added.is_empty() {
                            String::new()
                        } else {
                            format!(", and offers {} instead (renamed?)", quote(&check.added))
                        },
                        if check.missing.len() == 1 { "it" } else { "them" },
                        if check.missing.len() == 1 { "it" } else { "them" },
                    ));
                }
            }
            say(&format!("{} tool(s)", check.tools_after.len()));
            // 4. Latency.
            if let Some(native) = &baseline {
                match measure(native, up, &gw, name, opts.calls).await {
                    Ok(l) => {
                        say(&format!(
                            "{}: native p50 {:.2} ms, gateway p50 {:.2} ms (+{:.2} ms per call)",
                            l.probe, l.native_p50_ms, l.gateway_p50_ms, l.overhead_ms
                        ));
                        check.latency = Some(l);
                    }
                    Err(e) => check.notes.push(format!("latency not measured: {e}")),
                }
            }
        }
        if let Some(b) = baseline {
            b.stop(Duration::from_secs(2)).await;
        }
        gw.stop_server(name).await;
        report.servers.push(check);
    }
    gw.shutdown().await;
    report
}

fn quote(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn tool_names(up: &Upstream) -> Vec<String> {
    up.lists()
        .tools
        .iter()
        .filter_map(|t| t["name"].as_str().map(str::to_owned))
        .collect()
}

/// A read-only tool callable with made-up string arguments, and those arguments.
fn probe_tool(up: &Upstream) -> Option<(String, Value)> {
    up.lists().tools.iter().find_map(|t| {
        let name = t["name"].as_str()?;
        let read_only = t["annotations"]["readOnlyHint"] == json!(true);
        if !read_only && !matches!(name, "echo" | "ping") {
            return None;
        }
        let props = &t["inputSchema"]["properties"];
        let mut args = serde_json::Map::new();
        for req in t["inputSchema"]["required"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let key = req.as_str()?;
            if props[key]["type"] != json!("string") {
                return None;
            }
            args.insert(key.to_owned(), json!("dockside-preflight"));
        }
        Some((name.to_owned(), Value::Object(args)))
    })
}

fn stats(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(|a, b| a.total_cmp(b));
    let p50 = ms.get(ms.len() / 2).copied().unwrap_or_default();
    let mean = ms.iter().sum::<f64>() / ms.len().max(1) as f64;
    (p50, mean)
}

async fn measure(
    native: &Upstream,
    target: &Arc<Upstream>,
    gw: &Gateway,
    server: &str,
    calls: usize,
) -> Result<Latency, String> {
    let calls = calls.max(1);
    let probe = probe_tool(native);
    let time_peer = |up: &Upstream, method: &'static str, params: Option<Value>| {
        let peer = up.peer.clone();
        async move {
            let mut out = Vec::with_capacity(calls);
            // One warm-up call (an on-demand container starts on the first message).
            peer.request(method, params.clone())
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
            for _ in 0..calls {
                let t = Instant::now();
                peer.request(method, params.clone())
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())?;
                out.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            Ok::<_, String>(out)
        }
    };
    let (label, native_ms, gateway_ms) = match probe {
        Some((tool, args)) => {
            let params = json!({"name": tool, "arguments": args});
            let native_ms = time_peer(native, "tools/call", Some(params.clone())).await?;
            let (session, mut rx) = gw.open_session(Some(server.to_owned()));
            let result = async {
                let init = json!({"protocolVersion": "2025-06-18", "capabilities": {},
                    "clientInfo": {"name": "dockside-preflight", "version": env!("CARGO_PKG_VERSION")}});
                session_request(&session, &mut rx, 1, "initialize", init).await?;
                session.handle(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
                session_request(&session, &mut rx, 2, "tools/call", params.clone()).await?;
                let mut out = Vec::with_capacity(calls);
                for i in 0..calls as u64 {
                    let t = Instant::now();
                    session_request(&session, &mut rx, 3 + i, "tools/call", params.clone())
                        .await?;
                    out.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                Ok::<_, String>(out)
            }
            .await;
            session.close();
            (format!("tools/call {tool}"), native_ms, result?)
        }
        None => {
            let native_ms = time_peer(native, "ping", None).await?;
            let gateway_ms = time_peer(target, "ping", None).await?;
            ("ping".to_owned(), native_ms, gateway_ms)
        }
    };
    let (native_p50, native_mean) = stats(native_ms);
    let (gateway_p50, gateway_mean) = stats(gateway_ms);
    Ok(Latency {
        probe: label,
        calls,
        native_p50_ms: round(native_p50),
        native_mean_ms: round(native_mean),
        gateway_p50_ms: round(gateway_p50),
        gateway_mean_ms: round(gateway_mean),
        overhead_ms: round(gateway_p50 - native_p50),
    })
}

fn round(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

/// Sends one request into a session and waits for its reply.
async fn session_request(
    session: &Arc<Session>,
    rx: &mut mpsc::UnboundedReceiver<Outbound>,
    id: u64,
    method: &str,
    params: Value,
) -> Result<Value, String> {
    session.handle(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
    loop {
        match tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
            Ok(Some(out)) => {
                if out.msg.get("id") != Some(&json!(id)) || out.msg.get("method").is_some() {
                    continue;
                }
                if let Some(e) = out.msg.get("error") {
                    return Err(format!("{method}: {e}"));
                }
                return Ok(out.msg.get("result").cloned().unwrap_or(Value::Null));
            }
            Ok(None) => return Err("the gateway session closed".into()),
            Err(_) => return Err(format!("{method}: no answer within 30 s")),
        }
    }
}

/// After a switch is applied: has the daemon of `home` (started if none runs) reload, run every
/// server the switch put behind the gateway, and list as many tools as the pre-flight saw.
/// Returns what is wrong (empty: verified).
pub async fn verify_gateway(
    home: &Home,
    plan: &SwitchPlan,
    report: &PreflightReport,
) -> Vec<String> {
    let wanted: Vec<&str> = plan.gateway_servers().map(|s| s.name.as_str()).collect();
    if wanted.is_empty() {
        return Vec::new();
    }
    let info = match ensure_daemon(home).await {
        Ok(i) => i,
        Err(e) => return vec![format!("the gateway daemon does not run: {e:#}")],
    };
    let client = DaemonClient::new(info, dockside_api::read_token(home));
    if let Err(e) = client.post::<Value>("/api/reload", None).await {
        return vec![format!("the daemon did not reload: {e:#}")];
    }
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let servers: Vec<ServerStatus> = client.get("/api/servers").await.unwrap_or_default();
        let mut problems = Vec::new();
        for name in &wanted {
            // The daemon counts tools after the server's allow-list.
            let allowed = plan
                .after()
                .server(name)
                .and_then(|e| e.state.tools.clone());
            let expected = report.server(name).map(|c| {
                c.tools_after
                    .iter()
                    .filter(|t| allowed.as_ref().is_none_or(|a| a.contains(t)))
                    .count()
            });
            match servers.iter().find(|s| s.name == *name) {
                Some(s) if s.state == RunState::Running => {
                    if let Some(n) = expected.filter(|n| s.tools < *n) {
                        problems.push(format!(
                            "{name}: the gateway lists {} of its {n} tools",
                            s.tools
                        ));
                    }
                }
                Some(s) => problems.push(format!(
                    "{name}: {} in the gateway{}",
                    serde_json::to_value(s.state)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    s.error
                        .as_deref()
                        .map(|e| format!(" ({e})"))
                        .unwrap_or_default()
                )),
                None => problems.push(format!("{name}: not running in the gateway")),
            }
        }
        if problems.is_empty() || Instant::now() > deadline {
            return problems;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
