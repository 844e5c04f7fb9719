//! A user's whole first session over every supported client at once, with realistic files
//! (`tests/fixtures/journey/`, else `tests/fixtures/clients/`): import from every client,
//! connect every client, mode changes, switch to production, back to development, disconnect.
//! At every step: no client holds two entries for one server, and every entry keeps the name
//! its client knew it by (so the tool names a client shows never change). At the end every
//! file is back byte for byte.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dockside_core::change;
use dockside_core::clients::import::{self, dedupe};
use dockside_core::clients::ownership::Record;
use dockside_core::clients::sync::{self, Context, Target};
use dockside_core::clients::{workspace as bridge, Entry, Env, Launcher, ALL};
use dockside_core::switch::{self, PlanOptions};
use dockside_core::{fsedit, Home, Mode, Workspace};
use support::fixtures;

const LAUNCHER: &str = "/opt/dockside/bin/dockside";

struct File {
    target: Target,
    path: PathBuf,
    original: String,
    /// The entries the user had, by name.
    names: Vec<String>,
    /// Those the user had switched off with the client's own flag.
    disabled: Vec<String>,
}

struct World {
    _dir: tempfile::TempDir,
    ctx: Context,
    files: Vec<File>,
}

/// The journey fixture of a client, else its plain fixture: the file whose name one of the
/// client's user-scope paths has.
fn fixture(id: &str, candidates: &[PathBuf]) -> Option<(PathBuf, PathBuf)> {
    let journey = fixtures().join("../journey").join(id);
    let plain = fixtures().join(id);
    [journey, plain].into_iter().find_map(|dir| {
        candidates.iter().find_map(|p| {
            let f = dir.join(p.file_name()?);
            f.is_file().then(|| (f, p.clone()))
        })
    })
}

fn entries(target: &Target, path: &Path, text: &str) -> Vec<(String, serde_json::Value)> {
    let spec = target.spec;
    fsedit::open(spec.format, &spec.container(), path, text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .entries()
        .into_iter()
        .collect()
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let env = Env::with_home(dir.path().join("home"));
    let mut files = Vec::new();
    for spec in ALL.iter().copied() {
        let Some((fixture, path)) = fixture(spec.id, &(spec.user_paths)(&env)) else {
            panic!("{}: no fixture", spec.id)
        };
        let original = std::fs::read_to_string(&fixture).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &original).unwrap();
        let target = Target::user(spec);
        let found = entries(&target, &path, &original);
        let disabled = (found.iter())
            .filter(|(_, v)| spec.shape.is_disabled(v))
            .map(|(n, _)| n.clone())
            .collect();
        let names = found.into_iter().map(|(n, _)| n).collect();
        files.push(File {
            target,
            path,
            original,
            names,
            disabled,
        });
    }
    let ctx = Context {
        env,
        dockside_home: dir.path().join("dockside"),
        launcher: Launcher(LAUNCHER.into()),
    };
    World {
        _dir: dir,
        ctx,
        files,
    }
}

impl World {
    fn workspace(&self) -> Workspace {
        Workspace::load(Home::new(&self.ctx.dockside_home)).unwrap()
    }

    fn import_all(&self) {
        let record = Record::load(&self.ctx.dockside_home).unwrap();
        let mut found = Vec::new();
        for f in &self.files {
            let text = std::fs::read_to_string(&f.path).unwrap();
            found.extend(import::read(&f.target, &f.path, &text, &record.file(&f.path)).unwrap());
        }
        let mut ws = self.workspace();
        bridge::import_into(&mut ws, "imported", &dedupe(found)).unwrap();
        ws.save().unwrap();
    }

    fn connect_all(&self) {
        let ws = self.workspace();
        for f in &self.files {
            bridge::connect(&ws, &self.ctx, &f.target, false, false)
                .unwrap_or_else(|e| panic!("connect {}: {e}", f.target.key()));
        }
    }

    /// Which server each entry of each file stands for (`None`: not one of Dockside's),
    /// checking that no file holds two entries for one server and that every entry the user
    /// had is still there under its name.
    fn check(&self, step: &str) -> BTreeMap<String, BTreeMap<String, String>> {
        let ws = self.workspace();
        let mut all = BTreeMap::new();
        for f in &self.files {
            let text = std::fs::read_to_string(&f.path).unwrap_or_default();
            let found = entries(&f.target, &f.path, &text);
            let key = f.target.key();
            for name in &f.names {
                assert!(
                    found.iter().any(|(n, _)| n == name),
                    "{step}: {key} lost its entry `{name}`:\n{text}"
                );
            }
            for name in &f.disabled {
                let (_, v) = found.iter().find(|(n, _)| n == name).expect("kept");
                assert!(
                    f.target.spec.shape.is_disabled(v),
                    "{step}: {key} switched `{name}` on:\n{text}"
                );
            }
            let mut servers: BTreeMap<String, String> = BTreeMap::new();
            for (name, value) in &found {
                let Some(server) = server_of(&ws, &f.target, value) else {
                    continue;
                };
                if let Some(other) = servers.insert(server.clone(), name.clone()) {
                    panic!("{step}: {key} holds `{other}` and `{name}`, both server `{server}`:\n{text}");
                }
            }
            all.insert(key, servers);
        }
        all
    }
}

/// The catalog server an entry runs: Dockside's bridge names it; a native entry is the server
/// whose host command (or URL) it equals.
fn server_of(ws: &Workspace, target: &Target, value: &serde_json::Value) -> Option<String> {
    let entry = target.spec.shape.decode(value)?;
    if let Entry::Stdio(c) = &entry {
        if c.command == LAUNCHER {
            return match c.args.as_slice() {
                [connect, flag, server] if connect == "connect" && flag == "--server" => {
                    Some(server.clone())
                }
                // A native server with secrets (moved to the store on import).
                [exec, server] if exec == "exec" => Some(server.clone()),
                _ => Some("(aggregate)".into()),
            };
        }
    }
    let url = |e: &Entry| match e {
        Entry::Remote { url, .. } => Some(url.clone()),
        Entry::Stdio(_) => None,
    };
    let command = bridge::to_server(&entry).command;
    ws.servers()
        .find(|e| {
            let remote = e.server.remote.as_ref().and_then(|r| r.url.clone());
            command == e.server.command && url(&entry) == remote
        })
        .map(|e| e.name.to_owned())
}

/// Every catalog server that is on and can run in `mode`, set to it (one change each).
fn set_all(w: &World, mode: Mode) -> Vec<String> {
    let ws = w.workspace();
    let names: Vec<String> = (ws.servers())
        .filter(|e| e.state.mode != Mode::Off)
        .map(|e| e.name.to_owned())
        .collect();
    let mut set = Vec::new();
    for name in names {
        if ws.launch_in(&name, mode).is_ok() {
            change::set_mode(&w.ctx, &name, mode)
                .unwrap_or_else(|e| panic!("{name} → {mode}: {e}"));
            set.push(name);
        }
    }
    set
}

#[test]
fn import_connect_modes_switch_and_back_keep_every_name_and_byte() {
    let w = world();
    w.import_all();
    let ws = w.workspace();
    let imported: Vec<&str> = ws.servers().map(|e| e.name).collect();
    for expect in [
        "github",
        "github-windsurf",
        "github-goose",
        "filesystem",
        "filesystem-opencode",
        "SQLite-MCP",
        "github.com-modelcontextprotocol-servers-tree-main-src-brave-search",
    ] {
        assert!(
            imported.contains(&expect),
            "{expect} not imported: {imported:?}"
        );
    }

    w.connect_all();
    let connected = w.check("connect");
    // The renamed servers are known by their old names where they came from.
    for (client, entry, server) in [
        ("windsurf", "github", "github-windsurf"),
        ("goose", "github", "github-goose"),
        ("codex", "context7", "context7-codex"),
        ("opencode", "filesystem", "filesystem-opencode"),
        ("continue", "SQLite MCP", "SQLite-MCP"),
        (
            "cline",
            "github.com/modelcontextprotocol/servers/tree/main/src/brave-search",
            "github.com-modelcontextprotocol-servers-tree-main-src-brave-search",
        ),
    ] {
        assert_eq!(
            connected[client].get(server).map(String::as_str),
            Some(entry),
            "{client}: {:?}",
            connected[client]
        );
    }

    // What `dockside client list` and the Clients screen show for a client.
    let rows = dockside_core::clients::status::list(&w.ctx).unwrap();
    let windsurf = rows.iter().find(|r| r.id == "windsurf").unwrap();
    assert_eq!(windsurf.disabled, ["git"]);
    assert!(
        windsurf
            .aliases
            .iter()
            .any(|a| a.server == "github-windsurf" && a.entry == "github"),
        "{:?}",
        windsurf.aliases
    );

    let managed = set_all(&w, Mode::Managed);
    assert!(managed.len() >= 7, "{managed:?}");
    // Off in every client it came from: imported off, so no other client gets it.
    assert!(!managed.contains(&"sequential-thinking".to_owned()));
    assert_eq!(
        w.workspace()
            .server("sequential-thinking")
            .unwrap()
            .state
            .mode,
        Mode::Off
    );
    // Off in Windsurf, on in Codex: on, and Windsurf's stays off (checked at every step).
    assert!(managed.contains(&"git".to_owned()));
    assert_eq!(
        w.check("managed"),
        connected,
        "a mode change renames nothing"
    );
    set_all(&w, Mode::Native);
    assert_eq!(w.check("native again"), connected);

    let ws = w.workspace();
    let plan = switch::plan_production(&ws, &w.ctx, &PlanOptions::default()).unwrap();
    let applied = switch::apply(&w.ctx, &plan, None).unwrap();
    assert!(applied.problems.is_empty(), "{:?}", applied.problems);
    assert_eq!(
        w.check("production"),
        connected,
        "the switch renames nothing"
    );
    switch::restore(&w.ctx, &Home::new(&w.ctx.dockside_home), &applied.record.id).unwrap();
    assert_eq!(w.check("development"), connected);

    for f in &w.files {
        sync::disconnect(&w.ctx, &f.target).unwrap();
    }
    for f in &w.files {
        let now = std::fs::read_to_string(&f.path).unwrap_or_default();
        assert_eq!(now, f.original, "{}: not byte for byte", f.target.key());
    }
}
