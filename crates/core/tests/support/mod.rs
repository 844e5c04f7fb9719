//! Shared helpers of the `clients_*` tests: a temporary HOME holding one client's fixture.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use dockside_core::clients::sync::{Context, Target};
use dockside_core::clients::{ClientSpec, Desired, DesiredEntry, Env, Launcher, NativeCommand};
use dockside_core::fsedit::{self, Container};
use serde_json::Value;

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/clients")
}

pub struct Home {
    pub dir: tempfile::TempDir,
    pub ctx: Context,
    pub target: Target,
    pub path: PathBuf,
    pub original: String,
}

/// A temp HOME with `spec`'s fixture at its user-scope path.
pub fn home(spec: &'static ClientSpec) -> Home {
    let dir = tempfile::tempdir().unwrap();
    let env = Env::with_home(dir.path().join("home"));
    // The candidate path whose file name the fixture folder has.
    let path = (spec.user_paths)(&env)
        .into_iter()
        .find(|p| {
            fixtures()
                .join(spec.id)
                .join(p.file_name().unwrap())
                .exists()
        })
        .unwrap_or_else(|| panic!("no fixture for {}", spec.id));
    let fixture = fixtures().join(spec.id).join(path.file_name().unwrap());
    let original =
        std::fs::read_to_string(&fixture).unwrap_or_else(|e| panic!("{}: {e}", fixture.display()));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, &original).unwrap();
    let ctx = Context {
        env,
        dockside_home: dir.path().join("dockside"),
        launcher: Launcher("dockside".into()),
    };
    Home {
        dir,
        ctx,
        target: Target::user(spec),
        path,
        original,
    }
}

impl Home {
    pub fn read(&self) -> String {
        std::fs::read_to_string(&self.path).unwrap()
    }
}

/// A native server with awkward arguments, and one behind the gateway.
pub fn desired() -> Desired {
    let mut d = Desired::new();
    d.insert(
        "notes".into(),
        DesiredEntry::Native(NativeCommand {
            command: "/opt/notes server/bin/notes".into(),
            args: vec!["--title".into(), "Bob's \"notes\" ü".into(), "a b".into()],
            env: [("NOTES_DIR".to_owned(), "/home/me/my notes".to_owned())]
                .into_iter()
                .collect(),
            cwd: Some("/srv/notes".into()),
        }),
    );
    d.insert(
        "web".into(),
        DesiredEntry::Gateway {
            server: "web".into(),
        },
    );
    d
}

/// The parsed document with the given entries taken out of the container.
pub fn without_entries(spec: &ClientSpec, text: &str, names: &[&str]) -> Value {
    let mut v = fsedit::parse_value(spec.format, Path::new("x"), text).unwrap();
    let container = match spec.container() {
        Container::JsonObject(keys) | Container::TomlTable(keys) => keys,
        Container::YamlMap(k) => vec![k],
        Container::YamlList { key, .. } => vec![key],
    };
    let mut slot = &mut v;
    for k in &container {
        slot = slot.get_mut(k).unwrap();
    }
    match slot {
        Value::Object(o) => {
            for n in names {
                o.shift_remove(*n);
            }
        }
        Value::Array(a) => a.retain(|i| !names.iter().any(|n| i["name"] == *n)),
        other => panic!("container is {other}"),
    }
    v
}

/// Checks a unified diff only adds lines, except lines that gain a trailing comma.
pub fn assert_only_additions(diff: &str) {
    let removed: Vec<&str> = diff
        .lines()
        .filter(|l| l.starts_with('-') && !l.starts_with("---"))
        .map(|l| &l[1..])
        .collect();
    let added: Vec<&str> = diff
        .lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
        .map(|l| &l[1..])
        .collect();
    for r in removed {
        let with_comma = format!("{},", r.trim_end());
        assert!(
            added.iter().any(|a| a.trim_end() == with_comma),
            "line changed beyond a trailing comma: {r:?}\n{diff}"
        );
    }
}
