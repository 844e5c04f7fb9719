//! `dockside gateway run` over stdio with real MCP clients: the TypeScript SDK, the Python SDK
//! and the MCP Inspector CLI, in front of dockside-demo-server and server-everything.

#[path = "gateway_support.rs"]
mod support;

use serde_json::json;
use support::*;

fn stdio_connect(home: &TestHome, catalog: &std::path::Path) -> serde_json::Value {
    json!({
        "command": bin("dockside").display().to_string(),
        "args": ["gateway", "run", "--catalog", catalog.display().to_string()],
        "env": {"DOCKSIDE_HOME": home.path().display().to_string()},
    })
}

#[test]
fn typescript_sdk_through_stdio_gateway() {
    let home = TestHome::new();
    let catalog = home.two_servers();
    let doc = node_scenario(&json!({"connect": stdio_connect(&home, &catalog), "extended": true}));
    assert_scenario(&doc);
    assert_extended(&doc);
    // Only in the TypeScript scenario: server-everything's progress and a prompt of each.
    let steps = &doc["steps"];
    let everything = steps["progressEverything"]["result"]["progress"]
        .as_array()
        .unwrap()
        .len();
    assert!((2..=3).contains(&everything), "{doc}");
    assert_eq!(steps["unknownTool"]["error"]["code"], -32602);
    assert_eq!(steps["toolError"]["result"]["isError"], true);
    let prompts = steps["prompts"]["result"]["names"].to_string();
    assert!(
        prompts.contains("demo__greet") && prompts.contains("everything__simple-prompt"),
        "{prompts}"
    );
    assert!(
        steps["resources"]["result"]["templated"] == "hello there",
        "{doc}"
    );
}

#[test]
fn python_sdk_through_stdio_gateway() {
    let home = TestHome::new();
    let catalog = home.two_servers();
    let doc = python_scenario(&json!({"connect": stdio_connect(&home, &catalog)}));
    assert_scenario(&doc);
}

#[test]
fn inspector_cli_lists_tools_through_gateway() {
    let home = TestHome::new();
    let catalog = home.two_servers();
    let output = std::process::Command::new("npx")
        .current_dir(node_dir())
        .args([
            "--no-install",
            "@modelcontextprotocol/inspector",
            "--cli",
            "-e",
        ])
        .arg(format!("DOCKSIDE_HOME={}", home.path().display()))
        .arg(bin("dockside"))
        .args(["gateway", "run", "--catalog"])
        .arg(&catalog)
        .args(["--method", "tools/list"])
        .output()
        .expect("run npx");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "inspector failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("inspector prints JSON");
    let names: Vec<&str> = doc["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"demo__echo") && names.contains(&"everything__echo"),
        "{names:?}"
    );
}

#[test]
fn dry_run_lists_tools_and_exits_0() {
    let home = TestHome::new();
    let catalog = home.two_servers();
    let out = home
        .dockside()
        .args(["gateway", "run", "--dry-run", "--catalog"])
        .arg(&catalog)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("demo: ok") && stdout.contains("  demo__echo"),
        "{stdout}"
    );
    assert!(
        stdout.contains("everything: ok") && stdout.contains("  everything__echo"),
        "{stdout}"
    );
}

#[test]
fn dry_run_with_a_missing_command_exits_1_naming_the_server() {
    let home = TestHome::new();
    let catalog = home.write_catalog(
        "broken",
        &[
            ("demo", demo_command("demo")),
            ("ghost", vec!["/nonexistent/dockside-no-such-server".into()]),
        ],
    );
    let out = home
        .dockside()
        .args(["gateway", "run", "--dry-run", "--catalog"])
        .arg(&catalog)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("server 'ghost'")
            && stderr.contains("/nonexistent/dockside-no-such-server"),
        "{stderr}"
    );
}

#[test]
fn tools_flag_and_prefix_flags_shape_the_list() {
    let home = TestHome::new();
    let catalog = home.two_servers();
    let out = home
        .dockside()
        .args([
            "gateway",
            "run",
            "--dry-run",
            "--tools",
            "demo:echo,everything:*",
            "--prefix",
            "everything=ev",
            "--catalog",
        ])
        .arg(&catalog)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("  demo__echo") && !stdout.contains("demo__add"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  ev__echo") && !stdout.contains("everything__echo"),
        "{stdout}"
    );
    // No prefix at all: both servers have `echo`; the collision is reported, not shadowed silently.
    let out = home
        .dockside()
        .args(["gateway", "run", "--dry-run", "--no-prefix", "--catalog"])
        .arg(&catalog)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("warning: tool name collision: 'echo'"),
        "{stdout}"
    );
}

#[test]
fn managed_servers_from_the_home_with_state_allow_lists_and_long_names() {
    let home = TestHome::new();
    home.write_catalog(
        "e2e",
        &[
            ("demo", demo_command("demo")),
            ("idle", demo_command("idle")),
        ],
    );
    // Only `demo` is managed; its tools.yaml-style allow-list keeps two tools.
    std::fs::write(
        home.path().join("state.yaml"),
        "servers:\n  demo:\n    mode: managed\n    tools: [echo, write_file]\n",
    )
    .unwrap();
    let long = "a-very-long-prefix-that-goes-on-and-on-for-the-sake-of-it";
    let out = home
        .dockside()
        .args(["gateway", "run", "--dry-run", "--prefix"])
        .arg(format!("demo={long}"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("demo: ok") && stdout.contains("2 tools"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("idle"),
        "servers that are not managed do not run: {stdout}"
    );
    let names: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .collect();
    assert_eq!(names.len(), 2, "{stdout}");
    for n in &names {
        assert!(n.len() <= 60, "{n}");
    }
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("a-very-long-pref__echo")),
        "{names:?}"
    );
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("a-very-long-pref__write_file_")),
        "{names:?}"
    );
    assert!(
        stdout.contains("warning: tool 'write_file' of server 'demo' is exposed as"),
        "{stdout}"
    );
}
