//! Live reload in `docker` mode: a host-command server runs in a runtime image with its
//! directory bind-mounted; editing its source restarts it (no image rebuild) and a connected
//! client sees the new code after `list_changed`, without reconnecting.

#[path = "gateway_support.rs"]
mod gateway_support;

#[path = "docker_support.rs"]
mod docker_support;

use std::time::Duration;

use docker_support::*;
use gateway_support::TestHome;
use serde_json::json;

#[test]
fn editing_the_source_of_a_docker_server_restarts_it_with_the_new_code() {
    let _serial = serial();
    let home = TestHome::new();
    let image = node_image();
    let dir = shared_dir();
    let fixture = dockside_e2e::workspace_root().join("tests/fixtures/node-server/server.js");
    let source = std::fs::read_to_string(&fixture).unwrap();
    let script = dir.path().join("server.js");
    std::fs::write(&script, &source).unwrap();
    set_mode(&script, 0o644);
    write_home(
        &home,
        &format!(
            "registry:\n  nodedev:\n    command: [node, {}]\n",
            script.display()
        ),
        &format!("servers:\n  nodedev:\n    mode: docker\n    runtimeImage: {image}\n"),
    );
    let gw = start_daemon(&home);
    let before = wait_state(&home, "nodedev", "running", Duration::from_secs(60));

    let client = {
        let steps = json!([
            {"op": "callTool", "name": "echo", "arguments": {"text": "hi"}},
            // A container may announce list changes of its own as it starts: wait long enough
            // for the edit below to restart it instead of counting notifications.
            {"op": "wait", "ms": 8000},
            {"op": "callTool", "name": "echo", "arguments": {"text": "hi"}},
        ]);
        let url = gw.url("/mcp/nodedev");
        let token = gateway_support::token(&home);
        std::thread::spawn(move || {
            dockside_e2e::mcp_client(&json!({
                "connect": {"url": url, "headers": {"Authorization": format!("Bearer {token}")}},
                "timeoutMs": 90000,
                "steps": steps,
            }))
        })
    };
    // The client is connected (its first call is done) and waits: edit the source.
    gateway_support::wait_for("the first call", Duration::from_secs(60), || {
        let (_, m) = gateway_support::api(
            &gw.addr,
            &gateway_support::token(&home),
            "GET",
            "/api/metrics",
            None,
        );
        (m["servers"][0]["calls"] == 1).then_some(())
    });
    std::thread::sleep(Duration::from_millis(300));
    let edited = source.replace("node echo: ", "node echo v2: ");
    assert_ne!(edited, source);
    let tmp = dir.path().join(".server.js.tmp");
    std::fs::write(&tmp, edited).unwrap();
    set_mode(&tmp, 0o644);
    std::fs::rename(&tmp, &script).unwrap();

    let doc = client.join().unwrap();
    assert_eq!(doc["ok"], true, "{doc:#}");
    assert_eq!(text(&doc["results"][0]), "node echo: hi", "{doc}");
    assert_eq!(text(&doc["results"][2]), "node echo v2: hi", "{doc}");
    assert!(
        doc["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["method"] == "notifications/tools/list_changed"),
        "{doc}"
    );
    let after = wait_state(&home, "nodedev", "running", Duration::from_secs(60));
    assert_eq!(
        after["restarts"], before["restarts"],
        "a reload is not a crash"
    );
}
