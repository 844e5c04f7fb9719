//! `dockside catalog import --docker` then `export --docker` gives Docker back its own data.

mod support;

use std::path::Path;

use support::{snapshot, yaml, Sandbox, FIXTURE};
use yaml_serde::Value;

fn keys(value: &Value) -> Vec<String> {
    let map = value.as_mapping().unwrap();
    map.keys().map(|k| k.as_str().unwrap().to_owned()).collect()
}

#[test]
fn import_then_export_gives_back_every_enabled_server_as_data() {
    let sandbox = Sandbox::new();
    let out = tempfile::tempdir().unwrap();
    let imported = sandbox.ok(&["catalog", "import", "--docker", FIXTURE]);
    assert!(imported.contains("6 server(s) imported"), "{imported}");
    sandbox.ok(&[
        "catalog",
        "export",
        "--docker",
        out.path().to_str().unwrap(),
    ]);

    let enabled = keys(&yaml(&Path::new(FIXTURE).join("registry.yaml"))["registry"]);
    let mut compared = Vec::new();
    for entry in std::fs::read_dir(Path::new(FIXTURE).join("catalogs")).unwrap() {
        let source_path = entry.unwrap().path();
        let source = yaml(&source_path);
        let exported = yaml(
            &out.path()
                .join("catalogs")
                .join(source_path.file_name().unwrap()),
        );
        for (key, value) in source.as_mapping().unwrap() {
            if key.as_str() != Some("registry") {
                assert_eq!(
                    &exported[key],
                    value,
                    "top-level `{key:?}` of {}",
                    source_path.display()
                );
            }
        }
        for (name, server) in source["registry"].as_mapping().unwrap() {
            let name = name.as_str().unwrap();
            if enabled.iter().any(|e| e == name) {
                assert_eq!(&exported["registry"][name], server, "server {name}");
                compared.push(name.to_owned());
            }
        }
    }
    compared.sort();
    assert_eq!(
        compared,
        [
            "clickhouse",
            "duckduckgo",
            "gitmcpmoby",
            "my-custom-server",
            "my-mcp",
            "playwright"
        ]
    );

    let mut registry = keys(&yaml(&out.path().join("registry.yaml"))["registry"]);
    registry.sort();
    assert_eq!(registry, compared);
    let (config_in, config_out) = (
        yaml(&Path::new(FIXTURE).join("config.yaml")),
        yaml(&out.path().join("config.yaml")),
    );
    let tools_in = yaml(&Path::new(FIXTURE).join("tools.yaml"));
    let tools_out = yaml(&out.path().join("tools.yaml"));
    for name in &compared {
        assert_eq!(
            config_out.get(name),
            config_in.get(name),
            "config of {name}"
        );
        assert_eq!(tools_out.get(name), tools_in.get(name), "tools of {name}");
    }
}

#[test]
fn reimport_changes_nothing_and_keeps_modes() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["catalog", "import", "--docker", FIXTURE]);
    sandbox.ok(&["server", "mode", "clickhouse", "off"]);
    let before = snapshot(sandbox.path());
    sandbox.ok(&["catalog", "import", "--docker", FIXTURE]);
    assert_eq!(snapshot(sandbox.path()), before);
}

#[test]
fn unknown_keys_survive_edits_and_untouched_catalogs_keep_their_bytes() {
    let sandbox = Sandbox::new();
    let original = "# my servers\nversion: 3\nname: mine\nx-team: {owner: me}\nregistry:\n  s:\n    dateAdded: \"2025-01-01T00:00:00Z\"\n    image: mcp/s\n    ref: \"\"\n    secrets:\n      - {name: s.token, env: TOKEN, example: <TOKEN>}\n    metadata: {category: test, stars: 3}\n    resources: {}\n";
    let other =
        "# untouched, with a comment\nregistry:\n  t:\n    image: mcp/t   # trailing comment\n";
    sandbox.write("catalogs/mine.yaml", original);
    sandbox.write("catalogs/other.yaml", other);
    sandbox.ok(&["server", "edit", "s", "--title", "S", "--long-lived"]);
    sandbox.ok(&["server", "mode", "s", "docker"]);

    let mut expected: Value = yaml_serde::from_str(original).unwrap();
    expected["registry"]["s"]["title"] = Value::from("S");
    expected["registry"]["s"]["longLived"] = Value::from(true);
    assert_eq!(yaml(&sandbox.path().join("catalogs/mine.yaml")), expected);
    assert_eq!(
        std::fs::read_to_string(sandbox.path().join("catalogs/other.yaml")).unwrap(),
        other
    );
    let written = std::fs::read_to_string(sandbox.path().join("catalogs/mine.yaml")).unwrap();
    assert!(
        written.starts_with("version: 3\nname: mine\nx-team:"),
        "key order kept:\n{written}"
    );
}
