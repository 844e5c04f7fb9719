//! `dockside daemon` with real clients: the SDKs through its HTTP endpoint, `status`/`stop`, one
//! daemon per home, the control API (server actions, modes, events, latency) and the
//! `dockside connect` bridge across a daemon restart.

#[path = "gateway_support.rs"]
mod support;

use std::time::Duration;

use serde_json::json;
use support::*;

/// A daemon over the two-server catalog, both servers `managed`, once both run.
fn start_daemon(home: &TestHome) -> HttpGateway {
    home.two_servers();
    managed_daemon(home, &["demo", "everything"])
}

fn connect(gw: &HttpGateway, home: &TestHome) -> serde_json::Value {
    json!({"url": gw.url("/mcp"), "headers": {"Authorization": format!("Bearer {}", token(home))}})
}

#[test]
fn typescript_sdk_through_the_daemon() {
    let home = TestHome::new();
    let gw = start_daemon(&home);
    assert_scenario(&node_scenario(&json!({"connect": connect(&gw, &home)})));
}

#[test]
fn python_sdk_through_the_daemon() {
    let home = TestHome::new();
    let gw = start_daemon(&home);
    assert_scenario(&python_scenario(&json!({"connect": connect(&gw, &home)})));
}

#[test]
fn status_shows_servers_and_token_one_daemon_per_home_and_stop_stops() {
    let home = TestHome::new();
    let gw = start_daemon(&home);
    let out = home.dockside().args(["status", "--json"]).output().unwrap();
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("status --json prints JSON");
    assert_eq!(doc["running"], true, "{doc}");
    assert_eq!(doc["token"].as_str().unwrap(), token(&home));
    let servers = doc["status"]["servers"].as_array().unwrap();
    let demo = servers.iter().find(|s| s["name"] == "demo").unwrap();
    assert_eq!(demo["state"], "running");
    assert_eq!(demo["mode"], "managed");
    assert_eq!(demo["tools"], 9);
    assert!(demo["pid"].as_u64().is_some());
    assert_eq!(doc["status"]["url"], gw.url("/mcp"));
    let text = String::from_utf8(home.dockside().arg("status").output().unwrap().stdout).unwrap();
    assert!(
        text.contains("running") && text.contains(&token(&home)) && text.contains("9 tools"),
        "{text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.path().join("token"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let second = home
        .dockside()
        .args(["daemon", "--port", "0"])
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&second.stderr).contains("already runs"));

    let demo_pid = demo["pid"].as_u64().unwrap() as i32;
    let out = home.dockside().arg("stop").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!home.path().join("daemon.json").exists());
    // The servers went with it.
    wait_for("demo-server gone", Duration::from_secs(5), || {
        (!std::path::Path::new(&format!("/proc/{demo_pid}")).exists()).then_some(())
    });
    let text = String::from_utf8(home.dockside().arg("status").output().unwrap().stdout).unwrap();
    assert!(text.contains("not running"), "{text}");
    drop(gw);
}

#[test]
fn control_api_actions_modes_events_and_latency() {
    let home = TestHome::new();
    home.write_catalog(
        "e2e",
        &[
            ("demo", demo_command("demo")),
            ("spare", demo_command("spare")),
        ],
    );
    write_managed_state(&home, &["demo"]);
    // Events are recorded from the moment the daemon listens, its start of demo included.
    let gw = Daemon::start(&home, &["daemon"], &[]);
    let token = gw.token.clone();
    let events = &gw.events;
    let started = events.wait(Mark::START, "server-started", "demo");
    let pid1 = started["pid"].as_u64().unwrap();

    let (status, body) = api(&gw.addr, &token, "GET", "/api/servers", None);
    assert_eq!(status, 200);
    let spare = body
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "spare")
        .unwrap()
        .clone();
    assert_eq!(spare["state"], "stopped", "{body}");
    assert_eq!(spare["mode"], "off");

    // Restart: a new process.
    let (status, body) = api(&gw.addr, &token, "POST", "/api/servers/demo/restart", None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "running");
    assert_ne!(body["pid"].as_u64().unwrap(), pid1);

    // Stop, then start.
    let mark = events.mark();
    let (_, body) = api(&gw.addr, &token, "POST", "/api/servers/demo/stop", None);
    assert_eq!(body["state"], "stopped", "{body}");
    events.wait(mark, "server-stopped", "demo");
    let (_, body) = api(&gw.addr, &token, "POST", "/api/servers/demo/start", None);
    assert_eq!(body["state"], "running", "{body}");

    // A mode change is saved in state.yaml and applied.
    let (status, body) = api(
        &gw.addr,
        &token,
        "PUT",
        "/api/servers/spare/mode",
        Some(&json!({"mode": "managed"})),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "running", "{body}");
    assert_eq!(body["mode"], "managed");
    let state = std::fs::read_to_string(home.path().join("state.yaml")).unwrap();
    assert!(
        state.contains("spare") && state.contains("managed"),
        "{state}"
    );
    let (_, body) = api(
        &gw.addr,
        &token,
        "PUT",
        "/api/servers/spare/mode",
        Some(&json!({"mode": "off"})),
    );
    assert_eq!(body["state"], "stopped", "{body}");
    let (status, _) = api(
        &gw.addr,
        &token,
        "PUT",
        "/api/servers/nope/mode",
        Some(&json!({"mode": "off"})),
    );
    assert_eq!(status, 404);
    let (status, _) = api(
        &gw.addr,
        &token,
        "PUT",
        "/api/servers/spare/mode",
        Some(&json!({"mode": "sideways"})),
    );
    assert_eq!(status, 400);

    // A crash is reported and the server comes back.
    let mark = events.mark();
    let doc = dockside_e2e::mcp_client(&json!({
        "connect": {"url": gw.url("/mcp"), "headers": {"Authorization": format!("Bearer {token}")}},
        "steps": [
            {"op": "callTool", "name": "demo__echo", "arguments": {"message": "x"}},
            {"op": "callTool", "name": "demo__crash", "arguments": {}},
        ],
    }));
    assert_eq!(doc["results"][0]["ok"], true, "{doc}");
    let crashed = events.wait(mark, "server-crashed", "demo");
    assert!(
        crashed["how"].as_str().unwrap().contains("exited"),
        "{crashed}"
    );
    events.wait(mark, "server-restarted", "demo");
    assert!(events
        .events()
        .iter()
        .any(|e| e["type"] == "log" && e["server"] == "demo"));

    let (_, latency) = api(&gw.addr, &token, "GET", "/api/latency", None);
    let echo = latency
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["tool"] == "echo")
        .expect("echo latency");
    assert_eq!(echo["server"], "demo");
    assert!(
        echo["calls"].as_u64().unwrap() >= 1 && echo["p50Ms"].as_f64().unwrap() > 0.0,
        "{echo}"
    );

    // The API needs the token too.
    let (status, _) = api(&gw.addr, "wrong", "GET", "/api/status", None);
    assert_eq!(status, 401);
}

#[test]
fn connect_bridge_starts_the_daemon_and_survives_a_restart() {
    let home = TestHome::new();
    home.write_catalog("e2e", &[("demo", demo_command("demo"))]);
    write_managed_state(&home, &["demo"]);
    let _stop = StopOnDrop(&home);
    assert!(!home.path().join("daemon.json").exists());
    // The client tells when its first calls are done; the daemon is stopped then, and the client
    // goes on once the stop has returned.
    let (ready, stopped) = (home.path().join("ready"), home.path().join("stopped"));
    let stopper = {
        let (dockside, root) = (bin("dockside"), home.path().to_path_buf());
        let (ready, stopped) = (ready.clone(), stopped.clone());
        std::thread::spawn(move || {
            wait_for("the client's first calls", Duration::from_secs(60), || {
                ready.exists().then_some(())
            });
            let out = std::process::Command::new(dockside)
                .arg("stop")
                .env("DOCKSIDE_HOME", &root)
                .output()
                .unwrap();
            assert!(out.status.success());
            std::fs::write(stopped, "").unwrap();
        })
    };
    let doc = dockside_e2e::mcp_client(&json!({
        "connect": {
            "command": bin("dockside").display().to_string(),
            "args": ["connect", "--server", "demo"],
            "env": {"DOCKSIDE_HOME": home.path().display().to_string()},
        },
        "steps": [
            {"op": "listTools"},
            {"op": "readResource", "uri": "demo://info"},
            {"op": "touch", "path": ready},
            {"op": "waitForFile", "path": stopped},
            {"op": "callTool", "name": "echo", "arguments": {"message": "after restart"}},
            {"op": "readResource", "uri": "demo://info"},
        ],
    }));
    stopper.join().unwrap();
    assert_eq!(doc["ok"], true, "{doc}");
    let names = doc["results"][0]["result"]["tools"].to_string();
    assert!(
        names.contains("\"echo\"") && !names.contains("demo__"),
        "{names}"
    );
    assert_eq!(
        doc["results"][4]["result"]["content"][0]["text"],
        "after restart"
    );
    let pid = |i: usize| {
        let t = doc["results"][i]["result"]["contents"][0]["text"]
            .as_str()
            .unwrap()
            .to_string();
        serde_json::from_str::<serde_json::Value>(&t).unwrap()["pid"]
            .as_u64()
            .unwrap()
    };
    assert_ne!(pid(1), pid(5), "a new daemon runs a new demo-server");
    assert!(
        home.path().join("daemon.json").exists(),
        "the bridge started a new daemon"
    );
}

#[test]
fn a_crash_loop_is_detected_reported_and_not_restarted_forever() {
    let home = TestHome::new();
    let demo = demo_command("flaky");
    // Up long enough to initialize, then gone: a crash every time.
    let script = format!("exec timeout 0.6 {} --name flaky", demo[0]);
    home.write_catalog("e2e", &[("flaky", vec!["sh".into(), "-c".into(), script])]);
    write_managed_state(&home, &["flaky"]);
    let gw = Daemon::start(&home, &["daemon"], &[]);
    let token = gw.token.clone();
    let events = &gw.events;
    let looped = events.wait(Mark::START, "crash-loop", "flaky");
    assert_eq!(looped["crashes"], 5, "{looped}");
    let crashes = events
        .events()
        .iter()
        .filter(|e| e["type"] == "server-crashed")
        .count();
    assert!(crashes >= 4, "{:?}", events.events());
    assert!(events
        .events()
        .iter()
        .any(|e| e["type"] == "server-restarted"));
    let (_, servers) = api(&gw.addr, &token, "GET", "/api/servers", None);
    let flaky = &servers[0];
    assert_eq!(flaky["state"], "crash-loop", "{servers}");
    assert!(
        flaky["error"].as_str().unwrap().contains("crash loop"),
        "{servers}"
    );
    assert!(flaky["restarts"].as_u64().unwrap() >= 3, "{servers}");
}
