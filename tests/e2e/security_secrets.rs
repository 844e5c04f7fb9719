//! Secrets never leave the secret store: after a daemon run that used a secret — passed to a
//! server that prints it to stderr and then crashes, sent in tool arguments, returned in a tool
//! result — the value is in no log file, event, crash notification, state or catalog file,
//! `--json` output or the daemon's own stderr, and the store itself is 0600.
//!
//! `gateway_secrets.rs` already checks that `--block-secrets` fails such calls with an error
//! naming the tool and that the stdio gateway's log stays clean; this test scans everything a
//! daemon run leaves behind.

#[path = "gateway_support.rs"]
mod gateway_support;

#[path = "reliability_support.rs"]
mod reliability;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use gateway_support::*;
use reliability::*;
use serde_json::json;

const SECRET: &str = "dockside-sec-e2e-Zq8v1TnKpW3x";

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_secret_used_in_a_run_appears_in_no_log_event_state_file_or_json_output() {
    let home = TestHome::new();
    let demo = bin("dockside-demo-server");
    let script = format!(
        "echo \"leaky starting, token=$DEMO_TOKEN\" >&2; exec {} --name leaky",
        demo.display()
    );
    let catalogs = home.path().join("catalogs");
    std::fs::create_dir_all(&catalogs).unwrap();
    std::fs::write(
        catalogs.join("e2e.yaml"),
        serde_json::to_string_pretty(&json!({"name": "e2e", "registry": {"leaky": {
            "command": ["sh", "-c", script],
            "secrets": [{"name": "leaky.token", "env": "DEMO_TOKEN"}],
        }}}))
        .unwrap(),
    )
    .unwrap();
    write_managed_state(&home, &["leaky"]);
    let mut set = home
        .dockside()
        .args(["secret", "set", "leaky.token"])
        .env("DOCKSIDE_SECRET_STORE", "file")
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    set.stdin
        .take()
        .unwrap()
        .write_all(format!("{SECRET}\n").as_bytes())
        .unwrap();
    assert!(set.wait().unwrap().success());

    let gw = Daemon::start(
        &home,
        &["daemon", "--verbose"],
        &[
            ("DOCKSIDE_SECRET_STORE", "file"),
            ("RUST_LOG", "debug"),
            ("DOCKSIDE_BACKOFF_MS", "50"),
        ],
    );
    let token = gw.token.clone();
    let events = &gw.events;
    wait_server(&gw, &home, "leaky", "running", Duration::from_secs(60));
    let with_secret = home.path().join("with-secret.txt");
    std::fs::write(&with_secret, format!("the token is {SECRET}\n")).unwrap();

    let mut c = RawHttp::connect(&gw.addr, "/mcp", &token).unwrap();
    let blocked = c.call("leaky__echo", json!({"message": format!("here: {SECRET}")}));
    assert!(
        blocked.as_ref().is_err_and(|e| !e.contains(SECRET)),
        "{blocked:?}"
    );
    let blocked = c.call(
        "leaky__read_file",
        json!({"path": with_secret.display().to_string()}),
    );
    assert!(
        blocked.as_ref().is_err_and(|e| !e.contains(SECRET)),
        "{blocked:?}"
    );
    let env = c.call("leaky__env", json!({})).unwrap();
    assert!(env.contains("DEMO_TOKEN") && !env.contains(SECRET), "{env}");
    // A crash: its notification carries the server's last stderr lines.
    let mark = events.mark();
    let _ = c.call("leaky__crash", json!({}));
    let crashed = events.wait(mark, "server-crashed", "leaky");
    let tail = crashed["stderr"].to_string();
    assert!(tail.contains("leaky starting, token=[secret]"), "{crashed}");
    events.wait(mark, "server-restarted", "leaky");
    wait_server(&gw, &home, "leaky", "running", Duration::from_secs(60));
    assert_eq!(
        c.call("leaky__echo", json!({"message": "bye"})),
        Ok("bye".into())
    );

    // Everything a user or a tool can read.
    let mut outputs = vec![
        ("daemon stderr".to_string(), gw.stderr()),
        (
            "events".to_string(),
            serde_json::to_string(&events.events()).unwrap(),
        ),
    ];
    for args in [
        &["status", "--json"][..],
        &["server", "list", "--json"][..],
        &["secret", "ls", "--json"][..],
        &["logs"][..],
        &["logs", "leaky"][..],
    ] {
        let out = home
            .dockside()
            .args(args)
            .env("DOCKSIDE_SECRET_STORE", "file")
            .output()
            .unwrap();
        outputs.push((
            format!("dockside {}", args.join(" ")),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        ));
    }
    let (_, logs) = api(&gw.addr, &token, "GET", "/api/logs", None);
    outputs.push(("/api/logs".into(), logs.to_string()));
    let (_, metrics) = api(&gw.addr, &token, "GET", "/api/metrics", None);
    outputs.push(("/api/metrics".into(), metrics.to_string()));
    assert!(
        outputs[0].1.contains("leaky") && outputs[5].1.contains("leaky starting"),
        "the scan looks at real output: {outputs:?}"
    );
    drop(c);
    drop(gw);
    // Files the run left (the store and the test's own input file excepted).
    let store = home.path().join("secrets.json");
    let mut scanned = 0;
    for f in files(home.path()) {
        if f == store || f == with_secret {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        outputs.push((f.display().to_string(), text));
        scanned += 1;
    }
    assert!(scanned >= 3, "state, catalog and log files were scanned");
    for (what, text) in &outputs {
        assert!(
            !text.contains(SECRET),
            "the secret leaked into {what}:\n{text}"
        );
    }
    // The store (where no OS keychain runs) and the token: 0600.
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert!(std::fs::read_to_string(&store).unwrap().contains(SECRET));
    assert_eq!(mode(&store), 0o600, "{}", store.display());
    assert_eq!(mode(&home.path().join("token")), 0o600);
}
