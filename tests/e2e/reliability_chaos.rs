//! Chaos: upstreams killed with SIGKILL under a call, in a loop (every call in flight fails,
//! every later call succeeds once the server is back, no process or container is left behind);
//! the daemon itself killed with SIGKILL under `dockside connect` clients (they reconnect and go
//! on; the old daemon's children die with it); servers that misbehave on stdout, stderr or at
//! initialize (only that server fails, with an error that says why; memory stays bounded).
//!
//! The fast variants run in `scripts/test`; the `#[ignore = "slow: …"]` ones in
//! `scripts/test --slow`. Existing coverage this builds on: `lifecycle_supervision.rs` (one
//! kill -9 under a call, crash loop, hung server), `docker_mode.rs` (leftover containers reaped,
//! dockerd outage and recovery).

#[path = "gateway_support.rs"]
mod gateway_support;

#[path = "docker_support.rs"]
mod docker_support;

#[path = "reliability_support.rs"]
mod reliability;

use std::time::{Duration, Instant};

use gateway_support::*;
use reliability::*;
use serde_json::json;

/// Supervisor settings for kill loops: restart at once, never give up.
const NO_GIVING_UP: &[(&str, &str)] = &[
    ("DOCKSIDE_CRASH_LIMIT", "100000"),
    ("DOCKSIDE_STARTUP_LIMIT", "100000"),
    ("DOCKSIDE_BACKOFF_MS", "20"),
    ("DOCKSIDE_BACKOFF_MAX_MS", "100"),
];

/// One round: a call in flight on `victim`, then `kill` (SIGKILL of the server), then checks.
/// Returns how long after the kill the call in flight failed.
/// With `restarted`, the next call is made once it returns (the server is back); without, at
/// once (it must wait for the restart itself).
fn kill_round(
    gw: &Daemon,
    home: &TestHome,
    caller: &mut RawHttp,
    round: usize,
    kill: &dyn Fn(),
    restarted: Option<&dyn Fn()>,
) -> Duration {
    let token = gw.token.clone();
    let addr = gw.addr.clone();
    // The hostile server touches this file when the call reaches it; the demo server (docker)
    // ignores it and gets a second instead.
    let touched = home.path().join(format!("in-flight-{round}"));
    let args = json!({"ms": 20000, "touch": touched.display().to_string()});
    let in_flight = std::thread::spawn(move || {
        let mut c = RawHttp::connect(&addr, "/mcp", &token).expect("session");
        let r = c.call("victim__sleep", args);
        (r, Instant::now())
    });
    // Let the call reach the server.
    let until = Instant::now() + Duration::from_millis(1000);
    while !touched.exists() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(50));
    kill();
    let killed = Instant::now();
    let (result, failed_at) = in_flight.join().unwrap();
    let took = failed_at.saturating_duration_since(killed);
    assert!(
        result.is_err(),
        "round {round}: the call in flight when its server was killed succeeded: {result:?}"
    );
    if let Some(restarted) = restarted {
        restarted();
    }
    let after = caller.call("victim__echo", json!({"message": format!("after-{round}")}));
    let want = after
        .as_deref()
        .map(|t| t.ends_with(&format!("after-{round}")));
    assert_eq!(
        want,
        Ok(true),
        "round {round}: the call after the restart failed: {after:?}\n{}",
        gw.stderr()
    );
    let other = caller.call("bystander__echo", json!({"message": round.to_string()}));
    assert_eq!(other, Ok(format!("bystander:{round}")), "round {round}");
    let _ = gw.status("victim");
    took
}

/// `kills` rounds against a managed (host process) server; `immediate`: the call after each
/// kill is made at once instead of after the restart.
fn kill_loop_process(kills: usize, immediate: bool) {
    let f = fixture(NO_GIVING_UP);
    let marker = f.path().to_owned();
    let f = f
        .server("victim", hostile("victim", "ok", &marker))
        .server("bystander", hostile("bystander", "ok", &marker))
        .managed(&["victim", "bystander"]);
    let home = &f.home;
    let gw = f.daemon();
    gw.wait_state("victim", "running", Duration::from_secs(60));
    gw.wait_state("bystander", "running", Duration::from_secs(60));
    let mut caller = RawHttp::connect(&gw.addr, "/mcp", &gw.token).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60 + 6 * kills as u64);
    let mut slowest = Duration::ZERO;
    let mut last_pid = 0;
    for round in 0..kills {
        assert!(
            Instant::now() < deadline,
            "the kill loop ran out of time at round {round}"
        );
        let pid = wait_for("victim to run again", Duration::from_secs(30), || {
            let s = gw.status("victim");
            let pid = s["pid"].as_u64()? as u32;
            (s["state"] == "running" && pid != last_pid).then_some(pid)
        });
        last_pid = pid;
        let restarted = || {
            wait_for("victim to restart", Duration::from_secs(30), || {
                let s = gw.status("victim");
                (s["state"] == "running" && s["pid"].as_u64() != Some(pid as u64)).then_some(())
            })
        };
        let took = kill_round(
            &gw,
            home,
            &mut caller,
            round,
            &|| kill9(pid),
            (!immediate).then_some(&restarted as &dyn Fn()),
        );
        slowest = slowest.max(took);
    }
    eprintln!("{kills} kills: calls in flight failed at most {slowest:?} after the kill");
    // One victim, one bystander: nothing leaked.
    let live = wait_for(
        "exactly two server processes",
        Duration::from_secs(10),
        || {
            let p = processes_with(&marker.display().to_string());
            (p.len() == 2).then_some(p)
        },
    );
    assert_eq!(live.len(), 2);
    drop(caller);
    drop(gw);
    wait_for(
        "no server process after stop",
        Duration::from_secs(10),
        || {
            processes_with(&marker.display().to_string())
                .is_empty()
                .then_some(())
        },
    );
}

#[test]
fn kill_9_a_managed_server_mid_call_5_times() {
    kill_loop_process(5, false);
}

#[test]
#[ignore = "slow: 50 kills"]
fn kill_9_a_managed_server_mid_call_50_times() {
    kill_loop_process(50, false);
}

/// The stronger promise: a call made the moment the one in flight failed waits for the restart.
#[test]
#[ignore = "slow: 50 kills, the next call at once"]
fn a_call_right_after_a_kill_waits_for_the_restart_50_times() {
    kill_loop_process(50, true);
}

/// `kills` rounds against a docker-mode server (SIGKILL to the container).
fn kill_loop_docker(kills: usize) {
    let _serial = docker_support::serial();
    let image = docker_support::demo_image();
    let f = fixture(NO_GIVING_UP);
    let marker = f.path().to_owned();
    let bystander = hostile("bystander", "ok", &marker);
    let f = f
        .catalog_yaml(&format!(
            "registry:\n  victim:\n    image: {image}\n  bystander:\n    command: {}\n",
            serde_json::to_string(&bystander).unwrap()
        ))
        .state_yaml(
            "servers:\n  victim:\n    mode: docker\n    docker: {longLived: true}\n  bystander:\n    mode: managed\n",
        );
    let home = &f.home;
    let gw = f.daemon();
    let label = gw.label();
    gw.wait_state("victim", "running", Duration::from_secs(90));
    gw.wait_state("bystander", "running", Duration::from_secs(60));
    let mut caller = RawHttp::connect(&gw.addr, "/mcp", &gw.token).unwrap();
    let deadline = Instant::now() + Duration::from_secs(90 + 10 * kills as u64);
    let mut last = String::new();
    for round in 0..kills {
        assert!(
            Instant::now() < deadline,
            "the kill loop ran out of time at round {round}"
        );
        gw.wait_state("victim", "running", Duration::from_secs(60));
        let id = wait_for("the victim's container", Duration::from_secs(30), || {
            let ids = docker_support::containers(&label);
            (ids.len() == 1 && ids[0] != last).then(|| ids[0].clone())
        });
        last = id.clone();
        let restarted = || {
            wait_for("a new container", Duration::from_secs(60), || {
                let ids = docker_support::containers(&label);
                let running = gw.status("victim")["state"] == "running";
                (running && ids.len() == 1 && ids[0] != id).then_some(())
            })
        };
        kill_round(
            &gw,
            home,
            &mut caller,
            round,
            &|| {
                docker_support::docker(&["kill", "--signal", "KILL", &id]);
            },
            Some(&restarted),
        );
    }
    let ids = wait_for("exactly one container", Duration::from_secs(30), || {
        let ids = docker_support::containers(&label);
        (ids.len() == 1).then_some(ids)
    });
    assert_eq!(ids.len(), 1);
    drop(caller);
    drop(gw);
    wait_for("no container after stop", Duration::from_secs(30), || {
        docker_support::containers(&label).is_empty().then_some(())
    });
    assert!(processes_with(&marker.display().to_string()).is_empty());
}

#[test]
fn kill_9_a_docker_server_mid_call_2_times() {
    kill_loop_docker(2);
}

#[test]
#[ignore = "slow: 50 container kills"]
fn kill_9_a_docker_server_mid_call_50_times() {
    kill_loop_docker(50);
}

/// `clients` bridges connected, the daemon killed `kills` times; every bridge goes on.
fn kill_the_daemon(clients: usize, kills: usize) {
    // No daemon of its own: the first bridge starts one.
    let f = Fixture::new();
    let marker = f.path().to_owned();
    let f = f
        .server("demo", hostile("demo", "ok", &marker))
        .managed(&["demo"]);
    let home = &f.home;
    let _stop = StopOnDrop(home);
    let mut bridges: Vec<Connect> = (0..clients)
        .map(|i| {
            Connect::start(
                home,
                if i.is_multiple_of(2) {
                    Some("demo")
                } else {
                    None
                },
                &[],
            )
        })
        .collect();
    let tool = |i: usize| {
        if i.is_multiple_of(2) {
            "echo"
        } else {
            "demo__echo"
        }
    };
    for (i, b) in bridges.iter_mut().enumerate() {
        assert_eq!(
            b.call(tool(i), json!({"message": "before"})),
            Ok("demo:before".into())
        );
    }
    let deadline = Instant::now() + Duration::from_secs(60 + 30 * kills as u64);
    for round in 0..kills {
        assert!(Instant::now() < deadline, "out of time at round {round}");
        let (old, _) = daemon_info(home).expect("daemon.json");
        let old_servers = processes_with(&marker.display().to_string());
        kill9(old);
        for (i, b) in bridges.iter_mut().enumerate() {
            let message = format!("round-{round}-client-{i}");
            let r = b.call(tool(i), json!({ "message": message }));
            assert_eq!(
                r,
                Ok(format!("demo:{message}")),
                "round {round}: bridge {i} did not carry on after the daemon was killed"
            );
        }
        let (new, _) = daemon_info(home).expect("a new daemon");
        assert_ne!(new, old);
        // The old daemon's server died with it; only the new one runs.
        let now = wait_for("one server process", Duration::from_secs(15), || {
            let p = processes_with(&marker.display().to_string());
            (p.len() == 1).then_some(p)
        });
        assert!(
            old_servers.iter().all(|p| !now.contains(p)),
            "an old server outlived its daemon: {old_servers:?} {now:?}"
        );
    }
    drop(bridges);
    let out = home.dockside().arg("stop").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    wait_for(
        "no server process after stop",
        Duration::from_secs(10),
        || {
            processes_with(&marker.display().to_string())
                .is_empty()
                .then_some(())
        },
    );
}

#[test]
fn kill_9_the_daemon_under_3_connect_clients() {
    kill_the_daemon(3, 1);
}

#[test]
#[ignore = "slow: 10 clients, 5 daemon kills"]
fn kill_9_the_daemon_under_10_connect_clients_5_times() {
    kill_the_daemon(10, 5);
}

/// Servers that break the rules, next to one that does not: each bad one fails with an error
/// that says why, the good one and the gateway carry on, memory stays bounded.
#[test]
fn misbehaving_servers_fail_alone_with_clear_errors() {
    let f = fixture(&[("DOCKSIDE_INIT_TIMEOUT_MS", "3000")]);
    let marker = f.path().to_owned();
    let servers = [
        ("good", "ok"),
        ("flood", "flood"),
        ("floodnl", "flood-nl"),
        ("banner", "banner"),
        ("noinit", "noinit"),
        ("huge", "ok"),
        ("garbage", "ok"),
    ];
    let f = servers
        .iter()
        .fold(f, |f, (name, mode)| {
            f.server(name, hostile(name, mode, &marker))
        })
        .managed(&servers.map(|(n, _)| n));
    let home = &f.home;
    // Its events are recorded from the moment it listens.
    let gw = f.daemon();
    let token = gw.token.clone();
    let events = &gw.events;
    for name in ["good", "flood", "floodnl", "huge", "garbage"] {
        gw.wait_state(name, "running", Duration::from_secs(60));
    }
    let daemon_pid = gw.child.id();
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        std::thread::spawn(move || {
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                peak.fetch_max(rss_kib(daemon_pid), std::sync::atomic::Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let mut c = RawHttp::connect(&gw.addr, "/mcp", &token).unwrap();

    // A 50 MB line on stdout: the call fails, the server is stopped, saying why.
    let mark = events.mark();
    let huge = c.call("huge__huge", json!({"mb": 50}));
    assert!(
        huge.is_err(),
        "a 50 MB reply went through: {} bytes",
        huge.map(|t| t.len()).unwrap_or(0)
    );
    let crashed = events.wait(mark, "server-crashed", "huge");
    assert!(
        crashed["how"]
            .as_str()
            .unwrap()
            .contains("longer than 32 MiB"),
        "{crashed}"
    );
    // Not JSON on stdout, mid-session and before initialize.
    let mark = events.mark();
    assert!(c.call("garbage__garbage", json!({})).is_err());
    let crashed = events.wait(mark, "server-crashed", "garbage");
    assert!(
        crashed["how"].as_str().unwrap().contains("not JSON-RPC"),
        "{crashed}"
    );
    let banner = wait_for("banner to fail", Duration::from_secs(30), || {
        let s = gw.status("banner");
        s["error"]
            .as_str()
            .is_some_and(|e| e.contains("not JSON-RPC"))
            .then_some(s)
    });
    assert_ne!(banner["state"], "running", "{banner}");
    // No answer to initialize.
    let noinit = wait_for("noinit to fail", Duration::from_secs(30), || {
        let s = gw.status("noinit");
        s["error"]
            .as_str()
            .is_some_and(|e| e.contains("no answer to initialize within 3s"))
            .then_some(s)
    });
    assert_ne!(noinit["state"], "running", "{noinit}");

    // Ten seconds of stderr floods (~10 MB/s each, with and without newlines): the others and
    // the flooders themselves keep answering.
    let until = Instant::now() + Duration::from_secs(10);
    let mut n = 0;
    while Instant::now() < until {
        for name in ["good", "flood", "floodnl"] {
            assert_eq!(
                c.call(&format!("{name}__echo"), json!({"message": n})),
                Ok(format!("{name}:{n}"))
            );
        }
        n += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
    // The bad ones came back after their restarts (they misbehave only when asked to).
    gw.wait_state("huge", "running", Duration::from_secs(60));
    assert_eq!(
        c.call("huge__echo", json!({"message": "ok"})),
        Ok("huge:ok".into())
    );
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    sampler.join().unwrap();
    let peak_mib = peak.load(std::sync::atomic::Ordering::Relaxed) / 1024;
    eprintln!("daemon peak RSS {peak_mib} MiB");
    assert!(peak_mib < 256, "the daemon's memory grew to {peak_mib} MiB");
    assert_eq!(gw.status("good")["restarts"], 0);
    // Logs of the flooders stay within their rotation limits (4 files of 5 MiB each).
    let logs: u64 = walk(&home.path().join("logs"))
        .iter()
        .map(|(_, len)| len)
        .sum();
    assert!(logs < 64 << 20, "logs take {logs} bytes");
}

/// Files under `dir` with their sizes.
fn walk(dir: &std::path::Path) -> Vec<(std::path::PathBuf, u64)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push((p.clone(), e.metadata().map(|m| m.len()).unwrap_or(0)));
        }
    }
    out
}

/// Stops dockerd (by its pid file) and starts it again as `scripts/lib.sh ensure_docker` does.
fn restart_dockerd() {
    let pid = std::fs::read_to_string("/var/run/docker.pid")
        .expect("dockerd's pid file /var/run/docker.pid")
        .trim()
        .to_owned();
    let script = format!(
        "kill {pid} || exit 1; \
         for i in $(seq 1 300); do [ -e /proc/{pid} ] || break; sleep 0.1; done; \
         nohup dockerd >/tmp/dockside-dockerd.log 2>&1 & \
         for i in $(seq 1 120); do docker info >/dev/null 2>&1 && exit 0; sleep 0.5; done; exit 1"
    );
    let ok = std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .status()
        .is_ok_and(|s| s.success());
    docker_support::require_docker();
    assert!(ok, "dockerd did not come back");
}

/// dockerd restarted `restarts` times while clients call a docker server and a managed one:
/// the managed server never fails a call, the docker one answers again after each restart, one
/// container at the end and none after the daemon stops.
fn dockerd_restarts_under_load(restarts: usize) {
    let _serial = docker_support::serial();
    let image = docker_support::demo_image();
    let f = fixture(NO_GIVING_UP);
    let host = hostile("host", "ok", f.path());
    let f = f
        .catalog_yaml(&format!(
            "registry:\n  boxed:\n    image: {image}\n  host:\n    command: {}\n",
            serde_json::to_string(&host).unwrap()
        ))
        .state_yaml(
            "servers:\n  boxed:\n    mode: docker\n    docker: {longLived: true}\n  host:\n    mode: managed\n",
        );
    let gw = f.daemon();
    let label = gw.label();
    gw.wait_state("boxed", "running", Duration::from_secs(90));
    gw.wait_state("host", "running", Duration::from_secs(60));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load = |tool: &'static str| {
        let (addr, token, stop) = (gw.addr.clone(), gw.token.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut c = RawHttp::connect(&addr, "/mcp", &token).unwrap();
            let (mut ok, mut failed) = (0u64, Vec::new());
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                match c.call(tool, json!({ "message": n.to_string() })) {
                    Ok(t) if t.ends_with(&n.to_string()) => ok += 1,
                    other => failed.push(format!("{n}: {other:?}")),
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            (ok, failed)
        })
    };
    let host_load = load("host__echo");
    let boxed_load = load("boxed__echo");
    let deadline = Instant::now() + Duration::from_secs(120 * restarts as u64);
    for round in 0..restarts {
        assert!(Instant::now() < deadline, "out of time at round {round}");
        restart_dockerd();
        gw.wait_state("boxed", "running", Duration::from_secs(120));
        let mut c = RawHttp::connect(&gw.addr, "/mcp", &gw.token).unwrap();
        assert_eq!(
            c.call("boxed__echo", json!({"message": round.to_string()})),
            Ok(round.to_string()),
            "round {round}: the docker server did not come back"
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (host_ok, host_failed) = host_load.join().unwrap();
    let (boxed_ok, boxed_failed) = boxed_load.join().unwrap();
    eprintln!(
        "{restarts} dockerd restarts: managed {host_ok} ok / {} failed, docker {boxed_ok} ok / {} failed (during outages)",
        host_failed.len(),
        boxed_failed.len()
    );
    assert!(
        host_failed.is_empty(),
        "the managed server failed calls: {host_failed:?}"
    );
    assert!(host_ok > 0 && boxed_ok > 0);
    let ids = wait_for("exactly one container", Duration::from_secs(30), || {
        let ids = docker_support::containers(&label);
        (ids.len() == 1).then_some(ids)
    });
    assert_eq!(ids.len(), 1);
    drop(gw);
    wait_for("no container after stop", Duration::from_secs(30), || {
        docker_support::containers(&label).is_empty().then_some(())
    });
}

#[test]
#[ignore = "slow: 3 dockerd restarts under load"]
fn dockerd_restarts_3_times_under_load() {
    dockerd_restarts_under_load(3);
}
