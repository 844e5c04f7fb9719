//! Byte-exact round trips in every format (issue 19). Each case is a file generated in every
//! adapter's format and container with random conventions — LF or CRLF line breaks, a UTF-8
//! byte order mark, spaces or tabs (spaces only in YAML), comments where the format has them,
//! trailing commas in JSONC, a final line break or not, the user's own entries on one line or
//! spread out — and must come back byte for byte after:
//! * connect (adding entries, taking over a user's entry that already says what Dockside
//!   would write), a mode switch to the gateway and back, and disconnect;
//! * `--adopt` of a user's entry, and disconnect.
//!
//! The ownership record goes through JSON between steps, as `clients.json` does. A last test
//! drives the real `sync` functions on disk.

use std::path::Path;

use dockside_core::clients::ownership::OwnedFile;
use dockside_core::clients::plan::{encode, plan, Change, Desired, DesiredEntry, PlanInput};
use dockside_core::clients::sync::{self, Context, Target};
use dockside_core::clients::{by_id, ClientSpec, Env, Launcher, NativeCommand, ALL};
use dockside_core::fsedit::{self, Container, Format};
use proptest::prelude::*;
use serde_json::Value;

/// How a file is written.
#[derive(Debug, Clone)]
struct Style {
    crlf: bool,
    bom: bool,
    /// One level of indentation: two or four spaces, or a tab (YAML: two spaces instead).
    indent: &'static str,
    comments: bool,
    trailing_commas: bool,
    final_newline: bool,
    /// YAML sequences start at their key's column (`key:\n- item`) instead of one level in.
    flush_lists: bool,
}

/// One of the user's own servers.
#[derive(Debug, Clone)]
struct User {
    name: &'static str,
    cmd: NativeCommand,
    /// Written on one line (`"x": {"command": …}`, `x = { … }`, `x: {…}`, `- {…}`).
    compact: bool,
}

#[derive(Debug, Clone)]
struct Case {
    style: Style,
    users: Vec<User>,
    /// The container is there (empty) even without entries.
    container: bool,
    /// Which user entry Dockside takes over or adopts.
    pick: prop::sample::Index,
}

fn style() -> impl Strategy<Value = Style> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::sample::select(vec!["  ", "    ", "\t"]),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(crlf, bom, indent, comments, trailing_commas, final_newline, flush_lists)| Style {
                crlf,
                bom,
                indent,
                comments,
                trailing_commas,
                final_newline,
                flush_lists,
            },
        )
}

fn command() -> impl Strategy<Value = NativeCommand> {
    (
        "[a-z][a-z/._-]{0,10}".prop_filter("not Dockside's bridge", |c| c != "dockside"),
        prop::collection::vec("[a-zA-Z0-9 ._=/:#@-]{0,8}", 0..4),
        prop::collection::vec(("[A-Z][A-Z0-9_]{0,6}", "[a-zA-Z0-9 ._/:-]{0,8}"), 0..3),
    )
        .prop_map(|(command, args, env)| NativeCommand {
            command,
            args,
            env: env.into_iter().collect(),
            cwd: None,
        })
}

fn case() -> impl Strategy<Value = Case> {
    (
        style(),
        prop::sample::subsequence(vec!["mine", "local files", "git-tools"], 0..=3),
        prop::collection::vec((command(), any::<bool>()), 3),
        any::<bool>(),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(style, names, cmds, container, pick)| Case {
            style,
            users: names
                .into_iter()
                .zip(cmds)
                .map(|(name, (cmd, compact))| User { name, cmd, compact })
                .collect(),
            container,
            pick,
        })
}

const LAUNCHER: &str = "dockside";

fn launcher() -> Launcher {
    Launcher(LAUNCHER.into())
}

/// A user's entry as the client spells it.
fn user_value(spec: &ClientSpec, u: &User) -> Value {
    encode(
        spec,
        u.name,
        &DesiredEntry::Native(u.cmd.clone()),
        &launcher(),
    )
}

/// Lines joined with the style's line break, a byte order mark and final line break as asked.
struct Writer<'a> {
    style: &'a Style,
    nl: &'static str,
    out: String,
}

impl<'a> Writer<'a> {
    fn new(style: &'a Style) -> Self {
        Writer {
            style,
            nl: if style.crlf { "\r\n" } else { "\n" },
            out: String::new(),
        }
    }

    fn pad(&self, depth: usize) -> String {
        self.style.indent.repeat(depth)
    }

    fn line(&mut self, depth: usize, text: &str) {
        let pad = self.pad(depth);
        self.out.push_str(&pad);
        self.out.push_str(text);
        self.out.push_str(self.nl);
    }

    fn finish(mut self) -> String {
        if !self.style.final_newline {
            self.out.truncate(self.out.len() - self.nl.len());
        }
        if self.style.bom {
            self.out.insert(0, '\u{feff}');
        }
        self.out
    }
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// A key written bare where the format allows, else quoted (JSON quoting is valid TOML and YAML).
fn key(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        s.to_owned()
    } else {
        quoted(s)
    }
}

/// A JSON value on one line, or spread over lines from `depth` on.
fn json_value(w: &Writer, v: &Value, depth: usize, compact: bool, trailing: bool) -> String {
    let items: Vec<(Option<&String>, &Value)> = match v {
        Value::Object(o) => o.iter().map(|(k, v)| (Some(k), v)).collect(),
        Value::Array(a) => a.iter().map(|v| (None, v)).collect(),
        _ => return serde_json::to_string(v).unwrap(),
    };
    let (open, close) = if v.is_object() {
        ("{", "}")
    } else {
        ("[", "]")
    };
    let item = |(k, v): &(Option<&String>, &Value), compact| {
        let k = k.map_or(String::new(), |k| format!("{}: ", quoted(k)));
        format!("{k}{}", json_value(w, v, depth + 1, compact, trailing))
    };
    if compact || items.is_empty() {
        let inner: Vec<String> = items.iter().map(|i| item(i, true)).collect();
        return format!("{open}{}{close}", inner.join(", "));
    }
    let mut t = format!("{open}{}", w.nl);
    for (n, i) in items.iter().enumerate() {
        let comma = if n + 1 < items.len() || trailing {
            ","
        } else {
            ""
        };
        t.push_str(&format!(
            "{}{}{comma}{}",
            w.pad(depth + 1),
            item(i, false),
            w.nl
        ));
    }
    t.push_str(&format!("{}{close}", w.pad(depth)));
    t
}

fn json_doc(spec: &ClientSpec, c: &Case) -> String {
    let jsonc = spec.format == Format::Jsonc;
    let comments = c.style.comments && jsonc;
    let trailing = c.style.trailing_commas && jsonc;
    let mut w = Writer::new(&c.style);
    w.line(0, "{");
    if comments {
        w.line(1, "// settings of mine");
    }
    w.line(1, "\"theme\": \"dark\",");
    if c.container || !c.users.is_empty() {
        let depth = spec.container.len();
        // The container's objects close with a comma at the top (`"z"` follows) or trailing.
        let comma = |level: usize| if level == 0 || trailing { "," } else { "" };
        for (i, k) in spec.container.iter().enumerate() {
            let open = if i + 1 == depth && c.users.is_empty() {
                format!("{{}}{}", comma(i))
            } else {
                "{".into()
            };
            w.line(i + 1, &format!("{}: {open}", quoted(k)));
        }
        for (n, u) in c.users.iter().enumerate() {
            if comments {
                w.line(depth + 1, &format!("/* {} */", u.name));
            }
            let value = json_value(&w, &user_value(spec, u), depth + 1, u.compact, trailing);
            let comma = if n + 1 < c.users.len() || trailing {
                ","
            } else {
                ""
            };
            let note = if comments { " // mine" } else { "" };
            w.line(
                depth + 1,
                &format!("{}: {value}{comma}{note}", quoted(u.name)),
            );
        }
        let open = if c.users.is_empty() { depth - 1 } else { depth };
        for i in (0..open).rev() {
            w.line(i + 1, &format!("}}{}", comma(i)));
        }
    }
    w.line(
        1,
        &format!("\"z\": [1, 2]{}", if trailing { "," } else { "" }),
    );
    w.line(0, "}");
    w.finish()
}

/// A TOML value on one line.
fn toml_value(v: &Value) -> String {
    match v {
        Value::Object(o) if o.is_empty() => "{}".into(),
        Value::Object(o) => {
            let inner: Vec<String> = o
                .iter()
                .map(|(k, v)| format!("{} = {}", key(k), toml_value(v)))
                .collect();
            format!("{{ {} }}", inner.join(", "))
        }
        Value::Array(a) => {
            let inner: Vec<String> = a.iter().map(toml_value).collect();
            format!("[{}]", inner.join(", "))
        }
        other => serde_json::to_string(other).unwrap(),
    }
}

fn toml_doc(spec: &ClientSpec, c: &Case) -> String {
    let mut w = Writer::new(&c.style);
    let note = |text: &str| {
        if c.style.comments {
            format!(" # {text}")
        } else {
            String::new()
        }
    };
    if c.style.comments {
        w.line(0, "# my settings");
    }
    w.line(0, &format!("model = \"o3\"{}", note("default")));
    let path: Vec<String> = spec.container.iter().map(|k| key(k)).collect();
    let path = path.join(".");
    let (compact, expanded): (Vec<&User>, Vec<&User>) = c.users.iter().partition(|u| u.compact);
    if !compact.is_empty() || (c.container && expanded.is_empty()) {
        w.line(0, "");
        w.line(0, &format!("[{path}]{}", note("servers")));
        for u in compact {
            let line = format!("{} = {}", key(u.name), toml_value(&user_value(spec, u)));
            w.line(1, &format!("{line}{}", note("one line")));
        }
    }
    for u in expanded {
        w.line(0, "");
        if c.style.comments {
            w.line(0, &format!("# {}", u.name));
        }
        w.line(0, &format!("[{path}.{}]", key(u.name)));
        let Value::Object(fields) = user_value(spec, u) else {
            unreachable!("entries are tables")
        };
        for (n, (k, v)) in fields.iter().enumerate() {
            let line = format!("{} = {}", key(k), toml_value(v));
            let note = if n == 0 { note("first") } else { String::new() };
            w.line(1, &format!("{line}{note}"));
        }
    }
    w.line(0, "");
    w.line(0, "[profiles.fast]");
    w.line(1, "model = \"o4-mini\"");
    w.finish()
}

/// A YAML value spread over block lines under a key at `pad`.
fn yaml_fields(w: &mut Writer, fields: &serde_json::Map<String, Value>, pad: &str, first: bool) {
    for (n, (k, v)) in fields.iter().enumerate() {
        // The first field of a list item follows its `- ` on the same line.
        let lead = if first && n == 0 { "" } else { pad };
        let unit = w.style.indent;
        match v {
            Value::Object(o) if !o.is_empty() => {
                w.line(0, &format!("{lead}{}:", key(k)));
                yaml_fields(w, o, &format!("{pad}{unit}"), false);
            }
            Value::Array(a) if !a.is_empty() => {
                w.line(0, &format!("{lead}{}:", key(k)));
                let item_pad = if w.style.flush_lists {
                    pad.to_owned()
                } else {
                    format!("{pad}{unit}")
                };
                for item in a {
                    w.line(0, &format!("{item_pad}- {item}"));
                }
            }
            _ => w.line(0, &format!("{lead}{}: {v}", key(k))),
        }
    }
}

fn yaml_doc(spec: &ClientSpec, c: &Case) -> String {
    let style = Style {
        indent: if c.style.indent == "\t" {
            "  "
        } else {
            c.style.indent
        },
        ..c.style.clone()
    };
    let mut w = Writer::new(&style);
    let unit = style.indent;
    let note = |text: &str| {
        if style.comments {
            format!(" # {text}")
        } else {
            String::new()
        }
    };
    if style.comments {
        w.line(0, "# my settings");
    }
    w.line(0, &format!("PROVIDER: openai{}", note("default")));
    let list = matches!(spec.container(), Container::YamlList { .. });
    if c.container || !c.users.is_empty() {
        w.line(
            0,
            &format!("{}:{}", spec.container.concat(), note("servers")),
        );
        let pad = if list && style.flush_lists { "" } else { unit };
        for u in &c.users {
            if style.comments {
                w.line(0, &format!("{pad}# {}", u.name));
            }
            let value = user_value(spec, u);
            let Value::Object(fields) = &value else {
                unreachable!("entries are mappings")
            };
            let value = json_value(&w, &value, 0, true, false);
            match (list, u.compact) {
                (true, true) => w.line(0, &format!("{pad}- {value}{}", note("one line"))),
                (true, false) => {
                    w.out.push_str(&format!("{pad}- "));
                    yaml_fields(&mut w, fields, &format!("{pad}  "), true);
                }
                (false, true) => {
                    let line = format!("{pad}{}: {value}", key(u.name));
                    w.line(0, &format!("{line}{}", note("one line")));
                }
                (false, false) => {
                    w.line(0, &format!("{pad}{}:{}", key(u.name), note("mine")));
                    yaml_fields(&mut w, fields, &format!("{pad}{unit}"), false);
                }
            }
        }
    }
    w.line(0, &format!("MODEL: gpt{}", note("last")));
    w.finish()
}

fn document(spec: &ClientSpec, c: &Case) -> String {
    match spec.format {
        Format::Json | Format::Jsonc => json_doc(spec, c),
        Format::Toml => toml_doc(spec, c),
        Format::Yaml => yaml_doc(spec, c),
    }
}

/// One sync, planned as `sync` plans it; the record goes through JSON like `clients.json`.
fn step(
    spec: &'static ClientSpec,
    text: &str,
    desired: &Desired,
    owned: &OwnedFile,
    adopt: bool,
) -> (String, OwnedFile, Vec<Change>) {
    let p = plan(&PlanInput {
        spec,
        path: Path::new("config"),
        text: Some(text),
        desired,
        owned,
        launcher: &launcher(),
        adopt,
    })
    .unwrap_or_else(|e| panic!("{}: {e}\n{text}", spec.id));
    let saved: OwnedFile = serde_json::from_str(&serde_json::to_string(&p.owned).unwrap()).unwrap();
    let text = p
        .new_text
        .unwrap_or_else(|| panic!("{}: the file would be deleted", spec.id));
    (text, saved, p.changes)
}

/// The file keeps its conventions while Dockside's entries are in it.
fn assert_conventions(spec: &ClientSpec, c: &Case, original: &str, text: &str) {
    assert_eq!(
        text.starts_with('\u{feff}'),
        c.style.bom,
        "{}:\n{text}",
        spec.id
    );
    assert_eq!(
        text.ends_with('\n'),
        original.ends_with('\n'),
        "{}: final line break:\n{text}",
        spec.id
    );
    let breaks = text.matches('\n').count();
    let crlf = text.matches("\r\n").count();
    assert_eq!(
        crlf,
        if c.style.crlf { breaks } else { 0 },
        "{}: line breaks:\n{text:?}",
        spec.id
    );
}

fn entries(spec: &ClientSpec, text: &str) -> indexmap::IndexMap<String, Value> {
    fsedit::open(spec.format, &spec.container(), Path::new("config"), text)
        .unwrap_or_else(|e| panic!("{}: {e}\n{text}", spec.id))
        .entries()
}

fn entry_text(spec: &ClientSpec, text: &str, name: &str) -> Option<String> {
    fsedit::open(spec.format, &spec.container(), Path::new("config"), text)
        .unwrap()
        .entry_text(name)
}

fn native(cmd: &NativeCommand) -> DesiredEntry {
    DesiredEntry::Native(cmd.clone())
}

fn gateway(server: &str) -> DesiredEntry {
    DesiredEntry::Gateway {
        server: server.into(),
    }
}

fn notes() -> NativeCommand {
    NativeCommand {
        command: "/opt/notes/bin/notes".into(),
        args: vec!["--title".into(), "Bob's \"notes\" ü".into()],
        env: [("NOTES_DIR".to_owned(), "/home/me/my notes".to_owned())]
            .into_iter()
            .collect(),
        cwd: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Connect (adding two entries and taking over a user's entry that already says what
    /// Dockside would write), a mode switch to the gateway and back, disconnect.
    #[test]
    fn connect_switch_disconnect_gives_back_every_byte(c in case()) {
        for spec in ALL {
            let original = document(spec, &c);
            // The generated file is what it means to be (TOML: one-line entries come first).
            let users: indexmap::IndexMap<String, Value> =
                c.users.iter().map(|u| (u.name.to_owned(), user_value(spec, u))).collect();
            prop_assert_eq!(entries(spec, &original), users, "{}:\n{}", spec.id, original);
            let took = (!c.users.is_empty()).then(|| &c.users[c.pick.index(c.users.len())]);
            let mut want = Desired::new();
            want.insert("notes".into(), native(&notes()));
            want.insert("web".into(), gateway("web"));
            if let Some(u) = took {
                want.insert(u.name.into(), native(&u.cmd));
            }

            let (connected, owned, changes) = step(spec, &original, &want, &OwnedFile::default(), false);
            prop_assert!(changes.contains(&Change::Added("notes".into())), "{}: {:?}", spec.id, changes);
            if let Some(u) = took {
                prop_assert!(changes.contains(&Change::TookOver(u.name.into())), "{}: {:?}", spec.id, changes);
            }
            assert_conventions(spec, &c, &original, &connected);

            let mut switched = want.clone();
            switched.insert("notes".into(), gateway("notes"));
            if let Some(u) = took {
                switched.insert(u.name.into(), gateway(u.name));
            }
            let (gw, owned, changes) = step(spec, &connected, &switched, &owned, false);
            prop_assert!(changes.contains(&Change::Updated("notes".into())), "{}: {:?}", spec.id, changes);
            assert_conventions(spec, &c, &original, &gw);

            let (back, owned, changes) = step(spec, &gw, &want, &owned, false);
            prop_assert!(changes.contains(&Change::Updated("notes".into())), "{}: {:?}", spec.id, changes);
            assert_conventions(spec, &c, &original, &back);
            if let Some(u) = took {
                // Switched back to native: the user's own entry, as they wrote it.
                prop_assert!(changes.contains(&Change::Updated(u.name.into())), "{}: {:?}", spec.id, changes);
                let theirs = entry_text(spec, &original, u.name);
                prop_assert!(theirs.is_some(), "{}: no text for {}", spec.id, u.name);
                prop_assert_eq!(entry_text(spec, &back, u.name), theirs, "{}:\n{}", spec.id, back);
            }

            let (after, owned, _) = step(spec, &back, &Desired::new(), &owned, false);
            prop_assert_eq!(&after, &original, "{}: not byte-identical after disconnect", spec.id);
            prop_assert!(owned.entries.is_empty(), "{}", spec.id);
        }
    }

    /// `--adopt` replaces a user's entry; disconnect puts it back as they wrote it.
    #[test]
    fn adopt_then_disconnect_gives_back_every_byte(c in case()) {
        prop_assume!(!c.users.is_empty());
        let u = &c.users[c.pick.index(c.users.len())];
        for spec in ALL {
            let original = document(spec, &c);
            let mut want = Desired::new();
            want.insert(u.name.into(), gateway(u.name));
            want.insert("web".into(), gateway("web"));
            let (adopted, owned, changes) = step(spec, &original, &want, &OwnedFile::default(), true);
            prop_assert!(changes.contains(&Change::Adopted(u.name.into())), "{}: {:?}", spec.id, changes);
            prop_assert_eq!(
                &entries(spec, &adopted)[u.name],
                &encode(spec, u.name, &gateway(u.name), &launcher()),
                "{}", spec.id
            );
            assert_conventions(spec, &c, &original, &adopted);

            let (after, _, changes) = step(spec, &adopted, &Desired::new(), &owned, false);
            prop_assert!(changes.contains(&Change::Restored(u.name.into())), "{}: {:?}", spec.id, changes);
            prop_assert_eq!(&after, &original, "{}: not byte-identical after disconnect", spec.id);
        }
    }
}

/// The same through the real `sync` functions and `clients.json` on disk: a Codex
/// `config.toml` with a byte order mark, CRLF, no final line break and a one-line entry.
#[test]
fn adopt_and_disconnect_on_disk_keep_a_crlf_toml_file() {
    let spec = by_id("codex").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ctx = Context {
        env: Env::with_home(dir.path().join("home")),
        dockside_home: dir.path().join("dockside"),
        launcher: launcher(),
    };
    let target = Target::user(spec);
    let path = target.path(&ctx.env);
    let original = "\u{feff}# mine\r\nmodel = \"o3\"\r\n\r\n[mcp_servers]\r\n\tmine = { command = \"node\", args = [\"m.js\"] } # one line\r\n\r\n[profiles.fast]\r\nmodel = \"o4-mini\"";
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, original).unwrap();

    let mut want = Desired::new();
    want.insert("mine".into(), gateway("mine"));
    want.insert("web".into(), gateway("web"));
    let out = sync::connect(&ctx, &target, false, |_| want.clone(), true).unwrap();
    assert_eq!(
        out.changes,
        [Change::Adopted("mine".into()), Change::Added("web".into())]
    );
    let connected = std::fs::read_to_string(&path).unwrap();
    assert!(connected.starts_with("\u{feff}# mine\r\n"), "{connected:?}");
    assert_eq!(
        connected.matches('\n').count(),
        connected.matches("\r\n").count(),
        "{connected:?}"
    );
    assert!(!connected.ends_with('\n'), "{connected:?}");

    let out = sync::disconnect(&ctx, &target).unwrap();
    assert_eq!(
        out.changes,
        [
            Change::Restored("mine".into()),
            Change::Removed("web".into())
        ]
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
}
