//! Property tests for the catalog parser and validator:
//!
//! - any text (random bytes, YAML-ish fragments, a valid catalog with one character changed)
//!   parses or fails with an `Issue` naming the file and a location inside the text — never a
//!   panic;
//! - random valid catalogs (Docker's shape, unknown keys at every level, quotes and unicode)
//!   parse, write back and parse again equal, keep their unknown keys, and writing is stable;
//! - `validate::check` never panics on what parses, and reports a duplicate server name.

use std::path::Path;

use dockside_core::catalog::{Catalog, CatalogFile};
use dockside_core::state::State;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 _./:=-]{0,12}",
        "[ \"'\\\\#:{}\\[\\],&*!|>%@`~-]{1,6}",
        "\\PC{0,10}",
        Just("null".to_owned()),
        Just("yes".to_owned()),
        Just("0123".to_owned()),
        Just("{{server.key|safe}}".to_owned()),
    ]
}

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_-]{0,15}"
}

/// Unknown keys a future Docker catalog might carry (kept on every round trip).
fn extra() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map(
        "x-[a-z]{1,8}",
        prop_oneof![
            text().prop_map(Value::String),
            any::<i32>().prop_map(Value::from),
            prop::collection::vec(text(), 0..3).prop_map(|v| json!(v)),
            (text(), any::<bool>()).prop_map(|(k, b)| json!({ "k": k, "b": b })),
        ],
        0..3,
    )
    .prop_map(|m| m.into_iter().collect())
}

fn server() -> impl Strategy<Value = Value> {
    (
        text(),
        prop_oneof![
            prop::collection::vec(text(), 1..4).prop_map(|c| ("command", json!(c))),
            "[a-z]{1,8}/[a-z]{1,8}(:[a-z0-9.]{1,5})?".prop_map(|i| ("image", json!(i))),
        ],
        prop::collection::vec(("[A-Z][A-Z0-9_]{0,8}", prop::option::of(text())), 0..3),
        prop::collection::vec(("[a-z]{1,6}\\.[a-z_]{1,8}", "[A-Z][A-Z0-9_]{0,8}"), 0..3),
        prop::option::of(any::<bool>()),
        extra(),
    )
        .prop_map(|(title, (kind, what), env, secrets, long_lived, extra)| {
            let mut s = Map::new();
            s.insert("title".into(), json!(title));
            s.insert(kind.into(), what);
            if !env.is_empty() {
                let env: Vec<Value> = env
                    .into_iter()
                    .map(|(n, v)| match v {
                        Some(v) => json!({"name": n, "value": v}),
                        None => json!({ "name": n }),
                    })
                    .collect();
                s.insert("env".into(), json!(env));
            }
            if !secrets.is_empty() {
                let secrets: Vec<Value> = secrets
                    .into_iter()
                    .map(|(n, e)| json!({"name": n, "env": e}))
                    .collect();
                s.insert("secrets".into(), json!(secrets));
            }
            if let Some(l) = long_lived {
                s.insert("longLived".into(), json!(l));
            }
            s.extend(extra);
            Value::Object(s)
        })
}

fn catalog_text() -> impl Strategy<Value = (String, Value)> {
    (
        prop::collection::btree_map(name(), server(), 0..5),
        extra(),
        any::<bool>(),
    )
        .prop_map(|(servers, extra, pretty)| {
            let mut doc = Map::new();
            doc.insert("name".into(), json!("fuzz"));
            doc.insert("registry".into(), json!(servers));
            doc.extend(extra);
            let doc = Value::Object(doc);
            // JSON is YAML; both layouts are what people write.
            let text = if pretty {
                serde_json::to_string_pretty(&doc).unwrap()
            } else {
                serde_json::to_string(&doc).unwrap()
            };
            (text, doc)
        })
}

fn check_issue(text: &str, result: Result<Catalog, dockside_core::error::Issue>) {
    if let Err(issue) = result {
        assert_eq!(issue.path, Path::new("fuzz.yaml"));
        if let Some((line, col)) = issue.location {
            let lines = text.lines().count().max(1);
            assert!(
                line >= 1 && line <= lines + 1 && col >= 1,
                "{issue} outside the text ({lines} lines)"
            );
        }
        assert!(!issue.to_string().is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_text_parses_or_fails_with_a_located_issue(text in prop_oneof![
        any::<String>(),
        "(registry:|  [a-z]{1,4}:|    command: \\[[a-z, ]{0,9}\\]|    image: [a-z/]{1,9}|- |\\{|\\}|\\[|#|\\n|  ){0,24}",
    ]) {
        check_issue(&text, Catalog::parse(&text, Path::new("fuzz.yaml")));
    }

    #[test]
    fn a_valid_catalog_with_one_change_never_panics(
        (text, _) in catalog_text(),
        at in any::<prop::sample::Index>(),
        replace in prop::option::of(prop::sample::select(vec!['"', ':', '{', '}', '[', ']', ',', '\n', ' ', '#', '-', '\t', 'x'])),
    ) {
        let mut chars: Vec<char> = text.chars().collect();
        let i = at.index(chars.len().max(1)).min(chars.len().saturating_sub(1));
        match replace {
            Some(c) if !chars.is_empty() => chars[i] = c,
            Some(c) => chars.push(c),
            None if !chars.is_empty() => { chars.remove(i); }
            None => {}
        }
        let text: String = chars.into_iter().collect();
        check_issue(&text, Catalog::parse(&text, Path::new("fuzz.yaml")));
    }

    #[test]
    fn valid_catalogs_round_trip_with_their_unknown_keys((text, doc) in catalog_text()) {
        let path = Path::new("fuzz.yaml");
        let file = CatalogFile::from_text("fuzz".into(), path, &text)
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        prop_assert_eq!(file.catalog.registry.len(), doc["registry"].as_object().unwrap().len());
        let written = file.to_yaml().unwrap();
        let again = CatalogFile::from_text("fuzz".into(), path, &written)
            .unwrap_or_else(|e| panic!("{e}\n{written}"));
        prop_assert_eq!(&again.catalog, &file.catalog, "{}", written);
        prop_assert_eq!(again.to_yaml().unwrap(), written.clone(), "writing is stable");
        // Unknown keys survive, at the top and in each server.
        let reparsed: Value = serde_json::to_value(&again.catalog).unwrap();
        for (k, v) in doc.as_object().unwrap().iter().filter(|(k, _)| k.starts_with("x-")) {
            prop_assert_eq!(&reparsed[k], v, "top-level {} lost:\n{}", k, written);
        }
        for (name, server) in doc["registry"].as_object().unwrap() {
            for (k, v) in server.as_object().unwrap().iter().filter(|(k, _)| k.starts_with("x-")) {
                prop_assert_eq!(&reparsed["registry"][name][k], v, "{}.{} lost:\n{}", name, k, written);
            }
        }
        // The validator takes whatever parses.
        let _ = dockside_core::validate::check(&[file], &State::default(), Path::new("state.yaml"));
    }

    #[test]
    fn the_validator_reports_a_server_defined_twice((text, doc) in catalog_text()) {
        prop_assume!(!doc["registry"].as_object().unwrap().is_empty());
        let a = CatalogFile::from_text("a".into(), Path::new("a.yaml"), &text).unwrap();
        let b = CatalogFile::from_text("b".into(), Path::new("b.yaml"), &text).unwrap();
        let issues = dockside_core::validate::check(&[a, b], &State::default(), Path::new("state.yaml"));
        let first = doc["registry"].as_object().unwrap().keys().next().unwrap();
        prop_assert!(
            issues.iter().any(|i| i.to_string().contains(first.as_str())),
            "no issue names {}: {:?}", first, issues
        );
    }
}
