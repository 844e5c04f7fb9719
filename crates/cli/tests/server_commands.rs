//! `dockside server …` and `dockside catalog demo|list` on a fresh `DOCKSIDE_HOME`.

mod support;

use support::{snapshot, Sandbox};

#[test]
fn add_edit_mode_remove_and_list() {
    let sandbox = Sandbox::new();
    assert_eq!(
        sandbox.json(&["server", "list", "--json"]),
        serde_json::json!([])
    );
    sandbox.ok(&[
        "server",
        "add",
        "notes",
        "--env",
        "A=1",
        "--no-prefix",
        "--",
        "bun",
        "run",
        "/src/notes/index.ts",
    ]);
    sandbox.ok(&[
        "server",
        "add",
        "gh",
        "--catalog",
        "team",
        "--image",
        "mcp/github",
        "--prefix",
        "gh",
        "--long-lived",
        "--",
        "--read-only",
    ]);

    let list = sandbox.json(&["server", "list", "--json"]);
    let notes = &list[0];
    assert_eq!(notes["name"], "notes");
    assert_eq!(notes["catalog"], "local");
    assert_eq!(notes["mode"], "managed");
    assert_eq!(notes["kind"], "host-command");
    assert_eq!(
        notes["hostCommand"],
        serde_json::json!(["bun", "run", "/src/notes/index.ts"])
    );
    assert_eq!(notes["runtimeImage"], "oven/bun:1-slim");
    assert_eq!(notes["prefix"], "");
    let gh = &list[1];
    assert_eq!(
        (&gh["mode"], &gh["kind"], &gh["image"]),
        (&"docker".into(), &"container".into(), &"mcp/github".into())
    );
    assert_eq!(gh["command"], serde_json::json!(["--read-only"]));
    assert_eq!(
        (&gh["prefix"], &gh["longLived"]),
        (&"gh".into(), &true.into())
    );

    sandbox.ok(&["server", "mode", "notes", "docker"]);
    sandbox.ok(&["server", "mode", "notes", "native"]);
    let stderr = sandbox.fails(&["server", "mode", "gh", "native"]);
    assert!(stderr.contains("cannot run in `native` mode"), "{stderr}");
    sandbox.ok(&[
        "server",
        "edit",
        "notes",
        "--env",
        "A=2",
        "--env",
        "B=3",
        "--runtime-image",
        "my/bun",
        "--",
        "bun",
        "/src/notes/main.ts",
    ]);
    sandbox.ok(&[
        "server",
        "edit",
        "gh",
        "--long-lived=false",
        "--host-command",
        "/opt/gh/server stdio 'a b'",
    ]);
    sandbox.ok(&["server", "mode", "gh", "managed"]);
    let stderr = sandbox.fails(&["server", "add", "notes", "--", "x"]);
    assert!(
        stderr.contains("already exists in catalog `local`"),
        "{stderr}"
    );

    let list = sandbox.json(&["server", "list", "--json"]);
    assert_eq!(list[0]["mode"], "native");
    assert_eq!(list[0]["runtimeImage"], "my/bun");
    assert_eq!(
        list[0]["command"],
        serde_json::json!(["bun", "/src/notes/main.ts"])
    );
    assert_eq!(list[1]["longLived"], false);
    assert_eq!(
        list[1]["hostCommand"],
        serde_json::json!(["/opt/gh/server", "stdio", "a b"])
    );
    assert_eq!(list[1]["mode"], "managed");
    let stderr = sandbox.fails(&["server", "edit", "gh", "--host-command", ""]);
    assert!(stderr.contains("cannot run in `managed` mode"), "{stderr}");
    let team = std::fs::read_to_string(sandbox.path().join("catalogs/team.yaml")).unwrap();
    assert!(
        team.contains("type: server\n    image: mcp/github"),
        "{team}"
    );
    let catalog = std::fs::read_to_string(sandbox.path().join("catalogs/local.yaml")).unwrap();
    assert!(
        catalog.contains("name: A\n      value: '2'") && catalog.contains("x-dockside:"),
        "{catalog}"
    );

    sandbox.ok(&["server", "remove", "notes"]);
    sandbox.fails(&["server", "remove", "notes"]);
    let list = sandbox.json(&["server", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let state = std::fs::read_to_string(sandbox.path().join("state.yaml")).unwrap();
    assert!(!state.contains("notes"), "{state}");
    let catalogs = sandbox.json(&["catalog", "list", "--json"]);
    assert_eq!(catalogs[1]["id"], "team");
    assert_eq!(catalogs[1]["servers"], serde_json::json!(["gh"]));
}

#[test]
fn demo_installs_once_with_an_absolute_host_command() {
    let sandbox = Sandbox::new();
    let bin = tempfile::tempdir().unwrap();
    let fake = bin.path().join("dockside-demo-server");
    std::fs::write(&fake, "#!/bin/sh\n").unwrap();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = |args: &[&str]| {
        let output = sandbox.command(args).env("PATH", &path).output().unwrap();
        assert!(output.status.success(), "{}", support::text(&output.stderr));
    };
    run(&["catalog", "demo"]);
    let before = snapshot(sandbox.path());
    run(&["catalog", "demo"]);
    assert_eq!(
        snapshot(sandbox.path()),
        before,
        "second install changed files"
    );

    let demo = &sandbox.json(&["server", "list", "--json"])[0];
    assert_eq!(
        (&demo["name"], &demo["catalog"], &demo["mode"]),
        (&"demo".into(), &"demo".into(), &"managed".into())
    );
    assert_eq!(demo["image"], "dockside/demo-server:local");
    let program = std::path::PathBuf::from(demo["hostCommand"][0].as_str().unwrap());
    assert!(
        program.is_absolute() && program.is_file() && program.ends_with("dockside-demo-server"),
        "{program:?}"
    );

    let empty = tempfile::tempdir().unwrap();
    let output = Sandbox::new()
        .command(&["catalog", "demo"])
        .env("PATH", empty.path())
        .output()
        .unwrap();
    let beside =
        std::path::Path::new(env!("CARGO_BIN_EXE_dockside")).with_file_name("dockside-demo-server");
    if !beside.exists() {
        assert!(support::text(&output.stderr).contains("cargo build -p dockside-demo-server"));
    }
}

#[test]
fn every_command_has_help() {
    let sandbox = Sandbox::new();
    for args in [
        &["--help"][..],
        &["catalog", "--help"],
        &["catalog", "import", "--help"],
        &["catalog", "export", "--help"],
        &["catalog", "validate", "--help"],
        &["catalog", "list", "--help"],
        &["catalog", "demo", "--help"],
        &["server", "--help"],
        &["server", "list", "--help"],
        &["server", "add", "--help"],
        &["server", "edit", "--help"],
        &["server", "mode", "--help"],
        &["server", "remove", "--help"],
        &["auth", "--help"],
        &["auth", "login", "--help"],
        &["auth", "ls", "--help"],
        &["auth", "logout", "--help"],
    ] {
        let help = sandbox.ok(args);
        assert!(help.contains("Usage: dockside"), "{args:?}: {help}");
    }
    assert!(sandbox
        .ok(&["server", "mode", "--help"])
        .contains("native   the AI client runs it directly"));
}

#[test]
fn limits_and_network_are_checked_and_kept_in_the_state() {
    let sandbox = Sandbox::new();
    sandbox.ok(&[
        "server", "add", "s", "--cpus", "0.5", "--memory", "256m", "--", "node", "/s.js",
    ]);
    sandbox.ok(&["server", "edit", "s", "--pids", "64", "--network", "none"]);
    let before = snapshot(sandbox.path());
    assert!(sandbox
        .ok(&["server", "edit", "s"])
        .contains("nothing to change"));
    for (flag, value, words) in [
        ("--cpus", "0", "cpus must be a number above 0"),
        ("--memory", "lots", "memory must be"),
        ("--pids", "0", "--pids"),
        ("--network", "sometimes", "use catalog, none or open"),
    ] {
        let stderr = sandbox.fails(&["server", "edit", "s", flag, value]);
        assert!(stderr.contains(words), "{flag} {value}: {stderr}");
    }
    assert_eq!(snapshot(sandbox.path()), before);
    let s = &sandbox.json(&["server", "list", "--json"])[0];
    assert_eq!(
        s["limits"],
        serde_json::json!({"cpus": 0.5, "memory": "256m", "pids": 64})
    );
    assert_eq!(s["network"], "none");
}

#[test]
fn a_remote_server_is_added_in_dockers_shape_and_bad_input_is_named() {
    let sandbox = Sandbox::new();
    let out = sandbox.ok(&[
        "server",
        "add",
        "linear",
        "--url",
        "https://mcp.linear.app/mcp",
        "--header",
        "Authorization=Bearer lin_api_0123456789abcdef",
        "--header",
        "X-Team: platform",
    ]);
    assert!(out.contains("(managed)"), "{out}");
    assert!(!out.contains("lin_api_0123456789abcdef"), "{out}");
    sandbox.ok(&[
        "server",
        "add",
        "docs",
        "--url",
        "http://127.0.0.1:9/sse",
        "--transport",
        "sse",
        "--mode",
        "native",
    ]);
    let catalog = std::fs::read_to_string(sandbox.path().join("catalogs/local.yaml")).unwrap();
    assert_eq!(
        catalog,
        "registry:\n  linear:\n    type: remote\n    remote:\n      url: https://mcp.linear.app/mcp\n      \
         headers:\n        Authorization: ${secret:linear.authorization}\n        X-Team: platform\n  \
         docs:\n    type: remote\n    remote:\n      url: http://127.0.0.1:9/sse\n      transport_type: sse\n"
    );
    sandbox.ok(&["server", "edit", "docs", "--transport", "streamable-http"]);
    assert!(
        std::fs::read_to_string(sandbox.path().join("catalogs/local.yaml"))
            .unwrap()
            .contains("transport_type: streamable-http")
    );

    let before = snapshot(sandbox.path());
    for (args, said) in [
        (
            &["server", "add", "x", "--url", "ftp://h/mcp"][..],
            "not an http:// or https:// URL",
        ),
        (
            &["server", "add", "x", "--url", "mcp.example.com"],
            "is not a URL",
        ),
        (
            &[
                "server",
                "add",
                "x",
                "--url",
                "https://h/mcp",
                "--transport",
                "ws",
            ],
            "unknown transport_type `ws`",
        ),
        (
            &[
                "server",
                "add",
                "x",
                "--url",
                "https://h/mcp",
                "--header",
                "Bad Name=1",
            ],
            "`Bad Name` is not a valid HTTP header name",
        ),
        (
            &[
                "server", "add", "x", "--header", "A=1", "--", "node", "x.js",
            ],
            "--transport and --header are for a remote server",
        ),
        (
            &[
                "server",
                "add",
                "x",
                "--url",
                "https://h/mcp",
                "--image",
                "mcp/x",
            ],
            "cannot be used with",
        ),
        (&["server", "mode", "linear", "docker"], "use `managed`"),
    ] {
        let err = sandbox.fails(args);
        assert!(err.contains(said), "{args:?}: {err}");
    }
    assert_eq!(
        snapshot(sandbox.path()),
        before,
        "a refused command wrote nothing"
    );
}
