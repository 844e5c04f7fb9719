//! Importing servers from clients into the catalog.

mod support;

use dockside_core::clients::import::{self, dedupe};
use dockside_core::clients::ownership::OwnedFile;
use dockside_core::clients::{by_id, workspace, Entry, Target};
use dockside_core::{Home, Mode, Workspace};
use support::*;

fn found(id: &str, file: &str) -> Vec<import::Found> {
    let spec = by_id(id).unwrap();
    let path = fixtures().join(id).join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    import::read(&Target::user(spec), &path, &text, &OwnedFile::default()).unwrap()
}

#[test]
fn same_server_in_two_shapes_is_imported_once() {
    let mut all = found("claude-desktop", "claude_desktop_config.json");
    all.extend(found("opencode", "opencode.jsonc"));
    // Claude Desktop's `filesystem` (command + args) is OpenCode's `fs` (one command array).
    let merged = dedupe(all);
    let names: Vec<&str> = merged.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["filesystem", "context7"]);
    assert_eq!(merged[0].sources.len(), 2);
    assert!(
        matches!(&merged[1].entry, Entry::Remote { url, .. } if url == "https://mcp.context7.com/mcp")
    );

    let dir = tempfile::tempdir().unwrap();
    let mut ws = Workspace::load(Home::new(dir.path())).unwrap();
    let results = workspace::import_into(&mut ws, "imported", &merged).unwrap();
    assert!(results.iter().all(|r| r.status == "added"), "{results:?}");
    ws.save().unwrap();

    let ws = Workspace::load(Home::new(dir.path())).unwrap();
    let servers: Vec<_> = ws.servers().map(|s| s.name.to_owned()).collect();
    assert_eq!(servers, ["filesystem", "context7"]);
    let fs = ws.server("filesystem").unwrap();
    assert_eq!(fs.state.mode, Mode::Native);
    assert_eq!(
        fs.server.host_command().unwrap(),
        [
            "npx",
            "-y",
            "@modelcontextprotocol/server-filesystem",
            "/Users/me/Desktop"
        ]
    );

    // Importing again adds nothing.
    let mut ws = ws;
    let again = workspace::import_into(&mut ws, "imported", &merged).unwrap();
    assert!(again.iter().all(|r| r.status == "exists"), "{again:?}");

    // And the imported native server syncs back as the same entry: the user's entry is
    // taken over without a byte changing.
    let desired = workspace::desired(&ws, "claude-desktop", false);
    let h = home(by_id("claude-desktop").unwrap());
    let out = dockside_core::clients::sync::apply(&h.ctx, &h.target, &desired, false).unwrap();
    assert!(
        out.changes
            .contains(&dockside_core::clients::Change::TookOver(
                "filesystem".into()
            )),
        "{:?}",
        out.changes
    );
    dockside_core::clients::sync::disconnect(&h.ctx, &h.target).unwrap();
    assert_eq!(h.read(), h.original);
}

#[test]
fn goose_builtins_and_dockside_bridges_are_not_imported() {
    let names: Vec<String> = found("goose", "config.yaml")
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(names, ["github"]);
    let spec = by_id("cursor").unwrap();
    let text = r#"{"mcpServers": {"x": {"command": "/usr/local/bin/dockside", "args": ["connect", "--server", "x"]}}}"#;
    let f = import::read(
        &Target::user(spec),
        std::path::Path::new("m.json"),
        text,
        &OwnedFile::default(),
    )
    .unwrap();
    assert!(f.is_empty());
}
