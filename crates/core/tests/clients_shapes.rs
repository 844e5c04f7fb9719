//! Entry spellings that only some clients have, checked in each client's real-shaped file:
//! remote headers where the client reads them (Continue: `requestOptions.headers`), and the
//! per-client on/off flag (`disabled: true` / `enabled: false`).

mod support;

use dockside_core::clients::sync;
use dockside_core::clients::{Desired, DesiredEntry, Entry, ALL};
use dockside_core::fsedit;
use indexmap::IndexMap;
use support::*;

/// A remote server with a header, synced into every client that has remote entries, reads
/// back as the same URL and headers; disconnect puts the file back byte for byte.
#[test]
fn remote_headers_round_trip_in_every_client_file() {
    let headers: IndexMap<String, String> =
        [("Authorization".to_owned(), "Bearer t0k".to_owned())].into();
    let mut want = Desired::new();
    want.insert(
        "docs".into(),
        DesiredEntry::Remote {
            server: "docs".into(),
            url: "https://docs.example.com/mcp".into(),
            headers: headers.clone(),
        },
    );
    for spec in ALL.iter().filter(|s| s.shape.remote.is_some()) {
        let h = home(spec);
        sync::apply(&h.ctx, &h.target, &want, false).unwrap();
        let text = h.read();
        let entries = fsedit::open(spec.format, &spec.container(), &h.path, &text)
            .unwrap()
            .entries();
        let written = &entries["docs"];
        assert_eq!(
            spec.shape.decode(written),
            Some(Entry::Remote {
                url: "https://docs.example.com/mcp".into(),
                headers: headers.clone()
            }),
            "{}:\n{text}",
            spec.id
        );
        if spec.id == "continue" {
            // Continue reads headers only from `requestOptions` and drops unknown keys.
            assert_eq!(
                written["requestOptions"]["headers"]["Authorization"], "Bearer t0k",
                "{text}"
            );
            assert!(written.get("headers").is_none(), "{text}");
        }
        sync::disconnect(&h.ctx, &h.target).unwrap();
        assert_eq!(h.read(), h.original, "{}", spec.id);
    }
}

/// The entries the user switched off in each fixture, by the client's own flag.
#[test]
fn switched_off_entries_are_read_with_each_clients_flag() {
    let cases: &[(&str, &[&str])] = &[
        ("roo-code", &["postgres"]),
        ("kiro", &["fetch"]),
        ("crush", &["github"]),
        ("amp", &["linear"]),
        // Flags written `false`/`true` the "on" way are not "off".
        ("cline", &[]),
        ("windsurf", &[]),
        ("goose", &[]),
        ("opencode", &[]),
    ];
    for (id, want) in cases {
        let spec = dockside_core::clients::by_id(id).unwrap();
        assert!(spec.shape.enabled.is_some(), "{id} has no flag");
        let h = home(spec);
        let entries = fsedit::open(spec.format, &spec.container(), &h.path, &h.original)
            .unwrap()
            .entries();
        let off: Vec<&str> = entries
            .iter()
            .filter(|(_, v)| spec.shape.is_disabled(v))
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(&off, want, "{id}");
    }
}

/// A user's own Continue entry with headers under `requestOptions` is read with them.
#[test]
fn continue_users_request_options_headers_are_read() {
    let spec = dockside_core::clients::by_id("continue").unwrap();
    let h = home(spec);
    let entries = fsedit::open(spec.format, &spec.container(), &h.path, &h.original)
        .unwrap()
        .entries();
    let Some(Entry::Remote { headers, .. }) = spec.shape.decode(&entries["Remote docs"]) else {
        panic!("{:?}", entries["Remote docs"]);
    };
    assert_eq!(headers["Authorization"], "Bearer ${{ secrets.DOCS_TOKEN }}");
}
