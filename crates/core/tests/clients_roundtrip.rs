//! Every adapter against its real-shaped fixture (comments, unrelated keys, the user's own
//! servers): connect + sync adds exactly the expected entries; disconnect restores the file
//! byte for byte.

mod support;

use dockside_core::clients::plan::{encode, Change};
use dockside_core::clients::sync;
use dockside_core::clients::{DesiredEntry, Entry, ALL};
use dockside_core::fsedit;
use support::*;

#[test]
fn connect_sync_disconnect_is_byte_identical_for_every_client() {
    for spec in ALL {
        let h = home(spec);
        let want = desired();
        let before = fsedit::parse_value(spec.format, &h.path, &h.original).unwrap();

        let out = sync::connect(&h.ctx, &h.target, false, |_| want.clone(), false).unwrap();
        assert_eq!(
            out.changes,
            vec![Change::Added("notes".into()), Change::Added("web".into())],
            "{}",
            spec.id
        );
        if std::env::var_os("SHOW_DIFF").is_some() {
            eprintln!("{}", out.diff);
        }
        let text = h.read();
        assert!(
            text.starts_with(&h.original[..h.original.len().min(8)]),
            "{}",
            spec.id
        );
        assert_only_additions(&out.diff);
        // Exactly the two entries were added; everything else parses to what it was.
        assert_eq!(
            without_entries(spec, &text, &["notes", "web"]),
            before,
            "{}:\n{text}",
            spec.id
        );
        let entries = fsedit::open(spec.format, &spec.container(), &h.path, &text)
            .unwrap()
            .entries();
        let DesiredEntry::Native(mut native) = want["notes"].clone() else {
            unreachable!()
        };
        if spec.shape.cwd.is_none() {
            native.cwd = None; // documented: dropped where the client has no `cwd` field
        }
        assert_eq!(
            spec.shape.decode(&entries["notes"]),
            Some(Entry::Stdio(native)),
            "{}",
            spec.id
        );
        assert_eq!(
            entries["web"],
            encode(spec, "web", &want["web"], &h.ctx.launcher),
            "{}",
            spec.id
        );

        // A second sync changes nothing.
        let again = sync::apply(&h.ctx, &h.target, &want, false).unwrap();
        assert!(
            again.changes.is_empty() && again.diff.is_empty(),
            "{}: {:?}",
            spec.id,
            again.changes
        );
        assert_eq!(h.read(), text);

        // A mode switch rewrites only that entry.
        let mut switched = want.clone();
        switched.insert(
            "notes".into(),
            DesiredEntry::Gateway {
                server: "notes".into(),
            },
        );
        let out = sync::apply(&h.ctx, &h.target, &switched, false).unwrap();
        assert_eq!(
            out.changes,
            vec![Change::Updated("notes".into())],
            "{}",
            spec.id
        );
        assert_eq!(
            without_entries(spec, &h.read(), &["notes", "web"]),
            before,
            "{}",
            spec.id
        );

        // Single aggregate entry.
        let single = dockside_core::clients::desired_entries(
            &[
                dockside_core::clients::ServerView {
                    name: "notes".into(),
                    entry: "notes".into(),
                    mode: dockside_core::clients::ServerMode::Managed,
                    native: None,
                },
                dockside_core::clients::ServerView {
                    name: "web".into(),
                    entry: "web".into(),
                    mode: dockside_core::clients::ServerMode::Docker,
                    native: None,
                },
            ],
            true,
        );
        let out = sync::connect(&h.ctx, &h.target, true, |_| single.clone(), false).unwrap();
        assert_eq!(
            out.changes,
            vec![
                Change::Removed("notes".into()),
                Change::Removed("web".into()),
                Change::Added("dockside".into())
            ],
            "{}",
            spec.id
        );
        assert_eq!(
            without_entries(spec, &h.read(), &["dockside"]),
            before,
            "{}",
            spec.id
        );

        sync::disconnect(&h.ctx, &h.target).unwrap();
        assert_eq!(
            h.read(),
            h.original,
            "{}: not byte-identical after disconnect",
            spec.id
        );
        // Backups were kept in DOCKSIDE_HOME, none beside the file.
        let beside: Vec<_> = std::fs::read_dir(h.path.parent().unwrap())
            .unwrap()
            .collect();
        assert_eq!(beside.len(), 1, "{}", spec.id);
        assert!(!fsedit::file::list_backups(
            &h.ctx.backups(),
            &std::fs::canonicalize(&h.path).unwrap()
        )
        .is_empty());
    }
}

#[test]
fn users_own_entry_is_never_overwritten_unless_adopted_and_is_restored() {
    for spec in ALL {
        let h = home(spec);
        let entries = fsedit::open(spec.format, &spec.container(), &h.path, &h.original)
            .unwrap()
            .entries();
        // Pick a user's server name and ask for something else under it.
        let user_name = entries.keys().next().unwrap().clone();
        let mut want = desired();
        want.insert(
            user_name.clone(),
            DesiredEntry::Gateway {
                server: user_name.clone(),
            },
        );

        let out = sync::apply(&h.ctx, &h.target, &want, false).unwrap();
        assert!(
            out.changes.contains(&Change::Conflict(user_name.clone())),
            "{}",
            spec.id
        );
        let now = fsedit::open(spec.format, &spec.container(), &h.path, &h.read())
            .unwrap()
            .entries();
        assert_eq!(now[&user_name], entries[&user_name], "{}", spec.id);

        // Adopted on request; put back on disconnect.
        let out = sync::apply(&h.ctx, &h.target, &want, true).unwrap();
        assert!(
            out.changes.contains(&Change::Adopted(user_name.clone())),
            "{}",
            spec.id
        );
        sync::disconnect(&h.ctx, &h.target).unwrap();
        let after = fsedit::parse_value(spec.format, &h.path, &h.read()).unwrap();
        let before = fsedit::parse_value(spec.format, &h.path, &h.original).unwrap();
        assert_eq!(after, before, "{}", spec.id);
    }
}

#[test]
fn entry_edited_by_user_becomes_theirs() {
    let spec = dockside_core::clients::by_id("cursor").unwrap();
    let h = home(spec);
    sync::apply(&h.ctx, &h.target, &desired(), false).unwrap();
    let edited = h.read().replace("\"/srv/notes\"", "\"/srv/notes2\"");
    // Cursor has no cwd field: edit an argument instead.
    let edited = edited.replace("a b", "a b c");
    std::fs::write(&h.path, &edited).unwrap();
    let out = sync::disconnect(&h.ctx, &h.target).unwrap();
    assert_eq!(
        out.changes,
        vec![
            Change::Released("notes".into()),
            Change::Removed("web".into())
        ]
    );
    assert!(h.read().contains("a b c"));
}

/// A file with settings but no container yet (Zed without `context_servers`, Codex without
/// `[mcp_servers]`, Goose without `extensions`…): the container is created for Dockside's
/// entries and removed with them.
#[test]
fn container_created_and_removed_again() {
    for spec in ALL {
        let text = match spec.format {
            fsedit::Format::Json => "{\n  \"theme\": \"dark\",\n  \"other\": [1, 2]\n}\n",
            fsedit::Format::Jsonc => {
                "// settings\n{\n  \"theme\": \"dark\", // mine\n  \"other\": [1, 2],\n}\n"
            }
            fsedit::Format::Toml => {
                "# settings\nmodel = \"o3\"\n\n[profiles.fast]\nmodel = \"mini\" # fast\n"
            }
            fsedit::Format::Yaml => "# settings\nGOOSE_MODEL: gpt\nlist:\n  - a # one\n",
        };
        let h = home(spec);
        std::fs::write(&h.path, text).unwrap();
        let out = sync::connect(&h.ctx, &h.target, false, |_| desired(), false).unwrap();
        assert_eq!(out.changes.len(), 2, "{}", spec.id);
        if std::env::var_os("SHOW_DIFF").is_some() {
            eprintln!("{}", out.diff);
        }
        assert_only_additions(&out.diff);
        let entries = fsedit::open(spec.format, &spec.container(), &h.path, &h.read())
            .unwrap()
            .entries();
        assert_eq!(entries.len(), 2, "{}:\n{}", spec.id, h.read());
        sync::disconnect(&h.ctx, &h.target).unwrap();
        assert_eq!(h.read(), text, "{}", spec.id);
    }
}
