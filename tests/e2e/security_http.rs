//! The daemon's listener: loopback only unless told otherwise, and every route (MCP, control
//! API, events, metrics) behind the bearer token and the Origin/Host checks.
//!
//! Already covered elsewhere (not repeated): `/mcp` without or with a wrong token → 401, foreign
//! Origin or Host → 403 (`gateway_http.rs`); the token file is 0600 and `/api/status` with a
//! wrong token is 401 (`gateway_daemon.rs`).

#[path = "gateway_support.rs"]
mod gateway_support;

#[path = "reliability_support.rs"]
mod reliability;

use std::process::Stdio;
use std::time::Duration;

use gateway_support::*;
use reliability::*;

#[test]
fn a_non_loopback_address_is_refused_unless_allow_remote() {
    let home = TestHome::new();
    home.write_catalog("e2e", &[("demo", demo_command("demo"))]);
    for args in [
        &["daemon", "--host", "0.0.0.0", "--port", "0"][..],
        &[
            "gateway",
            "run",
            "--transport",
            "streaming",
            "--host",
            "0.0.0.0",
            "--port",
            "0",
        ][..],
    ] {
        let out = home
            .dockside()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("refusing to listen on 0.0.0.0") && stderr.contains("--allow-remote"),
            "{args:?}: {stderr}"
        );
        assert!(!home.path().join("daemon.json").exists());
    }
    // Told explicitly: it listens, still behind the token (reached here over loopback only).
    let mut cmd = home.dockside();
    cmd.args(["daemon", "--host", "0.0.0.0", "--allow-remote"]);
    let gw = HttpGateway::start(cmd);
    let port = gw.addr.rsplit(':').next().unwrap();
    let local = format!("127.0.0.1:{port}");
    let (status, _) = post_initialize(&local, "/mcp", "");
    assert_eq!(status, 401);
    let (status, text) = post_initialize(
        &local,
        "/mcp",
        &format!("Authorization: Bearer {}\r\n", token(&home)),
    );
    assert_eq!(status, 200, "{text}");
}

#[test]
fn every_route_needs_the_token_and_a_local_origin_and_host() {
    let home = TestHome::new();
    home.write_catalog("e2e", &[("demo", demo_command("demo"))]);
    write_managed_state(&home, &["demo"]);
    let gw = daemon(&home, &[]);
    wait_server(&gw, &home, "demo", "running", Duration::from_secs(60));
    let token = token(&home);
    let routes = [
        ("GET", "/api/status"),
        ("GET", "/api/servers"),
        ("GET", "/api/events"),
        ("GET", "/api/logs"),
        ("GET", "/api/latency"),
        ("GET", "/api/metrics"),
        ("GET", "/metrics"),
        ("POST", "/api/reload"),
        ("POST", "/api/servers/demo/restart"),
        ("PUT", "/api/servers/demo/mode"),
        ("POST", "/api/shutdown"),
        ("POST", "/mcp"),
        ("GET", "/mcp"),
        ("DELETE", "/mcp"),
        ("POST", "/mcp/demo"),
    ];
    let body = r#"{"mode":"off"}"#;
    let request = |method: &str, path: &str, host: &str, extra: &str| {
        http_raw(
            &gw.addr,
            &format!(
                "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        )
        .0
    };
    let auth = format!("Authorization: Bearer {token}\r\n");
    for (method, path) in routes {
        let local = gw.addr.as_str();
        assert_eq!(
            request(method, path, local, ""),
            401,
            "{method} {path} without a token"
        );
        assert_eq!(
            request(method, path, local, "Authorization: Bearer nope\r\n"),
            401,
            "{method} {path} with a wrong token"
        );
        assert_eq!(
            request(
                method,
                path,
                local,
                &format!("Authorization: Basic {token}\r\n")
            ),
            401,
            "{method} {path} with the token in another scheme"
        );
        assert_eq!(
            request(
                method,
                path,
                local,
                &format!("{auth}Origin: http://evil.example\r\n")
            ),
            403,
            "{method} {path} from a foreign Origin"
        );
        assert_eq!(
            request(method, path, "evil.example", &auth),
            403,
            "{method} {path} with a foreign Host"
        );
    }
    // Nothing above reached a handler: the server is untouched, the daemon still runs.
    let demo = status_of(&gw, &home, "demo");
    assert_eq!(demo["state"], "running", "{demo}");
    assert_eq!(demo["restarts"], 0, "{demo}");
    assert!(std::fs::read_to_string(home.path().join("state.yaml"))
        .unwrap()
        .contains("managed"));
}
