//! Random server names, arguments (quotes, unicode, spaces) and env maps round-trip through
//! every adapter: written into the client's real-shaped fixture, read back equal, and removed
//! again leaving the fixture byte-identical.

mod support;

use std::path::Path;

use dockside_core::clients::ownership::OwnedFile;
use dockside_core::clients::plan::{plan, Desired, DesiredEntry, Launcher, PlanInput};
use dockside_core::clients::{Entry, NativeCommand, ALL};
use dockside_core::fsedit;
use indexmap::IndexMap;
use proptest::prelude::*;
use support::fixtures;

fn text_strategy() -> impl Strategy<Value = String> {
    // Printable text with the characters that break naive quoting.
    prop_oneof![
        "[a-zA-Z0-9 _./:=-]{0,12}",
        "[ \"'\\\\#:{}\\[\\],&*!|>%@`~-]{1,6}",
        "\\PC{0,10}",
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("0123".to_owned()),
        Just("-y".to_owned()),
        Just("${env:HOME}".to_owned()),
    ]
}

fn name_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z][a-zA-Z0-9_-]{0,15}",
        "[a-zA-Z0-9 ._@\"'#:ü-]{1,12}".prop_filter("not blank", |s| !s.trim().is_empty()),
        "\\PC{1,8}".prop_filter("not blank", |s| !s.trim().is_empty()),
    ]
}

fn command_strategy() -> impl Strategy<Value = NativeCommand> {
    (
        text_strategy().prop_filter("non-empty", |s| !s.is_empty()),
        prop::collection::vec(text_strategy(), 0..5),
        prop::collection::vec(("[A-Z_][A-Z0-9_]{0,8}", text_strategy()), 0..4),
    )
        .prop_map(|(command, args, env)| NativeCommand {
            command,
            args,
            env: env.into_iter().collect::<IndexMap<_, _>>(),
            cwd: None,
        })
}

fn fixture_text(id: &str) -> String {
    let dir = fixtures().join(id);
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::read_to_string(file).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_entries_round_trip_through_every_adapter(name in name_strategy(), cmd in command_strategy()) {
        for spec in ALL {
            let original = fixture_text(spec.id);
            let existing = fsedit::open(spec.format, &spec.container(), Path::new("f"), &original).unwrap().entries();
            if existing.contains_key(&name) {
                continue;
            }
            let mut desired = Desired::new();
            desired.insert(name.clone(), DesiredEntry::Native(cmd.clone()));
            let launcher = Launcher("dockside".into());
            let input = PlanInput {
                spec,
                path: Path::new("f"),
                text: Some(&original),
                desired: &desired,
                owned: &OwnedFile::default(),
                launcher: &launcher,
                adopt: false,
            };
            let added = plan(&input).unwrap_or_else(|e| panic!("{}: {e}", spec.id));
            let text = added.new_text.clone().unwrap();
            let entries = fsedit::open(spec.format, &spec.container(), Path::new("f"), &text)
                .unwrap_or_else(|e| panic!("{}: {e}\n{text}", spec.id))
                .entries();
            prop_assert_eq!(entries.len(), existing.len() + 1, "{}", spec.id);
            prop_assert_eq!(spec.shape.decode(&entries[&name]), Some(Entry::Stdio(cmd.clone())), "{}:\n{}", spec.id, text);

            let removed = plan(&PlanInput {
                text: Some(&text),
                desired: &Desired::new(),
                owned: &added.owned,
                ..input
            })
            .unwrap();
            prop_assert_eq!(removed.new_text.as_deref(), Some(original.as_str()), "{}", spec.id);
        }
    }
}
