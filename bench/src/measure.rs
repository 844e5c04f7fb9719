//! The measurement phases of `dockside-bench run`.
//!
//! Every path is set up first and every client connected; then the phases run one after the
//! other, and inside a phase the paths take turns in small blocks (rotating who goes first), so
//! whatever else the machine is doing spreads over all paths alike. Every loop is bounded by a
//! count and every wait by a timeout.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use serde_json::{json, Value};

use crate::mcp::{self, Client, Target};
use crate::model::*;
use crate::procs::{self, Proc};
use crate::report;
use crate::setup::{self, Daemon, Env, Group, PathDef, Peer};
use crate::stats::{self, Summary};

#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Directory holding release builds of `dockside` and `dockside-demo-server`.
    #[arg(long, default_value = "target/release")]
    pub bin_dir: PathBuf,
    /// Where `scripts/bench` installed the peers (`npm/`, `venv/`).
    #[arg(long, default_value = "target/bench-peers")]
    pub peers_dir: PathBuf,
    /// Scratch directory for homes, logs and configs (emptied first).
    #[arg(long, default_value = "target/bench-run")]
    pub scratch: PathBuf,
    /// The demo server's image for docker mode.
    #[arg(long, default_value = "dockside/demo-server:bench")]
    pub image: String,
    /// Directory for the JSON results.
    #[arg(long, default_value = "bench/results")]
    pub results_dir: PathBuf,
    /// Markdown report to write.
    #[arg(long, default_value = "docs/BENCHMARKS.md")]
    pub report: PathBuf,
    /// Sequential calls per path with the small payload.
    #[arg(long, default_value_t = 2000)]
    pub calls: usize,
    /// Sequential calls per path with the 64 KiB payload.
    #[arg(long, default_value_t = 400)]
    pub large_calls: usize,
    /// Calls a path makes before the next path takes its turn.
    #[arg(long, default_value_t = 50)]
    pub block: usize,
    /// Seconds a path may spend in one phase: a slow path makes fewer calls (the tables show how
    /// many), so a pathological path cannot stretch the run.
    #[arg(long, default_value_t = 10)]
    pub path_budget: u64,
    /// Repetitions of the 100-call batch per path.
    #[arg(long, default_value_t = 7)]
    pub batches: usize,
    /// Cold-start samples (docker on demand).
    #[arg(long, default_value_t = 5)]
    pub cold_samples: usize,
    /// Idle timeout of the on-demand docker server, seconds.
    #[arg(long, default_value_t = 1)]
    pub idle_timeout: u64,
    /// Calls per concurrency level and path.
    #[arg(long, default_value_t = 3200)]
    pub concurrent_calls: usize,
    /// Mode switches per direction.
    #[arg(long, default_value_t = 3)]
    pub switches: usize,
    /// Calls in the memory soak.
    #[arg(long, default_value_t = 100_000)]
    pub soak_calls: u64,
    /// Peers to measure (default: every one installed).
    #[arg(long, value_delimiter = ',')]
    pub peers: Vec<String>,
    /// First-call samples per path of the pinned package server (phase `packages`).
    #[arg(long, default_value_t = 5)]
    pub package_samples: usize,
    /// The npm package server of phase `packages`, as a client's `npx -y` entry names it.
    #[arg(long, default_value = "@modelcontextprotocol/server-everything")]
    pub package: String,
    /// The Node runtime image the package's image is built from (`scripts/bench` builds it from
    /// the host's `node`: no image registry is needed).
    #[arg(long, default_value = "dockside/node-runtime:bench")]
    pub runtime_image: String,
    /// Phases to skip: ts, batch, cold, concurrency, switch, packages, memory, app, docker.
    #[arg(long, value_delimiter = ',')]
    pub skip: Vec<String>,
    /// Divide every count by 10 (a smoke run while developing).
    #[arg(long)]
    pub quick: bool,
    /// The tray app binary (default: target/release/dockside-app, else target/debug/dockside-app).
    #[arg(long)]
    pub app: Option<PathBuf>,
    /// A shared library preloaded into a second daemon to show what a fix gives (default:
    /// `<peers-dir>/nodelay.so`, which sets TCP_NODELAY on accepted sockets; skip with
    /// `--skip diagnosis`).
    #[arg(long)]
    pub diagnosis_preload: Option<PathBuf>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// Streamable HTTP endpoint, e.g. http://127.0.0.1:8813/mcp/demo.
    #[arg(long, conflicts_with = "command")]
    pub url: Option<String>,
    /// Bearer token for --url.
    #[arg(long)]
    pub bearer: Option<String>,
    /// Or a stdio server command line (space-separated).
    #[arg(long)]
    pub command: Option<String>,
    #[arg(long, default_value_t = 10_000)]
    pub calls: usize,
    /// Use the 64 KiB payload instead of the small one.
    #[arg(long)]
    pub large: bool,
}

/// `dockside-bench load`.
pub fn load(args: LoadArgs) -> anyhow::Result<()> {
    let target = match (&args.url, &args.command) {
        (Some(url), _) => Target::Http {
            url: url.clone(),
            headers: args
                .bearer
                .iter()
                .map(|t| ("Authorization".to_string(), format!("Bearer {t}")))
                .collect(),
        },
        (None, Some(cmd)) => {
            let mut parts = cmd.split_whitespace().map(str::to_string);
            Target::Stdio {
                program: parts.next().ok_or_else(|| anyhow!("empty --command"))?,
                args: parts.collect(),
                env: vec![],
                stderr: None,
            }
        }
        (None, None) => bail!("give --url or --command"),
    };
    let mut l = Live::connect(PathDef {
        id: "load".into(),
        label: String::new(),
        group: Group::Dockside,
        target,
        version: String::new(),
    })?;
    let big = large_message();
    let (params, expect) = if args.large {
        (l.large.clone(), big.as_str())
    } else {
        (l.small.clone(), SMALL)
    };
    let mut lat = Vec::with_capacity(args.calls);
    for _ in 0..args.calls.min(10_000_000) {
        lat.push(timed(&mut l.client, &params, expect)?);
    }
    l.client.close();
    println!("{}", serde_json::to_string(&Summary::of(&lat))?);
    Ok(())
}

const SMALL: &str = "hello from dockside-bench";
const LARGE_BYTES: usize = 64 * 1024;

/// 64 KiB of plain prose: no byte pattern that a secret scanner would flag.
fn large_message() -> String {
    let text = "The quick brown fox jumps over the lazy dog. ";
    text.repeat(LARGE_BYTES / text.len() + 1)[..LARGE_BYTES].to_string()
}

/// A connected path.
struct Live {
    def: PathDef,
    client: Client,
    small: String,
    large: String,
    errors: usize,
    dead: Option<String>,
}

impl Live {
    fn connect(def: PathDef) -> anyhow::Result<Live> {
        let mut client =
            Client::connect(&def.target).with_context(|| format!("connecting to {}", def.id))?;
        let tool = client.find_echo()?;
        Ok(Live {
            small: mcp::echo_params(&tool, SMALL),
            large: mcp::echo_params(&tool, &large_message()),
            def,
            client,
            errors: 0,
            dead: None,
        })
    }
}

/// One timed call; the reply is checked after the clock stops.
fn timed(client: &mut Client, params: &str, expect: &str) -> anyhow::Result<u64> {
    let t = Instant::now();
    let text = client.call_text(params)?;
    let ns = t.elapsed().as_nanos() as u64;
    if text != expect {
        bail!(
            "echo returned {} bytes that differ from the {} sent",
            text.len(),
            expect.len()
        );
    }
    Ok(ns)
}

fn say(msg: impl AsRef<str>) {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let t = START.get_or_init(Instant::now).elapsed().as_secs();
    eprintln!("[bench {t:>4} s] {}", msg.as_ref());
}

fn skip(args: &RunArgs, phase: &str) -> bool {
    args.skip.iter().any(|s| s == phase)
}

pub fn run(mut args: RunArgs) -> anyhow::Result<()> {
    if args.quick {
        args.calls = (args.calls / 10).max(20);
        args.large_calls = (args.large_calls / 10).max(10);
        args.batches = args.batches.min(3);
        args.cold_samples = args.cold_samples.min(2);
        args.concurrent_calls = (args.concurrent_calls / 10).max(64);
        args.switches = 1;
        args.soak_calls = (args.soak_calls / 10).max(1000);
        args.package_samples = args.package_samples.min(2);
    }
    let started = Instant::now();
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    if args.scratch.exists() {
        procs::unmount_under(&args.scratch);
        std::fs::remove_dir_all(&args.scratch)
            .with_context(|| format!("emptying {}", args.scratch.display()))?;
    }
    let env = Env {
        bin: absolute(&args.bin_dir),
        peers: absolute(&args.peers_dir),
        scratch: absolute(&args.scratch),
        image: args.image.clone(),
    };
    env.prepare()?;
    let mut results = Results {
        meta: meta_before(&env, &args),
        ..Results::default()
    };
    let docker_ok = !skip(&args, "docker") && docker_image_present(&env.image);
    if !docker_ok && !skip(&args, "docker") {
        results.skipped.push(format!(
            "docker mode: no Docker engine or no image {} (scripts/bench builds it)",
            env.image
        ));
    }

    // ------------------------------------------------------------ setup
    say("starting Dockside (daemon, stdio gateway) and the peers");
    let main_home = env.new_home("home-main")?;
    if docker_ok {
        env.add_demo(&main_home, "bench-docker", "docker", true)?;
        env.add_demo(&main_home, "bench-cold", "docker", false)?;
        env.set_idle_timeout(&main_home, "bench-cold", args.idle_timeout)?;
        env.add_demo(&main_home, "bench-switch", "managed", true)?;
    }
    // A second daemon serves the demo server over Streamable HTTP: the remote server the main
    // daemon reaches as `bench-remote` (managed), and that clients also call directly.
    let remote_home = env.new_home("home-remote")?;
    let mut remote = Daemon::start(&env, &remote_home, "daemon-remote", &[])?;
    remote.wait_running(&["demo"], Duration::from_secs(60))?;
    env.add_remote(
        &main_home,
        "bench-remote",
        &format!("{}/mcp/demo", remote.base),
        &remote.auth(),
    )?;
    let mut daemon = Daemon::start(&env, &main_home, "daemon-main", &[])?;
    let mut running = vec!["demo", "bench-remote"];
    if docker_ok {
        running.extend(["bench-docker", "bench-cold", "bench-switch"]);
    }
    daemon.wait_running(&running, Duration::from_secs(120))?;
    let stdio_home = env.new_home("home-stdio")?;
    let preload = args
        .diagnosis_preload
        .clone()
        .unwrap_or_else(|| env.peers.join("nodelay.so"));
    let mut diagnosis = None;
    if !skip(&args, "diagnosis") && preload.is_file() {
        let home = env.new_home("home-nodelay")?;
        if docker_ok {
            env.add_demo(&home, "bench-docker", "docker", true)?;
        }
        let preload = absolute(&preload);
        let mut d = Daemon::start(&env, &home, "daemon-nodelay", &[("LD_PRELOAD", &preload)])?;
        let names: &[&str] = if docker_ok {
            &["demo", "bench-docker"]
        } else {
            &["demo"]
        };
        d.wait_running(names, Duration::from_secs(120))?;
        diagnosis = Some((d, home));
    }

    let mut defs = vec![PathDef {
        id: "direct".into(),
        label: "direct stdio (the client spawns `dockside-demo-server`)".into(),
        group: Group::Direct,
        target: stdio_target(&env, env.demo_server(), &[], None, "direct"),
        version: "—".into(),
    }];
    defs.push(PathDef {
        id: "dockside-stdio".into(),
        label: "Dockside `gateway run` (stdio), managed".into(),
        group: Group::Dockside,
        target: stdio_target(
            &env,
            env.dockside(),
            &["gateway", "run", "--servers", "demo"],
            Some(&stdio_home),
            "dockside-stdio",
        ),
        version: results.meta.versions["dockside"].clone(),
    });
    defs.push(PathDef {
        id: "dockside-connect".into(),
        label: "Dockside `connect --server` (stdio bridge to the daemon), managed".into(),
        group: Group::Dockside,
        target: stdio_target(
            &env,
            env.dockside(),
            &["connect", "--server", "demo"],
            Some(&main_home),
            "dockside-connect",
        ),
        version: results.meta.versions["dockside"].clone(),
    });
    defs.push(PathDef {
        id: "dockside-http".into(),
        label: "Dockside daemon (Streamable HTTP), managed".into(),
        group: Group::Dockside,
        target: daemon.target(Some("demo")),
        version: results.meta.versions["dockside"].clone(),
    });
    defs.push(PathDef {
        id: "dockside-http-stateless".into(),
        label: "Dockside daemon (Streamable HTTP), managed, a 2026-07-28 (stateless) client".into(),
        group: Group::Dockside,
        target: daemon.stateless_target(Some("demo")),
        version: results.meta.versions["dockside"].clone(),
    });
    defs.push(PathDef {
        id: "remote-direct".into(),
        label: "the remote server called directly (Streamable HTTP: a second daemon serving demo)"
            .into(),
        group: Group::Reference,
        target: remote.target(Some("demo")),
        version: results.meta.versions["dockside"].clone(),
    });
    defs.push(PathDef {
        id: "dockside-http-remote".into(),
        label: "Dockside daemon (Streamable HTTP), managed remote server (relayed to it over HTTP)"
            .into(),
        group: Group::Dockside,
        target: daemon.target(Some("bench-remote")),
        version: results.meta.versions["dockside"].clone(),
    });
    if docker_ok {
        defs.push(PathDef {
            id: "dockside-http-docker".into(),
            label: "Dockside daemon (Streamable HTTP), docker long-lived".into(),
            group: Group::Dockside,
            target: daemon.target(Some("bench-docker")),
            version: results.meta.versions["dockside"].clone(),
        });
    }
    if let Some((d, home)) = &diagnosis {
        let tag = "with TCP_NODELAY (diagnosis)";
        defs.push(PathDef {
            id: "dockside-connect-nodelay".into(),
            label: format!("Dockside `connect --server`, managed, {tag}"),
            group: Group::Diagnosis,
            target: stdio_target(
                &env,
                env.dockside(),
                &["connect", "--server", "demo"],
                Some(home),
                "dockside-connect-nodelay",
            ),
            version: results.meta.versions["dockside"].clone(),
        });
        defs.push(PathDef {
            id: "dockside-http-nodelay".into(),
            label: format!("Dockside daemon (Streamable HTTP), managed, {tag}"),
            group: Group::Diagnosis,
            target: d.target(Some("demo")),
            version: results.meta.versions["dockside"].clone(),
        });
        if docker_ok {
            defs.push(PathDef {
                id: "dockside-http-docker-nodelay".into(),
                label: format!("Dockside daemon (Streamable HTTP), docker long-lived, {tag}"),
                group: Group::Diagnosis,
                target: d.target(Some("bench-docker")),
                version: results.meta.versions["dockside"].clone(),
            });
        }
    }
    if docker_ok {
        // What a client config running the container itself gets: docker's own stdio relay.
        defs.push(PathDef {
            id: "docker-run".into(),
            label: "`docker run -i` (the client runs the container itself, no gateway)".into(),
            group: Group::Reference,
            target: Target::Stdio {
                program: "docker".into(),
                args: docker_run_args(&env.image),
                env: vec![],
                stderr: Some(env.log("docker-run")),
            },
            version: results.meta.versions["docker engine"].clone(),
        });
    }
    let wanted_peers: Vec<String> = if args.peers.is_empty() {
        setup::PEERS.iter().map(|s| s.to_string()).collect()
    } else {
        args.peers.clone()
    };
    let mut peers: Vec<Peer> = Vec::new();
    for id in &wanted_peers {
        if !setup::peer_installed(&env, id) {
            results
                .skipped
                .push(format!("{id}: not installed in {}", env.peers.display()));
            continue;
        }
        match setup::start_peer(&env, id) {
            Ok(p) => {
                results
                    .meta
                    .versions
                    .insert(id.clone(), p.path.version.clone());
                defs.push(p.path.clone());
                peers.push(p);
            }
            Err(e) => {
                say(format!("{id}: cannot start: {e:#}"));
                results.skipped.push(format!("{id}: cannot start: {e:#}"));
            }
        }
    }
    let mut live = Vec::new();
    for def in defs.clone() {
        let id = def.id.clone();
        match Live::connect(def) {
            Ok(l) => live.push(l),
            Err(e) => {
                say(format!("{id}: {e:#}"));
                results.skipped.push(format!("{id}: {e:#}"));
            }
        }
    }
    if !live.iter().any(|l| l.def.group == Group::Direct) {
        bail!("the direct path does not work: nothing to compare with");
    }

    // ------------------------------------------------------------ latency
    say(format!(
        "latency: {} paths × ({} small + {} × 64 KiB) calls, interleaved in blocks of {}",
        live.len(),
        args.calls,
        args.large_calls,
        args.block
    ));
    warm_up(&mut live);
    let budget = Duration::from_secs(args.path_budget);
    results.latency.extend(latency_phase(
        &mut live, false, args.calls, args.block, budget,
    ));
    results.latency.extend(latency_phase(
        &mut live,
        true,
        args.large_calls,
        (args.block / 5).max(5),
        budget,
    ));

    // ------------------------------------------------------------ batch
    if !skip(&args, "batch") {
        say(format!(
            "batch: 100 sequential calls × {} per path",
            args.batches
        ));
        results.batch = batch_phase(&mut live, args.batches, budget);
    }

    // ------------------------------------------------------------ TypeScript SDK client
    if !skip(&args, "ts") {
        say("TypeScript SDK client: the same paths, interleaved");
        match ts_phase(&env, &defs, &args) {
            Ok((rows, sdk)) => {
                results.ts_client = rows;
                results
                    .meta
                    .versions
                    .insert("@modelcontextprotocol/sdk (TS client)".into(), sdk);
            }
            Err(e) => {
                say(format!("TypeScript client: {e:#}"));
                results
                    .skipped
                    .push(format!("TypeScript SDK client: {e:#}"));
            }
        }
    }

    // ------------------------------------------------------------ cold start (docker on demand)
    if docker_ok && !skip(&args, "cold") {
        say(format!(
            "cold starts: {} samples of the first call after the container stopped (idle timeout {} s)",
            args.cold_samples, args.idle_timeout
        ));
        match cold_phase(&daemon, &args) {
            Ok(c) => results.cold = Some(c),
            Err(e) => results.skipped.push(format!("cold start: {e:#}")),
        }
    }

    // ------------------------------------------------------------ concurrency
    if !skip(&args, "concurrency") {
        let conc: Vec<&PathDef> = defs
            .iter()
            .filter(|d| !matches!(d.target, Target::Stdio { .. }))
            .filter(|d| live.iter().any(|l| l.def.id == d.id && l.dead.is_none()))
            .collect();
        say(format!(
            "concurrency: 1, 8, 32 clients × {} paths, {} calls each",
            conc.len(),
            args.concurrent_calls
        ));
        for level in [1usize, 8, 32] {
            for def in &conc {
                match concurrency_run(def, level, args.concurrent_calls, budget / 2) {
                    Ok(row) => results.concurrency.push(row),
                    Err(e) => results
                        .skipped
                        .push(format!("concurrency {} × {level}: {e:#}", def.id)),
                }
            }
        }
    }

    // ------------------------------------------------------------ mode switches
    if docker_ok && !skip(&args, "switch") {
        say("mode switches through the control API");
        match switch_phase(&mut daemon, args.switches) {
            Ok(rows) => results.mode_switch = rows,
            Err(e) => results.skipped.push(format!("mode switch: {e:#}")),
        }
    }

    for l in live {
        l.client.close();
    }
    if docker_ok {
        std::thread::sleep(Duration::from_millis(500));
        remove_reference_containers();
    }
    drop(peers);
    drop(daemon);
    drop(diagnosis);

    // ------------------------------------------------------------ package server, first call
    if !skip(&args, "packages") {
        if !docker_ok {
            results
                .skipped
                .push("package servers: docker mode is not measurable in this run".into());
        } else if !docker_image_present(&args.runtime_image) {
            results.skipped.push(format!(
                "package servers: no runtime image {} (scripts/bench builds it)",
                args.runtime_image
            ));
        } else {
            say(format!(
                "package server {}: {} first calls per path (native npx, docker on demand, managed), interleaved",
                args.package, args.package_samples
            ));
            match packages_phase(&env, &args) {
                Ok(p) => {
                    results
                        .meta
                        .versions
                        .insert("npm".into(), procs::output("npm", &["--version"]));
                    results
                        .meta
                        .versions
                        .insert("package server (pinned)".into(), p.package.clone());
                    results.packages = Some(p);
                }
                Err(e) => {
                    say(format!("package servers: {e:#}"));
                    results.skipped.push(format!("package servers: {e:#}"));
                }
            }
        }
    }

    // ------------------------------------------------------------ memory
    if !skip(&args, "memory") {
        say(format!(
            "memory: daemon idle, with 10 servers, through {} calls",
            args.soak_calls
        ));
        match memory_phase(&env, args.soak_calls) {
            Ok(mut m) => {
                if !skip(&args, "app") {
                    match app_memory(&env, &args) {
                        Ok(a) => m.app = Some(a),
                        Err(e) => results.skipped.push(format!("tray app RSS: {e:#}")),
                    }
                }
                results.memory = Some(m);
            }
            Err(e) => results.skipped.push(format!("memory: {e:#}")),
        }
    }

    // ------------------------------------------------------------ output
    meta_after(&mut results.meta, started);
    std::fs::create_dir_all(&args.results_dir)?;
    let stamp = results.meta.started.replace([':', '-'], "");
    let json_name = format!("{stamp}.json");
    let json_path = args.results_dir.join(&json_name);
    std::fs::write(&json_path, serde_json::to_string_pretty(&results)?)?;
    std::fs::write(
        args.results_dir.join("latest.json"),
        serde_json::to_string_pretty(&results)?,
    )?;
    if let Some(dir) = args.report.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.report, report::markdown(&results, &json_name))?;
    say(format!(
        "wrote {} and {} in {:.0} s",
        json_path.display(),
        args.report.display(),
        started.elapsed().as_secs_f64()
    ));
    print!("{}", report::headline_tables(&results));
    Ok(())
}

fn stdio_target(
    env: &Env,
    program: PathBuf,
    args: &[&str],
    home: Option<&Path>,
    log: &str,
) -> Target {
    let h = env.fake_home();
    let mut vars = vec![
        ("HOME".to_string(), h.display().to_string()),
        (
            "XDG_CONFIG_HOME".to_string(),
            h.join(".config").display().to_string(),
        ),
        (
            "XDG_STATE_HOME".to_string(),
            h.join(".local/state").display().to_string(),
        ),
    ];
    if let Some(home) = home {
        vars.push(("DOCKSIDE_HOME".into(), home.display().to_string()));
    }
    Target::Stdio {
        program: program.display().to_string(),
        args: args.iter().map(|s| s.to_string()).collect(),
        env: vars,
        stderr: Some(env.log(log)),
    }
}

/// `docker run` of the demo image, hardened like docker mode's containers.
fn docker_run_args(image: &str) -> Vec<String> {
    [
        "run",
        "--rm",
        "-i",
        "--network",
        "none",
        "--read-only",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--label",
        "dockside-bench=reference",
        image,
    ]
    .map(String::from)
    .to_vec()
}

/// Removes containers left by `docker run -i` references (only those: they carry our label).
fn remove_reference_containers() {
    let ids = procs::output(
        "docker",
        &["ps", "-aq", "--filter", "label=dockside-bench=reference"],
    );
    for id in ids.lines().filter(|l| !l.is_empty()).take(100) {
        let _ = procs::output("docker", &["rm", "-f", id]);
    }
}

fn docker_image_present(image: &str) -> bool {
    Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Id}}", image])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

// ---------------------------------------------------------------- latency

fn warm_up(live: &mut [Live]) {
    let large = large_message();
    for l in live.iter_mut() {
        for i in 0..120 {
            let (params, expect) = if i % 10 == 9 {
                (&l.large, large.as_str())
            } else {
                (&l.small, SMALL)
            };
            if let Err(e) = timed(&mut l.client, params, expect) {
                l.dead = Some(format!("warm-up: {e:#}"));
                break;
            }
        }
    }
}

/// How many calls a path makes in its next turn so that it stays within `budget` over the
/// `rounds_left` turns it still has (a slow path makes fewer calls per turn, but still takes every
/// turn, so it stays interleaved with the others).
fn quota(
    block: usize,
    budget: Duration,
    spent: Duration,
    done: usize,
    rounds_left: usize,
) -> usize {
    if done == 0 || rounds_left == 0 {
        return block;
    }
    let per_call = spent.as_secs_f64() / done as f64;
    let left = budget.saturating_sub(spent).as_secs_f64();
    let affordable = (left / per_call / rounds_left as f64).floor() as usize;
    affordable.clamp(1, block)
}

fn latency_phase(
    live: &mut [Live],
    large: bool,
    calls: usize,
    block: usize,
    budget: Duration,
) -> Vec<LatencyRow> {
    let big = large_message();
    let expect = if large { big.as_str() } else { SMALL };
    let mut samples: Vec<Vec<u64>> = vec![Vec::with_capacity(calls); live.len()];
    let mut spent = vec![Duration::ZERO; live.len()];
    let rounds = calls.div_ceil(block);
    let n = live.len();
    for round in 0..rounds {
        for k in 0..n {
            let i = (round + k) % n;
            let l = &mut live[i];
            if l.dead.is_some() {
                continue;
            }
            let params = if large { &l.large } else { &l.small };
            let turn = quota(block, budget, spent[i], samples[i].len(), rounds - round)
                .min(calls - samples[i].len());
            let started = Instant::now();
            for _ in 0..turn {
                match timed(&mut l.client, params, expect) {
                    Ok(ns) => samples[i].push(ns),
                    Err(e) => {
                        l.errors += 1;
                        if l.errors > 10 {
                            l.dead = Some(format!("{e:#}"));
                            break;
                        }
                    }
                }
            }
            spent[i] += started.elapsed();
        }
    }
    live.iter()
        .zip(samples)
        .map(|(l, s)| LatencyRow {
            path: l.def.id.clone(),
            label: l.def.label.clone(),
            group: l.def.group,
            transport: l.def.target.transport_name().into(),
            payload: if large {
                "64KiB".into()
            } else {
                "small".into()
            },
            summary: Summary::of(&s),
            errors: l.errors,
        })
        .collect()
}

fn batch_phase(live: &mut [Live], reps: usize, budget: Duration) -> Vec<BatchRow> {
    let mut totals: Vec<Vec<f64>> = vec![Vec::new(); live.len()];
    let n = live.len();
    for rep in 0..reps {
        for k in 0..n {
            let i = (rep + k) % n;
            let l = &mut live[i];
            let spent: f64 = totals[i].iter().sum::<f64>() / 1000.0;
            // A slow path stops repeating once it has used its budget (at least one batch).
            if l.dead.is_some() || (!totals[i].is_empty() && spent > budget.as_secs_f64()) {
                continue;
            }
            let t = Instant::now();
            let mut ok = true;
            for _ in 0..100 {
                if timed(&mut l.client, &l.small, SMALL).is_err() {
                    l.errors += 1;
                    ok = false;
                    break;
                }
            }
            if ok {
                totals[i].push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    let direct = live
        .iter()
        .position(|l| l.def.group == Group::Direct)
        .map(|i| stats::median(&totals[i]))
        .unwrap_or(f64::NAN);
    live.iter()
        .zip(totals)
        .map(|(l, t)| {
            let median = stats::median(&t);
            BatchRow {
                path: l.def.id.clone(),
                label: l.def.label.clone(),
                group: l.def.group,
                median_ms: median,
                added_ms: median - direct,
                totals_ms: t,
            }
        })
        .collect()
}

// ---------------------------------------------------------------- TypeScript SDK client

fn ts_phase(
    env: &Env,
    defs: &[PathDef],
    args: &RunArgs,
) -> anyhow::Result<(Vec<LatencyRow>, String)> {
    let script = env.peers.join("npm/ts_client.mjs");
    if !script.is_file() {
        bail!(
            "{} is missing (scripts/bench copies it there)",
            script.display()
        );
    }
    let targets: Vec<Value> = defs
        .iter()
        .filter(|d| d.id != "dockside-connect")
        .filter_map(|d| match &d.target {
            Target::Stdio {
                program, args, env, ..
            } => Some(
                json!({"id": d.id, "kind": "stdio", "command": program, "args": args,
                        "env": env.iter().cloned().collect::<BTreeMap<_, _>>()}),
            ),
            Target::Http { url, headers } => Some(json!({"id": d.id, "kind": "http", "url": url,
                        "headers": headers.iter().cloned().collect::<BTreeMap<_, _>>()})),
            Target::Sse { url, headers } => Some(json!({"id": d.id, "kind": "sse", "url": url,
                        "headers": headers.iter().cloned().collect::<BTreeMap<_, _>>()})),
            // The SDK client speaks the session era only.
            Target::Stateless { .. } => None,
        })
        .collect();
    let spec = json!({
        "targets": targets,
        "calls": (args.calls / 2).max(20),
        "largeCalls": (args.large_calls / 2).max(10),
        "block": args.block,
        "small": SMALL,
        "largeBytes": LARGE_BYTES,
        "large": large_message(),
        "budgetMs": args.path_budget * 1000,
    });
    let spec_path = env.scratch.join("ts-spec.json");
    std::fs::write(&spec_path, spec.to_string())?;
    let out = Command::new("node")
        .arg(&script)
        .arg(&spec_path)
        .current_dir(env.peers.join("npm"))
        .stderr(std::fs::File::create(env.log("ts-client"))?)
        .output()
        .context("running node")?;
    if !out.status.success() {
        bail!(
            "node {} failed ({}); see {}",
            script.display(),
            out.status,
            env.log("ts-client").display()
        );
    }
    let v: Value = serde_json::from_slice(&out.stdout).context("the TS client's output")?;
    let mut rows = Vec::new();
    for payload in ["small", "64KiB"] {
        for d in defs {
            let Some(r) = v["results"].get(&d.id) else {
                continue;
            };
            if let Some(err) = r["error"].as_str() {
                rows.push(LatencyRow {
                    path: d.id.clone(),
                    label: format!("{} — failed: {err}", d.label),
                    group: d.group,
                    transport: d.target.transport_name().into(),
                    payload: payload.into(),
                    summary: Summary::default(),
                    errors: 1,
                });
                continue;
            }
            let ns: Vec<u64> = r[payload]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_f64)
                .map(|us| (us * 1000.0) as u64)
                .collect();
            rows.push(LatencyRow {
                path: d.id.clone(),
                label: d.label.clone(),
                group: d.group,
                transport: d.target.transport_name().into(),
                payload: payload.into(),
                summary: Summary::of(&ns),
                errors: r["errors"].as_u64().unwrap_or(0) as usize,
            });
        }
    }
    Ok((rows, v["sdkVersion"].as_str().unwrap_or("?").to_string()))
}

// ---------------------------------------------------------------- cold start

fn cold_phase(daemon: &Daemon, args: &RunArgs) -> anyhow::Result<Cold> {
    let target = daemon.target(Some("bench-cold"));
    let mut client = Client::connect(&target)?;
    let tool = client.find_echo()?;
    let params = mcp::echo_params(&tool, SMALL);
    // Make sure a container ran, so the first sample starts from "stopped after idle".
    timed(&mut client, &params, SMALL)?;
    let mut last = Instant::now();
    let mut first = Vec::new();
    let mut batches = Vec::new();
    let mut stops = Vec::new();
    let mut docker_run = Vec::new();
    let timeout = Duration::from_secs(args.idle_timeout + 60);
    for _ in 0..args.cold_samples {
        setup::wait_container_gone("bench-cold", daemon.pid(), timeout)?;
        let gone = last.elapsed().as_secs_f64() * 1000.0 - args.idle_timeout as f64 * 1000.0;
        stops.push(gone);
        // The relay notices "idle" by itself; make sure the call really finds it stopped.
        std::thread::sleep(Duration::from_millis(100));
        let t = Instant::now();
        first.push(timed(&mut client, &params, SMALL)?);
        for _ in 0..99 {
            timed(&mut client, &params, SMALL)?;
        }
        batches.push(t.elapsed().as_secs_f64() * 1000.0);
        last = Instant::now();
        // For scale: a client starting the same image itself, up to its first answer.
        let t = Instant::now();
        let run = Target::Stdio {
            program: "docker".into(),
            args: docker_run_args(&args.image),
            env: vec![],
            stderr: None,
        };
        let mut c = Client::connect(&run)?;
        timed(&mut c, &mcp::echo_params("echo", SMALL), SMALL)?;
        docker_run.push(t.elapsed().as_secs_f64() * 1000.0);
        c.close();
    }
    client.close();
    remove_reference_containers();
    Ok(Cold {
        first_call: Summary::of(&first),
        batch_ms: batches,
        stop_ms: stops,
        docker_run_ms: docker_run,
        idle_timeout_s: args.idle_timeout,
    })
}

// ---------------------------------------------------------------- package server, first call

const PKG_DOCKER: &str = "pkg-docker";
const PKG_MANAGED: &str = "pkg-managed";

/// The npm cache every npm and npx of the phase shares: the one `scripts/bench` exports (under
/// `target/bench-peers`), else `<peers>/.npm-cache`; never the user's.
fn npm_cache(env: &Env) -> PathBuf {
    std::env::var_os("npm_config_cache")
        .map(PathBuf::from)
        .unwrap_or_else(|| env.peers.join(".npm-cache"))
}

/// `dockside ARGS` in `home` with the phase's npm cache; returns stdout and stderr.
fn dockside_pkg(env: &Env, home: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = env
        .dockside_cmd(home)
        .env("npm_config_cache", npm_cache(env))
        .args(args)
        .output()
        .with_context(|| format!("running dockside {args:?}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::write(env.log(&format!("pkg-{}", args[..2].join("-"))), &text);
    if !out.status.success() {
        bail!("dockside {} failed: {text}", args.join(" "));
    }
    Ok(text)
}

/// Spawns a client's entry, initializes, calls `echo` once: the time until the answer, ns.
fn first_call(target: &Target, tool: &str) -> anyhow::Result<u64> {
    let params = mcp::echo_params(tool, SMALL);
    let t = Instant::now();
    let mut c = Client::connect(target)?;
    let text = c.call_text(&params);
    let ns = t.elapsed().as_nanos() as u64;
    c.close();
    let text = text?;
    if !text.contains(SMALL) {
        bail!("echo answered {text:?}");
    }
    Ok(ns)
}

/// First call of a pinned npm package server, from the spawn of the client's entry to the
/// answer of its first `tools/call echo`: natively by `npx` (the entry a client has, npm cache
/// warm), in docker mode on demand (the entry `dockside connect`, the container stopped before
/// each sample), in managed mode (the store install on the host), and for scale `node` running
/// the store install itself. One server per mode in one home, pinned to the same version.
fn packages_phase(env: &Env, args: &RunArgs) -> anyhow::Result<Packages> {
    let home = env.scratch.join("home-pkg");
    std::fs::create_dir_all(&home)?;
    let cache = npm_cache(env);
    std::fs::create_dir_all(&cache)?;
    let npx = ["npx", "-y", args.package.as_str()];
    // Pinned and installed by `server add` (the registry is asked once, here).
    for (name, extra) in [
        (
            PKG_DOCKER,
            vec![
                "--long-lived=false",
                "--runtime-image",
                args.runtime_image.as_str(),
            ],
        ),
        (PKG_MANAGED, vec![]),
    ] {
        let mut a = vec!["server", "add", name, "--mode", "managed"];
        a.extend(extra);
        a.push("--");
        a.extend(npx);
        dockside_pkg(env, &home, &a)?;
    }
    let ws = dockside_core::Workspace::load(dockside_core::home::Home::new(&home))?;
    let pin = |name: &str| {
        ws.server(name)
            .and_then(|e| e.server.package().cloned())
            .ok_or_else(|| anyhow!("{name} was not pinned as a package server"))
    };
    let package = pin(PKG_DOCKER)?;
    if pin(PKG_MANAGED)? != package {
        bail!("the two servers were pinned to different versions (a release in between?)");
    }
    let store = ws.packages();
    let image = package.image_tag(&args.runtime_image);
    drop(ws);
    env.set_idle_timeout(&home, PKG_DOCKER, args.idle_timeout)?;
    // The per-package image of an earlier run goes, so that `mode docker` builds it.
    let _ = procs::output("docker", &["rmi", "-f", &image]);
    let t = Instant::now();
    dockside_pkg(env, &home, &["server", "mode", PKG_DOCKER, "docker"])?;
    let mode_docker_ms = t.elapsed().as_secs_f64() * 1000.0;
    if !docker_image_present(&image) {
        bail!("`server mode {PKG_DOCKER} docker` did not build {image}");
    }

    let mut daemon = Daemon::start(env, &home, "daemon-pkg", &[("npm_config_cache", &cache)])?;
    daemon.wait_running(&[PKG_MANAGED], Duration::from_secs(120))?;
    let (node, script) = store.host_command(&package);
    let h = env.fake_home();
    let paths = vec![
        PathDef {
            id: "pkg-native-npx".into(),
            label: format!("native: the client runs `{}`", npx.join(" ")),
            group: Group::Direct,
            target: Target::Stdio {
                program: "npx".into(),
                args: npx[1..].iter().map(|s| s.to_string()).collect(),
                env: vec![
                    ("HOME".into(), h.display().to_string()),
                    ("npm_config_cache".into(), cache.display().to_string()),
                ],
                stderr: Some(env.log("pkg-native-npx")),
            },
            version: String::new(),
        },
        PathDef {
            id: "pkg-docker".into(),
            label: "docker mode, on demand: `dockside connect --server NAME`, the container stopped"
                .into(),
            group: Group::Dockside,
            target: stdio_target(
                env,
                env.dockside(),
                &["connect", "--server", PKG_DOCKER],
                Some(&home),
                "pkg-connect-docker",
            ),
            version: String::new(),
        },
        PathDef {
            id: "pkg-managed".into(),
            label: "managed mode: `dockside connect --server NAME`, the store install running on the host"
                .into(),
            group: Group::Dockside,
            target: stdio_target(
                env,
                env.dockside(),
                &["connect", "--server", PKG_MANAGED],
                Some(&home),
                "pkg-connect-managed",
            ),
            version: String::new(),
        },
        PathDef {
            id: "pkg-node-store".into(),
            label: "for scale: the client runs `node` on the store install (no npx, no gateway)"
                .into(),
            group: Group::Reference,
            target: Target::Stdio {
                program: node,
                args: script,
                env: vec![("HOME".into(), h.display().to_string())],
                stderr: Some(env.log("pkg-node-store")),
            },
            version: String::new(),
        },
    ];
    let timeout = Duration::from_secs(args.idle_timeout + 60);
    let pid = daemon.pid();
    let stopped = |what: &str| {
        setup::wait_container_gone(PKG_DOCKER, pid, timeout)
            .with_context(|| format!("{what}: the container did not stop after its idle timeout"))
    };
    // Warm-up, unmeasured: the tool's name, npx's cache, the image's layers in the page cache.
    let mut tools = Vec::new();
    for p in &paths {
        let mut c = Client::connect(&p.target).with_context(|| format!("connecting {}", p.id))?;
        let tool = c.find_echo()?;
        c.call_text(&mcp::echo_params(&tool, SMALL))
            .with_context(|| format!("{}: echo", p.id))?;
        c.close();
        tools.push(tool);
    }
    stopped("after the warm-up")?;

    let n = paths.len();
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); n];
    for round in 0..args.package_samples {
        for k in 0..n {
            let i = (round + k) % n;
            let docker = paths[i].id == "pkg-docker";
            if docker {
                stopped("before a sample")?;
                // The relay notices "idle" by itself; make sure the call really finds it stopped.
                std::thread::sleep(Duration::from_millis(100));
            }
            let ns = first_call(&paths[i].target, &tools[i])
                .with_context(|| format!("{}: first call", paths[i].id))?;
            samples[i].push(ns as f64 / 1e6);
            if docker {
                if setup::containers_of(PKG_DOCKER, pid) == 0 {
                    bail!("{PKG_DOCKER} answered but no container of it runs");
                }
                // Its stop (after the idle timeout) must not overlap another path's sample.
                stopped("after a sample")?;
            }
        }
    }
    drop(daemon);
    let rows = paths
        .iter()
        .zip(samples)
        .map(|(p, s)| FirstCallRow {
            path: p.id.clone(),
            label: p.label.clone(),
            group: p.group,
            median_ms: stats::median(&s),
            min_ms: s.iter().cloned().fold(f64::NAN, f64::min),
            max_ms: s.iter().cloned().fold(f64::NAN, f64::max),
            samples_ms: s,
        })
        .collect();
    Ok(Packages {
        package: package.label(),
        native_command: npx.join(" "),
        runtime_image: args.runtime_image.clone(),
        image,
        mode_docker_ms,
        idle_timeout_s: args.idle_timeout,
        rows,
    })
}

// ---------------------------------------------------------------- concurrency

fn concurrency_run(
    def: &PathDef,
    clients: usize,
    total: usize,
    budget: Duration,
) -> anyhow::Result<ConcurrencyRow> {
    let per = total.div_ceil(clients);
    let deadline = Arc::new(std::sync::OnceLock::<Instant>::new());
    let barrier = Arc::new(Barrier::new(clients + 1));
    let mut handles = Vec::new();
    for _ in 0..clients {
        let target = def.target.clone();
        let barrier = barrier.clone();
        let deadline = deadline.clone();
        handles.push(std::thread::spawn(
            move || -> anyhow::Result<(Vec<u64>, usize)> {
                let conn = Live::connect(PathDef {
                    id: String::new(),
                    label: String::new(),
                    group: Group::Peer,
                    target,
                    version: String::new(),
                });
                let mut l = match conn {
                    Ok(l) => l,
                    Err(e) => {
                        barrier.wait();
                        return Err(e);
                    }
                };
                for _ in 0..5 {
                    let _ = timed(&mut l.client, &l.small, SMALL);
                }
                barrier.wait();
                let stop = *deadline.get_or_init(|| Instant::now() + budget);
                let mut lat = Vec::with_capacity(per);
                let mut errors = 0;
                for _ in 0..per {
                    if Instant::now() > stop {
                        break;
                    }
                    match timed(&mut l.client, &l.small, SMALL) {
                        Ok(ns) => lat.push(ns),
                        Err(_) => errors += 1,
                    }
                    if errors > 20 {
                        break;
                    }
                }
                l.client.close();
                Ok((lat, errors))
            },
        ));
    }
    barrier.wait();
    let t = Instant::now();
    let mut all = Vec::with_capacity(total);
    let mut errors = 0;
    let mut failure = None;
    for h in handles {
        match h.join().map_err(|_| anyhow!("a client thread panicked"))? {
            Ok((lat, e)) => {
                all.extend(lat);
                errors += e;
            }
            Err(e) => failure = Some(e),
        }
    }
    let wall = t.elapsed().as_secs_f64();
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(ConcurrencyRow {
        path: def.id.clone(),
        label: def.label.clone(),
        group: def.group,
        clients,
        calls: all.len(),
        wall_s: wall,
        throughput_per_s: all.len() as f64 / wall,
        summary: Summary::of(&all),
        errors,
    })
}

// ---------------------------------------------------------------- mode switches

fn switch_phase(daemon: &mut Daemon, reps: usize) -> anyhow::Result<Vec<SwitchRow>> {
    let server = "bench-switch";
    let target = daemon.target(Some(server));
    let mut client = Some(Client::connect(&target)?);
    let tool = client.as_mut().expect("connected").find_echo()?;
    let params = mcp::echo_params(&tool, SMALL);
    let mut rows = vec![
        SwitchRow {
            transition: "managed → docker".into(),
            put_ms: vec![],
            callable_ms: vec![],
        },
        SwitchRow {
            transition: "docker → managed".into(),
            put_ms: vec![],
            callable_ms: vec![],
        },
    ];
    for _ in 0..reps {
        for (k, mode) in ["docker", "managed"].into_iter().enumerate() {
            let t = Instant::now();
            let (status, body) = daemon.api(
                "PUT",
                &format!("/api/servers/{server}/mode"),
                Some(&json!({"mode": mode})),
            )?;
            let put = t.elapsed();
            if status != 200 {
                bail!("PUT mode {mode}: HTTP {status}: {body}");
            }
            let deadline = Instant::now() + Duration::from_secs(60);
            let callable = loop {
                if Instant::now() > deadline {
                    bail!("{server} not callable 60 s after switching to {mode}");
                }
                if client.is_none() {
                    client = Client::connect(&target).ok();
                }
                if let Some(c) = client.as_mut() {
                    match timed(c, &params, SMALL) {
                        Ok(_) => break t.elapsed(),
                        Err(_) => client = None,
                    }
                }
                std::thread::sleep(Duration::from_millis(1));
            };
            // Check that the switch really happened.
            let s = daemon
                .servers()?
                .into_iter()
                .find(|s| s.name == server)
                .ok_or_else(|| anyhow!("{server} vanished"))?;
            if s.mode.map(|m| m.as_str()) != Some(mode) {
                bail!("after switching to {mode}, the daemon reports {:?}", s.mode);
            }
            if mode == "docker" && setup::containers_of(server, daemon.pid()) == 0 {
                bail!("{server} answers in docker mode but no container of it runs");
            }
            rows[k].put_ms.push(put.as_secs_f64() * 1000.0);
            rows[k].callable_ms.push(callable.as_secs_f64() * 1000.0);
        }
    }
    if let Some(c) = client {
        c.close();
    }
    Ok(rows)
}

// ---------------------------------------------------------------- memory

/// The soak stops after this many seconds whatever the count (the report says how many calls).
const SOAK_LIMIT_S: u64 = 180;

fn memory_phase(env: &Env, soak_calls: u64) -> anyhow::Result<Memory> {
    let home = env.new_home("home-mem")?;
    let mut daemon = Daemon::start(env, &home, "daemon-mem", &[])?;
    daemon.wait_running(&["demo"], Duration::from_secs(60))?;
    std::thread::sleep(Duration::from_secs(2));
    let pid = daemon.pid();
    let idle_one = procs::rss_kib(pid).ok_or_else(|| anyhow!("no RSS for the daemon"))?;
    let mut names = vec!["demo".to_string()];
    let demo = env.demo_server().display().to_string();
    for i in 2..=10 {
        let name = format!("mem-{i:02}");
        env.dockside_ok(
            &home,
            &["server", "add", &name, "--catalog", "bench", "--", &demo],
        )?;
        names.push(name);
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    daemon.wait_running(&refs, Duration::from_secs(60))?;
    std::thread::sleep(Duration::from_secs(2));
    let idle_ten = procs::rss_kib(pid).unwrap_or(0);
    let servers_kib: u64 = procs::children(pid)
        .into_iter()
        .filter_map(procs::rss_kib)
        .sum();

    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    // Ten sessions per server, each its own connection: 100 clients in all.
    let sessions: Vec<&String> = names
        .iter()
        .flat_map(|n| std::iter::repeat_n(n, 10))
        .collect();
    let per = soak_calls.div_ceil(sessions.len() as u64);
    let t = Instant::now();
    let stop = t + Duration::from_secs(SOAK_LIMIT_S);
    let mut handles = Vec::new();
    for name in sessions {
        let target = daemon.target(Some(name));
        let (done, errors) = (done.clone(), errors.clone());
        handles.push(std::thread::spawn(move || -> anyhow::Result<()> {
            let mut c = Client::connect(&target)?;
            let tool = c.find_echo()?;
            let params = mcp::echo_params(&tool, SMALL);
            for _ in 0..per {
                if Instant::now() > stop {
                    break;
                }
                match timed(&mut c, &params, SMALL) {
                    Ok(_) => done.fetch_add(1, Ordering::Relaxed),
                    Err(_) => errors.fetch_add(1, Ordering::Relaxed),
                };
                if errors.load(Ordering::Relaxed) > 100 {
                    break;
                }
            }
            c.close();
            Ok(())
        }));
    }
    let mut soak = vec![(0, idle_ten)];
    let deadline = stop + Duration::from_secs(30);
    while handles.iter().any(|h| !h.is_finished()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        if let Some(rss) = procs::rss_kib(pid) {
            soak.push((done.load(Ordering::Relaxed), rss));
        }
    }
    for h in handles {
        h.join().map_err(|_| anyhow!("a soak thread panicked"))??;
    }
    let soak_s = t.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_secs(2));
    let after = procs::rss_kib(pid).unwrap_or(0);
    soak.push((done.load(Ordering::Relaxed), after));
    Ok(Memory {
        idle_one_kib: idle_one,
        idle_ten_kib: idle_ten,
        soak,
        soak_calls: done.load(Ordering::Relaxed),
        soak_errors: errors.load(Ordering::Relaxed),
        soak_s,
        after_kib: after,
        servers_kib,
        app: None,
    })
}

/// The tray's RSS, tray only (no window), under Xvfb and a private D-Bus session; then the
/// dashboard's, opened from it. `dockside-app` is started as a user starts Dockside: it becomes
/// the tray, `dockside-tray`.
fn app_memory(env: &Env, args: &RunArgs) -> anyhow::Result<AppMemory> {
    let candidates = match &args.app {
        Some(p) => vec![p.clone()],
        None => vec![
            env.bin.join("dockside-app"),
            env.bin.join("../debug/dockside-app"),
        ],
    };
    let binary = candidates
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| {
            anyhow!(
                "no dockside-app binary (build it with `cargo build --release --workspace --bins`)"
            )
        })?;
    let binary = std::fs::canonicalize(&binary)?;
    let profile = if binary.to_string_lossy().contains("/release/") {
        "release"
    } else {
        "debug"
    };
    if procs::output(
        "sh",
        &["-c", "command -v xvfb-run && command -v dbus-run-session"],
    )
    .lines()
    .count()
        < 2
    {
        bail!("xvfb-run or dbus-run-session is missing (apt-get install xvfb dbus-x11)");
    }
    let run = tray_run(env, &binary, None, true)?;
    let with_gl_probe_kib = tray_run(env, &binary, Some(("GDK_GL", "")), false)
        .map(|run| run.tray_kib)
        .ok();
    Ok(AppMemory {
        binary: binary.display().to_string(),
        profile: profile.into(),
        app_kib: run.tray_kib,
        helpers: run.helpers,
        note: "tray only (no window open), under xvfb-run and dbus-run-session, 10 s after start"
            .into(),
        with_gl_probe_kib,
        dashboard_kib: run.dashboard.as_ref().map(|(kib, _)| *kib),
        dashboard_helpers: run
            .dashboard
            .map(|(_, helpers)| helpers)
            .unwrap_or_default(),
        before: baseline_before_split(&args.results_dir),
    })
}

/// What one start of the tray measured (KiB).
struct TrayRun {
    tray_kib: u64,
    /// The tray's children (the daemon it started), by name.
    helpers: Vec<(String, u64)>,
    /// The dashboard opened from the tray, and its children.
    dashboard: Option<(u64, Vec<(String, u64)>)>,
}

/// The RSS of `pid`'s children, by name.
fn children_rss(pid: u32) -> Vec<(String, u64)> {
    procs::tree(pid)
        .into_iter()
        .skip(1)
        .filter_map(|p| procs::rss_kib(p).map(|r| (procs::comm(p), r)))
        .collect()
}

/// One start of the app (with `env_var` set when given): the tray's RSS 10 s after start and
/// its children's; with `open_dashboard`, then the dashboard's, opened through the tray's link
/// (as a second launch does) and measured 10 s later.
fn tray_run(
    env: &Env,
    binary: &Path,
    env_var: Option<(&str, &str)>,
    open_dashboard: bool,
) -> anyhow::Result<TrayRun> {
    let home = env.scratch.join("home-app");
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home)?;
    let mut cmd = Command::new("xvfb-run");
    cmd.args(["-a", "dbus-run-session", "--"]).arg(binary);
    env.isolate(&mut cmd);
    let path = format!(
        "{}:{}",
        env.bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    cmd.env("DOCKSIDE_HOME", &home).env("PATH", path);
    if let Some((k, v)) = env_var {
        cmd.env(k, v);
    }
    let mut proc = Proc::spawn("tray-app", cmd, &env.log("tray-app"))?;
    let find = |name: &'static str, root: u32| {
        procs::tree(root)
            .into_iter()
            .find(move |p| procs::comm(*p) == name)
    };
    let tray_pid = procs::poll(
        "waiting for dockside-app to become dockside-tray",
        Duration::from_secs(30),
        Duration::from_millis(100),
        || {
            proc.check_alive()?;
            Ok(find("dockside-tray", proc.pid()))
        },
    )?;
    // Let it settle: tray built, daemon started and followed.
    std::thread::sleep(Duration::from_secs(10));
    proc.check_alive()?;
    let tray_kib = procs::rss_kib(tray_pid).ok_or_else(|| anyhow!("dockside-tray exited"))?;
    let helpers = children_rss(tray_pid);
    let dashboard = if open_dashboard {
        let home = dockside_core::Home::new(&home);
        let show = dockside_desktop::link::Request::Show { screen: None };
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(dockside_desktop::link::call(&home, show))?;
        let dashboard_pid = procs::poll(
            "waiting for the dashboard and its web process",
            Duration::from_secs(30),
            Duration::from_millis(100),
            || {
                proc.check_alive()?;
                Ok(find("dockside-app", tray_pid)
                    .filter(|&pid| find("WebKitWebProces", pid).is_some()))
            },
        )?;
        std::thread::sleep(Duration::from_secs(10));
        let kib = procs::rss_kib(dashboard_pid).ok_or_else(|| anyhow!("the dashboard exited"))?;
        Some((kib, children_rss(dashboard_pid)))
    } else {
        None
    };
    proc.stop(Duration::from_secs(5));
    // The app may leave its daemon running when told so; stop it.
    let _ = env.dockside_ok(&home, &["stop"]);
    // The session's document portal (FUSE, in the fake HOME) outlives it.
    procs::unmount_under(&env.scratch);
    Ok(TrayRun {
        tray_kib,
        helpers,
        dashboard,
    })
}

/// The tray's RSS before it left the Tauri process: the newest results file in `dir` whose
/// tray binary was `dockside-app` (the single-process app, WebKit linked in).
fn baseline_before_split(dir: &Path) -> Option<crate::model::Baseline> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files.into_iter().rev().find_map(|path| {
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).ok()?).ok()?;
        let app = doc.pointer("/memory/app")?;
        let binary = app.get("binary")?.as_str()?;
        // Runs since the split record the dashboard too (`dashboard_kib`, null or not).
        if !binary.ends_with("/dockside-app") || app.get("dashboard_kib").is_some() {
            return None;
        }
        Some(crate::model::Baseline {
            results: path.file_name()?.to_string_lossy().into_owned(),
            kib: app.get("app_kib")?.as_u64()?,
        })
    })
}

// ---------------------------------------------------------------- machine and versions

fn first_line(s: String) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

fn meta_before(env: &Env, args: &RunArgs) -> Meta {
    let mut m = Meta {
        started: procs::output("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"]),
        load_before: std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
            .to_string(),
        ..Meta::default()
    };
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_default();
    m.machine.insert("cpu".into(), cpu);
    m.machine
        .insert("cores".into(), procs::output("nproc", &[]));
    let mem = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:").map(|v| v.trim().to_string()))
        .unwrap_or_default();
    m.machine.insert("memory".into(), mem);
    m.machine
        .insert("kernel".into(), procs::output("uname", &["-sr"]));
    let os = std::fs::read_to_string("/etc/os-release")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("PRETTY_NAME=")
                .map(|v| v.trim_matches('"').to_string())
        })
        .unwrap_or_default();
    m.machine.insert("os".into(), os);
    let v = &mut m.versions;
    v.insert(
        "dockside".into(),
        first_line(procs::output(
            &env.dockside().display().to_string(),
            &["--version"],
        )),
    );
    let rev = procs::output("git", &["rev-parse", "--short", "HEAD"]);
    let dirty =
        !procs::output("git", &["status", "--porcelain", "--untracked-files=no"]).is_empty();
    v.insert(
        "dockside commit".into(),
        format!(
            "{rev}{}",
            if dirty {
                " (+ uncommitted changes)"
            } else {
                ""
            }
        ),
    );
    v.insert("rustc".into(), procs::output("rustc", &["--version"]));
    v.insert("node".into(), procs::output("node", &["--version"]));
    v.insert(
        "python (mcp-proxy venv)".into(),
        procs::output(
            &env.peers.join("venv/bin/python").display().to_string(),
            &["--version"],
        ),
    );
    v.insert(
        "docker engine".into(),
        procs::output(
            "docker",
            &[
                "version",
                "--format",
                "{{.Server.Version}} (API {{.Server.APIVersion}})",
            ],
        ),
    );
    let s = &mut m.settings;
    s.insert("small payload".into(), format!("{} bytes", SMALL.len()));
    s.insert("large payload".into(), format!("{LARGE_BYTES} bytes"));
    s.insert("calls per path (small)".into(), args.calls.to_string());
    s.insert(
        "calls per path (64 KiB)".into(),
        args.large_calls.to_string(),
    );
    s.insert("block".into(), args.block.to_string());
    s.insert(
        "time budget per path and phase".into(),
        format!(
            "{} s (a slower path makes fewer calls: see *calls*)",
            args.path_budget
        ),
    );
    s.insert("quick".into(), args.quick.to_string());
    m
}

fn meta_after(m: &mut Meta, started: Instant) {
    m.finished = procs::output("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"]);
    m.duration_s = started.elapsed().as_secs_f64();
    m.load_after = std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .trim()
        .to_string();
}
