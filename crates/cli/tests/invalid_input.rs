//! Broken input is reported with file:line:col, exits non-zero, and changes no file.

mod support;

use support::{snapshot, Sandbox, FIXTURE};

const GOOD: &str = "registry:\n  good:\n    image: mcp/good\n";

/// (file, content, expected `file:line:col`, expected words)
const BROKEN: &[(&str, &str, &str, &str)] = &[
    (
        "catalogs/bad.yaml",
        "registry:\n  a:\n\timage: x\n",
        "bad.yaml:3:1",
        "tabs",
    ),
    (
        "catalogs/bad.yaml",
        "registry:\n  a:\n    image: \"mcp/a\n",
        "bad.yaml:3:12",
        "unclosed quote",
    ),
    (
        "catalogs/bad.yaml",
        "registry: 5\n",
        "bad.yaml:1:11",
        "`registry` must be a map",
    ),
    (
        "catalogs/bad.yaml",
        "registry:\n  a:\n    image: x\n    longLived: \"maybe\"\n",
        "bad.yaml:4:16",
        "must be a boolean",
    ),
    (
        "state.yaml",
        "servers:\n  good:\n    mode: sometimes\n",
        "state.yaml:3:11",
        "unknown variant `sometimes`",
    ),
    (
        "state.yaml",
        "servers:\n  good:\n    limits: {memory: lots}\n",
        "state.yaml:3:22",
        "memory must be",
    ),
];

#[test]
fn broken_files_are_located_and_nothing_is_written() {
    for (file, content, location, words) in BROKEN {
        let sandbox = Sandbox::new();
        sandbox.write("catalogs/good.yaml", GOOD);
        sandbox.write(file, content);
        let before = snapshot(sandbox.path());
        for args in [
            &["catalog", "validate"][..],
            &["server", "list", "--json"],
            &["server", "add", "new", "--", "node", "/x.js"],
            &["server", "mode", "good", "off"],
            &["server", "remove", "good"],
            &["catalog", "import", "--docker", FIXTURE],
            &["catalog", "demo"],
        ] {
            let stderr = sandbox.fails(args);
            assert!(
                stderr.contains(location),
                "{args:?} on {content:?}: {stderr}"
            );
            assert!(stderr.contains(words), "{args:?} on {content:?}: {stderr}");
            assert_eq!(
                snapshot(sandbox.path()),
                before,
                "{args:?} on {content:?} changed files"
            );
        }
    }
}

#[test]
fn validate_given_files_reports_each() {
    let sandbox = Sandbox::new();
    sandbox.write("x/tab.yaml", "registry:\n\ta: 1\n");
    sandbox.write(
        "x/empty.yaml",
        "registry:\n  e:\n    title: nothing to run\n",
    );
    let tab = sandbox.path().join("x/tab.yaml");
    let empty = sandbox.path().join("x/empty.yaml");
    let stderr = sandbox.fails(&[
        "catalog",
        "validate",
        tab.to_str().unwrap(),
        empty.to_str().unwrap(),
    ]);
    assert!(stderr.contains("tab.yaml:2:1"), "{stderr}");
    assert!(
        stderr.contains("empty.yaml: server `e` has neither `image`, `command` nor `remote`"),
        "{stderr}"
    );
    let good = sandbox.path().join("good.yaml");
    std::fs::write(&good, GOOD).unwrap();
    assert!(sandbox
        .ok(&["catalog", "validate", good.to_str().unwrap()])
        .contains("ok: 1 catalog(s), 1 server(s)"));
}

#[test]
fn semantic_problems_are_reported_not_written() {
    let sandbox = Sandbox::new();
    sandbox.write("catalogs/a.yaml", GOOD);
    sandbox.write("catalogs/b.yaml", GOOD);
    let before = snapshot(sandbox.path());
    let stderr = sandbox.fails(&["catalog", "validate"]);
    assert!(
        stderr.contains("b.yaml: server `good` is also defined in"),
        "{stderr}"
    );
    sandbox.fails(&["server", "add", "new", "--", "node", "/x.js"]);
    assert_eq!(snapshot(sandbox.path()), before);

    let sandbox = Sandbox::new();
    sandbox.write("catalogs/a.yaml", GOOD);
    let stderr = sandbox.fails(&["server", "mode", "good", "native"]);
    assert!(stderr.contains("hostCommand"), "{stderr}");
    let stderr = sandbox.fails(&["server", "add", "nothing"]);
    assert!(stderr.contains("--image"), "{stderr}");
    let stderr = sandbox.fails(&["server", "mode", "good", "sometimes"]);
    assert!(stderr.contains("unknown mode `sometimes`"), "{stderr}");
    let stderr = sandbox.fails(&["server", "add", "bad/name", "--", "x"]);
    assert!(stderr.contains("invalid server name"), "{stderr}");
    assert!(!sandbox.path().join("state.yaml").exists());
}

#[test]
fn broken_docker_files_are_located_and_nothing_is_imported() {
    let sandbox = Sandbox::new();
    let docker = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(docker.path().join("catalogs")).unwrap();
    std::fs::write(
        docker.path().join("catalogs/c.yaml"),
        "registry:\n  a: {image: x}\n",
    )
    .unwrap();
    std::fs::write(
        docker.path().join("registry.yaml"),
        "registry:\n  a: {ref: \"\"}\n",
    )
    .unwrap();
    std::fs::write(docker.path().join("tools.yaml"), "a: notalist\n").unwrap();
    let stderr = sandbox.fails(&[
        "catalog",
        "import",
        "--docker",
        docker.path().to_str().unwrap(),
    ]);
    assert!(stderr.contains("tools.yaml:1:4"), "{stderr}");
    std::fs::remove_file(docker.path().join("registry.yaml")).unwrap();
    let stderr = sandbox.fails(&[
        "catalog",
        "import",
        "--docker",
        docker.path().to_str().unwrap(),
    ]);
    assert!(stderr.contains("registry.yaml: not found"), "{stderr}");
    assert!(snapshot(sandbox.path()).is_empty());
}
