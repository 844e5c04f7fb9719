//! Supervision with real processes: a managed server killed under a call (the caller gets an
//! error naming it at once, the server comes back), a server that cannot start (crash loop,
//! reported once, left alone until `dockside server restart`), a hung server (restarted after
//! its `ping` goes unanswered).

#[path = "gateway_support.rs"]
mod support;

#[path = "lifecycle_support.rs"]
mod lifecycle;

use std::time::{Duration, Instant};

use lifecycle::*;
use serde_json::json;
use support::*;

#[test]
fn kill_9_under_a_call_fails_it_at_once_and_the_server_comes_back() {
    let home = TestHome::new();
    home.write_catalog("e2e", &[("demo", demo_command("demo"))]);
    write_managed_state(&home, &["demo"]);
    // Stable again (crash history forgotten) 2 s after a restart.
    let gw = daemon_with(&home, &[("DOCKSIDE_STABLE_MS", "2000")], &["demo"]);
    let token = token(&home);
    let events = &gw.events;
    let old_pid = server_status(&gw, &home, "demo")["pid"].as_u64().unwrap();
    let mark = events.mark();

    let spec = json!({
        "connect": connect_http(&gw, &home),
        "timeoutMs": 30000,
        "steps": [
            {"op": "callTool", "name": "demo__echo", "arguments": {"message": "warm"}},
            {"op": "callTool", "name": "demo__sleep", "arguments": {"ms": 10000}, "label": "sleep"},
            {"op": "callTool", "name": "demo__echo", "arguments": {"message": "back"}, "label": "after"},
        ],
    });
    let client = std::thread::spawn(move || dockside_e2e::mcp_client(&spec));
    // Once the first call is done the client is connected and the sleep follows at once: let
    // it reach the server, then kill the server.
    wait_for("the first call", Duration::from_secs(30), || {
        let (_, m) = api(&gw.addr, &token, "GET", "/api/metrics", None);
        (m["servers"][0]["calls"] == 1).then_some(())
    });
    std::thread::sleep(Duration::from_millis(700));
    let status = std::process::Command::new("kill")
        .args(["-9", &old_pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let killed_at = Instant::now();
    let doc = client.join().unwrap();
    assert_eq!(doc["results"][0]["ok"], true, "{doc}");
    let sleep = &doc["results"][1];
    assert_eq!(sleep["ok"], false, "{doc}");
    let message = sleep["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("server 'demo'") && message.contains("signal 9"),
        "{message}"
    );
    // The sleep would have taken 10 s; the error came long before.
    assert!(sleep["ms"].as_f64().unwrap() < 5000.0, "{sleep}");
    // The next call waited for the restart and succeeded.
    let after = &doc["results"][2];
    assert_eq!(after["ok"], true, "{doc}");
    assert_eq!(after["result"]["content"][0]["text"], "back");
    assert!(killed_at.elapsed() < Duration::from_secs(30));

    let crashed = events.wait(mark, "server-crashed", "demo");
    assert_eq!(crashed["phase"], "runtime", "{crashed}");
    assert!(
        crashed["how"].as_str().unwrap().contains("signal 9"),
        "{crashed}"
    );
    let restarted = events.wait(mark, "server-restarted", "demo");
    assert_eq!(restarted["attempt"], 1, "{restarted}");
    let all = events.since(mark);
    let pos = |kind: &str| all.iter().position(|e| e["type"] == kind).unwrap();
    assert!(pos("server-crashed") < pos("server-restarted"), "{all:?}");
    let new_pid = wait_running(&gw, &home, "demo")["pid"].as_u64().unwrap();
    assert_ne!(new_pid, old_pid);
    assert_eq!(restarted["pid"], new_pid);
    let recovered = events.wait(mark, "server-recovered", "demo");
    assert_eq!(recovered["crashes"], 1, "{recovered}");
}

#[test]
fn a_server_that_cannot_start_enters_crash_loop_once_and_waits_for_a_restart() {
    let home = TestHome::new();
    let script =
        "echo 'loading plugins' >&2; echo 'Error: cannot find module fancy-dep' >&2; exit 3";
    home.write_catalog(
        "e2e",
        &[
            ("broken", vec!["sh".into(), "-c".into(), script.into()]),
            ("demo", demo_command("demo")),
        ],
    );
    write_managed_state(&home, &["broken", "demo"]);
    let gw = daemon_with(&home, &[], &[]);
    let events = &gw.events;
    let looped = events.wait(Mark::START, "crash-loop", "broken");
    assert_eq!(looped["startup"], true, "{looped}");
    assert!(
        looped["stderr"]
            .to_string()
            .contains("cannot find module fancy-dep"),
        "{looped}"
    );
    assert!(
        looped["cause"]
            .as_str()
            .unwrap()
            .contains("exited with code 3"),
        "{looped}"
    );
    // Not restarted any more: nothing new about it for a while.
    let attempts = |ev: &EventLog| count(ev, "server-crashed", "broken");
    let before = attempts(events);
    // Waiting for something NOT to happen: a quiet period is the only way to observe it.
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(attempts(events), before, "{:?}", events.events());
    assert_eq!(count(events, "crash-loop", "broken"), 1);
    // Start-up failures reach the crash loop after a few tries (the first is `start-failed`).
    assert!(before < 6, "{:?}", events.events());
    let status = server_status(&gw, &home, "broken");
    assert_eq!(status["state"], "crash-loop", "{status}");
    assert!(
        status["error"]
            .as_str()
            .unwrap()
            .contains("cannot find module fancy-dep"),
        "{status}"
    );
    // The other server is unaffected.
    wait_running(&gw, &home, "demo");

    // `dockside server restart` tries again (and says why it fails).
    let mark = events.mark();
    let out = home
        .dockside()
        .args(["server", "restart", "broken"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot find module fancy-dep"), "{stderr}");
    events.wait(mark, "crash-loop", "broken");
    assert_eq!(count(events, "crash-loop", "broken"), 2);
    // A restart of a healthy server through the CLI gives it a new process.
    let old = server_status(&gw, &home, "demo")["pid"].clone();
    let out = home
        .dockside()
        .args(["server", "restart", "demo"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_ne!(wait_running(&gw, &home, "demo")["pid"], old);
}

#[test]
fn a_server_that_stops_answering_ping_is_restarted() {
    let home = TestHome::new();
    let code = tempfile::tempdir().unwrap();
    let server = write_py_server(code.path(), "server.py", &["hang", "hello"]);
    home.write_catalog(
        "e2e",
        &[("py", vec![python3(), server.display().to_string()])],
    );
    write_managed_state(&home, &["py"]);
    let gw = daemon_with(
        &home,
        &[
            ("DOCKSIDE_HEALTH_INTERVAL_MS", "500"),
            ("DOCKSIDE_HEALTH_TIMEOUT_MS", "1000"),
        ],
        &["py"],
    );
    let events = &gw.events;
    let old_pid = server_status(&gw, &home, "py")["pid"].clone();
    let mark = events.mark();
    let doc = dockside_e2e::mcp_client(&json!({
        "connect": connect_http(&gw, &home),
        "timeoutMs": 30000,
        "steps": [
            {"op": "callTool", "name": "py__hang", "arguments": {}},
            {"op": "callTool", "name": "py__hello", "arguments": {}},
        ],
    }));
    let hang = &doc["results"][0];
    assert_eq!(hang["ok"], false, "{doc}");
    let message = hang["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("server 'py'") && message.contains("ping"),
        "{message}"
    );
    assert_eq!(doc["results"][1]["ok"], true, "{doc}");
    assert_eq!(
        doc["results"][1]["result"]["content"][0]["text"],
        "hello ok"
    );
    let crashed = events.wait(mark, "server-crashed", "py");
    assert_eq!(crashed["phase"], "hung", "{crashed}");
    events.wait(mark, "server-restarted", "py");
    assert_ne!(wait_running(&gw, &home, "py")["pid"], old_pid);
}

#[test]
fn with_a_start_up_limit_of_six_a_server_exits_six_times_then_crash_loops_once() {
    let home = TestHome::new();
    home.write_catalog(
        "e2e",
        &[(
            "broken",
            vec![
                "sh".into(),
                "-c".into(),
                "echo 'bad config' >&2; exit 1".into(),
            ],
        )],
    );
    write_managed_state(&home, &["broken"]);
    let gw = daemon_with(
        &home,
        &[
            ("DOCKSIDE_STARTUP_LIMIT", "6"),
            ("DOCKSIDE_CRASH_LIMIT", "10"),
            ("DOCKSIDE_BACKOFF_MAX_MS", "1000"),
        ],
        &[],
    );
    let events = &gw.events;
    let looped = events.wait(Mark::START, "crash-loop", "broken");
    assert_eq!(looped["crashes"], 6, "{looped}");
    std::thread::sleep(Duration::from_secs(3));
    let all = events.events();
    let of = |kind: &str| {
        all.iter()
            .filter(|e| e["type"] == kind && e["server"] == "broken")
            .collect::<Vec<_>>()
    };
    // The first attempt is the daemon's start (`start-failed`), then five restarts; the event
    // stream opened as the daemon began listening, so it may have missed the first.
    let crashed = of("server-crashed");
    assert_eq!(crashed.len(), 5, "{all:?}");
    assert!(crashed.iter().all(|e| e["phase"] == "startup"), "{all:?}");
    assert!(of("start-failed").len() <= 1, "{all:?}");
    assert_eq!(of("crash-loop").len(), 1, "{all:?}");
    assert_eq!(of("server-restarted").len(), 0, "{all:?}");
    assert_eq!(server_status(&gw, &home, "broken")["state"], "crash-loop");
}
