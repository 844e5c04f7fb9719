//! Property tests for the client config editors on random documents (where
//! `clients_proptest.rs` uses each client's fixture): JSONC, TOML and YAML files with random
//! comments, unrelated keys and the user's own servers. Inserting an entry and removing it again
//! gives back the exact original bytes (when the user has servers of their own); in between, the
//! file parses to the original data plus that entry, and every comment and unrelated value is
//! still there.

use std::path::Path;

use dockside_core::fsedit::{self, Container, Format};
use proptest::prelude::*;
use serde_json::{json, Value};

fn word() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,8}"
}

/// Comment text: no newline, nothing that ends a block comment.
fn comment() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 .,:;!?'()\\[\\]{}#=ü-]{0,24}"
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        "[a-zA-Z0-9 _./:-]{0,10}".prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
    ]
}

/// A server entry as clients write them.
fn entry() -> impl Strategy<Value = Value> {
    (
        "[a-z/._-]{1,12}",
        prop::collection::vec("[a-zA-Z0-9 ._=/-]{0,8}", 0..4),
        prop::collection::btree_map("[A-Z][A-Z_]{0,6}", "[a-zA-Z0-9 ._/-]{0,8}", 0..3),
    )
        .prop_map(|(command, args, env)| {
            let mut e = json!({"command": command, "args": args});
            if !env.is_empty() {
                e["env"] = json!(env);
            }
            e
        })
}

#[derive(Debug, Clone)]
struct Doc {
    /// (key, value, comment before it)
    unrelated: Vec<(String, Value, String)>,
    /// The user's own servers: (name, entry, comment before it)
    servers: Vec<(String, Value, String)>,
    header: String,
}

fn doc() -> impl Strategy<Value = Doc> {
    (
        prop::collection::vec((word(), scalar(), comment()), 0..4),
        prop::collection::vec((word(), entry(), comment()), 0..3),
        comment(),
    )
        .prop_map(|(mut unrelated, mut servers, header)| {
            unrelated.retain(|(k, _, _)| k != "servers");
            unrelated.sort_by(|a, b| a.0.cmp(&b.0));
            unrelated.dedup_by(|a, b| a.0 == b.0);
            servers.sort_by(|a, b| a.0.cmp(&b.0));
            servers.dedup_by(|a, b| a.0 == b.0);
            Doc {
                unrelated,
                servers,
                header,
            }
        })
}

fn jsonc(d: &Doc) -> String {
    let mut t = format!("// {}\n{{\n", d.header);
    for (k, v, c) in &d.unrelated {
        t.push_str(&format!("  /* {c} */\n  \"{k}\": {v}, // {c}\n"));
    }
    t.push_str("  \"servers\": {\n");
    for (i, (n, e, c)) in d.servers.iter().enumerate() {
        let comma = if i + 1 < d.servers.len() { "," } else { "" };
        t.push_str(&format!("    // {c}\n    \"{n}\": {e}{comma}\n"));
    }
    t.push_str("  }\n}\n");
    t
}

fn toml_value(v: &Value) -> String {
    match v {
        Value::String(s) => toml_string(s),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(toml_value).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(o) => format!(
            "{{ {} }}",
            o.iter()
                .map(|(k, v)| format!("{k} = {}", toml_value(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn toml(d: &Doc) -> String {
    let mut t = format!("# {}\n", d.header);
    for (k, v, c) in &d.unrelated {
        t.push_str(&format!("# {c}\n{k} = {} # {c}\n", toml_value(v)));
    }
    for (n, e, c) in &d.servers {
        t.push_str(&format!("\n# {c}\n[servers.{n}] # {c}\n"));
        for (k, v) in e.as_object().unwrap() {
            t.push_str(&format!("{k} = {}\n", toml_value(v)));
        }
    }
    t
}

fn yaml_value(v: &Value) -> String {
    // JSON flow style is YAML.
    v.to_string()
}

fn yaml(d: &Doc) -> String {
    let mut t = format!("# {}\n", d.header);
    for (k, v, c) in &d.unrelated {
        t.push_str(&format!("# {c}\n{k}: {} # {c}\n", yaml_value(v)));
    }
    // Flow style (`servers: {}`) is refused by design; an empty container is simply absent.
    if !d.servers.is_empty() {
        t.push_str("servers:\n");
    }
    for (n, e, c) in &d.servers {
        t.push_str(&format!("  # {c}\n  {n}:\n"));
        for (k, v) in e.as_object().unwrap() {
            t.push_str(&format!("    {k}: {}\n", yaml_value(v)));
        }
    }
    t
}

fn check(format: Format, container: Container, text: &str, name: &str, value: &Value, d: &Doc) {
    let path = Path::new("fuzz");
    let before = fsedit::parse_value(format, path, text)
        .unwrap_or_else(|e| panic!("the generated {format:?} does not parse: {e}\n{text}"));
    let mut doc = fsedit::open(format, &container, path, text)
        .unwrap_or_else(|e| panic!("{format:?}: {e}\n{text}"));
    let own = doc.entries();
    assert_eq!(own.len(), d.servers.len(), "{format:?}\n{text}");
    if own.contains_key(name) {
        return;
    }
    doc.set(name, value)
        .unwrap_or_else(|e| panic!("{format:?}: {e}\n{text}"));
    let added = doc.text();
    let after = fsedit::parse_value(format, path, &added)
        .unwrap_or_else(|e| panic!("{format:?} after insert: {e}\n{added}"));
    // The data: the original plus the entry, nothing else.
    let mut want = before.clone();
    want["servers"][name] = value.clone();
    assert_eq!(after, want, "{format:?}:\n{text}\n---\n{added}");
    let reopened = fsedit::open(format, &container, path, &added).unwrap();
    assert_eq!(reopened.entries().get(name), Some(value));
    // Comments and unrelated text are still there.
    for (_, _, c) in d.unrelated.iter().chain(&d.servers) {
        assert!(
            added.contains(c.as_str()),
            "{format:?}: comment {c:?} lost:\n{added}"
        );
    }
    assert!(added.contains(&d.header));
    // Removing it again restores every byte (next to the user's own servers; an empty
    // container may come back in another layout, e.g. `{}`).
    let mut doc = fsedit::open(format, &container, path, &added).unwrap();
    doc.remove(name).unwrap();
    if !d.servers.is_empty() {
        assert_eq!(
            doc.text(),
            text,
            "{format:?}: not byte-identical after insert + remove"
        );
    }
    let removed = fsedit::parse_value(format, path, &doc.text()).unwrap();
    for (k, v, _) in &d.unrelated {
        assert_eq!(&removed[k], v, "{format:?}: {k} changed");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn jsonc_insert_remove_keeps_comments_and_bytes(d in doc(), name in word(), value in entry()) {
        let text = jsonc(&d);
        check(Format::Jsonc, Container::JsonObject(vec!["servers".into()]), &text, &name, &value, &d);
    }

    #[test]
    fn toml_insert_remove_keeps_comments_and_bytes(d in doc(), name in word(), value in entry()) {
        let text = toml(&d);
        check(Format::Toml, Container::TomlTable(vec!["servers".into()]), &text, &name, &value, &d);
    }

    #[test]
    fn yaml_insert_remove_keeps_comments_and_bytes(d in doc(), name in word(), value in entry()) {
        let text = yaml(&d);
        check(Format::Yaml, Container::YamlMap("servers".into()), &text, &name, &value, &d);
    }
}
