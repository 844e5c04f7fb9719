//! Hot reload: a catalog edit adds a server while clients stay connected; they are told the
//! tools changed and the servers that did not change keep running (same PID).

#[path = "gateway_support.rs"]
mod support;

use std::time::Duration;

use serde_json::json;
use support::*;

fn pid_of(doc: &serde_json::Value, i: usize) -> u64 {
    let text = doc["results"][i]["result"]["contents"][0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    serde_json::from_str::<serde_json::Value>(&text).unwrap()["pid"]
        .as_u64()
        .unwrap()
}

#[test]
fn catalog_edit_adds_a_server_with_list_changed_and_the_other_keeps_its_pid() {
    let home = TestHome::new();
    let catalog = home.write_catalog("e2e", &[("demo", demo_command("demo"))]);
    let mut cmd = home.dockside();
    cmd.args(["daemon", "--catalog"]).arg(&catalog);
    let gw = HttpGateway::start(cmd);
    let token = token(&home);
    wait_for("demo running", Duration::from_secs(30), || {
        let (_, s) = api(&gw.addr, &token, "GET", "/api/servers", None);
        (s[0]["state"] == "running").then_some(())
    });
    let editor = {
        let home_path = home.path().to_path_buf();
        let demo = demo_command("demo");
        let demo2 = demo_command("demo2");
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(1500));
            let h = TestHome {
                dir: tempfile::TempDir::new_in(&home_path).unwrap(),
            };
            // Rewrite the watched catalog file in place (write + rename).
            let written = h.write_catalog("e2e", &[("demo", demo), ("demo2", demo2)]);
            std::fs::rename(written, home_path.join("catalogs/e2e.yaml")).unwrap();
        })
    };
    let doc = dockside_e2e::mcp_client(&json!({
        "connect": {"url": gw.url("/mcp"), "headers": {"Authorization": format!("Bearer {token}")}},
        "timeoutMs": 30000,
        "steps": [
            {"op": "readResource", "uri": "demo://info"},
            {"op": "listTools"},
            {"op": "waitForNotification", "method": "notifications/tools/list_changed"},
            {"op": "wait", "ms": 300},
            {"op": "listTools"},
            {"op": "callTool", "name": "demo2__echo", "arguments": {"message": "new server"}},
            {"op": "readResource", "uri": "demo://info"},
        ],
    }));
    editor.join().unwrap();
    assert_eq!(doc["ok"], true, "{doc}");
    let before = doc["results"][1]["result"]["tools"].to_string();
    assert!(!before.contains("demo2__"), "{before}");
    let after = doc["results"][4]["result"]["tools"].to_string();
    assert!(
        after.contains("demo2__echo") && after.contains("demo__echo"),
        "{after}"
    );
    assert_eq!(
        doc["results"][5]["result"]["content"][0]["text"],
        "new server"
    );
    assert_eq!(
        pid_of(&doc, 0),
        pid_of(&doc, 6),
        "the unchanged server was not restarted"
    );
    assert!(!doc["closed"].as_bool().unwrap(), "the session stayed up");
}

#[test]
fn stdio_gateway_reloads_its_catalog_too() {
    let home = TestHome::new();
    let catalog = home.write_catalog("e2e", &[("demo", demo_command("demo"))]);
    let editor = {
        let catalog = catalog.clone();
        let cmd2 = demo_command("demo2");
        let demo = demo_command("demo");
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(2500));
            let text = serde_json::to_string_pretty(&json!({"name": "e2e", "registry": {
                "demo": {"command": demo},
                "demo2": {"command": cmd2},
            }}))
            .unwrap();
            let tmp = catalog.with_extension("tmp");
            std::fs::write(&tmp, text).unwrap();
            std::fs::rename(tmp, &catalog).unwrap();
        })
    };
    let doc = dockside_e2e::mcp_client(&json!({
        "connect": {
            "command": bin("dockside").display().to_string(),
            "args": ["gateway", "run", "--catalog", catalog.display().to_string()],
            "env": {"DOCKSIDE_HOME": home.path().display().to_string()},
        },
        "timeoutMs": 30000,
        "steps": [
            {"op": "readResource", "uri": "demo://info"},
            {"op": "waitForNotification", "method": "notifications/tools/list_changed"},
            {"op": "wait", "ms": 300},
            {"op": "listTools"},
            {"op": "readResource", "uri": "demo://info"},
        ],
    }));
    editor.join().unwrap();
    assert_eq!(doc["ok"], true, "{doc}");
    assert!(
        doc["results"][3]["result"]["tools"]
            .to_string()
            .contains("demo2__echo"),
        "{doc}"
    );
    assert_eq!(pid_of(&doc, 0), pid_of(&doc, 4));
}
