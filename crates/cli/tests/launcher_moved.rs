//! Client entries run the `dockside` that wrote them. When that binary disappears (an
//! uninstall, a moved checkout), `dockside doctor` says so with the fix, `dockside client sync`
//! from the binary in use rewrites the entries, and nothing else in the user's file changes.
//! `client list` marks entries written by a development build.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use support::Sandbox;

const CLAUDE_DESKTOP: &str = r#"{
  "globalShortcut": "Ctrl+Space",
  "mcpServers": {
    "filesystem": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/home/me/Documents"]
    }
  },
  "preferences": { "menuBarEnabled": true }
}
"#;

struct World {
    sandbox: Sandbox,
    user: tempfile::TempDir,
}

impl World {
    fn config(&self) -> PathBuf {
        self.user
            .path()
            .join(".config/Claude/claude_desktop_config.json")
    }

    /// Runs `binary ARGS…` as this world's user.
    fn run_with(&self, binary: &Path, args: &[&str]) -> Output {
        std::process::Command::new(binary)
            .args(args)
            .env("DOCKSIDE_HOME", self.sandbox.path())
            .env("HOME", self.user.path())
            .env("XDG_CONFIG_HOME", self.user.path().join(".config"))
            .env_remove("DOCKSIDE_LAUNCHER")
            .output()
            .unwrap()
    }

    fn ok_with(&self, binary: &Path, args: &[&str]) -> String {
        let out = self.run_with(binary, args);
        assert!(
            out.status.success(),
            "{} {args:?}: {}",
            binary.display(),
            support::text(&out.stderr)
        );
        support::text(&out.stdout)
    }

    fn ok(&self, args: &[&str]) -> String {
        self.ok_with(Path::new(env!("CARGO_BIN_EXE_dockside")), args)
    }

    /// `dockside doctor --json`'s failing checks of client entries.
    fn entry_problems(&self) -> Vec<serde_json::Value> {
        let out = self.run_with(
            Path::new(env!("CARGO_BIN_EXE_dockside")),
            &["doctor", "--json"],
        );
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("doctor --json: {e}: {}", support::text(&out.stdout)));
        doc["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["area"] == "clients" && c["ok"] == false)
            .cloned()
            .collect()
    }
}

#[test]
fn entries_of_a_vanished_binary_are_flagged_by_doctor_and_repaired_by_sync() {
    let world = World {
        sandbox: Sandbox::new(),
        user: tempfile::tempdir().unwrap(),
    };
    std::fs::create_dir_all(world.config().parent().unwrap()).unwrap();
    std::fs::write(world.config(), CLAUDE_DESKTOP).unwrap();
    world.ok(&[
        "server",
        "add",
        "notes",
        "--",
        "node",
        "/src/notes/index.js",
    ]);
    world.ok(&["server", "mode", "notes", "managed"]);

    // A `dockside` somewhere else (an installed copy, another checkout) connects the client.
    let elsewhere = tempfile::tempdir().unwrap();
    let copy = elsewhere.path().join("dockside");
    std::fs::copy(env!("CARGO_BIN_EXE_dockside"), &copy).unwrap();
    world.ok_with(&copy, &["client", "connect", "claude-desktop"]);
    let connected = std::fs::read_to_string(world.config()).unwrap();
    let entry: serde_json::Value = serde_json::from_str(&connected).unwrap();
    assert_eq!(
        entry["mcpServers"]["notes"]["command"],
        copy.display().to_string()
    );
    assert!(
        world.entry_problems().iter().all(|c| c["detail"]
            .as_str()
            .is_some_and(|d| !d.contains("no longer exists"))),
        "nothing is missing yet"
    );

    // It disappears: the client can no longer start its servers.
    drop(elsewhere);
    let problems = world.entry_problems();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    let detail = problems[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains(&copy.display().to_string()) && detail.contains("no longer exists"),
        "{detail}"
    );
    assert!(
        problems[0]["fix"]
            .as_str()
            .is_some_and(|f| f.contains("dockside client sync")),
        "{problems:#?}"
    );
    let list = world.ok(&["client", "list"]);
    assert!(
        list.contains("no longer exists: `dockside client sync` repairs them"),
        "{list}"
    );

    // `client sync` from the binary in use rewrites the entries; nothing else changes.
    world.ok(&["client", "sync"]);
    let repaired = std::fs::read_to_string(world.config()).unwrap();
    let real = env!("CARGO_BIN_EXE_dockside");
    assert_eq!(
        repaired,
        connected.replace(&copy.display().to_string(), real),
        "only the launcher changed"
    );
    assert!(
        world.entry_problems().is_empty(),
        "{:#?}",
        world.entry_problems()
    );

    // This test's `dockside` is a build from the source checkout: `client list` says so.
    let list = world.ok(&["client", "list"]);
    assert!(
        list.contains(&format!("(development build: {real})")),
        "{list}"
    );
}
