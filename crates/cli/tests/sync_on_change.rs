//! Changing a server (`server add`, `mode`, `edit`, `remove`) rewrites the entries of every
//! connected AI client at once: no `dockside client sync` needed.

mod support;

use support::Sandbox;

fn cursor_servers(user_home: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(user_home.join(".cursor/mcp.json")).unwrap();
    serde_json::from_str::<serde_json::Value>(&text).unwrap()["mcpServers"].clone()
}

#[test]
fn connected_clients_follow_every_server_change() {
    let sandbox = Sandbox::new();
    let user_home = tempfile::tempdir().unwrap();
    let original = "{\n  \"theme\": \"dark\",\n  \"mcpServers\": {\n    \"mine\": { \"command\": \"mine-server\" }\n  }\n}\n";
    std::fs::create_dir_all(user_home.path().join(".cursor")).unwrap();
    std::fs::write(user_home.path().join(".cursor/mcp.json"), original).unwrap();
    let run = |args: &[&str]| {
        let output = sandbox
            .command(args)
            .env("HOME", user_home.path())
            .env("XDG_CONFIG_HOME", user_home.path().join(".config"))
            .env("DOCKSIDE_LAUNCHER", "/opt/dockside")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "dockside {args:?}: {}",
            support::text(&output.stderr)
        );
    };

    run(&["client", "connect", "cursor"]);
    run(&[
        "server",
        "add",
        "notes",
        "--",
        "node",
        "/src/notes/index.js",
    ]);
    let servers = cursor_servers(user_home.path());
    assert_eq!(servers["notes"]["command"], "/opt/dockside");
    assert_eq!(
        servers["notes"]["args"],
        serde_json::json!(["connect", "--server", "notes"])
    );
    assert_eq!(servers["mine"]["command"], "mine-server");

    run(&["server", "mode", "notes", "native"]);
    let servers = cursor_servers(user_home.path());
    assert_eq!(servers["notes"]["command"], "node");
    assert_eq!(
        servers["notes"]["args"],
        serde_json::json!(["/src/notes/index.js"])
    );

    run(&["server", "edit", "notes", "--env", "LEVEL=debug"]);
    let servers = cursor_servers(user_home.path());
    assert_eq!(servers["notes"]["env"]["LEVEL"], "debug");

    run(&["server", "mode", "notes", "off"]);
    assert!(cursor_servers(user_home.path()).get("notes").is_none());

    run(&["server", "mode", "notes", "managed"]);
    run(&["server", "remove", "notes"]);
    run(&["client", "disconnect", "cursor"]);
    assert_eq!(
        std::fs::read_to_string(user_home.path().join(".cursor/mcp.json")).unwrap(),
        original,
        "after removing our server and disconnecting, the user's file is byte-identical"
    );
}

/// A change whose client file cannot be written is not made at all: the catalogs and the state
/// stay byte for byte as they were (no server half-added, half-removed or half-edited).
#[test]
fn a_change_that_cannot_reach_a_client_is_not_made() {
    let sandbox = Sandbox::new();
    let user_home = tempfile::tempdir().unwrap();
    let cursor = user_home.path().join(".cursor/mcp.json");
    std::fs::create_dir_all(cursor.parent().unwrap()).unwrap();
    std::fs::write(&cursor, "{\"mcpServers\": {}}\n").unwrap();
    let dockside = |args: &[&str]| {
        sandbox
            .command(args)
            .env("HOME", user_home.path())
            .env("XDG_CONFIG_HOME", user_home.path().join(".config"))
            .env("DOCKSIDE_LAUNCHER", "/opt/dockside")
            .output()
            .unwrap()
    };
    let add = ["server", "add", "notes", "--", "node", "/src/notes.js"];
    assert!(dockside(&["client", "connect", "cursor"]).status.success());
    assert!(dockside(&add).status.success());
    let files = || {
        let mut found = Vec::new();
        for dir in [sandbox.path().to_owned(), sandbox.path().join("catalogs")] {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() {
                    found.push((path.clone(), std::fs::read(&path).unwrap()));
                }
            }
        }
        found.sort();
        found
    };
    let broken = "{\"mcpServers\": { oops\n";
    std::fs::write(&cursor, broken).unwrap();
    let before = files();
    for args in [
        &["server", "add", "other", "--", "node", "/src/other.js"][..],
        &["server", "edit", "notes", "--env", "LEVEL=debug"],
        &["server", "remove", "notes"],
    ] {
        let out = dockside(args);
        assert!(!out.status.success(), "dockside {args:?} succeeded");
        let stderr = support::text(&out.stderr);
        assert!(
            stderr.contains("could not be synced, so the change was not made")
                && stderr.contains(".cursor/mcp.json"),
            "dockside {args:?}: {stderr}"
        );
        assert_eq!(
            files(),
            before,
            "dockside {args:?} changed Dockside's files"
        );
        assert_eq!(std::fs::read_to_string(&cursor).unwrap(), broken);
    }
}
