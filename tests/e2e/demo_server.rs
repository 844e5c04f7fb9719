//! `dockside-demo-server` driven by the official TypeScript SDK client (`tests/node/mcp_client.mjs`)
//! and, for process-level behaviour (flags, crash exit codes, clean stdout), directly.

use std::io::Write;
use std::process::{Command, Stdio};

use dockside_e2e::{bin, mcp_client};
use serde_json::{json, Value};

const ALL_TOOLS: [&str; 9] = [
    "add",
    "crash",
    "echo",
    "env",
    "fail",
    "net_probe",
    "read_file",
    "sleep",
    "write_file",
];

fn demo_server() -> String {
    bin("dockside-demo-server").display().to_string()
}

/// Runs `steps` against a fresh demo server started with `args` (and extra `env`), asserting the
/// client connected.
fn run(args: &[&str], env: Value, steps: Value) -> Value {
    let output = mcp_client(&json!({
        "connect": { "command": demo_server(), "args": args, "env": env, "stderr": "capture" },
        "timeoutMs": 30_000,
        "steps": steps,
    }));
    assert_eq!(
        output["connected"], true,
        "client did not connect: {output:#}"
    );
    output
}

/// The `result` of step `index`, asserting that the step succeeded.
fn result(output: &Value, index: usize) -> &Value {
    let step = &output["results"][index];
    assert_eq!(step["ok"], true, "step {index} failed: {step:#}");
    &step["result"]
}

/// The text of a `tools/call` result's single text content.
fn text(call_result: &Value) -> &str {
    let content = call_result["content"].as_array().expect("content array");
    assert_eq!(content.len(), 1, "one content block: {call_result:#}");
    assert_eq!(content[0]["type"], "text");
    content[0]["text"].as_str().expect("text")
}

fn is_error(call_result: &Value) -> bool {
    call_result["isError"].as_bool().unwrap_or(false)
}

#[test]
fn typescript_sdk_client_uses_every_kind_of_capability() {
    let payload = "exact payload: spaces  , \"quotes\", unicode ✓, newline\nend";
    let output = run(
        &[],
        json!({}),
        json!([
            { "op": "listTools" },
            { "op": "callTool", "name": "echo", "arguments": { "message": payload } },
            { "op": "callTool", "name": "add", "arguments": { "a": 2, "b": 40.5 } },
            { "op": "callTool", "name": "fail", "arguments": { "message": "as designed" } },
            { "op": "callTool", "name": "sleep", "arguments": { "ms": 60, "steps": 3 }, "progress": true },
            { "op": "listResources" },
            { "op": "readResource", "uri": "demo://info" },
            { "op": "listResourceTemplates" },
            { "op": "readResource", "uri": "demo://echo/hello%20world" },
            { "op": "listPrompts" },
            { "op": "getPrompt", "name": "greet", "arguments": { "name": "Ada" } },
            { "op": "complete", "ref": { "type": "ref/prompt", "name": "greet" },
              "argument": { "name": "name", "value": "a" } },
            { "op": "complete", "ref": { "type": "ref/resource", "uri": "demo://echo/{text}" },
              "argument": { "name": "text", "value": "hel" } },
        ]),
    );
    assert_eq!(output["ok"], true, "{output:#}");

    // initialize
    assert_eq!(output["server"]["name"], "dockside-demo-server");
    assert_eq!(output["server"]["version"], env!("CARGO_PKG_VERSION"));
    for capability in ["tools", "resources", "prompts", "completions"] {
        assert!(
            output["capabilities"][capability].is_object(),
            "{capability} capability missing: {:#}",
            output["capabilities"]
        );
    }
    assert!(output["protocolVersion"].is_string());
    assert_eq!(output["stderr"], "dockside-demo-server ready\n");

    // tools/list
    let mut tools: Vec<&str> = result(&output, 0)["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|tool| tool["name"].as_str().expect("tool name"))
        .collect();
    tools.sort_unstable();
    assert_eq!(tools, ALL_TOOLS);

    // tools/call
    let echo = result(&output, 1);
    assert!(!is_error(echo));
    assert_eq!(text(echo), payload);
    assert_eq!(text(result(&output, 2)), "42.5");
    let fail = result(&output, 3);
    assert!(is_error(fail), "fail must be a tool error: {fail:#}");
    assert_eq!(text(fail), "as designed");

    // progress
    let sleep = &output["results"][4];
    assert_eq!(text(result(&output, 4)), "slept 60 ms");
    // The TypeScript SDK drops a progress notification that arrives in the same read as the
    // response it precedes, so the last step may be missing here; the exact count is checked on
    // the wire by `sleep_sends_one_progress_notification_per_step`.
    let progress = sleep["progress"].as_array().expect("progress list");
    let values: Vec<f64> = progress
        .iter()
        .map(|p| p["progress"].as_f64().expect("progress value"))
        .collect();
    assert!(
        values == [1.0, 2.0, 3.0] || values == [1.0, 2.0],
        "one notification per step, in order: {sleep:#}"
    );
    assert!(progress.iter().all(|p| p["total"] == 3.0));

    // resources
    let resources = result(&output, 5)["resources"]
        .as_array()
        .expect("resources");
    assert_eq!(resources.len(), 1);
    assert_eq!(resources[0]["uri"], "demo://info");
    let info = &result(&output, 6)["contents"][0];
    assert_eq!(info["mimeType"], "application/json");
    let info: Value =
        serde_json::from_str(info["text"].as_str().expect("info text")).expect("info JSON");
    assert_eq!(info["name"], "dockside-demo-server");
    assert!(info["pid"].is_u64());
    let templates = result(&output, 7)["resourceTemplates"]
        .as_array()
        .expect("templates");
    assert_eq!(templates.len(), 1);
    assert_eq!(templates[0]["uriTemplate"], "demo://echo/{text}");
    assert_eq!(result(&output, 8)["contents"][0]["text"], "hello world");

    // prompts
    let prompts = result(&output, 9)["prompts"].as_array().expect("prompts");
    assert_eq!(prompts.len(), 1);
    assert_eq!(prompts[0]["name"], "greet");
    assert_eq!(prompts[0]["arguments"][0]["name"], "name");
    assert_eq!(prompts[0]["arguments"][0]["required"], true);
    let greet = result(&output, 10);
    assert_eq!(greet["messages"][0]["role"], "user");
    let greeting = greet["messages"][0]["content"]["text"]
        .as_str()
        .expect("greeting text");
    assert!(greeting.contains("Ada"), "{greeting}");

    // completion
    assert_eq!(
        result(&output, 11)["completion"]["values"],
        json!(["Ada", "Alan"])
    );
    assert_eq!(
        result(&output, 12)["completion"]["values"],
        json!(["hello", "help"])
    );

    assert_eq!(
        output["closed"], false,
        "the server must stay up: {output:#}"
    );
}

#[test]
fn two_copies_report_their_own_names() {
    let copies: Vec<Value> = ["demo-a", "demo-b"]
        .map(|name| {
            std::thread::spawn(move || {
                run(
                    &["--name", name],
                    json!({}),
                    json!([{ "op": "readResource", "uri": "demo://info" }]),
                )
            })
        })
        .into_iter()
        .map(|copy| copy.join().expect("client thread"))
        .collect();
    let mut pids = Vec::new();
    for (output, name) in copies.iter().zip(["demo-a", "demo-b"]) {
        assert_eq!(output["server"]["name"], name);
        let info: Value = serde_json::from_str(
            result(output, 0)["contents"][0]["text"]
                .as_str()
                .expect("text"),
        )
        .expect("info JSON");
        assert_eq!(info["name"], name);
        pids.push(info["pid"].as_u64().expect("pid"));
    }
    assert_ne!(pids[0], pids[1]);
}

#[test]
fn cancelled_sleep_leaves_the_server_serving() {
    let output = run(
        &[],
        json!({}),
        json!([
            { "op": "callTool", "name": "sleep", "arguments": { "ms": 20_000 }, "cancelAfterMs": 100 },
            { "op": "callTool", "name": "echo", "arguments": { "message": "still here" } },
        ]),
    );
    let cancelled = &output["results"][0];
    assert_eq!(cancelled["ok"], false, "{cancelled:#}");
    assert_eq!(text(result(&output, 1)), "still here");
}

#[test]
fn env_shows_names_never_values() {
    let output = run(
        &[],
        json!({ "DOCKSIDE_DEMO_SECRET": "s3cr3t-value-never-shown" }),
        json!([{ "op": "callTool", "name": "env" }]),
    );
    let names = text(result(&output, 0));
    assert!(
        names.lines().any(|name| name == "DOCKSIDE_DEMO_SECRET"),
        "{names}"
    );
    assert!(!names.contains("s3cr3t"), "a value leaked: {names}");
}

#[test]
fn files_and_network_probes_report_outcomes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("note.txt").display().to_string();
    let missing = dir.path().join("missing.txt").display().to_string();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let open = listener.local_addr().expect("addr").to_string();
    let closed = {
        let spare = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        spare.local_addr().expect("addr").to_string()
    };
    let output = run(
        &[],
        json!({}),
        json!([
            { "op": "callTool", "name": "write_file", "arguments": { "path": file, "content": "hi\n" } },
            { "op": "callTool", "name": "read_file", "arguments": { "path": file } },
            { "op": "callTool", "name": "read_file", "arguments": { "path": missing } },
            { "op": "callTool", "name": "net_probe", "arguments": { "address": open } },
            { "op": "callTool", "name": "net_probe", "arguments": { "address": closed } },
        ]),
    );
    assert_eq!(text(result(&output, 0)), format!("wrote 3 bytes to {file}"));
    assert_eq!(
        std::fs::read_to_string(&file).expect("written file"),
        "hi\n"
    );
    assert_eq!(text(result(&output, 1)), "hi\n");
    let read_missing = result(&output, 2);
    assert!(is_error(read_missing));
    assert!(
        text(read_missing).starts_with(&format!("read_file failed: cannot read {missing}: ")),
        "{read_missing:#}"
    );
    let probe_open = result(&output, 3);
    assert!(!is_error(probe_open), "{probe_open:#}");
    assert!(text(probe_open).starts_with(&format!("net_probe ok: connected to {open}")));
    let probe_closed = result(&output, 4);
    assert!(is_error(probe_closed), "{probe_closed:#}");
    assert!(
        text(probe_closed).starts_with(&format!("net_probe failed: cannot connect to {closed}"))
    );
    drop(listener);
}

/// Speaks raw JSON-RPC lines: `crash` ends the process with the requested code, and stdout never
/// carries anything but protocol messages.
#[test]
fn crash_exits_with_the_requested_code_and_stdout_stays_protocol_only() {
    let mut child = Command::new(bin("dockside-demo-server"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dockside-demo-server");
    let messages = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "raw", "version": "0"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": "crash", "arguments": {"code": 7}}}),
    ];
    let mut stdin = child.stdin.take().expect("stdin");
    for message in messages {
        writeln!(stdin, "{message}").expect("write a message");
    }
    // Keep stdin open, so the exit comes from `crash` and not from end of input; close it after
    // a while all the same, so a server that ignored `crash` ends (with code 0) instead of hanging.
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(20));
        drop(stdin);
    });
    let output = child.wait_with_output().expect("wait for the server");
    assert_eq!(output.status.code(), Some(7), "{output:?}");

    let stdout = String::from_utf8(output.stdout).expect("UTF-8 stdout");
    let lines: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("every stdout line is JSON-RPC"))
        .collect();
    assert_eq!(lines.len(), 1, "only the initialize response: {stdout}");
    assert_eq!(lines[0]["id"], 1);
    assert_eq!(
        lines[0]["result"]["serverInfo"]["name"],
        "dockside-demo-server"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("dockside-demo-server ready\n"),
        "{stderr}"
    );
}

#[test]
fn help_and_version_flags() {
    let version = Command::new(bin("dockside-demo-server"))
        .arg("--version")
        .output()
        .expect("run --version");
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout),
        format!("dockside-demo-server {}\n", env!("CARGO_PKG_VERSION"))
    );

    let help = Command::new(bin("dockside-demo-server"))
        .arg("--help")
        .output()
        .expect("run --help");
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--name NAME"), "{help}");

    let bad = Command::new(bin("dockside-demo-server"))
        .arg("--bogus")
        .output()
        .expect("run --bogus");
    assert_eq!(bad.status.code(), Some(2));
    assert!(bad.stdout.is_empty());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unexpected argument `--bogus`"));
}

/// The exact progress notifications of `sleep`, read off the server's stdout with no SDK between.
#[test]
fn sleep_sends_one_progress_notification_per_step() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(demo_server())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for message in [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "wire", "version": "1"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
            "name": "sleep", "arguments": {"ms": 30, "steps": 3},
            "_meta": {"progressToken": "t"}}}),
    ] {
        writeln!(stdin, "{message}").unwrap();
    }
    let mut progress = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let message: Value = serde_json::from_str(&line.unwrap()).unwrap();
        if message["method"] == "notifications/progress" {
            assert_eq!(message["params"]["progressToken"], "t");
            progress.push(message["params"]["progress"].as_f64().unwrap());
        }
        if message["id"] == 2 {
            assert_eq!(message["result"]["content"][0]["text"], "slept 30 ms");
            break;
        }
    }
    drop(stdin);
    child.kill().ok();
    child.wait().unwrap();
    assert_eq!(progress, [1.0, 2.0, 3.0]);
}
