//! Everything a run measures, started from scratch in a scratch directory: Dockside homes (through
//! the real `dockside` CLI), the daemon, the stdio gateway, and the peer gateways fronting the same
//! demo server. Nothing outside the scratch directory and the peers' install directory is touched
//! (every process gets `HOME` and `XDG_*` inside the scratch directory).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use dockside_api::{DaemonInfo, ServerStatus};
use serde_json::Value;

use crate::http::{Conn, Url};
use crate::mcp::{Client, Target};
use crate::procs::{self, Proc};

/// Where the binaries, peers and scratch files are.
#[derive(Debug, Clone)]
pub struct Env {
    /// `target/release`: `dockside`, `dockside-demo-server`.
    pub bin: PathBuf,
    /// Peers installed by `scripts/bench`: `npm/node_modules`, `venv`.
    pub peers: PathBuf,
    pub scratch: PathBuf,
    /// The demo server's image for docker mode.
    pub image: String,
}

impl Env {
    pub fn dockside(&self) -> PathBuf {
        self.bin.join("dockside")
    }

    pub fn demo_server(&self) -> PathBuf {
        self.bin.join("dockside-demo-server")
    }

    pub fn logs(&self) -> PathBuf {
        self.scratch.join("logs")
    }

    pub fn log(&self, name: &str) -> PathBuf {
        self.logs().join(format!("{name}.log"))
    }

    /// A private HOME for every process, so no peer writes into the real one.
    pub fn fake_home(&self) -> PathBuf {
        self.scratch.join("home")
    }

    /// `HOME`, `XDG_*` inside the scratch directory.
    pub fn isolate(&self, cmd: &mut Command) {
        let h = self.fake_home();
        cmd.env("HOME", &h)
            .env("XDG_CONFIG_HOME", h.join(".config"))
            .env("XDG_STATE_HOME", h.join(".local/state"))
            .env("XDG_DATA_HOME", h.join(".local/share"))
            .env("XDG_CACHE_HOME", h.join(".cache"))
            .env_remove("RUST_LOG")
            .env_remove("MCP_GATEWAY_AUTH_TOKEN");
    }

    pub fn dockside_cmd(&self, home: &Path) -> Command {
        let mut cmd = Command::new(self.dockside());
        self.isolate(&mut cmd);
        cmd.env("DOCKSIDE_HOME", home);
        cmd
    }

    /// Runs `dockside ARGS` to completion in `home`.
    pub fn dockside_ok(&self, home: &Path, args: &[&str]) -> anyhow::Result<String> {
        let out = self
            .dockside_cmd(home)
            .args(args)
            .output()
            .with_context(|| format!("running dockside {args:?}"))?;
        if !out.status.success() {
            bail!(
                "dockside {} failed: {}{}",
                args.join(" "),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).to_string())
    }

    pub fn prepare(&self) -> anyhow::Result<()> {
        for d in [self.logs(), self.fake_home()] {
            std::fs::create_dir_all(&d)?;
        }
        for bin in [self.dockside(), self.demo_server()] {
            if !bin.is_file() {
                bail!(
                    "{} is missing: build it with `cargo build --release -p dockside-cli -p dockside-demo-server`",
                    bin.display()
                );
            }
        }
        Ok(())
    }

    /// A fresh Dockside home with the demo catalog installed (server `demo`, managed).
    pub fn new_home(&self, name: &str) -> anyhow::Result<PathBuf> {
        let home = self.scratch.join(name);
        if home.exists() {
            std::fs::remove_dir_all(&home)?;
        }
        std::fs::create_dir_all(&home)?;
        self.dockside_ok(&home, &["catalog", "demo"])?;
        Ok(home)
    }

    /// Adds the demo server again under another name: a host command (managed) that can also run
    /// from the bench image (docker), with its docker lifetime.
    pub fn add_demo(
        &self,
        home: &Path,
        name: &str,
        mode: &str,
        long_lived: bool,
    ) -> anyhow::Result<()> {
        let demo = self.demo_server().display().to_string();
        let mut args = vec![
            "server",
            "add",
            name,
            "--catalog",
            "bench",
            "--image",
            &self.image,
            "--host-command",
            &demo,
            "--mode",
            mode,
        ];
        let ll = format!("--long-lived={long_lived}");
        args.push(&ll);
        self.dockside_ok(home, &args)?;
        Ok(())
    }

    /// Adds a remote server `name` (managed) reaching `url` with `authorization` as its
    /// `Authorization` header (kept in the secret store by `server add --header`).
    pub fn add_remote(
        &self,
        home: &Path,
        name: &str,
        url: &str,
        authorization: &str,
    ) -> anyhow::Result<()> {
        let header = format!("Authorization={authorization}");
        self.dockside_ok(
            home,
            &[
                "server",
                "add",
                name,
                "--catalog",
                "bench",
                "--url",
                url,
                "--header",
                &header,
                "--mode",
                "managed",
            ],
        )?;
        Ok(())
    }

    /// Sets a docker-mode server's idle timeout (seconds) in the state, through core.
    pub fn set_idle_timeout(&self, home: &Path, name: &str, secs: u64) -> anyhow::Result<()> {
        let mut ws = dockside_core::Workspace::load(dockside_core::home::Home::new(home))?;
        ws.state_mut().server_mut(name).docker.idle_timeout = Some(secs);
        ws.save()?;
        Ok(())
    }

    pub fn node_bin(&self, package: &str) -> PathBuf {
        self.peers.join("npm/node_modules/.bin").join(package)
    }
}

/// A running `dockside daemon` and how to reach it.
pub struct Daemon {
    pub proc: Proc,
    pub base: String,
    pub token: String,
    api: Conn,
}

impl Daemon {
    pub fn start(
        env: &Env,
        home: &Path,
        name: &str,
        vars: &[(&str, &Path)],
    ) -> anyhow::Result<Daemon> {
        let mut cmd = env.dockside_cmd(home);
        cmd.args(["daemon", "--port", "0"]);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let mut proc = Proc::spawn(name, cmd, &env.log(name))?;
        let info_path = home.join("daemon.json");
        let info: DaemonInfo = procs::poll(
            "waiting for daemon.json",
            Duration::from_secs(60),
            Duration::from_millis(20),
            || {
                proc.check_alive()?;
                let Ok(text) = std::fs::read_to_string(&info_path) else {
                    return Ok(None);
                };
                let info: DaemonInfo = match serde_json::from_str(&text) {
                    Ok(i) => i,
                    Err(_) => return Ok(None),
                };
                Ok((info.pid == proc.pid()).then_some(info))
            },
        )?;
        procs::wait_for_port(&mut proc, info.port, Duration::from_secs(30))?;
        let token = std::fs::read_to_string(home.join("token"))
            .context("reading the daemon's token")?
            .trim()
            .to_string();
        let base = info.base_url();
        let url = Url::parse(&base)?;
        Ok(Daemon {
            proc,
            base,
            token,
            api: Conn::new(url.addr, Duration::from_secs(120)),
        })
    }

    pub fn pid(&self) -> u32 {
        self.proc.pid()
    }

    pub fn auth(&self) -> String {
        format!("Bearer {}", self.token)
    }

    /// A control API call: status and JSON body.
    pub fn api(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let url = Url::parse(&format!("{}{path}", self.base))?;
        let auth = self.auth();
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut headers = vec![("Authorization", auth.as_str())];
        if !body.is_empty() {
            headers.push(("Content-Type", "application/json"));
        }
        let mut head = self.api.send(method, &url, &headers, body.as_bytes())?;
        let bytes = self.api.read_body(&mut head)?;
        let v = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Ok((head.status, v))
    }

    pub fn servers(&mut self) -> anyhow::Result<Vec<ServerStatus>> {
        let (status, v) = self.api("GET", "/api/servers", None)?;
        if status != 200 {
            bail!("GET /api/servers: HTTP {status}: {v}");
        }
        Ok(serde_json::from_value(v)?)
    }

    /// Waits until every named server runs.
    pub fn wait_running(&mut self, names: &[&str], timeout: Duration) -> anyhow::Result<()> {
        procs::poll(
            &format!("waiting for {names:?} to run"),
            timeout,
            Duration::from_millis(50),
            || {
                self.proc.check_alive()?;
                let servers = self.servers()?;
                let missing: Vec<String> = names
                    .iter()
                    .filter(|n| {
                        !servers
                            .iter()
                            .any(|s| s.name == **n && s.state == dockside_api::RunState::Running)
                    })
                    .map(|n| {
                        let s = servers.iter().find(|s| s.name == **n);
                        format!("{n}: {:?}", s.map(|s| (&s.state, &s.error)))
                    })
                    .collect();
                if missing.is_empty() {
                    Ok(Some(()))
                } else {
                    Err(anyhow!("not running yet: {}", missing.join("; ")))
                }
            },
        )
    }

    /// The MCP endpoint of one server (`/mcp/<server>`), or the aggregated one.
    pub fn target(&self, server: Option<&str>) -> Target {
        let url = match server {
            Some(s) => format!("{}/mcp/{s}", self.base),
            None => format!("{}/mcp", self.base),
        };
        Target::Http {
            url,
            headers: vec![("Authorization".into(), self.auth())],
        }
    }

    /// The same endpoint for a client of the stateless revision (2026-07-28).
    pub fn stateless_target(&self, server: Option<&str>) -> Target {
        match self.target(server) {
            Target::Http { url, headers } => Target::Stateless { url, headers },
            other => other,
        }
    }
}

/// Which side of the comparison a path is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Group {
    Direct,
    Dockside,
    Peer,
    /// Dockside with a change applied from outside, to show what a fix gives.
    Diagnosis,
    /// No gateway, for scale (e.g. the client running `docker run -i` itself).
    Reference,
}

/// One way for a client to reach the demo server's `echo`.
#[derive(Debug, Clone)]
pub struct PathDef {
    pub id: String,
    pub label: String,
    pub group: Group,
    pub target: Target,
    /// Version of the gateway on this path.
    pub version: String,
}

/// A started peer gateway (stopped when dropped).
pub struct Peer {
    pub _proc: Proc,
    pub path: PathDef,
}

fn npm_version(env: &Env, package: &str) -> String {
    let p = env
        .peers
        .join("npm/node_modules")
        .join(package)
        .join("package.json");
    std::fs::read_to_string(p)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| v["version"].as_str().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn pip_version(env: &Env, package: &str) -> String {
    procs::output(
        &env.peers.join("venv/bin/python").display().to_string(),
        &[
            "-c",
            &format!("import importlib.metadata as m; print(m.version('{package}'))"),
        ],
    )
}

/// The peers this harness knows, by id.
pub const PEERS: &[&str] = &["supergateway", "mcp-proxy-py", "mcp-hub", "mcp-proxy-npm"];

/// Starts one peer gateway in front of the demo server and waits until its `echo` answers.
pub fn start_peer(env: &Env, id: &str) -> anyhow::Result<Peer> {
    let demo = env.demo_server().display().to_string();
    let port = procs::free_port()?;
    let url = format!("http://127.0.0.1:{port}/mcp");
    let (cmd, label, version, target) = match id {
        "supergateway" => {
            let mut cmd = Command::new(env.node_bin("supergateway"));
            cmd.args([
                "--stdio",
                &demo,
                "--outputTransport",
                "streamableHttp",
                "--stateful",
                "--port",
                &port.to_string(),
                "--logLevel",
                "none",
            ]);
            (
                cmd,
                "supergateway --stateful (Streamable HTTP)",
                npm_version(env, "supergateway"),
                Target::Http {
                    url,
                    headers: vec![],
                },
            )
        }
        "mcp-proxy-py" => {
            let mut cmd = Command::new(env.peers.join("venv/bin/mcp-proxy"));
            cmd.args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--log-level",
                "WARNING",
                &demo,
            ]);
            (
                cmd,
                "mcp-proxy, PyPI (Streamable HTTP)",
                pip_version(env, "mcp-proxy"),
                Target::Http {
                    url,
                    headers: vec![],
                },
            )
        }
        "mcp-proxy-npm" => {
            let mut cmd = Command::new(env.node_bin("mcp-proxy"));
            cmd.args(["--host", "127.0.0.1", "--port", &port.to_string(), &demo]);
            (
                cmd,
                "mcp-proxy, npm (Streamable HTTP)",
                npm_version(env, "mcp-proxy"),
                Target::Http {
                    url,
                    headers: vec![],
                },
            )
        }
        "mcp-hub" => {
            let config = env.scratch.join("mcp-hub.json");
            std::fs::write(
                &config,
                serde_json::json!({"mcpServers": {"demo": {"command": demo, "args": []}}})
                    .to_string(),
            )?;
            let mut cmd = Command::new(env.node_bin("mcp-hub"));
            cmd.arg("--port")
                .arg(port.to_string())
                .arg("--config")
                .arg(&config);
            (
                cmd,
                "mcp-hub (legacy SSE)",
                npm_version(env, "mcp-hub"),
                Target::Sse {
                    url,
                    headers: vec![],
                },
            )
        }
        other => bail!("unknown peer {other}; known: {PEERS:?}"),
    };
    let mut cmd = cmd;
    env.isolate(&mut cmd);
    let mut proc = Proc::spawn(id, cmd, &env.log(id))?;
    procs::wait_for_port(&mut proc, port, Duration::from_secs(60))?;
    let path = PathDef {
        id: id.to_string(),
        label: label.to_string(),
        group: Group::Peer,
        target,
        version,
    };
    // mcp-hub starts its servers after it listens: wait until the tool is there.
    procs::poll(
        &format!("waiting for {id}'s echo tool"),
        Duration::from_secs(60),
        Duration::from_millis(200),
        || {
            proc.check_alive()?;
            let mut c = Client::connect(&path.target)?;
            let r = c.find_echo();
            c.close();
            r.map(Some)
        },
    )?;
    Ok(Peer { _proc: proc, path })
}

/// Whether the peers' install directory holds `id`.
pub fn peer_installed(env: &Env, id: &str) -> bool {
    match id {
        "mcp-proxy-py" => env.peers.join("venv/bin/mcp-proxy").is_file(),
        "supergateway" | "mcp-hub" | "mcp-proxy-npm" => {
            env.node_bin(id.trim_end_matches("-npm")).exists()
        }
        _ => false,
    }
}

/// Waits until no container of `server` started by the daemon `pid` runs; returns how long it
/// took.
pub fn wait_container_gone(server: &str, pid: u32, timeout: Duration) -> anyhow::Result<Duration> {
    let start = std::time::Instant::now();
    procs::poll(
        &format!("waiting for {server}'s container to stop"),
        timeout,
        Duration::from_millis(50),
        || {
            let out = procs::output(
                "docker",
                &[
                    "ps",
                    "-q",
                    "--filter",
                    &format!("label=dockside.server={server}"),
                    "--filter",
                    &format!("label=dockside.pid={pid}"),
                ],
            );
            Ok(out.is_empty().then_some(()))
        },
    )?;
    Ok(start.elapsed())
}

/// How many containers of `server` started by the daemon `pid` run.
pub fn containers_of(server: &str, pid: u32) -> usize {
    procs::output(
        "docker",
        &[
            "ps",
            "-q",
            "--filter",
            &format!("label=dockside.server={server}"),
            "--filter",
            &format!("label=dockside.pid={pid}"),
        ],
    )
    .lines()
    .count()
}
