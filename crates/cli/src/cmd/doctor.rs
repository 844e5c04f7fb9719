//! `dockside doctor [--json]`: what works here and what to do about what does not.
//!
//! Checks Docker (which engine and why, reachable, version, permission), the runtimes host
//! servers need (node, npx, bun, uv, uvx, python, docker — looked for as the daemon does, the
//! login shell's PATH first, and marked when only the login shell has them), the AI clients'
//! config files (and that Dockside's entries there run a `dockside` that exists and is this one),
//! the daemon and its port; then, for each server, whether its mode can run here, with a fix or a
//! fallback mode. Exits 1 when a check failed.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use dockside_api::login_env::{self, LoginEnv};
use dockside_core::clients::launchers::{self, Health};
use dockside_core::clients::sync::{Context, Target};
use dockside_core::clients::ALL;
use dockside_core::launch::Launch;
use dockside_core::{Home, Mode, Workspace};
use dockside_docker::{discovery, engine};
use serde_json::{json, Value};

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print JSON (`{"ok", "docker": {source, context, host, id, name…}, "checks": [{area, name, ok, detail, fix?}], "servers": [...]}`).
    #[arg(long)]
    pub json: bool,
}

const RUNTIMES: &[&str] = &[
    "node", "npx", "bun", "uv", "uvx", "python3", "python", "docker",
];

struct Check {
    area: &'static str,
    name: String,
    ok: bool,
    detail: String,
    fix: Option<String>,
}

impl Check {
    fn json(&self) -> Value {
        json!({"area": self.area, "name": self.name, "ok": self.ok, "detail": self.detail, "fix": self.fix})
    }
}

/// Where programs are looked for: PATH as a daemon started here would have it (the login shell's
/// entries first, see `dockside_api::login_env`), and the directories this process inherited.
struct Search {
    path: OsString,
    inherited: Vec<PathBuf>,
    /// Why the login shell could not be read, if it could not.
    login_problem: Option<String>,
}

impl Search {
    fn new() -> Search {
        let current = std::env::var_os("PATH").unwrap_or_default();
        let inherited = std::env::split_paths(&current).collect();
        let skip =
            cfg!(windows) || std::env::var_os(login_env::SWITCH_ENV).is_some_and(|v| v == "0");
        let (path, login_problem) = if skip {
            (current, None)
        } else {
            match LoginEnv::read() {
                Ok(login) => (login.merged_path(Some(&current)).unwrap_or(current), None),
                Err(e) => (current, Some(e)),
            }
        };
        Search {
            path,
            inherited,
            login_problem,
        }
    }

    /// `name` on the search path (or an existing path).
    fn find(&self, name: &str) -> Option<PathBuf> {
        let path = Path::new(name);
        if path.components().count() > 1 {
            return path.is_file().then(|| path.to_owned());
        }
        std::env::split_paths(&self.path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    }

    /// Whether `program` was found only through the login shell's PATH.
    fn only_in_login_shell(&self, program: &Path) -> bool {
        program
            .parent()
            .is_some_and(|dir| !self.inherited.iter().any(|d| d == dir))
    }
}

fn version_of(program: &Path) -> String {
    std::process::Command::new(program)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .output()
        .ok()
        .map(|o| {
            String::from_utf8_lossy(if o.stdout.is_empty() {
                &o.stderr
            } else {
                &o.stdout
            })
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned()
        })
        .unwrap_or_default()
}

/// The engine in use: the check, whether it works, its images, and what it is for `--json`
/// (`{source, context, host, version, api, id, name}`).
fn docker_check(rt: &tokio::runtime::Runtime) -> (Check, bool, Vec<String>, Value) {
    let endpoint = match discovery::resolve(&discovery::Inputs::from_env()) {
        Ok(endpoint) => endpoint,
        Err(e) => return (docker_failed(e.0), false, Vec::new(), Value::Null),
    };
    let mut about = json!({
        "source": endpoint.source.kind(),
        "context": endpoint.source.context(),
        "host": endpoint.host,
        "describe": endpoint.describe(),
    });
    rt.block_on(async {
        let engine = match engine::open_endpoint(&endpoint).await {
            Ok(docker) => engine::Engine { docker, endpoint },
            Err(u) => return (docker_failed(u.message), false, Vec::new(), about),
        };
        let (version, api) = engine::version(&engine).await.unwrap_or_default();
        let info = engine.docker.info().await.unwrap_or_default();
        let (id, name) = (info.id.unwrap_or_default(), info.name.unwrap_or_default());
        let images = dockside_docker::image::local_tags(&engine.docker).await;
        about["version"] = json!(version);
        about["api"] = json!(api);
        about["id"] = json!(id);
        about["name"] = json!(name);
        let check = Check {
            area: "docker",
            name: "engine".into(),
            ok: true,
            detail: format!(
                "Docker {version} (API {api}) at {}, engine `{name}` (id {id})",
                engine.endpoint.describe()
            ),
            fix: None,
        };
        (check, true, images, about)
    })
}

fn docker_failed(detail: String) -> Check {
    Check {
        area: "docker",
        name: "engine".into(),
        ok: false,
        detail,
        fix: Some(
            "docker servers cannot run; switch them to managed where they have a host command"
                .into(),
        ),
    }
}

fn daemon_checks(home: &Home) -> Vec<Check> {
    match dockside_api::read_info(home) {
        Some(info) => {
            let addr = format!("{}:{}", info.host, info.port);
            let reachable = addr
                .parse::<std::net::SocketAddr>()
                .ok()
                .or_else(|| format!("127.0.0.1:{}", info.port).parse().ok())
                .is_some_and(|a| {
                    std::net::TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok()
                });
            vec![Check {
                area: "daemon",
                name: "daemon".into(),
                ok: reachable,
                detail: format!(
                    "pid {} listening on {} ({})",
                    info.pid,
                    info.base_url(),
                    if reachable {
                        "answers"
                    } else {
                        "does not answer"
                    }
                ),
                fix: (!reachable).then(|| "`dockside stop`, then `dockside daemon`".into()),
            }]
        }
        None => {
            let port = dockside_api::DEFAULT_PORT;
            let free = std::net::TcpListener::bind(("127.0.0.1", port)).is_ok();
            vec![Check {
                area: "daemon",
                name: "daemon".into(),
                ok: true,
                detail: format!(
                    "not running; port {port} is {}",
                    if free {
                        "free"
                    } else {
                        "taken by another program (the daemon will pick a free port)"
                    }
                ),
                fix: Some(
                    "`dockside daemon` starts it (clients' `dockside connect` entries start it too)"
                        .into(),
                ),
            }]
        }
    }
}

fn client_checks(home: &Home) -> Vec<Check> {
    let ctx = Context::for_home(home.root());
    let files = ALL.iter().filter_map(|spec| {
        let path = Target::user(spec).path(&ctx.env);
        if !path.exists() {
            return None;
        }
        let readable = std::fs::read_to_string(&path);
        Some(Check {
            area: "clients",
            name: spec.id.to_string(),
            ok: readable.is_ok(),
            detail: match &readable {
                Ok(_) => format!("{} ({})", path.display(), spec.name),
                Err(e) => format!("cannot read {}: {e}", path.display()),
            },
            fix: readable
                .is_err()
                .then(|| format!("check the permissions of {}", path.display())),
        })
    });
    files.chain(launcher_checks(&ctx)).collect()
}

/// One check per `dockside` binary that Dockside's entries in a connected client file run and
/// that is gone or is not this one (a package removed or upgraded, a moved checkout…).
fn launcher_checks(ctx: &Context) -> Vec<Check> {
    let files = match launchers::connected(ctx) {
        Ok(files) => files,
        Err(err) => {
            return vec![Check {
                area: "clients",
                name: "entries".into(),
                ok: false,
                detail: err.to_string(),
                fix: None,
            }]
        }
    };
    let fix = format!(
        "`dockside client sync` rewrites them to run {}",
        ctx.launcher.0
    );
    files
        .into_iter()
        .flat_map(|file| {
            let key = file.target.key();
            let path = file.path.display().to_string();
            file.launchers
                .into_iter()
                .filter_map(|binary| {
                    let detail = match launchers::health(&binary, &ctx.launcher) {
                        Health::Current => return None,
                        Health::Missing => format!(
                            "entries in {path} run {binary}, which no longer exists: the client cannot start them"
                        ),
                        Health::Moved => format!(
                            "entries in {path} run {binary}, not this dockside ({})",
                            ctx.launcher.0
                        ),
                    };
                    Some(Check {
                        area: "clients",
                        name: format!("{key} entries"),
                        ok: false,
                        detail,
                        fix: Some(fix.clone()),
                    })
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Whether `name` can run in its mode here; a fix, or a mode that would work instead.
fn server_check(
    ws: &Workspace,
    search: &Search,
    name: &str,
    docker_ok: bool,
    images: &[String],
) -> Value {
    let mode = ws.state().server(name).mode;
    let host = ws.launch_in(name, Mode::Managed).ok();
    let host_ok = match &host {
        Some(Launch::Host(h)) => search.find(&h.program).is_some(),
        Some(Launch::Remote(_)) => true,
        _ => false,
    };
    let docker = ws.launch_in(name, Mode::Docker).ok();
    let image = match &docker {
        Some(Launch::Container(c)) => Some(c.image.clone()),
        _ => None,
    };
    let image_here = image.as_ref().is_some_and(|i| {
        let tagged = if i.contains(':') || i.contains('@') {
            i.clone()
        } else {
            format!("{i}:latest")
        };
        images.contains(&tagged)
    });
    let (ok, detail, fix) = match mode {
        Mode::Off => (true, "off".to_owned(), None),
        Mode::Native | Mode::Managed => match &host {
            Some(Launch::Host(h)) if host_ok => (true, format!("runs `{}` on the host", h.program), None),
            Some(Launch::Host(h)) => (
                false,
                format!("`{}` is not on PATH", h.program),
                Some(if docker_ok && image.is_some() {
                    format!("install it, or use docker mode (`dockside server mode {name} docker`, image {})", image.clone().unwrap_or_default())
                } else {
                    format!("install `{}` or put it on PATH", h.program)
                }),
            ),
            Some(_) => (true, "remote".into(), None),
            None => (
                false,
                "has no host command".into(),
                Some(format!("use docker mode (`dockside server mode {name} docker`)")),
            ),
        },
        Mode::Docker => match (&image, docker_ok) {
            (None, _) => (
                false,
                ws.launch_in(name, Mode::Docker)
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default(),
                Some(format!("set a runtime image: `dockside server edit {name} --runtime-image IMAGE`")),
            ),
            (Some(_), false) => (
                false,
                "Docker is unavailable".into(),
                Some(if host_ok {
                    format!("start Docker, or fall back to managed: `dockside server mode {name} managed`")
                } else {
                    "start Docker".into()
                }),
            ),
            (Some(i), true) if image_here => (true, format!("image {i} is here"), None),
            (Some(i), true) => (
                true,
                format!("image {i} is not here yet: it is pulled on first start"),
                Some(format!(
                    "without a reachable registry: `dockside server image {name} --build`, `docker load`, or `docker import`"
                )),
            ),
        },
    };
    json!({"name": name, "mode": mode.as_str(), "ok": ok, "detail": detail, "fix": fix})
}

pub fn run(args: DoctorArgs) -> anyhow::Result<()> {
    let home = Home::from_env()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (docker, docker_ok, images, engine_json) = docker_check(&rt);
    let mut checks = vec![docker];
    let search = Search::new();
    if let Some(problem) = &search.login_problem {
        checks.push(Check {
            area: "runtimes",
            name: "login-shell".into(),
            ok: true,
            detail: format!("{problem}; the daemon uses the PATH it inherits"),
            fix: None,
        });
    }
    for runtime in RUNTIMES {
        let found = search.find(runtime);
        checks.push(Check {
            area: "runtimes",
            name: (*runtime).into(),
            ok: true,
            detail: match &found {
                Some(p) if search.only_in_login_shell(p) => format!(
                    "{} {} (through the login shell's PATH)",
                    p.display(),
                    version_of(p)
                ),
                Some(p) => format!("{} {}", p.display(), version_of(p)),
                None => "not on PATH (only servers that use it need it)".into(),
            },
            fix: None,
        });
    }
    checks.extend(client_checks(&home));
    checks.extend(daemon_checks(&home));
    let (servers, load_error) = match Workspace::load(home.clone()) {
        Ok(ws) => {
            let names: Vec<String> = ws.servers().map(|e| e.name.to_owned()).collect();
            let servers: Vec<Value> = names
                .iter()
                .map(|n| server_check(&ws, &search, n, docker_ok, &images))
                .collect();
            (servers, None)
        }
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    if let Some(e) = &load_error {
        checks.push(Check {
            area: "catalogs",
            name: "workspace".into(),
            ok: false,
            detail: e.clone(),
            fix: Some("fix the file named above".into()),
        });
    }
    let ok = checks.iter().all(|c| c.ok) && servers.iter().all(|s| s["ok"] == true);
    if args.json {
        super::print_json(&json!({
            "ok": ok,
            "docker": engine_json,
            "checks": checks.iter().map(Check::json).collect::<Vec<_>>(),
            "servers": servers,
        }))?;
    } else {
        for c in &checks {
            let mark = if c.ok { "ok  " } else { "FAIL" };
            println!("{mark} {:<8} {:<10} {}", c.area, c.name, c.detail);
            if let Some(fix) = c.fix.as_ref().filter(|_| !c.ok) {
                println!("     fix: {fix}");
            }
        }
        for s in &servers {
            let mark = if s["ok"] == true { "ok  " } else { "FAIL" };
            println!(
                "{mark} server   {:<10} {} — {}",
                s["name"].as_str().unwrap_or_default(),
                s["mode"].as_str().unwrap_or_default(),
                s["detail"].as_str().unwrap_or_default()
            );
            if let Some(fix) = s["fix"].as_str() {
                println!("     fix: {fix}");
            }
        }
    }
    if !ok {
        std::process::exit(1);
    }
    Ok(())
}
