//! Package servers' pins against the real npm registry: `server add` pins what `npx` would run,
//! `server update --check` shows a newer version without moving the pin, `server update` moves it,
//! and an unknown package fails with the package and the registry named.

mod support;

use support::Sandbox;

fn pinned_version(sandbox: &Sandbox) -> String {
    let text = std::fs::read_to_string(sandbox.path().join("catalogs/local.yaml")).unwrap();
    let doc: serde_json::Value = yaml_serde::from_str(&text).unwrap();
    doc["registry"]["everything"]["x-dockside"]["package"]["version"]
        .as_str()
        .unwrap_or_else(|| panic!("no pin: {text}"))
        .to_owned()
}

#[test]
fn pins_are_resolved_shown_and_moved() {
    let sandbox = Sandbox::new();
    let mut added = sandbox.command(&[
        "server",
        "add",
        "everything",
        "--mode",
        "native",
        "--",
        "npx",
        "-y",
        "@modelcontextprotocol/server-everything",
    ]);
    let out = added.output().unwrap();
    assert!(out.status.success(), "{}", support::text(&out.stderr));
    let stderr = support::text(&out.stderr);
    assert!(
        stderr.contains("everything: pinned npm:@modelcontextprotocol/server-everything@"),
        "{stderr}"
    );
    let newest = pinned_version(&sandbox);

    // An older pin, as after a while: --check shows the newest and changes nothing.
    let catalog = sandbox.path().join("catalogs/local.yaml");
    let text = std::fs::read_to_string(&catalog).unwrap();
    std::fs::write(
        &catalog,
        text.replace(&format!("version: {newest}"), "version: 0.6.2"),
    )
    .unwrap();
    let out = sandbox.ok(&["server", "update", "everything", "--check"]);
    assert!(
        out.contains(&format!("→ {newest} (pinned: 0.6.2; run without --check")),
        "{out}"
    );
    assert_eq!(pinned_version(&sandbox), "0.6.2");

    let out = sandbox.ok(&["server", "update", "everything"]);
    assert!(out.contains(&format!("→ {newest} (was 0.6.2)")), "{out}");
    assert_eq!(pinned_version(&sandbox), newest);
    let out = sandbox.ok(&["server", "update", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc[0]["from"], doc[0]["to"], "{doc}");
}

#[test]
fn an_unknown_package_names_the_package_and_the_registry() {
    let sandbox = Sandbox::new();
    let missing = "@dockside-test/no-such-package-4f1c9";
    sandbox.ok(&[
        "server", "add", "ghost", "--mode", "native", "--", "npx", "-y", missing,
    ]);
    let out = sandbox.ok(&["server", "update", "ghost"]);
    assert!(
        out.contains(&format!(
            "cannot resolve npm package `{missing}@latest` from https://registry.npmjs.org/"
        )),
        "{out}"
    );
    assert!(out.contains("E404") || out.contains("404"), "{out}");
}
