//! Both MCP revisions end to end (issue 17): 2025-11-25 ("legacy") and 2026-07-28 ("modern")
//! clients and servers, directly and through the gateway, bridged across the eras.
//!
//! Fixtures (`tests/node`, real SDKs): `revision_server.mjs legacy|modern` is one stdio server
//! that speaks only one era (legacy: `@modelcontextprotocol/sdk` 1.x; modern:
//! `@modelcontextprotocol/server` 2.x with `serveStdio(…, {legacy: 'reject'})`), with the tools
//! `echo`, `ask` (elicitation), `sample` (sampling) and `grow` (tools list_changed).
//! `revision_client.mjs --era legacy|modern` is a real client of one era (legacy: sdk 1.x;
//! modern: `@modelcontextprotocol/client` 2.x pinned to 2026-07-28) that exercises all four and
//! prints what it observed as one JSON document.
//!
//! The `fixture_*` tests check the fixtures against each other without Dockside; the others go
//! through `dockside gateway run` (Streamable HTTP, per-server endpoint `/mcp/<server>` unless
//! named `aggregate`; or stdio) to catalog servers `legacy` and `modern`.
//!
//! `dockside connect --server NAME` (the stdio bridge to the daemon) is the fourth transport:
//! a client of either era through it reaches a server of the other.

#[path = "gateway_support.rs"]
mod support;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use support::*;

/// What the client sends and how its handlers answer (see revision_client.mjs).
const ECHO_TEXT: &str = "héllo wörld — 日本語 🚢";
const ASK_REPLY: &str = "answer: forty-two";
const SAMPLED_TEXT: &str = "sampled by revision_client";
/// The whole client run; every request in it has its own 20 s bound.
const CLIENT_DEADLINE: Duration = Duration::from_secs(120);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Era {
    Legacy,
    Modern,
}

impl Era {
    fn arg(self) -> &'static str {
        match self {
            Era::Legacy => "legacy",
            Era::Modern => "modern",
        }
    }

    fn version(self) -> &'static str {
        match self {
            Era::Legacy => "2025-11-25",
            Era::Modern => "2026-07-28",
        }
    }
}

/// `node revision_server.mjs <era>`.
fn server_command(era: Era) -> Vec<String> {
    vec![
        "node".into(),
        node_dir().join("revision_server.mjs").display().to_string(),
        era.arg().into(),
    ]
}

/// One finished run of revision_client.mjs.
struct ClientRun {
    what: String,
    doc: Value,
    stderr: String,
    /// The gateway's stderr, for the failure messages.
    gateway: String,
}

impl ClientRun {
    /// Everything a failure message needs.
    fn context(&self) -> String {
        format!(
            "{}\nclient document: {}\nclient stderr:\n{}\ngateway stderr:\n{}",
            self.what, self.doc, self.stderr, self.gateway
        )
    }

    fn strings(&self, key: &str) -> Vec<&str> {
        self.doc[key]
            .as_array()
            .unwrap_or_else(|| panic!("`{key}` is not a list: {}", self.context()))
            .iter()
            .map(|v| v.as_str().unwrap_or("?"))
            .collect()
    }
}

/// Runs `revision_client.mjs --era <era> <target…>` (with `env`) and returns its document;
/// panics when it printed none or outlived [`CLIENT_DEADLINE`].
fn run_client(era: Era, target: &[String], env: &[(&str, String)], what: &str) -> ClientRun {
    let mut cmd = node_script("revision_client.mjs");
    cmd.args(["--era", era.arg()]).args(target);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start node (is Node.js installed?)");
    let pid = child.id();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        let _ = tx.send(s);
    });
    let out = match rx.recv_timeout(CLIENT_DEADLINE) {
        Ok(out) => out,
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            let _ = child.wait();
            panic!(
                "{what}: revision_client.mjs still running after {CLIENT_DEADLINE:?}; stderr:\n{}",
                err_reader.join().unwrap_or_default()
            );
        }
    };
    let status = child.wait().expect("wait for node");
    let stderr = err_reader.join().unwrap_or_default();
    let doc = out
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
        .unwrap_or_else(|| {
            panic!("{what}: revision_client.mjs printed no JSON document; {status}\nstdout:\n{out}\nstderr:\n{stderr}")
        });
    ClientRun {
        what: what.to_string(),
        doc,
        stderr,
        gateway: String::new(),
    }
}

/// The client reached every step and saw the right answers: tools, echo, the elicitation and
/// sampling round trips through its own handlers, tools list_changed and the grown tool.
fn assert_full_run(run: &ClientRun, era: Era, prefix: &str) {
    let doc = &run.doc;
    let ctx = run.context();
    assert_eq!(
        doc["ok"], true,
        "client failed at step `{}`: {}\n{ctx}",
        doc["step"], doc["error"]
    );
    assert_eq!(
        doc["protocolVersion"],
        era.version(),
        "negotiated version\n{ctx}"
    );
    assert_eq!(doc["protocolEra"], era.arg(), "protocol era\n{ctx}");
    let name = |n: &str| format!("{prefix}{n}");
    let before = run.strings("toolsBefore");
    for tool in ["echo", "ask", "sample", "grow"] {
        assert!(
            before.contains(&name(tool).as_str()),
            "{} missing from {before:?}\n{ctx}",
            name(tool)
        );
    }
    assert!(
        !before.contains(&name("grown").as_str()),
        "`grown` listed before grow\n{ctx}"
    );
    assert_eq!(doc["echo"], ECHO_TEXT, "echo (non-ASCII)\n{ctx}");

    assert_eq!(
        doc["ask"], ASK_REPLY,
        "ask: the elicitation round trip\n{ctx}"
    );
    let elicitations = doc["elicitations"].as_array().unwrap();
    assert_eq!(
        elicitations.len(),
        1,
        "exactly one elicitation reaches the client's handler\n{ctx}"
    );
    assert_eq!(elicitations[0]["message"], "What is the answer?", "\n{ctx}");
    assert_eq!(
        elicitations[0]["requestedSchema"]["properties"]["answer"]["type"], "string",
        "the form's field `answer`\n{ctx}"
    );

    assert_eq!(
        doc["sample"], SAMPLED_TEXT,
        "sample: the sampling round trip\n{ctx}"
    );
    let samplings = doc["samplings"].as_array().unwrap();
    assert_eq!(
        samplings.len(),
        1,
        "exactly one sampling request reaches the client's handler\n{ctx}"
    );
    assert_eq!(
        samplings[0]["messages"][0]["content"]["text"], "Say something",
        "\n{ctx}"
    );

    assert_eq!(doc["grow"], "grew", "\n{ctx}");
    assert_eq!(
        doc["listChanged"], true,
        "notifications/tools/list_changed after grow\n{ctx}"
    );
    let after = run.strings("toolsAfter");
    assert!(
        after.contains(&name("grown").as_str()),
        "{} missing after grow: {after:?}\n{ctx}",
        name("grown")
    );
    assert_eq!(doc["grown"], "grown", "calling the grown tool\n{ctx}");

    // The client really spoke its own era on its connection.
    let sent = run.strings("sent");
    let received = run.strings("received");
    match era {
        Era::Legacy => {
            assert_eq!(sent.first(), Some(&"initialize"), "\n{ctx}");
            for request in ["elicitation/create", "sampling/createMessage"] {
                assert!(
                    received.contains(&request),
                    "a 2025 client gets {request} as a server→client request\n{ctx}"
                );
            }
        }
        Era::Modern => {
            assert!(
                !sent.contains(&"initialize"),
                "a 2026 client never sends initialize\n{ctx}"
            );
            assert!(sent.contains(&"subscriptions/listen"), "\n{ctx}");
            assert_eq!(
                doc["honoredFilter"]["toolsListChanged"], true,
                "subscriptions/listen acknowledged with toolsListChanged\n{ctx}"
            );
            // ask and sample each take at least two tools/call: input_required, then the
            // retry (a bridge may add rounds that carry only requestState).
            let calls = sent.iter().filter(|m| **m == "tools/call").count();
            assert!(
                calls >= 7,
                "tools/call: echo, ask ×2, sample ×2, grow, grown; sent {calls}\n{ctx}"
            );
            assert!(
                !received.contains(&"elicitation/create")
                    && !received.contains(&"sampling/createMessage"),
                "a 2026 client gets no server→client requests\n{ctx}"
            );
        }
    }
}

// ---- The fixtures, without Dockside -------------------------------------------------------

fn direct(client: Era, server: Era) -> ClientRun {
    let mut target = vec!["--command".to_string()];
    target.extend(server_command(server));
    run_client(
        client,
        &target,
        &[],
        &format!("{client:?} client → {server:?} server (direct stdio)"),
    )
}

#[test]
fn fixture_legacy_client_and_legacy_server_directly() {
    assert_full_run(&direct(Era::Legacy, Era::Legacy), Era::Legacy, "");
}

#[test]
fn fixture_modern_client_and_modern_server_directly() {
    assert_full_run(&direct(Era::Modern, Era::Modern), Era::Modern, "");
}

/// Each fixture speaks only its own era, so a cross-era success through the gateway is the
/// gateway's bridging and nothing else.
#[test]
fn fixture_eras_do_not_mix_without_a_bridge() {
    let run = direct(Era::Modern, Era::Legacy);
    assert_eq!(run.doc["ok"], false, "{}", run.context());
    assert_eq!(run.doc["step"], "connect", "{}", run.context());
    assert!(
        run.doc["error"]
            .as_str()
            .unwrap()
            .contains("did not offer pinned protocol version 2026-07-28"),
        "{}",
        run.context()
    );

    let run = direct(Era::Legacy, Era::Modern);
    assert_eq!(run.doc["ok"], false, "{}", run.context());
    assert_eq!(run.doc["step"], "connect", "{}", run.context());
    assert_eq!(
        run.doc["errorCode"],
        -32022,
        "a modern-only server refuses initialize as an unsupported version\n{}",
        run.context()
    );
    assert_eq!(
        run.doc["errorData"]["supported"],
        serde_json::json!(["2026-07-28"]),
        "{}",
        run.context()
    );
}

// ---- Through the gateway ------------------------------------------------------------------

/// A home whose catalog holds the servers `legacy` and `modern`.
fn revision_home() -> (TestHome, std::path::PathBuf) {
    let home = TestHome::new();
    let catalog = home.write_catalog(
        "revisions",
        &[
            ("legacy", server_command(Era::Legacy)),
            ("modern", server_command(Era::Modern)),
        ],
    );
    (home, catalog)
}

/// `client` through the HTTP gateway at `path`, tool names prefixed with `prefix`.
fn through_http(client: Era, path: &str, prefix: &str) -> ClientRun {
    let (home, catalog) = revision_home();
    let gw = streaming_gateway(&home, &catalog, &[]);
    let mut target = vec![
        "--url".to_string(),
        gw.url(path),
        "--token".into(),
        token(&home),
    ];
    if !prefix.is_empty() {
        target.extend(["--prefix".to_string(), prefix.to_string()]);
    }
    let mut run = run_client(
        client,
        &target,
        &[],
        &format!("{client:?} client → HTTP gateway {path}"),
    );
    run.gateway = gw.stderr();
    run
}

/// `client` through `dockside gateway run` on stdio, serving only `server`, unprefixed.
fn through_stdio(client: Era, server: Era) -> ClientRun {
    let (home, catalog) = revision_home();
    let target = vec![
        "--command".to_string(),
        bin("dockside").display().to_string(),
        "gateway".into(),
        "run".into(),
        "--log-calls=false".into(),
        "--no-prefix".into(),
        "--servers".into(),
        server.arg().into(),
        "--catalog".into(),
        catalog.display().to_string(),
    ];
    run_client(
        client,
        &target,
        &[("DOCKSIDE_HOME", home.path().display().to_string())],
        &format!("{client:?} client → stdio gateway → {server:?} server"),
    )
}

// a. A 2026-07-28 client, a 2025-11-25-only upstream.
#[test]
fn modern_client_through_http_gateway_to_legacy_server() {
    let run = through_http(Era::Modern, "/mcp/legacy", "");
    assert_full_run(&run, Era::Modern, "");
}

#[test]
fn modern_client_through_http_aggregate_to_legacy_server() {
    let run = through_http(Era::Modern, "/mcp", "legacy__");
    assert_full_run(&run, Era::Modern, "legacy__");
}

#[test]
fn modern_client_through_stdio_gateway_to_legacy_server() {
    let run = through_stdio(Era::Modern, Era::Legacy);
    assert_full_run(&run, Era::Modern, "");
}

// b. A 2025-11-25 client, a 2026-07-28-only upstream.
#[test]
fn legacy_client_through_http_gateway_to_modern_server() {
    let run = through_http(Era::Legacy, "/mcp/modern", "");
    assert_full_run(&run, Era::Legacy, "");
}

#[test]
fn legacy_client_through_stdio_gateway_to_modern_server() {
    let run = through_stdio(Era::Legacy, Era::Modern);
    assert_full_run(&run, Era::Legacy, "");
}

// c. Same-era controls.
#[test]
fn legacy_client_through_http_gateway_to_legacy_server() {
    let run = through_http(Era::Legacy, "/mcp/legacy", "");
    assert_full_run(&run, Era::Legacy, "");
}

#[test]
fn modern_client_through_http_gateway_to_modern_server() {
    let run = through_http(Era::Modern, "/mcp/modern", "");
    assert_full_run(&run, Era::Modern, "");
}

#[test]
fn legacy_client_through_stdio_gateway_to_legacy_server() {
    let run = through_stdio(Era::Legacy, Era::Legacy);
    assert_full_run(&run, Era::Legacy, "");
}

#[test]
fn modern_client_through_stdio_gateway_to_modern_server() {
    let run = through_stdio(Era::Modern, Era::Modern);
    assert_full_run(&run, Era::Modern, "");
}

/// `client` through `dockside connect --server <server>` (stdio, relayed to a daemon over both
/// servers, managed).
fn through_connect(client: Era, server: Era) -> ClientRun {
    let (home, _catalog) = revision_home();
    let gw = managed_daemon(&home, &["legacy", "modern"]);
    let target = vec![
        "--command".to_string(),
        bin("dockside").display().to_string(),
        "connect".into(),
        "--server".into(),
        server.arg().into(),
    ];
    let mut run = run_client(
        client,
        &target,
        &[("DOCKSIDE_HOME", home.path().display().to_string())],
        &format!("{client:?} client → dockside connect → {server:?} server"),
    );
    run.gateway = gw.stderr();
    run
}

#[test]
fn modern_client_through_connect_to_legacy_server() {
    let run = through_connect(Era::Modern, Era::Legacy);
    assert_full_run(&run, Era::Modern, "");
}

#[test]
fn legacy_client_through_connect_to_modern_server() {
    let run = through_connect(Era::Legacy, Era::Modern);
    assert_full_run(&run, Era::Legacy, "");
}
