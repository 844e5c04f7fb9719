//! The gateway's Streamable HTTP transport with real clients: the TypeScript and Python SDKs,
//! many concurrent sessions, per-server endpoints, and the token / Origin / Host checks.

#[path = "gateway_support.rs"]
mod support;

use serde_json::json;
use support::*;

/// `dockside gateway run --transport streaming` over the two-server catalog.
fn start(home: &TestHome, extra: &[&str]) -> HttpGateway {
    streaming_gateway(home, &home.two_servers(), extra)
}

fn connect(gw: &HttpGateway, home: &TestHome, path: &str) -> serde_json::Value {
    json!({"url": gw.url(path), "headers": {"Authorization": format!("Bearer {}", token(home))}})
}

#[test]
fn typescript_sdk_through_http_gateway() {
    let home = TestHome::new();
    let gw = start(&home, &[]);
    let doc = node_scenario(&json!({"connect": connect(&gw, &home, "/mcp"), "extended": true}));
    assert_scenario(&doc);
    assert_extended(&doc);
    let everything = doc["steps"]["progressEverything"]["result"]["progress"]
        .as_array()
        .unwrap()
        .len();
    assert!((2..=3).contains(&everything), "{doc}");
}

#[test]
fn python_sdk_through_http_gateway() {
    let home = TestHome::new();
    let gw = start(&home, &[]);
    let doc = python_scenario(&json!({"connect": connect(&gw, &home, "/mcp")}));
    assert_scenario(&doc);
}

#[test]
fn twenty_concurrent_clients_make_two_hundred_calls_each_all_matched() {
    let home = TestHome::new();
    let gw = start(&home, &[]);
    let mut spec = connect(&gw, &home, "/mcp");
    spec["clients"] = json!(20);
    spec["calls"] = json!(200);
    spec["tool"] = json!("demo__echo");
    let doc = node_load(&spec);
    assert_eq!(doc["matched"], 4000, "{doc}");
    assert_eq!(doc["mismatched"], 0, "{doc}");
    assert_eq!(doc["distinctSessions"], 20, "{doc}");
}

#[test]
fn no_token_is_401_foreign_origin_or_host_is_403() {
    let home = TestHome::new();
    let gw = start(&home, &[]);
    let auth = format!("Authorization: Bearer {}\r\n", token(&home));

    let (status, text) = post_initialize(&gw.addr, "/mcp", "");
    assert_eq!(status, 401, "{text}");
    assert!(
        text.to_lowercase().contains("www-authenticate: bearer"),
        "{text}"
    );
    let (status, _) = post_initialize(&gw.addr, "/mcp", "Authorization: Bearer wrong\r\n");
    assert_eq!(status, 401);
    let (status, text) = post_initialize(
        &gw.addr,
        "/mcp",
        &format!("{auth}Origin: http://evil.example\r\n"),
    );
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("Origin"), "{text}");
    // DNS rebinding: a foreign Host name pointing at 127.0.0.1.
    let body = "{}";
    let (status, _) = http_raw(
        &gw.addr,
        &format!(
            "POST /mcp HTTP/1.1\r\nHost: rebind.example:80\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    assert_eq!(status, 403);
    // A local Origin with the token is served.
    let (status, text) = post_initialize(
        &gw.addr,
        "/mcp",
        &format!("{auth}Origin: http://localhost:3000\r\n"),
    );
    assert_eq!(status, 200, "{text}");
    assert!(text.to_lowercase().contains("mcp-session-id:"), "{text}");
}

#[test]
fn allow_unauthenticated_needs_no_token() {
    let home = TestHome::new();
    let gw = start(&home, &["--allow-unauthenticated"]);
    let (status, text) = post_initialize(&gw.addr, "/mcp", "");
    assert_eq!(status, 200, "{text}");
    assert!(!home.path().join("token").exists());
}

#[test]
fn per_server_endpoint_uses_own_names_and_the_same_upstream() {
    let home = TestHome::new();
    let gw = start(&home, &[]);
    let steps = json!([
        {"op": "listTools"},
        {"op": "callTool", "name": "echo", "arguments": {"message": "own name"}},
        {"op": "readResource", "uri": "demo://info"},
        {"op": "getPrompt", "name": "greet", "arguments": {"name": "Ada"}},
    ]);
    let scoped = dockside_e2e::mcp_client(
        &json!({"connect": connect(&gw, &home, "/mcp/demo"), "steps": steps}),
    );
    assert_eq!(scoped["ok"], true, "{scoped}");
    let names: Vec<&str> = scoped["results"][0]["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"echo") && names.contains(&"sleep"),
        "{names:?}"
    );
    assert!(
        !names
            .iter()
            .any(|n| n.contains("__") || n.contains("everything")),
        "{names:?}"
    );
    assert_eq!(
        scoped["results"][1]["result"]["content"][0]["text"],
        "own name"
    );
    assert_eq!(
        scoped["server"]["name"], "demo",
        "the scoped endpoint reports the server's own serverInfo"
    );

    let aggregated = dockside_e2e::mcp_client(&json!({
        "connect": connect(&gw, &home, "/mcp"),
        "steps": [{"op": "readResource", "uri": "demo://info"}],
    }));
    let pid = |doc: &serde_json::Value, i: usize| -> u64 {
        let text = doc["results"][i]["result"]["contents"][0]["text"]
            .as_str()
            .unwrap()
            .to_string();
        serde_json::from_str::<serde_json::Value>(&text).unwrap()["pid"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(
        pid(&scoped, 2),
        pid(&aggregated, 0),
        "both endpoints share one running demo-server"
    );

    let (status, text) = post_initialize(
        &gw.addr,
        "/mcp/no-such-server",
        &format!("Authorization: Bearer {}\r\n", token(&home)),
    );
    assert_eq!(status, 404, "{text}");
}

#[test]
fn servers_die_with_a_killed_gateway() {
    let home = TestHome::new();
    let mut gw = start(&home, &[]);
    let doc = dockside_e2e::mcp_client(&json!({
        "connect": connect(&gw, &home, "/mcp"),
        "steps": [{"op": "readResource", "uri": "demo://info"}],
    }));
    let text = doc["results"][0]["result"]["contents"][0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    let pid = serde_json::from_str::<serde_json::Value>(&text).unwrap()["pid"]
        .as_u64()
        .unwrap();
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    // SIGKILL: no chance to clean up; PR_SET_PDEATHSIG takes the children down.
    gw.child.kill().unwrap();
    gw.child.wait().unwrap();
    wait_for(
        "demo-server to die with the gateway",
        std::time::Duration::from_secs(10),
        || {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, r)| r.split_whitespace().next().map(str::to_string));
            (stat.is_empty() || state.as_deref() == Some("Z")).then_some(())
        },
    );
}

/// Runs `steps` with the TypeScript SDK client against `path` of the gateway; the results by label.
fn task_steps(
    gw: &HttpGateway,
    home: &TestHome,
    path: &str,
    steps: serde_json::Value,
) -> std::collections::HashMap<String, serde_json::Value> {
    let doc =
        dockside_e2e::mcp_client(&json!({"connect": connect(gw, home, path), "steps": steps}));
    assert_eq!(doc["connected"], true, "{doc}");
    doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["label"].as_str().unwrap().to_owned(), r.clone()))
        .collect()
}

/// server-everything's task tool (MCP tasks, 2025-11-25), created, polled, listed and fetched
/// through the aggregated endpoint, where task ids carry their server; through the per-server
/// endpoint the ids are the server's own.
#[test]
fn tasks_are_namespaced_per_server_on_the_aggregated_endpoint() {
    let home = TestHome::new();
    let gw = start(&home, &[]);
    let flow = |tool: &str| {
        json!([
            {"label": "create", "op": "request", "method": "tools/call", "params": {
                "name": tool, "arguments": {"topic": "tide pools ✓"}, "task": {"ttl": 60000}}},
            {"label": "get", "op": "request", "method": "tasks/get",
                "params": {"taskId": "${create:task.taskId}"}},
            {"label": "list", "op": "request", "method": "tasks/list"},
            {"label": "result", "op": "request", "method": "tasks/result",
                "params": {"taskId": "${create:task.taskId}"}},
            {"label": "unknown", "op": "request", "method": "tasks/get",
                "params": {"taskId": "nobody:1"}},
        ])
    };
    let ok = |r: &serde_json::Value| {
        assert_eq!(r["ok"], true, "{r}");
        r["result"].clone()
    };

    let agg = task_steps(
        &gw,
        &home,
        "/mcp",
        flow("everything__simulate-research-query"),
    );
    let id = ok(&agg["create"])["task"]["taskId"]
        .as_str()
        .unwrap()
        .to_owned();
    let own = id
        .strip_prefix("everything:")
        .unwrap_or_else(|| panic!("task id {id} names its server"));
    assert!(!own.is_empty() && !own.contains("everything"), "{id}");
    assert_eq!(ok(&agg["get"])["taskId"], id.as_str());
    let listed = ok(&agg["list"]);
    let ids: Vec<_> = listed["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["taskId"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&id.as_str()), "{listed}");
    assert!(ids.iter().all(|t| t.starts_with("everything:")), "{listed}");
    let result = ok(&agg["result"]);
    assert!(
        result["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("tide pools ✓"),
        "{result}"
    );
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/related-task"]["taskId"],
        id.as_str(),
        "{result}"
    );
    let unknown = &agg["unknown"];
    assert_eq!(unknown["ok"], false, "{unknown}");
    assert_eq!(unknown["error"]["code"], -32602, "{unknown}");
    assert!(
        unknown["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown task 'nobody:1'"),
        "{unknown}"
    );

    let scoped = task_steps(
        &gw,
        &home,
        "/mcp/everything",
        flow("simulate-research-query"),
    );
    let own_id = ok(&scoped["create"])["task"]["taskId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!own_id.starts_with("everything:"), "{own_id}");
    assert_eq!(ok(&scoped["get"])["taskId"], own_id.as_str());
    assert_eq!(
        ok(&scoped["result"])["_meta"]["io.modelcontextprotocol/related-task"]["taskId"],
        own_id.as_str()
    );
}
