//! Load: many HTTP sessions and `dockside connect` bridges calling three upstreams at once. Every
//! reply is matched to its request (JSON-RPC id and payload, and the payload names the server
//! that answered): nothing lost, duplicated or misrouted; the daemon's memory stays bounded; a
//! slow upstream does not hold up calls to the others.
//!
//! Fast: 10 HTTP clients × 100 calls + 3 bridges × 100 calls. Slow (`scripts/test --slow`):
//! 50 × 500 + 10 × 500. `gateway_http.rs` already checks 20 TypeScript SDK clients × 200 calls
//! to one server.

#[path = "gateway_support.rs"]
mod gateway_support;

#[path = "reliability_support.rs"]
mod reliability;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gateway_support::*;
use reliability::*;
use serde_json::json;

const UPSTREAMS: [&str; 3] = ["a", "b", "c"];

fn home_with(servers: &[&str]) -> TestHome {
    let home = TestHome::new();
    let catalog: Vec<(&str, Vec<String>)> = servers
        .iter()
        .map(|n| (*n, hostile(n, "ok", home.path())))
        .collect();
    home.write_catalog("e2e", &catalog);
    write_managed_state(&home, servers);
    home
}

#[derive(Default)]
struct Tally {
    matched: AtomicU64,
    wrong: AtomicU64,
    failed: AtomicU64,
    samples: Mutex<Vec<String>>,
}

impl Tally {
    fn record(&self, server: &str, message: &str, got: Result<String, String>) {
        match got {
            Ok(text) if text == format!("{server}:{message}") => {
                self.matched.fetch_add(1, Ordering::Relaxed);
            }
            other => {
                match other {
                    Ok(_) => self.wrong.fetch_add(1, Ordering::Relaxed),
                    Err(_) => self.failed.fetch_add(1, Ordering::Relaxed),
                };
                let mut s = self.samples.lock().unwrap();
                if s.len() < 10 {
                    s.push(format!("{server} {message}: {other:?}"));
                }
            }
        }
    }
}

fn load(http_clients: usize, bridges: usize, calls: usize) {
    let home = home_with(&UPSTREAMS);
    let gw = daemon(&home, &[]);
    for s in UPSTREAMS {
        wait_server(&gw, &home, s, "running", Duration::from_secs(60));
    }
    let token = token(&home);
    let tally = Arc::new(Tally::default());
    let daemon_pid = gw.child.id();
    let done = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (done, peak) = (done.clone(), peak.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(daemon_pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let started = Instant::now();
    let mut threads = Vec::new();
    for i in 0..http_clients {
        let (addr, token, tally) = (gw.addr.clone(), token.clone(), tally.clone());
        threads.push(std::thread::spawn(move || {
            let mut c = RawHttp::connect(&addr, "/mcp", &token).expect("session");
            for j in 0..calls {
                let server = UPSTREAMS[(i + j) % 3];
                let message = format!("http-{i}-{j}");
                let got = c.call(&format!("{server}__echo"), json!({ "message": message }));
                tally.record(server, &message, got);
            }
        }));
    }
    // Bridges: half aggregated, half scoped to one server.
    let mut connects: Vec<Connect> = (0..bridges)
        .map(|k| {
            let scope = (!k.is_multiple_of(2)).then_some(UPSTREAMS[k % 3]);
            Connect::start(&home, scope, &[])
        })
        .collect();
    for (k, mut bridge) in connects.drain(..).enumerate() {
        let tally = tally.clone();
        threads.push(std::thread::spawn(move || {
            let scoped = !k.is_multiple_of(2);
            for j in 0..calls {
                let server = if scoped {
                    UPSTREAMS[k % 3]
                } else {
                    UPSTREAMS[(k + j) % 3]
                };
                let tool = if scoped {
                    "echo".to_string()
                } else {
                    format!("{server}__echo")
                };
                let message = format!("stdio-{k}-{j}");
                let got = bridge.call(&tool, json!({ "message": message }));
                tally.record(server, &message, got);
            }
        }));
    }
    for t in threads {
        t.join().unwrap();
    }
    let took = started.elapsed();
    done.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    let total = ((http_clients + bridges) * calls) as u64;
    let matched = tally.matched.load(Ordering::Relaxed);
    let peak_mib = peak.load(Ordering::Relaxed) / 1024;
    eprintln!(
        "{http_clients} HTTP clients + {bridges} bridges × {calls} calls over 3 upstreams: \
         {matched}/{total} matched in {took:?} ({:.0} calls/s), daemon peak RSS {peak_mib} MiB",
        total as f64 / took.as_secs_f64()
    );
    assert_eq!(
        (
            matched,
            tally.wrong.load(Ordering::Relaxed),
            tally.failed.load(Ordering::Relaxed)
        ),
        (total, 0, 0),
        "lost, failed or misrouted replies: {:?}",
        tally.samples.lock().unwrap()
    );
    assert!(peak_mib < 256, "daemon RSS grew to {peak_mib} MiB");
    for s in UPSTREAMS {
        assert_eq!(status_of(&gw, &home, s)["restarts"], 0, "{s} restarted");
    }
}

#[test]
fn ten_http_clients_and_three_bridges_make_100_calls_each_all_matched() {
    load(10, 3, 100);
}

#[test]
#[ignore = "slow: 50 × 500 HTTP calls and 10 × 500 stdio calls"]
fn fifty_http_clients_and_ten_bridges_make_500_calls_each_all_matched() {
    load(50, 10, 500);
}

/// Ten 5-second calls in flight on `slow`: calls to `a` (other sessions, and the same stdio
/// session) are answered while they wait.
#[test]
fn a_slow_upstream_does_not_hold_up_the_others() {
    let home = home_with(&["a", "slow"]);
    let gw = daemon(&home, &[]);
    wait_server(&gw, &home, "a", "running", Duration::from_secs(60));
    wait_server(&gw, &home, "slow", "running", Duration::from_secs(60));
    let token = token(&home);
    let sleepers: Vec<_> = (0..10)
        .map(|_| {
            let (addr, token) = (gw.addr.clone(), token.clone());
            std::thread::spawn(move || {
                let mut c = RawHttp::connect(&addr, "/mcp", &token).unwrap();
                c.call("slow__sleep", json!({"ms": 5000}))
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let mut c = RawHttp::connect(&gw.addr, "/mcp", &token).unwrap();
    for n in 0..30 {
        assert_eq!(
            c.call("a__echo", json!({ "message": n })),
            Ok(format!("a:{n}"))
        );
    }
    // The same stdio session: a reply from `a` overtakes the slow call sent before it.
    let mut bridge = Connect::start(&home, None, &[]);
    bridge.send(
        &json!({"jsonrpc": "2.0", "id": 9999, "method": "tools/call",
        "params": {"name": "slow__sleep", "arguments": {"ms": 5000}}}),
    );
    assert_eq!(
        bridge.call("a__echo", json!({"message": "first"})),
        Ok("a:first".into()),
        "the reply to the later call must come first"
    );
    assert!(
        sleepers.iter().all(|t| !t.is_finished()),
        "the slow calls ended before the fast ones were answered: the test proves nothing"
    );
    for t in sleepers {
        assert_eq!(t.join().unwrap(), Ok("slow:slept".into()));
    }
}
