//! Power cut: every file Dockside writes for itself, with the writer killed by SIGKILL at a
//! random moment, in a loop. Each file is always the old content or the new one (never empty,
//! never half written), keeps its permissions, and the next run works.
//!
//! | file | writer killed |
//! | --- | --- |
//! | `state.yaml` | `dockside server mode` |
//! | `catalogs/<id>.yaml` | `dockside server edit --env` |
//! | `secrets.json` (0600) | `dockside secret set` |
//! | `token` (0600), `daemon.json` | `dockside daemon` starting |
//!
//! The AI clients' files (and `clients.json`) are `crates/core/tests/clients_kill.rs` (kill -9
//! during 200 client syncs).

#[path = "gateway_support.rs"]
mod gateway_support;

#[path = "reliability_support.rs"]
mod reliability;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gateway_support::*;
use reliability::*;

/// Fast rounds per file; `DOCKSIDE_SLOW=1` (`scripts/test --slow`) runs 200.
fn rounds() -> usize {
    if slow() {
        200
    } else {
        25
    }
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Runs `cmd` to completion (feeding `input`) and returns how long it took.
fn run(mut cmd: Command, input: &str) -> Duration {
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    started.elapsed()
}

/// The loop: two commands that write `file` with two different contents; each round starts one
/// and kills it after a random delay within its usual run time, then checks the file.
fn power_cut(what: &str, file: &Path, make: &dyn Fn(usize) -> (Command, String)) {
    // Both contents, from complete runs.
    let (cmd, input) = make(0);
    let t0 = run(cmd, &input);
    let a = std::fs::read(file).unwrap();
    let (cmd, input) = make(1);
    let t1 = run(cmd, &input);
    let b = std::fs::read(file).unwrap();
    assert_ne!(a, b, "{what}: the two writes must differ");
    let mode_before = mode(file);
    let mut span = (t0.max(t1).as_micros() as u64) * 5 / 4;
    let mut rng = Rng::seeded("power-cut");
    let deadline = Instant::now() + Duration::from_secs(120);
    let (mut killed, mut finished) = (0, 0);
    for round in 0..rounds() {
        assert!(
            Instant::now() < deadline,
            "{what}: out of time at round {round}"
        );
        let (mut cmd, input) = make(round % 2);
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let _ = stdin.write_all(input.as_bytes());
        drop(stdin);
        // Writes happen late in a run: aim at the second half of its time, and follow the time
        // it takes (shorter after a run that finished, longer after a kill).
        std::thread::sleep(Duration::from_micros(span / 2 + rng.below(span / 2)));
        if child.try_wait().unwrap().is_none() {
            killed += 1;
            span = span * 11 / 10;
        } else {
            finished += 1;
            span = (span * 17 / 20).max(200);
        }
        let _ = child.kill();
        let _ = child.wait();
        let now = std::fs::read(file).unwrap_or_default();
        assert!(
            now == a || now == b,
            "{what}, round {round}: the file is neither the old nor the new content:\n{}",
            String::from_utf8_lossy(&now)
        );
        assert_eq!(mode(file), mode_before, "{what}: permissions changed");
    }
    eprintln!("{what}: {killed} killed mid-run, {finished} finished, file always whole");
    assert!(killed > 0, "{what}: no round killed the writer mid-run");
}

#[test]
fn state_yaml_survives_kill_9_during_server_mode() {
    let home = TestHome::new();
    home.write_catalog("e2e", &[("demo", demo_command("demo"))]);
    write_managed_state(&home, &["demo"]);
    power_cut("state.yaml", &home.path().join("state.yaml"), &|i| {
        let mut cmd = home.dockside();
        cmd.args(["server", "mode", "demo", ["off", "managed"][i]]);
        (cmd, String::new())
    });
    let out = home
        .dockside()
        .args(["server", "list", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_catalog_survives_kill_9_during_server_edit() {
    let home = TestHome::new();
    let catalog = home.write_catalog("e2e", &[("demo", demo_command("demo"))]);
    power_cut("catalogs/e2e.yaml", &catalog, &|i| {
        let mut cmd = home.dockside();
        cmd.args(["server", "edit", "demo", "--env", ["MODE=a", "MODE=b"][i]]);
        (cmd, String::new())
    });
    let out = home
        .dockside()
        .args(["server", "list", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_secret_store_survives_kill_9_during_secret_set() {
    let home = TestHome::new();
    let store = home.path().join("secrets.json");
    power_cut("secrets.json", &store, &|i| {
        let mut cmd = home.dockside();
        cmd.args(["secret", "set", "demo.token"])
            .env("DOCKSIDE_SECRET_STORE", "file");
        (cmd, ["first-value\n", "second-value\n"][i].to_string())
    });
    assert_eq!(mode(&store), 0o600);
}

/// `dockside daemon` killed while it starts: `token` and `daemon.json` are absent or whole, and
/// a daemon starts afterwards with the same token.
#[test]
fn token_and_daemon_json_survive_kill_9_during_daemon_start() {
    let home = TestHome::new();
    home.write_catalog("e2e", &[("demo", demo_command("demo"))]);
    let mut rng = Rng::seeded("power-cut");
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen_token: Option<String> = None;
    for round in 0..rounds() {
        assert!(Instant::now() < deadline, "out of time at round {round}");
        let mut child = home
            .dockside()
            .args(["daemon", "--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.below(60_000)));
        let _ = child.kill();
        let _ = child.wait();
        let token = home.path().join("token");
        if let Ok(t) = std::fs::read_to_string(&token) {
            assert_eq!(t.len(), 64, "round {round}: a partial token {t:?}");
            assert_eq!(mode(&token), 0o600);
            if let Some(seen) = &seen_token {
                assert_eq!(&t, seen, "round {round}: the token changed");
            }
            seen_token = Some(t);
        }
        if let Ok(text) = std::fs::read_to_string(home.path().join("daemon.json")) {
            serde_json::from_str::<serde_json::Value>(&text).unwrap_or_else(|e| {
                panic!("round {round}: daemon.json is not whole ({e}): {text}")
            });
        }
    }
    // The next daemon starts (a stale daemon.json or lock does not stop it).
    let mut cmd = home.dockside();
    cmd.arg("daemon");
    let gw = HttpGateway::start(cmd);
    let (status, _) = api(&gw.addr, &token(&home), "GET", "/api/status", None);
    assert_eq!(status, 200);
    if let Some(seen) = seen_token {
        assert_eq!(token(&home), seen);
    }
}
