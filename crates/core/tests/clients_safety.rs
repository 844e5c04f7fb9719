//! A file the user changed meanwhile, or that does not parse, is never written.

mod support;

use dockside_core::clients::ownership::Record;
use dockside_core::clients::sync::{self, SyncError, Target};
use dockside_core::clients::{by_id, Desired};
use dockside_core::fsedit::file::{self, CommitOptions, FileError};
use dockside_core::fsedit::EditError;
use support::*;

#[test]
fn concurrent_edit_between_read_and_write_is_detected() {
    for id in ["cursor", "codex", "goose"] {
        let h = home(by_id(id).unwrap());
        let (snap, plan, _) = sync::preview(&h.ctx, &h.target, &desired(), false).unwrap();
        assert_ne!(plan.new_text.as_deref(), Some(h.original.as_str()));
        // The user saves the file after Dockside read it.
        let users = format!("{}\n", h.original);
        std::fs::write(&h.path, &users).unwrap();
        let err =
            file::commit(&snap, plan.new_text.as_deref(), &CommitOptions::default()).unwrap_err();
        assert!(matches!(err, FileError::Changed { .. }), "{id}: {err}");
        assert!(err.to_string().contains("changed since Dockside read it"));
        assert_eq!(h.read(), users, "{id}: nothing may be written");
        // No temp file left behind.
        let names: Vec<_> = std::fs::read_dir(h.path.parent().unwrap())
            .unwrap()
            .collect();
        assert_eq!(names.len(), 1, "{id}");
    }
}

#[test]
fn syntax_error_is_reported_with_position_and_file_left_untouched() {
    let cases = [
        ("claude-desktop", "{\n  \"mcpServers\": {\n    \"a\": { \"command\": \"x\" }\n    \"b\": {}\n  }\n}\n", 3, 28),
        ("vscode", "{\n\t// ok\n\t\"servers\": {\n\t\t\"a\": { \"type\": \"stdio\" \"command\": \"x\" }\n\t}\n}\n", 4, 25),
        ("codex", "model = \"o3\"\n\n[mcp_servers.a]\ncommand = \"x\nargs = []\n", 4, 13),
        ("goose", "extensions:\n  dev:\n    enabled: true\n   bad: [\n", 4, 4),
    ];
    for (id, text, line, col) in cases {
        let h = home(by_id(id).unwrap());
        std::fs::write(&h.path, text).unwrap();
        let err = sync::apply(&h.ctx, &h.target, &desired(), false).unwrap_err();
        let SyncError::Edit(EditError::Parse(p)) = &err else {
            panic!("{id}: {err}")
        };
        assert_eq!((p.line, p.column), (line, col), "{id}: {err}");
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("{}:{}:{}", h.path.display(), p.line, p.column)),
            "{msg}"
        );
        assert_eq!(h.read(), text, "{id}: file must be untouched");
        // Disconnect refuses the same way.
        assert!(sync::disconnect(&h.ctx, &h.target).is_err());
        assert_eq!(h.read(), text);
    }
}

#[test]
fn missing_file_is_created_and_removed_again() {
    let h = home(by_id("lmstudio").unwrap());
    std::fs::remove_file(&h.path).unwrap();
    sync::connect(&h.ctx, &h.target, false, |_| desired(), false).unwrap();
    assert!(h.read().contains("\"web\""));
    sync::disconnect(&h.ctx, &h.target).unwrap();
    assert!(!h.path.exists());
    // Nothing desired and no file: nothing created.
    sync::apply(&h.ctx, &h.target, &Desired::new(), false).unwrap();
    assert!(!h.path.exists());
}

/// Two clients in one home: cursor's fixture and Codex's.
fn two_clients() -> (Home, Target, std::path::PathBuf, String) {
    let h = home(by_id("cursor").unwrap());
    let codex = Target::user(by_id("codex").unwrap());
    let codex_path = codex.path(&h.ctx.env);
    let codex_text = std::fs::read_to_string(fixtures().join("codex/config.toml")).unwrap();
    std::fs::create_dir_all(codex_path.parent().unwrap()).unwrap();
    std::fs::write(&codex_path, &codex_text).unwrap();
    (h, codex, codex_path, codex_text)
}

#[test]
fn sync_all_writes_nothing_when_one_client_file_is_broken() {
    let (h, codex, codex_path, _) = two_clients();
    sync::connect(&h.ctx, &h.target, false, |_| Desired::new(), false).unwrap();
    sync::connect(&h.ctx, &codex, false, |_| Desired::new(), false).unwrap();
    std::fs::write(&codex_path, "[mcp_servers\n").unwrap();
    let errors = sync::sync_all(&h.ctx, |_, _| desired()).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].to_string().starts_with("codex: "),
        "{}",
        errors[0]
    );
    assert_eq!(h.read(), h.original, "cursor must not be written either");
}

#[test]
fn failed_write_rolls_back_the_files_already_written() {
    let (h, codex, codex_path, codex_text) = two_clients();
    let before = Record::load(&h.ctx.dockside_home).unwrap();
    let plans = vec![
        sync::plan_target(&h.ctx, &h.target, &desired(), false).unwrap(),
        sync::plan_target(&h.ctx, &codex, &desired(), false).unwrap(),
    ];
    // The user edits Codex's file after planning.
    let users = format!("{codex_text}# mine\n");
    std::fs::write(&codex_path, &users).unwrap();
    let err = sync::commit_all(&h.ctx, &plans).unwrap_err();
    assert!(
        matches!(err, SyncError::File(FileError::Changed { .. })),
        "{err}"
    );
    assert_eq!(h.read(), h.original, "cursor's write must be rolled back");
    assert_eq!(std::fs::read_to_string(&codex_path).unwrap(), users);
    assert_eq!(Record::load(&h.ctx.dockside_home).unwrap(), before);
}
