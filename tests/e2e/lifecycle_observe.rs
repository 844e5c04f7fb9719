//! Development and observability with real processes: live reload of a managed server whose
//! source changed (only it restarts; a connected client sees the new tool), `dockside logs -f`
//! over two servers and log rotation, and call metrics in `dockside status --json` and on the
//! Prometheus endpoint.

#[path = "gateway_support.rs"]
mod support;

#[path = "lifecycle_support.rs"]
mod lifecycle;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lifecycle::*;
use serde_json::{json, Value};
use support::*;

#[test]
fn editing_a_watched_source_restarts_only_that_server_and_clients_see_the_new_tool() {
    let home = TestHome::new();
    let code = tempfile::tempdir().unwrap();
    let server = write_py_server(code.path(), "server.py", &["first"]);
    home.write_catalog(
        "e2e",
        &[
            ("dev", vec![python3(), server.display().to_string()]),
            ("demo", demo_command("demo")),
        ],
    );
    write_managed_state(&home, &["dev", "demo"]);
    let gw = daemon_with(&home, &[], &["dev", "demo"]);
    let events = &gw.events;
    let demo_pid = server_status(&gw, &home, "demo")["pid"].clone();
    let dev_pid = server_status(&gw, &home, "dev")["pid"].clone();

    let spec = json!({
        "connect": connect_http(&gw, &home),
        "timeoutMs": 30000,
        "steps": [
            {"op": "callTool", "name": "dev__first", "arguments": {}},
            {"op": "listTools"},
            {"op": "waitForNotification", "method": "notifications/tools/list_changed", "count": 1, "timeoutMs": 30000},
            {"op": "wait", "ms": 300},
            {"op": "listTools"},
            {"op": "callTool", "name": "dev__second", "arguments": {}},
        ],
    });
    let client = std::thread::spawn(move || dockside_e2e::mcp_client(&spec));
    // The client is connected (its first call is done) and waits: edit the source.
    wait_for("the first call", Duration::from_secs(30), || {
        let (_, m) = api(&gw.addr, &token(&home), "GET", "/api/metrics", None);
        (m["servers"][0]["calls"] == 1).then_some(())
    });
    std::thread::sleep(Duration::from_millis(300));
    write_py_server(code.path(), "server.py", &["second"]);
    let doc = client.join().unwrap();
    assert_eq!(doc["ok"], true, "{doc}");
    let names = |i: usize| doc["results"][i]["result"]["tools"].to_string();
    assert!(
        names(1).contains("dev__first") && !names(1).contains("dev__second"),
        "{doc}"
    );
    assert!(
        names(4).contains("dev__second") && !names(4).contains("dev__first"),
        "{doc}"
    );
    assert!(names(4).contains("demo__echo"), "{doc}");
    assert_eq!(
        doc["results"][5]["result"]["content"][0]["text"],
        "second ok"
    );
    assert_ne!(wait_running(&gw, &home, "dev")["pid"], dev_pid);
    assert_eq!(server_status(&gw, &home, "demo")["pid"], demo_pid);
    assert_eq!(count(events, "server-crashed", "dev"), 0);
}

fn call_steps(server: &str, tools: &[&str]) -> Value {
    Value::Array(
        tools
            .iter()
            .map(|t| json!({"op": "callTool", "name": format!("{server}__{t}"), "arguments": {}}))
            .collect(),
    )
}

#[test]
fn logs_follow_two_servers_in_order_and_files_rotate() {
    let home = TestHome::new();
    let code = tempfile::tempdir().unwrap();
    let a = write_py_server(code.path(), "a.py", &["ping_a", "spam"]);
    let b = write_py_server(code.path(), "b.py", &["ping_b"]);
    home.write_catalog(
        "e2e",
        &[
            ("alpha", vec![python3(), a.display().to_string()]),
            ("beta", vec![python3(), b.display().to_string()]),
        ],
    );
    write_managed_state(&home, &["alpha", "beta"]);
    let gw = daemon_with(
        &home,
        &[
            ("DOCKSIDE_LOG_MAX_BYTES", "4096"),
            ("DOCKSIDE_LOG_KEEP", "2"),
        ],
        &["alpha", "beta"],
    );

    let mut follow = home
        .dockside()
        .args(["logs", "-f"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    {
        let seen = seen.clone();
        let out = follow.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                seen.lock().unwrap().push(line);
            }
        });
    }
    // One client calls alpha, beta, alpha in turn.
    let mut steps = Vec::new();
    for (server, tool) in [("alpha", "ping_a"), ("beta", "ping_b"), ("alpha", "ping_a")] {
        steps.extend(call_steps(server, &[tool]).as_array().unwrap().clone());
        steps.push(json!({"op": "wait", "ms": 50}));
    }
    let doc =
        dockside_e2e::mcp_client(&json!({"connect": connect_http(&gw, &home), "steps": steps}));
    assert_eq!(doc["ok"], true, "{doc}");
    let lines = wait_for("three call lines", Duration::from_secs(20), || {
        let lines: Vec<String> = seen
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains("| called "))
            .cloned()
            .collect();
        (lines.len() >= 3).then_some(lines)
    });
    let _ = follow.kill();
    let _ = follow.wait();
    // The same lines from the daemon's memory (`GET /api/logs`).
    let (_, recent) = api(
        &gw.addr,
        &token(&home),
        "GET",
        "/api/logs?server=beta",
        None,
    );
    let recent = recent.as_array().unwrap();
    assert!(
        recent
            .iter()
            .any(|l| l["line"] == "called ping_b" && l["atMs"].as_u64() > Some(0)),
        "{recent:?}"
    );
    assert!(recent.iter().all(|l| l["server"] == "beta"), "{recent:?}");
    let who: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| {
            let mut parts = l.split_whitespace();
            let _ts = parts.next();
            let server = parts.next().unwrap();
            (server, l.rsplit(' ').next().unwrap())
        })
        .collect();
    assert_eq!(
        who,
        vec![("alpha", "ping_a"), ("beta", "ping_b"), ("alpha", "ping_a")],
        "{lines:?}"
    );
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("beta") && l.contains("server up with ping_b")),
        "start-up lines too: {:?}",
        seen.lock().unwrap()
    );

    // Rotation at the configured size (4 KiB, two old files kept).
    let doc = dockside_e2e::mcp_client(&json!({
        "connect": connect_http(&gw, &home),
        "steps": [{"op": "callTool", "name": "alpha__spam", "arguments": {"count": 300}}],
    }));
    assert_eq!(doc["ok"], true, "{doc}");
    let logs = home.path().join("logs");
    wait_for("rotated files", Duration::from_secs(20), || {
        (logs.join("alpha.log.1").exists() && logs.join("alpha.log.2").exists()).then_some(())
    });
    assert!(!logs.join("alpha.log.3").exists());
    let size = std::fs::metadata(logs.join("alpha.log.1")).unwrap().len();
    assert!((4096..4096 + 200).contains(&size), "{size}");
    let out = home.dockside().args(["logs", "alpha"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("spam line 0299"), "{text}");
    assert!(!text.contains("beta"), "{text}");
    // --since: a duration ago, or a timestamp.
    let since = |when: &str| {
        let out = home
            .dockside()
            .args(["logs", "alpha", "--since", when])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(since("1h").contains("spam line 0299"));
    assert!(since("2999-01-01T00:00:00.000Z").is_empty());
}

#[test]
fn status_json_reports_per_tool_counts_and_latency() {
    let home = TestHome::new();
    home.write_catalog("e2e", &[("demo", demo_command("demo"))]);
    write_managed_state(&home, &["demo"]);
    let gw = daemon_with(&home, &[], &["demo"]);
    let mut steps: Vec<Value> = (0..5)
        .map(|i| json!({"op": "callTool", "name": "demo__echo", "arguments": {"message": format!("m{i}")}}))
        .collect();
    steps.push(json!({"op": "callTool", "name": "demo__sleep", "arguments": {"ms": 120}}));
    let doc =
        dockside_e2e::mcp_client(&json!({"connect": connect_http(&gw, &home), "steps": steps}));
    assert_eq!(doc["ok"], true, "{doc}");

    let out = home.dockside().args(["status", "--json"]).output().unwrap();
    assert!(out.status.success());
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    let demo = status["metrics"]["servers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["server"] == "demo")
        .cloned()
        .unwrap_or_else(|| panic!("{status}"));
    assert_eq!(demo["calls"], 6, "{demo}");
    let tool = |name: &str| {
        demo["tools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["tool"] == name)
            .cloned()
            .unwrap()
    };
    let echo = tool("echo");
    assert_eq!(echo["calls"], 5, "{echo}");
    assert_eq!(echo["errors"], 0, "{echo}");
    let (p50, p99) = (
        echo["p50Ms"].as_f64().unwrap(),
        echo["p99Ms"].as_f64().unwrap(),
    );
    assert!(p50 > 0.0 && p99 >= p50, "{echo}");
    let sleep = tool("sleep");
    assert!(sleep["p50Ms"].as_f64().unwrap() >= 110.0, "{sleep}");

    // Prometheus text, behind the token.
    let token = token(&home);
    let (code, body) = http_raw(
        &gw.addr,
        &format!(
            "GET /metrics HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n",
            gw.addr
        ),
    );
    assert_eq!(code, 200, "{body}");
    assert!(
        body.contains("dockside_tool_calls_total{server=\"demo\",tool=\"echo\"} 5"),
        "{body}"
    );
    let (code, _) = http_raw(
        &gw.addr,
        &format!(
            "GET /metrics HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            gw.addr
        ),
    );
    assert_eq!(code, 401);
}
