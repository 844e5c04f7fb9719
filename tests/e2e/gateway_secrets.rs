//! `--block-secrets` (on by default): a tool call whose arguments or text result carry a
//! configured secret value or a well-known credential shape fails with an error naming the tool,
//! and the secret appears in no log.

#[path = "gateway_support.rs"]
mod support;

use serde_json::json;
use support::*;

const SECRET: &str = "dockside-e2e-very-secret-value-42";
const AWS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";

fn catalog(home: &TestHome) -> std::path::PathBuf {
    let dir = home.path().join("catalogs");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("secrets.yaml");
    let doc = json!({"name": "secrets", "registry": {"demo": {
        "command": demo_command("demo"),
        "secrets": [{"name": "demo.token", "env": "DEMO_TOKEN"}],
    }}});
    std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    path
}

fn run(home: &TestHome, extra: &[&str], steps: serde_json::Value) -> serde_json::Value {
    let catalog = catalog(home);
    let mut args = vec![
        "gateway".to_string(),
        "run".into(),
        "--verbose".into(),
        "--catalog".into(),
    ];
    args.push(catalog.display().to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    let secret_file = home.path().join("secrets.env");
    std::fs::write(&secret_file, format!("demo.token={SECRET}\n")).unwrap();
    args.push("--secrets".into());
    args.push(secret_file.display().to_string());
    dockside_e2e::mcp_client(&json!({
        "connect": {
            "command": bin("dockside").display().to_string(),
            "args": args,
            "env": {"DOCKSIDE_HOME": home.path().display().to_string(), "DEMO_TOKEN": SECRET, "RUST_LOG": "debug"},
            "stderr": "capture",
        },
        "steps": steps,
    }))
}

#[test]
fn secrets_in_arguments_or_results_fail_the_call_and_are_never_logged() {
    let home = TestHome::new();
    let key_file = home.path().join("key.pem");
    std::fs::write(
        &key_file,
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n",
    )
    .unwrap();
    let doc = run(
        &home,
        &[],
        json!([
            {"op": "callTool", "name": "demo__echo", "arguments": {"message": format!("token is {SECRET}")}},
            {"op": "callTool", "name": "demo__echo", "arguments": {"message": format!("aws {AWS_KEY}")}},
            {"op": "callTool", "name": "demo__read_file", "arguments": {"path": key_file.display().to_string()}},
            {"op": "callTool", "name": "demo__echo", "arguments": {"message": "harmless"}},
        ]),
    );
    assert_eq!(doc["connected"], true, "{doc}");
    let r = &doc["results"];
    for i in 0..3 {
        assert_eq!(r[i]["ok"], false, "call {i} should fail: {doc}");
    }
    let m0 = r[0]["error"]["message"].as_str().unwrap();
    assert!(m0.contains("demo__echo") && m0.contains("secret"), "{m0}");
    assert!(!m0.contains(SECRET));
    assert!(
        r[1]["error"]["message"].as_str().unwrap().contains("AWS"),
        "{doc}"
    );
    let m2 = r[2]["error"]["message"].as_str().unwrap();
    assert!(m2.contains("returned by tool 'demo__read_file'"), "{m2}");
    assert_eq!(r[3]["result"]["content"][0]["text"], "harmless");
    let stderr = doc["stderr"].as_str().unwrap();
    assert!(stderr.contains("blocked"), "the block is logged: {stderr}");
    assert!(
        !stderr.contains(SECRET) && !stderr.contains(AWS_KEY),
        "a secret leaked into the logs:\n{stderr}"
    );
    assert!(!stderr.contains("MIIEpAIBAAKCAQEA"));
}

#[test]
fn block_secrets_false_lets_them_through() {
    let home = TestHome::new();
    let doc = run(
        &home,
        &["--block-secrets=false"],
        json!([{"op": "callTool", "name": "demo__echo", "arguments": {"message": AWS_KEY}}]),
    );
    assert_eq!(
        doc["results"][0]["result"]["content"][0]["text"], AWS_KEY,
        "{doc}"
    );
}

/// A value in the secret store that no running server declares is blocked too: the scanner
/// holds every stored value, not only those the running servers got.
#[test]
fn a_stored_secret_no_running_server_uses_is_blocked() {
    const UNUSED: &str = "dockside-e2e-stored-but-unused-77";
    let home = TestHome::new();
    let mut set = std::process::Command::new(bin("dockside"))
        .args(["secret", "set", "elsewhere.token"])
        .env("DOCKSIDE_HOME", home.path())
        .env("DOCKSIDE_SECRET_STORE", "file")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = set.stdin.take().unwrap();
        stdin.write_all(UNUSED.as_bytes()).unwrap();
    }
    assert!(set.wait().unwrap().success());
    let dir = home.path().join("catalogs");
    std::fs::create_dir_all(&dir).unwrap();
    let catalog = dir.join("plain.yaml");
    let doc = json!({"name": "plain", "registry": {"demo": {"command": demo_command("demo")}}});
    std::fs::write(&catalog, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let doc = dockside_e2e::mcp_client(&json!({
        "connect": {
            "command": bin("dockside").display().to_string(),
            "args": ["gateway", "run", "--verbose", "--catalog", catalog.display().to_string()],
            "env": {
                "DOCKSIDE_HOME": home.path().display().to_string(),
                "DOCKSIDE_SECRET_STORE": "file",
                "RUST_LOG": "debug",
            },
            "stderr": "capture",
        },
        "steps": [
            {"op": "callTool", "name": "demo__echo", "arguments": {"message": format!("leak {UNUSED}")}},
            {"op": "callTool", "name": "demo__echo", "arguments": {"message": "harmless"}},
        ],
    }));
    assert_eq!(doc["connected"], true, "{doc}");
    let r = &doc["results"];
    assert_eq!(r[0]["ok"], false, "the stored value passed: {doc}");
    let m = r[0]["error"]["message"].as_str().unwrap();
    assert!(
        m.contains("demo__echo") && m.contains("secret") && !m.contains(UNUSED),
        "{m}"
    );
    assert_eq!(r[1]["result"]["content"][0]["text"], "harmless");
    let stderr = doc["stderr"].as_str().unwrap();
    assert!(
        !stderr.contains(UNUSED),
        "the value leaked into the log:\n{stderr}"
    );
}
