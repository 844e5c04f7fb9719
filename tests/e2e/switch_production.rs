//! The production switch end to end, in temporary HOMEs with real client files (Claude Desktop,
//! OpenCode, Codex), a real dockerd and the daemon running; clients are the official TypeScript
//! SDK launching exactly the command and arguments their config file holds.
//!
//! Fixtures: `tests/fixtures/switch` (see its README). Every test takes the docker tests' shared
//! [`serial`] lock.

#[path = "gateway_support.rs"]
mod gateway_support;

#[path = "docker_support.rs"]
mod docker_support;

#[path = "docker_registry.rs"]
mod docker_registry;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use docker_support::{docker_ok, empty_image, node_image, serial, static_demo_binary};
use dockside_core::clients::{by_id, Entry};
use dockside_core::{Home, Mode, Profile, Workspace};
use gateway_support::{bin, EventLog, HttpGateway, Mark};
use serde_json::{json, Value};

/// The three clients, in the order Dockside writes them.
const CLIENTS: [&str; 3] = ["claude-desktop", "codex", "opencode"];

fn fixtures() -> PathBuf {
    dockside_e2e::workspace_root().join("tests/fixtures")
}

/// A temporary user HOME holding the three client files, and its Dockside home.
struct Setup {
    _dir: tempfile::TempDir,
    home: PathBuf,
    dockside_home: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let demo = static_demo_binary();
        let node_server = fixtures().join("node-server/server.js");
        let s = Setup {
            dockside_home: home.join(".config/dockside"),
            home,
            _dir: dir,
        };
        for (client, fixture) in [
            ("claude-desktop", "claude_desktop_config.json"),
            ("codex", "config.toml"),
            ("opencode", "opencode.json"),
        ] {
            let text = std::fs::read_to_string(fixtures().join("switch/clients").join(fixture))
                .unwrap()
                .replace("@DEMO@", &demo.display().to_string())
                .replace("@NODE_SERVER@", &node_server.display().to_string());
            let path = s.path(client);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        s
    }

    fn path(&self, client: &str) -> PathBuf {
        match client {
            "claude-desktop" => self.home.join(".config/Claude/claude_desktop_config.json"),
            "codex" => self.home.join(".codex/config.toml"),
            "opencode" => self.home.join(".config/opencode/opencode.json"),
            _ => unreachable!(),
        }
    }

    /// The environment every process of this user gets.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("HOME", self.home.display().to_string()),
            (
                "XDG_CONFIG_HOME",
                self.home.join(".config").display().to_string(),
            ),
            ("CODEX_HOME", self.home.join(".codex").display().to_string()),
            ("DOCKSIDE_HOME", self.dockside_home.display().to_string()),
            ("DOCKSIDE_SECRET_STORE", "file".into()),
        ]
    }

    fn dockside(&self) -> Command {
        let mut c = Command::new(bin("dockside"));
        c.envs(self.env()).env_remove("DOCKSIDE_LAUNCHER");
        c
    }

    fn output(&self, args: &[&str], extra_env: &[(&str, &str)]) -> Output {
        self.dockside()
            .args(args)
            .envs(extra_env.iter().copied())
            .output()
            .expect("run dockside")
    }

    /// Runs `dockside ARGS`, which must succeed; returns its stdout.
    fn run(&self, args: &[&str]) -> String {
        let out = self.output(args, &[]);
        assert!(
            out.status.success(),
            "`dockside {}` failed:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs `dockside ARGS`, which must fail; returns stdout + stderr.
    fn fail(&self, args: &[&str], extra_env: &[(&str, &str)]) -> String {
        let out = self.output(args, extra_env);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !out.status.success(),
            "`dockside {}` should have failed:\n{text}",
            args.join(" ")
        );
        text
    }

    /// Import the clients' servers, keep the user's `notes` out of Dockside, give each server
    /// a local image for docker mode, and connect (adopt) the three clients.
    fn adopt(&self) {
        self.run(&["client", "import", "--all"]);
        self.run(&["server", "remove", "notes"]);
        self.run(&["server", "edit", "demo", "--runtime-image", empty_image()]);
        self.run(&["server", "edit", "node", "--runtime-image", node_image()]);
        for c in CLIENTS {
            self.run(&["client", "connect", c, "--adopt"]);
        }
    }

    /// Every client file's bytes, and the state's.
    fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>)> {
        CLIENTS
            .iter()
            .map(|c| self.path(c))
            .chain([self.dockside_home.join("state.yaml")])
            .map(|p| {
                let bytes = std::fs::read(&p).unwrap();
                (p, bytes)
            })
            .collect()
    }

    fn assert_unchanged(&self, before: &[(PathBuf, Vec<u8>)]) {
        for (path, bytes) in before {
            assert!(
                std::fs::read(path).unwrap() == *bytes,
                "{} changed:\n{}",
                path.display(),
                std::fs::read_to_string(path).unwrap()
            );
        }
    }

    fn workspace(&self) -> Workspace {
        Workspace::load(Home::new(&self.dockside_home)).unwrap()
    }

    fn daemon(&self) -> HttpGateway {
        let mut cmd = self.dockside();
        cmd.arg("daemon");
        HttpGateway::start(cmd)
    }

    /// The entries of a client's file, decoded.
    fn entries(&self, client: &str) -> BTreeMap<String, (Value, Entry)> {
        let spec = by_id(client).unwrap();
        let path = self.path(client);
        let text = std::fs::read_to_string(&path).unwrap();
        let doc = dockside_core::fsedit::open(spec.format, &spec.container(), &path, &text)
            .unwrap_or_else(|e| panic!("{e}"));
        doc.entries()
            .into_iter()
            .map(|(name, v)| {
                let entry = spec
                    .shape
                    .decode(&v)
                    .unwrap_or_else(|| panic!("{client}: cannot read entry {name}: {v}"));
                (name, (v, entry))
            })
            .collect()
    }

    /// The tools each entry of a client's file lists, launched exactly as the file says.
    fn tools(&self, client: &str) -> BTreeMap<String, Vec<String>> {
        let mut out = BTreeMap::new();
        for (name, (_, entry)) in self.entries(client) {
            let Entry::Stdio(cmd) = entry else {
                panic!("{client}: {name} is not a stdio entry")
            };
            let mut env: serde_json::Map<String, Value> = self
                .env()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), json!(v)))
                .collect();
            for (k, v) in &cmd.env {
                env.insert(k.clone(), json!(v));
            }
            let doc = dockside_e2e::mcp_client(&json!({
                "connect": {"command": cmd.command, "args": cmd.args, "env": env, "stderr": "capture"},
                "timeoutMs": 90000,
                "steps": [{"op": "listTools"}],
            }));
            assert_eq!(doc["ok"], true, "{client}: {name}: {doc:#}");
            let mut names: Vec<String> = doc["results"][0]["result"]["tools"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].as_str().unwrap().to_owned())
                .collect();
            names.sort();
            out.insert(name, names);
        }
        out
    }
}

/// Applies a unified diff (as `similar` writes it) to `old`.
fn apply_diff(old: &str, diff: &str) -> String {
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let mut out = String::new();
    let mut pos = 0;
    for line in diff.split_inclusive('\n') {
        if line.starts_with("--- ") || line.starts_with("+++ ") || line.starts_with('\\') {
            continue;
        }
        if let Some(h) = line.strip_prefix("@@ -") {
            let start: usize = h.split([',', ' ']).next().unwrap().parse().unwrap();
            while pos + 1 < start {
                out.push_str(old_lines[pos]);
                pos += 1;
            }
            continue;
        }
        match line.as_bytes().first() {
            Some(b' ') => {
                assert_eq!(&line[1..], old_lines[pos], "context line");
                out.push_str(old_lines[pos]);
                pos += 1;
            }
            Some(b'-') => {
                assert_eq!(&line[1..], old_lines[pos], "removed line");
                pos += 1;
            }
            Some(b'+') => out.push_str(&line[1..]),
            _ => panic!("not a diff line: {line:?}"),
        }
    }
    for l in &old_lines[pos..] {
        out.push_str(l);
    }
    out
}

/// The diff of each file in `dockside switch production --dry-run`'s output, by path.
fn diffs(stdout: &str) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut rest = stdout;
    while let Some(i) = rest.find("--- a/") {
        rest = &rest[i..];
        let path = rest["--- a".len()..].lines().next().unwrap().to_owned();
        let end = rest[1..].find("--- a/").map_or(rest.len(), |j| j + 1);
        out.insert(PathBuf::from(path), rest[..end].to_owned());
        rest = &rest[end..];
    }
    out
}

fn mode(ws: &Workspace, name: &str) -> Mode {
    ws.server(name).unwrap().state.mode
}

#[test]
fn production_and_back_keeps_tools_user_entries_and_bytes() {
    let _serial = serial();
    let s = Setup::new();
    s.adopt();
    let before = s.snapshot();
    let tools_before: Vec<_> = CLIENTS.iter().map(|c| s.tools(c)).collect();
    for t in &tools_before {
        assert!(t["demo"].contains(&"echo".to_owned()), "{t:?}");
        assert!(t["node"].contains(&"write_file".to_owned()), "{t:?}");
    }
    let _daemon = s.daemon();

    // The dry run: the plan and a diff per file; nothing written.
    let dry = s.run(&["switch", "production", "--dry-run"]);
    s.assert_unchanged(&before);
    assert!(!s.dockside_home.join("switches").exists());
    assert!(dry.contains("native   -> docker"), "{dry}");
    assert!(dry.contains("your own entries, left alone: notes"), "{dry}");
    let dry_diffs = diffs(&dry);
    assert_eq!(dry_diffs.len(), 3, "{dry}");

    // The switch.
    let out = s.run(&["switch", "production", "--yes", "--calls", "10"]);
    eprintln!("{out}");
    assert!(out.contains("switched to production"), "{out}");
    assert!(
        out.contains("overhead"),
        "the pre-flight reports latency: {out}"
    );
    let ws = s.workspace();
    assert_eq!(ws.state().profile, Profile::Production);
    assert_eq!(mode(&ws, "demo"), Mode::Docker);
    assert_eq!(mode(&ws, "node"), Mode::Docker);
    let status: Value = serde_json::from_str(&s.run(&["status", "--json"])).expect("status --json");
    for name in ["demo", "node"] {
        let server = status["status"]["servers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .unwrap_or_else(|| panic!("{name} not in the daemon: {status:#}"));
        assert_eq!(server["mode"], "docker", "{server}");
        assert_eq!(server["state"], "running", "{server}");
    }

    let dockside = bin("dockside").display().to_string();
    for (i, c) in CLIENTS.iter().enumerate() {
        let path = s.path(c);
        let old = String::from_utf8(before[i].1.clone()).unwrap();
        let new = std::fs::read_to_string(&path).unwrap();
        // The dry run's diff is exactly what was written.
        assert_eq!(
            apply_diff(&old, &dry_diffs[&path]),
            new,
            "{}",
            path.display()
        );
        // Gateway entries under the servers' own names, the user's entry untouched.
        let entries = s.entries(c);
        assert_eq!(
            entries.keys().collect::<Vec<_>>(),
            ["demo", "node", "notes"],
            "{new}"
        );
        for name in ["demo", "node"] {
            let Entry::Stdio(cmd) = &entries[name].1 else {
                panic!()
            };
            assert_eq!(cmd.command, dockside, "{new}");
            assert_eq!(cmd.args, ["connect", "--server", name], "{new}");
        }
        let Entry::Stdio(notes) = &entries["notes"].1 else {
            panic!()
        };
        assert_eq!(notes.args, ["--name", "notes"], "{new}");
        assert!(!new.contains("node-server/server.js"), "{new}");
    }
    // Read without Dockside's adapters too: Claude Desktop's file is plain JSON.
    let claude: Value =
        serde_json::from_str(&std::fs::read_to_string(s.path("claude-desktop")).unwrap()).unwrap();
    assert_eq!(
        claude["mcpServers"]["demo"],
        json!({"command": dockside, "args": ["connect", "--server", "demo"]})
    );
    assert_eq!(claude["globalShortcut"], "Ctrl+Space");
    let opencode = std::fs::read_to_string(s.path("opencode")).unwrap();
    for comment in [
        "// my default model",
        "// my own notes server: not Dockside's business",
    ] {
        assert!(opencode.contains(comment), "{opencode}");
    }
    let codex = std::fs::read_to_string(s.path("codex")).unwrap();
    for comment in [
        "# Codex configuration",
        "# ask before running commands",
        "# my own notes server: not Dockside's business",
        "# Profiles",
    ] {
        assert!(codex.contains(comment), "{codex}");
    }

    // Every client sees the same tools through its entries as before.
    for (i, c) in CLIENTS.iter().enumerate() {
        assert_eq!(s.tools(c), tools_before[i], "{c}");
    }

    // History, then back to development: the files byte for byte, the modes as they were.
    let history = s.run(&["switch", "history"]);
    assert!(history.contains("production applied"), "{history}");
    let out = s.run(&["switch", "development"]);
    assert!(out.contains("undid switch"), "{out}");
    for (path, bytes) in &before[..3] {
        assert!(
            std::fs::read(path).unwrap() == *bytes,
            "{} is not restored byte for byte:\n{}",
            path.display(),
            std::fs::read_to_string(path).unwrap()
        );
    }
    let ws = s.workspace();
    assert_eq!(ws.state().profile, Profile::Development);
    assert_eq!(mode(&ws, "demo"), Mode::Native);
    assert_eq!(mode(&ws, "node"), Mode::Native);
    let history = s.run(&["switch", "history"]);
    assert!(history.contains("undone"), "{history}");

    // `rollback` undoes the last switch (here: back to production), then that one.
    s.run(&["switch", "rollback"]);
    assert_eq!(s.workspace().state().profile, Profile::Production);
    assert!(std::fs::read_to_string(s.path("codex"))
        .unwrap()
        .contains("\"--server\""));
    let records: Value = serde_json::from_str(&s.run(&["switch", "history", "--json"])).unwrap();
    let last = records.as_array().unwrap().last().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.run(&["switch", "rollback", &last]);
    assert_eq!(s.workspace().state().profile, Profile::Development);
    s.assert_unchanged(&before[..3]);
}

#[test]
fn a_write_failure_on_the_third_file_restores_the_first_two() {
    let _serial = serial();
    let s = Setup::new();
    s.adopt();
    let before = s.snapshot();
    let third = s.path(CLIENTS[2]);
    let out = s.fail(
        &["switch", "production", "--yes", "--calls", "3"],
        &[("DOCKSIDE_FAULT_WRITE", third.to_str().unwrap())],
    );
    assert!(out.contains("DOCKSIDE_FAULT_WRITE"), "{out}");
    assert!(out.contains("opencode.json"), "{out}");
    s.assert_unchanged(&before);
    let history = s.run(&["switch", "history"]);
    assert!(history.contains("production failed"), "{history}");
    // And nothing is left to undo.
    let out = s.run(&["switch", "development"]);
    assert!(out.contains("already in development"), "{out}");
    s.assert_unchanged(&before);
}

#[test]
fn pre_flight_failures_change_nothing_and_say_why() {
    let _serial = serial();
    // A server whose image cannot be built.
    let s = Setup::new();
    s.adopt();
    let script = fixtures().join("switch/unbuildable/server.sh");
    s.run(&[
        "server",
        "add",
        "broken",
        "--mode",
        "native",
        "--",
        script.to_str().unwrap(),
    ]);
    let before = s.snapshot();
    let out = s.fail(&["switch", "production", "--yes"], &[]);
    assert!(
        out.contains("building image dockside/broken:local"),
        "{out}"
    );
    assert!(out.contains("nothing was changed"), "{out}");
    s.assert_unchanged(&before);

    // A tool the server offers natively but not in docker mode.
    let s = Setup::new();
    s.adopt();
    let notes = s.home.join("notes.txt");
    std::fs::write(&notes, "remember the milk").unwrap();
    let server = fixtures().join("switch/host-tools/server.js");
    s.run(&[
        "server",
        "add",
        "hosttools",
        "--mode",
        "native",
        "--runtime-image",
        node_image(),
        "--env",
        &format!("NOTES_FILE={}", notes.display()),
        "--",
        "node",
        server.to_str().unwrap(),
    ]);
    let before = s.snapshot();
    let out = s.fail(&["switch", "production", "--yes", "--calls", "3"], &[]);
    eprintln!("{out}");
    assert!(
        out.contains("hosttools: in docker mode it does not offer `read_notes`"),
        "{out}"
    );
    s.assert_unchanged(&before);
    assert!(
        !Path::new(&s.dockside_home.join("switches")).exists() || {
            let h = s.run(&["switch", "history"]);
            !h.contains("applied")
        }
    );
}

#[test]
fn the_pre_flight_pulls_a_missing_image_with_progress() {
    let _serial = serial();
    let binary = static_demo_binary();
    let registry = docker_registry::Registry::start(
        "dockside-test/switch-pulled",
        "1",
        &[("/dockside-demo-server", &binary, 0o755)],
        &["/dockside-demo-server"],
    );
    let image = format!("127.0.0.1:{}/dockside-test/switch-pulled:1", registry.port);
    let _ = docker_ok(&["rmi", "-f", &image]);
    let s = Setup::new();
    s.adopt();
    s.run(&[
        "server",
        "add",
        "pulled",
        "--mode",
        "native",
        "--image",
        &image,
        "--host-command",
        &format!("{} --name pulled", binary.display()),
    ]);
    let _daemon = s.daemon();
    let out = s.output(&["switch", "production", "--yes", "--calls", "3"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{}{stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        stderr.contains(&format!("pulled: pulling {image}: 1/1 layers"))
            && stderr.contains("(done)"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("pre-flight pulled: ok (docker mode, image pulled"),
        "{stdout}"
    );
    assert_eq!(mode(&s.workspace(), "pulled"), Mode::Docker);
    for c in CLIENTS {
        assert!(s.tools(c)["pulled"].contains(&"echo".to_owned()));
    }
    s.run(&["switch", "development"]);
    let _ = docker_ok(&["rmi", "-f", &image]);
}

/// A mode change has one effect whoever asks: `dockside server mode` with no daemon (core's
/// change), the same command with the daemon running (through its API), and
/// `PUT /api/servers/{name}/mode` directly leave the same bytes in the state and in every
/// connected client's file, and the same running set; the daemon applies each change once (its
/// file watcher sees its own write and skips the reload). The tray and the UI send that same
/// `PUT` (src-tauri's hub tests check the request).
#[test]
fn a_mode_change_has_one_effect_through_every_path() {
    let _serial = serial();
    let s = Setup::new();
    s.adopt();
    assert_eq!(mode(&s.workspace(), "demo"), Mode::Native);

    // No daemon: the CLI changes the files itself.
    s.run(&["server", "mode", "demo", "managed"]);
    let managed = s.snapshot();
    for c in CLIENTS {
        let Entry::Stdio(cmd) = &s.entries(c)["demo"].1 else {
            panic!("{c}: demo is not a stdio entry")
        };
        assert_eq!(cmd.args, ["connect", "--server", "demo"], "{c}");
    }
    s.run(&["server", "mode", "demo", "native"]);
    let native = s.snapshot();
    assert_ne!(managed, native);

    let d = s.daemon();
    let token = std::fs::read_to_string(s.dockside_home.join("token")).unwrap();
    let events = EventLog::open(&d.addr, token.trim());
    let skipped = |n: usize| {
        gateway_support::wait_for(
            &format!("{n} skipped watcher reload(s)"),
            Duration::from_secs(30),
            || (d.stderr().matches("reload skipped").count() >= n).then_some(()),
        )
    };
    let reloads = |mark| {
        let all = events.since(mark);
        let n = all.iter().filter(|e| e["type"] == "reloaded").count();
        if n != 1 {
            eprintln!("events: {all:#?}\ndaemon stderr:\n{}", d.stderr());
        }
        n
    };
    let running = |expect: &str| {
        gateway_support::wait_for(
            &format!("demo {expect} in the daemon"),
            Duration::from_secs(60),
            || {
                let (_, servers) =
                    gateway_support::api(&d.addr, token.trim(), "GET", "/api/servers", None);
                let demo = servers
                    .as_array()?
                    .iter()
                    .find(|v| v["name"] == "demo")?
                    .clone();
                (demo["state"] == expect).then_some(demo)
            },
        )
    };

    // The daemon's own start-up reload (after reaping leftovers) comes first, and it has seen
    // Docker (first sight of an engine reloads nothing); changes are counted after that.
    let (seen_docker, startup_reloads) = (std::cell::Cell::new(false), std::cell::Cell::new(0));
    events.wait_from(
        Mark::START,
        "the daemon's start-up reloads",
        Duration::from_secs(60),
        |e| {
            // Each recorded event is offered once, in order.
            match e["type"].as_str() {
                Some("docker-availability") => seen_docker.set(true),
                Some("reloaded") => startup_reloads.set(startup_reloads.get() + 1),
                _ => {}
            }
            seen_docker.get() && startup_reloads.get() >= 1
        },
    );

    // The CLI with a daemon running: through the daemon.
    let mark = events.mark();
    s.run(&["server", "mode", "demo", "managed"]);
    skipped(1);
    assert_eq!(s.snapshot(), managed, "CLI through the daemon = CLI alone");
    assert_eq!(running("running")["mode"], "managed");
    assert_eq!(reloads(mark), 1, "one reload for one change");

    // The control API directly (what the tray and the UI send).
    for (target, expect, files) in [
        ("native", "stopped", &native),
        ("managed", "running", &managed),
    ] {
        let mark = events.mark();
        let (status, body) = gateway_support::api(
            &d.addr,
            token.trim(),
            "PUT",
            "/api/servers/demo/mode",
            Some(&json!({ "mode": target })),
        );
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["mode"], target, "the answer is the new status: {body}");
        skipped(if target == "native" { 2 } else { 3 });
        assert_eq!(&s.snapshot(), files, "API = CLI for {target}");
        assert_eq!(running(expect)["mode"], target);
        assert_eq!(reloads(mark), 1, "one reload for one change");
    }
}
