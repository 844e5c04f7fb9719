//! Production for the servers people really run, end to end.
//!
//! Package servers: a Claude Desktop config holding the servers people really run —
//! `npx -y @modelcontextprotocol/server-everything` (npm) and `uvx mcp-server-time` (PyPI) — is
//! imported (both pinned from the real registries), switched to production (both in docker
//! mode, network `none`, from images built locally out of the package store), used by the
//! official TypeScript SDK client through the entries the file then holds; then, with every
//! registry pointed at a closed port, used again after a fresh daemon start (nothing downloaded);
//! then switched back, byte for byte.
//!
//! Network by host: a server that needs a host at start fails the pre-flight in docker mode
//! (network `none`) with a message naming the blocked network and the fix; with the host allowed
//! (`--allow-host`) it reaches it through the egress proxy, and nothing else.
//!
//! `docker run -i IMAGE` entries: imported as image servers (docker mode, same image, the token
//! of `-e` moved to the secret store), and run by the gateway through the client's new entry.
//!
//! Runtime images are built from host binaries (`docker_support`): no image registry is needed.

#[path = "gateway_support.rs"]
mod gateway_support;

#[path = "docker_support.rs"]
mod docker_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use docker_support::{demo_image, docker, inspect, node_image, python_image, serial};
use dockside_core::clients::{by_id, Entry};
use dockside_core::packages::Registry;
use dockside_core::{Home, Mode, Workspace};
use gateway_support::bin;
use serde_json::{json, Value};

/// The user's file: their two package servers, CRLF line ends and a non-ASCII description.
const CLAUDE: &str = "{\r\n  \"mcpServers\": {\r\n    \"everything\": {\r\n      \"command\": \"npx\",\r\n      \"args\": [\"-y\", \"@modelcontextprotocol/server-everything\"]\r\n    },\r\n    \"time\": {\r\n      \"command\": \"uvx\",\r\n      \"args\": [\"mcp-server-time\", \"--local-timezone\", \"Europe/Paris\"]\r\n    }\r\n  },\r\n  \"note\": \"réglages — 設定\"\r\n}\r\n";

/// A closed loopback port: every registry request fails at once.
const NO_REGISTRY: &str = "http://127.0.0.1:9/";

struct User {
    _dir: tempfile::TempDir,
    home: PathBuf,
    dockside_home: PathBuf,
}

impl User {
    fn new() -> User {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let user = User {
            dockside_home: home.join(".config/dockside"),
            home,
            _dir: dir,
        };
        let path = user.claude();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, CLAUDE).unwrap();
        user
    }

    /// A user with an empty Claude Desktop config and `npx -y server-everything` added (pinned)
    /// in `mode`.
    fn with_everything(mode: &str) -> User {
        let user = User::new();
        std::fs::write(user.claude(), "{\"mcpServers\": {}}\n").unwrap();
        user.run(&[
            "server",
            "add",
            "everything",
            "--mode",
            mode,
            "--",
            "npx",
            "-y",
            "@modelcontextprotocol/server-everything",
        ]);
        user
    }

    fn claude(&self) -> PathBuf {
        self.home.join(".config/Claude/claude_desktop_config.json")
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("HOME", self.home.display().to_string()),
            (
                "XDG_CONFIG_HOME",
                self.home.join(".config").display().to_string(),
            ),
            ("DOCKSIDE_HOME", self.dockside_home.display().to_string()),
            ("DOCKSIDE_SECRET_STORE", "file".into()),
        ]
    }

    fn output(&self, args: &[&str], extra: &[(&str, String)]) -> Output {
        Command::new(bin("dockside"))
            .envs(self.env())
            .envs(extra.iter().map(|(k, v)| (*k, v.as_str())))
            .env_remove("DOCKSIDE_LAUNCHER")
            .args(args)
            .output()
            .expect("run dockside")
    }

    /// `dockside ARGS`: whether it succeeded, and its stdout and stderr.
    fn attempt(&self, args: &[&str]) -> (bool, String) {
        let out = self.output(args, &[]);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }

    fn run(&self, args: &[&str]) -> String {
        let (ok, text) = self.attempt(args);
        assert!(ok, "`dockside {}` failed:\n{text}", args.join(" "));
        text
    }

    /// Stops the daemon, switches back to development and checks the user's file came back byte
    /// for byte.
    fn back_to_development(&self, before: &[u8]) {
        self.run(&["stop"]);
        self.run(&["switch", "development"]);
        assert_eq!(std::fs::read(self.claude()).unwrap(), before);
    }

    fn workspace(&self) -> Workspace {
        Workspace::load(Home::new(&self.dockside_home)).unwrap()
    }

    /// Calls one tool through the client file's entry `name`, launched exactly as the file says
    /// (plus `extra` environment), with the official TypeScript SDK client.
    fn call(&self, name: &str, tool: &str, args: Value, extra: &[(&str, String)]) -> Value {
        let doc = self.call_doc(name, tool, args, extra);
        assert_eq!(doc["ok"], true, "{name}: {doc:#}");
        doc["results"][0]["result"].clone()
    }

    /// [`User::call`]'s whole harness answer, whether the call succeeded or not.
    fn call_doc(&self, name: &str, tool: &str, args: Value, extra: &[(&str, String)]) -> Value {
        let spec = by_id("claude-desktop").unwrap();
        let text = std::fs::read_to_string(self.claude()).unwrap();
        let doc =
            dockside_core::fsedit::open(spec.format, &spec.container(), &self.claude(), &text)
                .unwrap();
        let (_, value) = doc.entries().into_iter().find(|(n, _)| n == name).unwrap();
        let Some(Entry::Stdio(cmd)) = spec.shape.decode(&value) else {
            panic!("{name} is not a stdio entry: {value}")
        };
        let mut env: serde_json::Map<String, Value> = self
            .env()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), json!(v)))
            .collect();
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), json!(v))));
        env.extend(cmd.env.iter().map(|(k, v)| (k.clone(), json!(v))));
        dockside_e2e::mcp_client(&json!({
            "connect": {"command": cmd.command, "args": cmd.args, "env": env, "stderr": "capture"},
            "timeoutMs": 120000,
            "steps": [{"op": "callTool", "name": tool, "arguments": args}],
        }))
    }

    /// The running daemon's event stream, recorded from now on.
    fn events(&self) -> gateway_support::EventLog {
        let home = Home::new(&self.dockside_home);
        let info = dockside_api::read_info(&home).expect("the daemon runs");
        let token = dockside_api::read_token(&home).expect("the daemon's token");
        gateway_support::EventLog::open(&format!("{}:{}", info.host, info.port), &token)
    }
}

/// Every file under `dir` with its size, sorted.
fn listing(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let meta = std::fs::symlink_metadata(e.path()).unwrap();
            if meta.is_dir() {
                stack.push(e.path());
            } else {
                out.push((e.path(), meta.len()));
            }
        }
    }
    out.sort();
    out
}

/// Every image id on the engine, sorted (`docker images` orders images made in the same second
/// arbitrarily).
fn image_ids() -> Vec<String> {
    let mut ids: Vec<String> = (docker(&["images", "-q", "--no-trunc"]).lines())
        .map(str::to_owned)
        .collect();
    ids.sort();
    ids
}

fn text(result: &Value) -> String {
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The network mode of the running containers of `server`.
fn networks(server: &str) -> Vec<String> {
    let label = format!("label=dockside.server={server}");
    let ids = docker(&["ps", "-q", "--no-trunc", "--filter", &label]);
    ids.lines()
        .map(|id| {
            inspect(id)["HostConfig"]["NetworkMode"]
                .as_str()
                .unwrap_or("?")
                .to_owned()
        })
        .collect()
}

#[test]
fn npm_and_pypi_packages_run_pinned_in_docker_offline_and_switch_back_byte_for_byte() {
    let _docker = serial();
    let user = User::new();
    // Images of earlier runs would hide the build.
    let old = docker(&["images", "-q", "dockside-pkg/*"]);
    for id in old.lines() {
        docker(&["rmi", "-f", id]);
    }

    // 1. Import pins both from the real registries.
    let out = user.run(&["client", "import", "claude-desktop"]);
    assert!(
        out.contains("everything: pinned npm:@modelcontextprotocol/server-everything@"),
        "{out}"
    );
    assert!(out.contains("time: pinned PyPI:mcp-server-time@"), "{out}");
    let ws = user.workspace();
    let npm = ws
        .server("everything")
        .unwrap()
        .server
        .package()
        .cloned()
        .unwrap();
    let pypi = ws
        .server("time")
        .unwrap()
        .server
        .package()
        .cloned()
        .unwrap();
    assert_eq!(
        (npm.registry, npm.entry.as_str()),
        (Registry::Npm, "dist/index.js")
    );
    assert!(
        npm.integrity.as_deref().unwrap().starts_with("sha512-"),
        "{npm:?}"
    );
    assert_eq!(
        (pypi.registry, pypi.entry.as_str()),
        (Registry::Pypi, "mcp-server-time")
    );
    assert!(
        pypi.integrity.as_deref().unwrap().starts_with("sha256:"),
        "{pypi:?}"
    );

    // Runtime images from host binaries stand in for node:22-slim and python:3.x-slim.
    user.run(&[
        "server",
        "edit",
        "everything",
        "--runtime-image",
        node_image(),
    ]);
    user.run(&["server", "edit", "time", "--runtime-image", python_image()]);
    user.run(&["client", "connect", "claude-desktop"]);
    let before = std::fs::read(user.claude()).unwrap();
    assert_eq!(
        before,
        CLAUDE.as_bytes(),
        "connect adopted the entries in place"
    );

    // 2. Production: installed, built, both in docker mode.
    let out = user.run(&["switch", "production", "--yes"]);
    assert!(
        out.contains("installing npm:@modelcontextprotocol/server-everything@"),
        "{out}"
    );
    assert!(
        out.contains("building dockside-pkg/npm-modelcontextprotocol-server-everything:"),
        "{out}"
    );
    assert!(
        out.contains("building dockside-pkg/pypi-mcp-server-time:"),
        "{out}"
    );
    let ws = user.workspace();
    for name in ["everything", "time"] {
        assert_eq!(ws.server(name).unwrap().state.mode, Mode::Docker, "{name}");
    }
    let echo = user.call("everything", "echo", json!({"message": "pinned é€😀"}), &[]);
    assert_eq!(text(&echo), "Echo: pinned é€😀");
    let now = user.call(
        "time",
        "get_current_time",
        json!({"timezone": "Asia/Tokyo"}),
        &[],
    );
    assert!(text(&now).contains("Asia/Tokyo"), "{now}");
    for name in ["everything", "time"] {
        let nets = networks(name);
        assert!(
            !nets.is_empty() && nets.iter().all(|n| n == "none"),
            "{name}: {nets:?}"
        );
    }

    // 3. Stop, make every registry unreachable, start again through the clients' entries.
    user.run(&["stop"]);
    let store = user.dockside_home.join("packages");
    let stored = listing(&store);
    let images = image_ids();
    let offline = [
        ("npm_config_registry", NO_REGISTRY.to_owned()),
        ("PIP_INDEX_URL", format!("{NO_REGISTRY}simple")),
        ("PIP_FIND_LINKS", String::new()),
        ("UV_INDEX_URL", format!("{NO_REGISTRY}simple")),
    ];
    let resolve = user.output(&["server", "update", "everything", "--check"], &offline);
    let said = String::from_utf8_lossy(&resolve.stdout);
    assert!(
        said.contains("cannot resolve npm package `@modelcontextprotocol/server-everything@latest` from http://127.0.0.1:9/"),
        "the registry really is unreachable, and the error names the package and the registry: {said}"
    );
    let echo = user.call(
        "everything",
        "echo",
        json!({"message": "offline"}),
        &offline,
    );
    assert_eq!(text(&echo), "Echo: offline");
    let now = user.call(
        "time",
        "get_current_time",
        json!({"timezone": "Europe/Paris"}),
        &offline,
    );
    assert!(text(&now).contains("Europe/Paris"), "{now}");
    assert_eq!(listing(&store), stored, "nothing was installed again");
    assert_eq!(image_ids(), images, "no image was pulled or built");
    user.back_to_development(&before);
}

#[test]
fn a_server_that_needs_a_host_is_told_how_to_allow_it_and_then_reaches_only_that_host() {
    let _docker = serial();
    let user = User::new();
    std::fs::write(user.claude(), "{\"mcpServers\": {}}\n").unwrap();
    let api = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (api, other) = (
        api.local_addr().unwrap().to_string(),
        other.local_addr().unwrap().to_string(),
    );
    let script = dockside_e2e::workspace_root().join("tests/fixtures/node-server/server.js");
    user.run(&[
        "server",
        "add",
        "fetcher",
        "--mode",
        "native",
        "--env",
        &format!("NEEDS_HOST={api}"),
        "--runtime-image",
        node_image(),
        "--",
        "node",
        &script.display().to_string(),
    ]);
    user.run(&["client", "connect", "claude-desktop"]);
    let before = std::fs::read(user.claude()).unwrap();

    // Network `none`: the review says so, the pre-flight names the blocked network and the fix.
    let (ok, out) = user.attempt(&["switch", "production", "--yes"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("fetcher") && out.contains("network none"),
        "the review shows the policy: {out}"
    );
    assert!(out.contains("the network is blocked"), "{out}");
    assert!(
        out.contains(&format!("--allow-host fetcher={api}")),
        "{out}"
    );
    assert_eq!(
        std::fs::read(user.claude()).unwrap(),
        before,
        "nothing was switched"
    );

    // Managed mode offered instead: the switch goes ahead with it on the host.
    let out = user.run(&["switch", "production", "--yes", "--else-managed"]);
    assert!(
        out.contains("fetcher: managed mode instead of docker"),
        "{out}"
    );
    assert_eq!(
        user.workspace().server("fetcher").unwrap().state.mode,
        Mode::Managed
    );
    user.back_to_development(&before);

    // The host allowed: it starts, reaches that host through the proxy, and no other.
    let allow = format!("fetcher={api}");
    let out = user.run(&["switch", "production", "--yes", "--allow-host", &allow]);
    assert!(out.contains(&format!("network only {api}")), "{out}");
    let reached = user.call("fetcher", "proxy_connect", json!({"target": api}), &[]);
    assert!(text(&reached).starts_with("HTTP/1.1 200"), "{reached}");
    let refused = user.call("fetcher", "proxy_connect", json!({"target": other}), &[]);
    assert!(text(&refused).starts_with("HTTP/1.1 403"), "{refused}");
    let direct = user.call("fetcher", "tcp_connect", json!({"target": api}), &[]);
    assert!(
        text(&direct).starts_with("failed"),
        "no way around the proxy: {direct}"
    );
    user.back_to_development(&before);
}

#[test]
fn a_docker_run_entry_becomes_an_image_server_with_its_token_in_the_store() {
    let _docker = serial();
    let user = User::new();
    let token = "ghp_D0cks1deT3stT0ken0000000000000000000";
    let config = format!(
        "{{\r\n  \"mcpServers\": {{\r\n    \"demo\": {{\r\n      \"command\": \"docker\",\r\n      \"args\": [\"run\", \"-i\", \"--rm\", \"-e\", \"GITHUB_PERSONAL_ACCESS_TOKEN\", \"-e\", \"DEMO_MODE=ünïcode\", \"{}\"],\r\n      \"env\": {{\"GITHUB_PERSONAL_ACCESS_TOKEN\": \"{token}\"}}\r\n    }}\r\n  }}\r\n}}\r\n",
        demo_image()
    );
    std::fs::write(user.claude(), &config).unwrap();
    let out = user.run(&["client", "import", "claude-desktop"]);
    assert!(
        out.contains("demo: imported into catalog `imported` (docker)"),
        "{out}"
    );
    let ws = user.workspace();
    let demo = ws.server("demo").unwrap();
    assert_eq!(demo.server.image.as_deref(), Some(demo_image()));
    assert_eq!(demo.state.mode, Mode::Docker);
    let secrets: Vec<&str> = (demo.server.secrets.iter().flatten())
        .map(|s| s.env.as_str())
        .collect();
    assert_eq!(secrets, ["GITHUB_PERSONAL_ACCESS_TOKEN"]);

    // The user's `docker run` entry differs from the gateway entry: connect leaves it alone unless
    // adopted (it is kept, and disconnect puts it back).
    user.run(&["client", "connect", "claude-desktop", "--adopt"]);
    let text_now = std::fs::read_to_string(user.claude()).unwrap();
    assert!(
        text_now.contains("\"connect\", \"--server\", \"demo\""),
        "{text_now}"
    );
    let env = user.call("demo", "env", json!({}), &[]);
    let names = text(&env);
    assert!(
        names.lines().any(|l| l == "GITHUB_PERSONAL_ACCESS_TOKEN"),
        "{names}"
    );
    assert!(names.lines().any(|l| l == "DEMO_MODE"), "{names}");
    // A call that carries the token is refused (the scanner knows every stored value), and the
    // refusal, the daemon's events and the server's logs never show it.
    let events = user.events();
    let refused = user.call_doc(
        "demo",
        "echo",
        json!({"message": format!("leak {token}")}),
        &[],
    );
    let refused = refused.to_string();
    assert!(
        refused.contains("secret") && !refused.contains(token),
        "{refused}"
    );
    let mark = events.mark();
    user.run(&["server", "restart", "demo"]);
    events.wait(mark, "server-started", "demo");
    user.call("demo", "env", json!({}), &[]);
    let seen = serde_json::to_string(&events.events()).unwrap();
    assert!(seen.contains("\"demo\""), "events were recorded: {seen}");
    assert!(!seen.contains(token), "an event holds the token: {seen}");
    let logs = user.run(&["logs", "demo"]);
    assert!(!logs.contains(token), "the logs hold the token: {logs}");
    drop(events);
    user.run(&["stop"]);
    for (path, _) in listing(&user.home) {
        if path.file_name().is_some_and(|n| n == "secrets.json") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let found = bytes.windows(token.len()).any(|w| w == token.as_bytes());
        let is_user_backup = path.starts_with(user.dockside_home.join("backups"));
        assert!(
            !found || is_user_backup,
            "the token is in {}",
            path.display()
        );
    }
    user.run(&["client", "disconnect", "claude-desktop"]);
    assert_eq!(std::fs::read_to_string(user.claude()).unwrap(), config);
}

#[test]
fn the_app_s_update_moves_a_running_package_server_to_the_newest_version_installed_first() {
    let user = User::with_everything("off");
    let pinned = |user: &User| {
        let ws = user.workspace();
        let entry = ws.server("everything").unwrap();
        entry.server.package().unwrap().version.clone()
    };
    let newest = pinned(&user);
    // A pin from a while ago, installed and running in managed mode.
    let old = "2026.1.14";
    assert_ne!(newest, old, "the registry's newest is not the old pin");
    let mut ws = user.workspace();
    let asked = format!("@modelcontextprotocol/server-everything@{old}");
    let invocation = dockside_core::packages::detect(&["npx".into(), "-y".into(), asked]).unwrap();
    let package = ws.packages().resolve(&invocation).unwrap();
    dockside_core::packages::pin::set(&mut ws, "everything", package).unwrap();
    ws.save().unwrap();
    user.run(&["server", "mode", "everything", "managed"]);
    user.run(&["client", "connect", "claude-desktop"]);
    let echo = |user: &User| text(&user.call("everything", "echo", json!({"message": "ü"}), &[]));
    assert!(echo(&user).contains('ü'));

    let home = Home::new(&user.dockside_home);
    let info = dockside_api::read_info(&home).expect("the daemon runs");
    let addr = format!("{}:{}", info.host, info.port);
    let token = dockside_api::read_token(&home).unwrap();
    let post = |check: bool| {
        gateway_support::api(
            &addr,
            &token,
            "POST",
            "/api/servers/everything/package",
            Some(&json!({"check": check})),
        )
    };
    // Check: the newest is shown, nothing moves.
    let (status, body) = post(true);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["from"], old, "{body}");
    assert_eq!(body["to"], newest.as_str(), "{body}");
    assert_eq!(body["updated"], false, "{body}");
    assert_eq!(pinned(&user), old);

    // Update: installed into the store first, then the pin moves and the server runs it.
    let (status, body) = post(false);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["updated"], true, "{body}");
    assert_eq!(pinned(&user), newest);
    let ws = user.workspace();
    let package = ws
        .server("everything")
        .unwrap()
        .server
        .package()
        .unwrap()
        .clone();
    assert!(
        ws.packages().is_installed(&package),
        "{package:?} is not installed"
    );
    let (_, servers) = gateway_support::api(&addr, &token, "GET", "/api/servers", None);
    let server = servers
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == "everything"))
        .cloned()
        .unwrap_or_default();
    let pid = server["pid"]
        .as_u64()
        .unwrap_or_else(|| panic!("{servers}"));
    #[cfg(target_os = "linux")]
    {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
        let cmdline = String::from_utf8_lossy(&cmdline);
        assert!(cmdline.contains(&newest), "runs {cmdline}");
    }
    assert!(echo(&user).contains('ü'));

    // A server that runs no package says so.
    let (status, body) = gateway_support::api(
        &addr,
        &token,
        "POST",
        "/api/servers/nope/package",
        Some(&json!({"check": true})),
    );
    assert_eq!(status, 404, "{body}");
    user.run(&["stop"]);
}

#[test]
fn native_mode_runs_the_launcher_as_written_or_the_pinned_install_when_asked() {
    let user = User::with_everything("native");
    user.run(&["client", "connect", "claude-desktop"]);
    let entry = |user: &User| -> Value {
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(user.claude()).unwrap()).unwrap();
        doc["mcpServers"]["everything"].clone()
    };
    assert_eq!(entry(&user)["command"], "npx", "{}", entry(&user));

    // Asked for: installed first, then the entry runs the install, with no registry reachable.
    let out = user.run(&["server", "edit", "everything", "--native-pinned"]);
    assert!(out.contains("updated everything"), "{out}");
    let pinned = entry(&user);
    assert_eq!(pinned["command"], "node", "{pinned}");
    let script = pinned["args"][0].as_str().unwrap_or_default();
    assert!(
        script.starts_with(
            &user
                .dockside_home
                .join("packages/npm")
                .display()
                .to_string()
        ),
        "{pinned}"
    );
    let offline = [("npm_config_registry", NO_REGISTRY.to_owned())];
    let echo = user.call("everything", "echo", json!({"message": "ß"}), &offline);
    assert!(text(&echo).contains('ß'), "{echo}");

    // Undone: the launcher command as the user wrote it.
    user.run(&["server", "edit", "everything", "--native-pinned=false"]);
    assert_eq!(entry(&user)["command"], "npx", "{}", entry(&user));
}
