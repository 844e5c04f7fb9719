//! `kill -9` of the real `dockside` binary at random points during 200 syncs never leaves a
//! truncated or half-written client file, nor an ownership record that loses track of entries.

// The client fixtures' temporary HOME, shared with core's `clients_*` tests.
#[path = "../../core/tests/support/mod.rs"]
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dockside_core::catalog::Server;
use dockside_core::clients::by_id;
use dockside_core::fsedit;
use dockside_core::{Home, Mode, Workspace};
use support::*;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn kill_9_during_repeated_syncs_never_corrupts_the_file() {
    let bin = env!("CARGO_BIN_EXE_dockside");
    for id in ["cursor", "codex", "goose"] {
        let spec = by_id(id).unwrap();
        let h = home(spec);
        // Two servers: one native, one behind the gateway.
        let mut ws = Workspace::load(Home::new(&h.ctx.dockside_home)).unwrap();
        for (name, mode) in [("notes", Mode::Native), ("web", Mode::Managed)] {
            let server = Server {
                command: Some(vec!["node".into(), format!("/srv/{name} dir/index.js")]),
                ..Default::default()
            };
            ws.add_server("local", name, server).unwrap();
            ws.set_mode(name, mode).unwrap();
        }
        ws.save().unwrap();

        // `dockside client ACTION id` in the fixture's HOME.
        let client = |action: &str| {
            let mut c = Command::new(bin);
            c.args(["client", action, id])
                .env("HOME", h.ctx.env.home.clone())
                .env_remove("XDG_CONFIG_HOME")
                .env_remove("CODEX_HOME")
                .env("DOCKSIDE_HOME", &h.ctx.dockside_home)
                .env("DOCKSIDE_LAUNCHER", "dockside");
            c
        };
        let run = |single: bool| {
            let mut c = client("connect");
            c.stdout(Stdio::null()).stderr(Stdio::null());
            if single {
                c.arg("--single-entry");
            }
            c
        };
        // How long one run takes, to spread kills over it.
        let t = Instant::now();
        assert!(run(false).status().unwrap().success());
        let span = t.elapsed().as_micros() as u64 * 12 / 10 + 1;

        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ id.len() as u64);
        let mut killed = 0;
        for i in 0..200 {
            let mut child = run(i % 2 == 1).spawn().unwrap();
            std::thread::sleep(Duration::from_micros(rng.next() % span));
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap(); // SIGKILL
                killed += 1;
            }
            child.wait().unwrap();
            let text = h.read();
            let doc = fsedit::open(spec.format, &spec.container(), &h.path, &text)
                .unwrap_or_else(|e| panic!("{id}: iteration {i}: {e}\n{text}"));
            // The user's own servers are always all there.
            let entries = doc.entries();
            for name in fsedit::open(spec.format, &spec.container(), &h.path, &h.original)
                .unwrap()
                .entries()
                .keys()
            {
                assert!(
                    entries.contains_key(name),
                    "{id}: iteration {i}: lost `{name}`"
                );
            }
        }
        assert!(killed > 20, "{id}: only {killed} runs were killed mid-way");

        // After all that, a clean connect + disconnect still restores the file exactly: the
        // ownership record never lost track of an entry.
        assert!(run(false).status().unwrap().success());
        let out = client("disconnect").output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(h.read(), h.original, "{id}");
        let leftovers: Vec<_> = std::fs::read_dir(h.path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "{id}: {leftovers:?}");
    }
}
