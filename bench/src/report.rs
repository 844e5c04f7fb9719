//! The Markdown report (`docs/BENCHMARKS.md`) from a run's results.

use std::fmt::Write;

use crate::model::*;
use crate::setup::Group;
use crate::stats;

fn ms(us: f64) -> String {
    if us.is_nan() {
        "—".into()
    } else if us.abs() < 10_000.0 {
        format!("{:.3}", us / 1000.0)
    } else {
        format!("{:.1}", us / 1000.0)
    }
}

fn signed_ms(us: f64) -> String {
    if us.is_nan() {
        "—".into()
    } else {
        format!("{:+.3}", us / 1000.0)
    }
}

fn ratio(a: f64, b: f64) -> String {
    if a.is_nan() || b.is_nan() || b <= 0.0 || a <= 0.0 {
        "—".into()
    } else {
        format!("{:.2}×", a / b)
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn rows<'a>(rows: &'a [LatencyRow], payload: &str) -> Vec<&'a LatencyRow> {
    rows.iter()
        .filter(|r| r.payload == payload && r.summary.n > 0)
        .collect()
}

fn direct_p50(rows: &[&LatencyRow]) -> f64 {
    rows.iter()
        .find(|r| r.group == Group::Direct)
        .map(|r| r.summary.p50_us)
        .unwrap_or(f64::NAN)
}

fn best_peer<'a>(rows: &[&'a LatencyRow]) -> Option<&'a LatencyRow> {
    rows.iter()
        .filter(|r| r.group == Group::Peer)
        .min_by(|a, b| a.summary.p50_us.total_cmp(&b.summary.p50_us))
        .copied()
}

fn find<'a>(rows: &[&'a LatencyRow], path: &str) -> Option<&'a LatencyRow> {
    rows.iter().find(|r| r.path == path).copied()
}

/// Added p50 latency of a path over direct, µs.
fn added(rows: &[&LatencyRow], path: &str) -> f64 {
    find(rows, path)
        .map(|r| r.summary.p50_us - direct_p50(rows))
        .unwrap_or(f64::NAN)
}

fn latency_table(out: &mut String, all: &[LatencyRow], payload: &str) {
    let rs = rows(all, payload);
    if rs.is_empty() {
        out.push_str("_not measured_\n\n");
        return;
    }
    let direct = direct_p50(&rs);
    let best = best_peer(&rs).map(|r| r.summary.p50_us).unwrap_or(f64::NAN);
    out.push_str("| path | transport | calls | p50 ms | p90 ms | p99 ms | max ms | calls/s | added p50 ms | × direct | × best peer |\n");
    out.push_str("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for r in rs {
        let s = &r.summary;
        let name = match r.group {
            Group::Dockside => format!("**{}**", r.label),
            Group::Diagnosis => format!("_{}_", r.label),
            Group::Reference => format!("reference: {}", r.label),
            _ => r.label.clone(),
        };
        let errors = if r.errors > 0 {
            format!(" ({} errors)", r.errors)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "| {name}{errors} | {} | {} | {} | {} | {} | {} | {:.0} | {} | {} | {} |",
            r.transport,
            s.n,
            ms(s.p50_us),
            ms(s.p90_us),
            ms(s.p99_us),
            ms(s.max_us),
            s.calls_per_s,
            if r.group == Group::Direct {
                "—".into()
            } else {
                signed_ms(s.p50_us - direct)
            },
            ratio(s.p50_us, direct),
            ratio(s.p50_us, best),
        );
    }
    out.push('\n');
}

/// The README's headline sentence.
pub fn headline(r: &Results) -> String {
    let small = rows(&r.latency, "small");
    let managed = added(&small, "dockside-http");
    let docker = added(&small, "dockside-http-docker");
    let direct = direct_p50(&small);
    let best = best_peer(&small);
    let mut s = format!(
        "On a {}-core machine, a tool call through the Dockside daemon costs {} ms more than calling the server directly \
         over stdio (p50, {} ms direct) with the server managed",
        r.meta.machine.get("cores").map(String::as_str).unwrap_or("?"),
        ms(managed).trim_start_matches('+'),
        ms(direct),
    );
    if !docker.is_nan() {
        let _ = write!(
            s,
            " and {} ms with it in a long-lived Docker container",
            ms(docker)
        );
    }
    if let Some(b) = best {
        let _ = write!(
            s,
            "; the fastest peer measured, {}, adds {} ms",
            b.label,
            ms(b.summary.p50_us - direct)
        );
    }
    if let Some(b) = r.batch.iter().find(|b| b.path == "dockside-http-docker") {
        let _ = write!(
            s,
            ", and a 100-call batch in docker mode takes {} ms longer than direct",
            format_ms_plain(b.added_ms)
        );
    }
    s.push('.');
    s
}

fn format_ms_plain(v: f64) -> String {
    if v.abs() < 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.0}")
    }
}

struct Goal {
    what: String,
    target: String,
    measured: String,
    met: Option<bool>,
}

fn goals(r: &Results) -> Vec<Goal> {
    let mut g = Vec::new();
    let small = rows(&r.latency, "small");
    for (path, limit, what) in [
        (
            "dockside-http",
            300.0,
            "added p50, managed, daemon (HTTP), small payload",
        ),
        (
            "dockside-stdio",
            300.0,
            "added p50, managed, `gateway run` (stdio), small payload",
        ),
        (
            "dockside-http-docker",
            1000.0,
            "added p50, docker long-lived, small payload",
        ),
    ] {
        let a = added(&small, path);
        g.push(Goal {
            what: what.into(),
            target: format!("< {} ms", ms(limit)),
            measured: format!("{} ms", signed_ms(a)),
            met: (!a.is_nan()).then_some(a < limit),
        });
    }
    // A client of the stateless revision against one of the session era, same daemon, same server.
    let (stateless, session) = (
        added(&small, "dockside-http-stateless"),
        added(&small, "dockside-http"),
    );
    if !stateless.is_nan() && !session.is_nan() {
        g.push(Goal {
            what: "added p50, managed, daemon (HTTP): a 2026-07-28 (stateless) client against a 2025-11-25 one".into(),
            target: format!("≤ {} ms (the 2025-11-25 client's, within 10 %)", signed_ms(session)),
            measured: format!("{} ms", signed_ms(stateless)),
            met: Some(stateless <= session.max(0.0) * 1.1 + 10.0),
        });
    }
    // A managed remote server against calling the same remote directly over HTTP.
    if let (Some(through), Some(direct)) = (
        find(&small, "dockside-http-remote"),
        find(&small, "remote-direct"),
    ) {
        let a = through.summary.p50_us - direct.summary.p50_us;
        g.push(Goal {
            what:
                "added p50, managed remote server (HTTP relay), over calling it directly over HTTP"
                    .into(),
            target: format!("< {} ms", ms(1000.0)),
            measured: format!("{} ms", signed_ms(a)),
            met: (!a.is_nan()).then_some(a < 1000.0),
        });
    }
    for (path, limit, what) in [
        (
            "dockside-http-nodelay",
            300.0,
            "_diagnosis: added p50, managed, daemon (HTTP), with TCP_NODELAY_",
        ),
        (
            "dockside-http-docker-nodelay",
            1000.0,
            "_diagnosis: added p50, docker long-lived, with TCP_NODELAY_",
        ),
    ] {
        let a = added(&small, path);
        if !a.is_nan() {
            g.push(Goal {
                what: what.into(),
                target: format!("< {} ms", ms(limit)),
                measured: format!("{} ms", signed_ms(a)),
                met: Some(a < limit),
            });
        }
    }
    for (set, name) in [
        (&r.latency, "Rust client"),
        (&r.ts_client, "TypeScript SDK client"),
    ] {
        let small = rows(set, "small");
        let Some(best) = best_peer(&small) else {
            continue;
        };
        let theirs = best.summary.p50_us - direct_p50(&small);
        for (path, what) in [
            ("dockside-http", "daemon (managed)"),
            ("dockside-http-docker", "daemon (docker long-lived)"),
            (
                "dockside-http-nodelay",
                "_diagnosis: daemon (managed) with TCP_NODELAY_",
            ),
        ] {
            let ours = added(&small, path);
            if ours.is_nan() {
                continue;
            }
            g.push(Goal {
                what: format!("{what} adds less than every peer ({name}, small)"),
                target: format!("< {} ({} ms)", best.label, signed_ms(theirs)),
                measured: format!("{} ms", signed_ms(ours)),
                met: Some(ours < theirs),
            });
        }
    }
    for (path, what) in [
        (
            "dockside-http-docker",
            "100-call batch, docker long-lived, added over direct",
        ),
        (
            "dockside-http-docker-nodelay",
            "_diagnosis: 100-call batch, docker long-lived, with TCP_NODELAY_",
        ),
    ] {
        if let Some(b) = r.batch.iter().find(|b| b.path == path) {
            g.push(Goal {
                what: what.into(),
                target: "< 100 ms".into(),
                measured: format!("{} ms", format_ms_plain(b.added_ms)),
                met: Some(b.added_ms < 100.0),
            });
        }
    }
    if let Some((docker, native)) = r.packages.as_ref().and_then(|p| {
        Some((
            first_call(p, "pkg-docker")?,
            first_call(p, "pkg-native-npx")?,
        ))
    }) {
        g.push(Goal {
            what: "first call of a pinned npm server after `mode docker` (on demand, container stopped), against the same package by `npx`".into(),
            target: "not slower than native (≤ 1.00×)".into(),
            measured: format!(
                "{} ms vs {} ms ({})",
                format_ms_plain(docker.median_ms),
                format_ms_plain(native.median_ms),
                ratio(docker.median_ms, native.median_ms)
            ),
            met: Some(docker.median_ms <= native.median_ms),
        });
    }
    if let Some(m) = &r.memory {
        g.push(Goal {
            what: "daemon RSS, idle".into(),
            target: "< 30 MB".into(),
            measured: format!(
                "{} (1 server), {} (10 servers)",
                mib(m.idle_one_kib),
                mib(m.idle_ten_kib)
            ),
            met: Some(m.idle_ten_kib * 1024 < 30_000_000),
        });
        if let Some(a) = &m.app {
            let before = a
                .before
                .as_ref()
                .map(|b| {
                    format!(
                        "; before, one Tauri process: {} ({})",
                        mib(b.kib),
                        b.results
                    )
                })
                .unwrap_or_default();
            g.push(Goal {
                what: "tray RSS, tray only, 10 s after start, no WebKit process".into(),
                target: "< 60 MiB".into(),
                measured: format!("{} ({} build){before}", mib(a.app_kib), a.profile),
                met: Some(
                    a.app_kib < 60 * 1024
                        && !a.helpers.iter().any(|(n, _)| n.starts_with("WebKit")),
                ),
            });
        }
        let growth = growth_kib(m);
        g.push(Goal {
            what: format!("no daemon RSS growth over {} calls", m.soak_calls),
            target: "flat after warm-up".into(),
            measured: format!(
                "{:+.1} MiB from the first 10% of the calls to the end",
                growth as f64 / 1024.0
            ),
            met: Some(growth < 2048),
        });
    }
    g
}

/// RSS growth from the sample at ~10% of the soak to the end, KiB.
fn growth_kib(m: &Memory) -> i64 {
    let tenth = m.soak_calls / 10;
    let base = m
        .soak
        .iter()
        .find(|(calls, _)| *calls >= tenth)
        .map(|(_, r)| *r)
        .unwrap_or(m.idle_ten_kib);
    m.after_kib as i64 - base as i64
}

pub fn markdown(r: &Results, json_name: &str) -> String {
    let mut o = String::new();
    o.push_str("# Benchmarks\n\n");
    o.push_str(
        "What the Dockside gateway adds to an MCP tool call, measured against calling the server directly over stdio \
         and against peer gateways fronting the same server, plus cold starts, batches, concurrency, mode switches \
         and memory. Generated by `scripts/bench` (harness: `bench/`, raw numbers: ",
    );
    let _ = writeln!(
        o,
        "[`bench/results/{json_name}`](../bench/results/{json_name})); do not edit by hand.\n"
    );
    let _ = writeln!(o, "> {}\n", headline(r));

    o.push_str("## Machine and versions\n\n| | |\n| --- | --- |\n");
    let _ = writeln!(
        o,
        "| run | {} → {} ({:.0} s) |",
        r.meta.started, r.meta.finished, r.meta.duration_s
    );
    for (k, v) in &r.meta.machine {
        let _ = writeln!(o, "| {k} | {v} |");
    }
    let _ = writeln!(o, "| load average before | {} |", r.meta.load_before);
    let _ = writeln!(o, "| load average after | {} |", r.meta.load_after);
    for (k, v) in &r.meta.versions {
        let _ = writeln!(o, "| {k} | {v} |");
    }
    for (k, v) in &r.meta.settings {
        let _ = writeln!(o, "| {k} | {v} |");
    }
    o.push_str(
        "| Docker MCP Gateway (`docker mcp gateway run`) | not installable here (Docker Desktop plugin); see the \
         comparison with its published figures below |\n\n",
    );

    o.push_str("## How it is measured\n\n");
    o.push_str(
        "One client process opens one session per path, then makes sequential `tools/call` requests of the demo \
         server's `echo` (it returns the message it gets) on every path in turn, in blocks of calls, rotating which \
         path goes first, so machine drift hits all paths alike. Every reply is checked. The main tables use a lean \
         Rust client (blocking sockets, keep-alive, `TCP_NODELAY`, one write per request; Streamable HTTP with JSON \
         or SSE replies, legacy SSE, or a child's stdio), so the client's own cost is a few microseconds and the same \
         on every path. The TypeScript SDK table repeats the comparison with the official client. *Added* is the \
         path's p50 minus direct's p50. A path gets a time budget per phase: a very slow one makes fewer calls \
         per turn (column *calls*) but still takes every turn. Everything listens on 127.0.0.1; the peers front the same \
         `dockside-demo-server` binary (release build), and docker mode runs that same binary, with the shared \
         libraries it links, in a `FROM scratch` image. Rows in _italics_ are a diagnosis, not the product as \
         shipped: a second daemon with `TCP_NODELAY` forced on its accepted sockets by a preloaded shim \
         (`bench/diagnosis/nodelay.c`), showing what the fix described under *Goals* gives.\n\n",
    );
    o.push_str("Paths: **direct** — the client spawns the server; **Dockside `gateway run`** — the client spawns `dockside gateway run` \
        (stdio), which runs the server as a managed child; **Dockside `connect`** — what an AI client's per-server entry runs: \
        a stdio bridge to the daemon; **Dockside daemon** — Streamable HTTP to `/mcp/<server>` with the bearer token, the \
        server managed or in a hardened long-lived container; peers as named, each with its default settings.\n\n");

    o.push_str("## Latency, small payload (Rust client)\n\n");
    latency_table(&mut o, &r.latency, "small");
    o.push_str("## Latency, 64 KiB payload (Rust client)\n\n");
    latency_table(&mut o, &r.latency, "64KiB");
    if !r.ts_client.is_empty() {
        o.push_str("## Latency with the official TypeScript SDK client\n\n");
        o.push_str("The same paths driven by `@modelcontextprotocol/sdk`'s `Client` (stdio, Streamable HTTP and SSE \
            transports) from node, interleaved the same way. The SDK's own HTTP cost is part of every HTTP row here.\n\n");
        o.push_str("Small payload:\n\n");
        latency_table(&mut o, &r.ts_client, "small");
        o.push_str("64 KiB payload:\n\n");
        latency_table(&mut o, &r.ts_client, "64KiB");
    }

    o.push_str("## Docker mode, on demand (cold start)\n\n");
    match &r.cold {
        Some(c) => {
            let _ = writeln!(
                o,
                "The container stops after {} s without calls; the first call after that starts a new one (the gateway \
                 replays the MCP handshake to it). {} samples.\n",
                c.idle_timeout_s, c.first_call.n
            );
            o.push_str("| | p50 ms | max ms |\n| --- | ---: | ---: |\n");
            let _ = writeln!(
                o,
                "| first call after the container stopped | {} | {} |",
                ms(c.first_call.p50_us),
                ms(c.first_call.max_us)
            );
            let _ = writeln!(
                o,
                "| 100 calls starting cold (total) | {} | {} |",
                format_ms_plain(stats::median(&c.batch_ms)),
                format_ms_plain(c.batch_ms.iter().cloned().fold(f64::NAN, f64::max))
            );
            if !c.docker_run_ms.is_empty() {
                let _ = writeln!(
                    o,
                    "| for scale: the client runs `docker run -i` itself, spawn to first answer (initialize + call) | {} | {} |",
                    format_ms_plain(stats::median(&c.docker_run_ms)),
                    format_ms_plain(c.docker_run_ms.iter().cloned().fold(f64::NAN, f64::max))
                );
            }
            let _ = writeln!(
                o,
                "| container gone after the idle timeout (stop time) | {} | {} |\n",
                format_ms_plain(stats::median(&c.stop_ms)),
                format_ms_plain(c.stop_ms.iter().cloned().fold(f64::NAN, f64::max))
            );
        }
        None => o.push_str("_not measured_\n\n"),
    }

    packages_section(&mut o, r);

    o.push_str("## Batch: 100 sequential calls\n\n");
    if r.batch.is_empty() {
        o.push_str("_not measured_\n\n");
    } else {
        o.push_str("Total time of 100 sequential small calls on an open session (median of the repetitions).\n\n");
        o.push_str("| path | total ms | minus direct ms |\n| --- | ---: | ---: |\n");
        for b in &r.batch {
            let _ = writeln!(
                o,
                "| {} | {} | {} |",
                b.label,
                format_ms_plain(b.median_ms),
                if b.group == Group::Direct {
                    "—".into()
                } else {
                    format!("{:+.1}", b.added_ms)
                }
            );
        }
        if let Some(c) = &r.cold {
            let direct = r
                .batch
                .iter()
                .find(|b| b.group == Group::Direct)
                .map(|b| b.median_ms)
                .unwrap_or(f64::NAN);
            let m = stats::median(&c.batch_ms);
            let _ = writeln!(
                o,
                "| Dockside daemon, docker on demand, starting cold | {} | {:+.1} |",
                format_ms_plain(m),
                m - direct
            );
        }
        o.push('\n');
    }

    o.push_str("## Concurrency (HTTP endpoints)\n\n");
    if r.concurrency.is_empty() {
        o.push_str("_not measured_\n\n");
    } else {
        o.push_str("N clients, each its own session and connection, calling at once; total calls/s and latency over all calls.\n\n");
        o.push_str("| path | clients | calls/s | p50 ms | p99 ms | errors |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
        let mut cs = r.concurrency.clone();
        cs.sort_by(|a, b| a.path.cmp(&b.path).then(a.clients.cmp(&b.clients)));
        let order = |p: &str| {
            r.latency
                .iter()
                .position(|l| l.path == p)
                .unwrap_or(usize::MAX)
        };
        cs.sort_by_key(|c| (order(&c.path), c.clients));
        for c in &cs {
            let _ = writeln!(
                o,
                "| {} | {} | {:.0} | {} | {} | {} |",
                c.label,
                c.clients,
                c.throughput_per_s,
                ms(c.summary.p50_us),
                ms(c.summary.p99_us),
                c.errors
            );
        }
        o.push('\n');
    }

    o.push_str("## Mode switches\n\n");
    if r.mode_switch.is_empty() {
        o.push_str("_not measured_\n\n");
    } else {
        o.push_str("`PUT /api/servers/{name}/mode` on the running daemon (image present), then `echo` on the server's \
            endpoint until it answers. Times from sending the PUT.\n\n");
        o.push_str("| switch | PUT answered, median ms | tools callable, median ms | callable, max ms |\n| --- | ---: | ---: | ---: |\n");
        for s in &r.mode_switch {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                s.transition,
                format_ms_plain(stats::median(&s.put_ms)),
                format_ms_plain(stats::median(&s.callable_ms)),
                format_ms_plain(s.callable_ms.iter().cloned().fold(f64::NAN, f64::max)),
            );
        }
        o.push('\n');
    }

    o.push_str("## Memory\n\n");
    match &r.memory {
        Some(m) => {
            o.push_str("| | RSS |\n| --- | ---: |\n");
            let _ = writeln!(
                o,
                "| daemon, idle, 1 managed server | {} |",
                mib(m.idle_one_kib)
            );
            let _ = writeln!(
                o,
                "| daemon, idle, 10 managed servers | {} |",
                mib(m.idle_ten_kib)
            );
            let _ = writeln!(
                o,
                "| daemon after {} calls ({} errors, {:.0} s, 100 sessions on 10 servers), 2 s later | {} |",
                m.soak_calls, m.soak_errors, m.soak_s, mib(m.after_kib)
            );
            let _ = writeln!(
                o,
                "| the 10 demo servers together (for scale) | {} |",
                mib(m.servers_kib)
            );
            if let Some(a) = &m.app {
                let _ = writeln!(
                    o,
                    "| the tray, `dockside-tray` ({} build; started as `dockside-app`, which becomes it), {} | {} |",
                    a.profile,
                    a.note,
                    mib(a.app_kib)
                );
                for (name, kib) in &a.helpers {
                    let _ = writeln!(o, "| — its child `{name}` | {} |", mib(*kib));
                }
                if let Some(kib) = a.with_gl_probe_kib {
                    let _ = writeln!(
                        o,
                        "| — the same with GDK's GL probe on (`GDK_GL=` empty, which loads the GL driver and LLVM) | {} |",
                        mib(kib)
                    );
                }
                if let Some(b) = &a.before {
                    let _ = writeln!(
                        o,
                        "| — before: the tray inside the Tauri app (`dockside-app`, WebKit linked in; [`{0}`](../bench/results/{0})) | {1} |",
                        b.results,
                        mib(b.kib)
                    );
                }
                if let Some(kib) = a.dashboard_kib {
                    let _ = writeln!(
                        o,
                        "| the dashboard opened from the tray (`dockside-app --dashboard`), 10 s later; it exits when its window closes | {} |",
                        mib(kib)
                    );
                    for (name, kib) in &a.dashboard_helpers {
                        let _ = writeln!(o, "| — its child `{name}` | {} |", mib(*kib));
                    }
                }
            }
            o.push('\n');
            o.push_str("Daemon RSS during the soak (calls done → RSS): ");
            let step = (m.soak.len() / 10).max(1);
            let pts: Vec<String> = m
                .soak
                .iter()
                .enumerate()
                .filter(|(i, _)| i % step == 0 || *i == m.soak.len() - 1)
                .map(|(_, (c, k))| format!("{}k → {}", c / 1000, mib(*k)))
                .collect();
            o.push_str(&pts.join(", "));
            o.push_str(".\n\n");
        }
        None => o.push_str("_not measured_\n\n"),
    }

    o.push_str("## Goals\n\n| goal | target | measured | met |\n| --- | --- | --- | --- |\n");
    for g in goals(r) {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} |",
            g.what,
            g.target,
            g.measured,
            match g.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "—",
            }
        );
    }
    o.push('\n');

    let small = rows(&r.latency, "small");
    let http = added(&small, "dockside-http");
    let fixed = added(&small, "dockside-http-nodelay");
    if http > 30_000.0 && fixed < 1_000.0 {
        let _ = writeln!(
            o,
            "**Why the HTTP goals are missed** — every small call through the daemon waits ~40 ms: the \
             gateway's HTTP listener does not set `TCP_NODELAY`, and its Streamable HTTP replies (SSE) go out \
             in two writes (headers with the event, then the closing chunk). Nagle's algorithm holds the \
             second write until the client acknowledges the first, and the client delays that ACK by \
             ~40 ms. 64 KiB replies fill whole segments and do not wait, which is why that table looks \
             normal. The _diagnosis_ rows are the same daemon with `TCP_NODELAY` set on accepted sockets \
             by a preloaded shim: {} ms added instead of {} ms. The fix in Dockside is one line at each \
             `axum::serve` (`crates/gateway/src/http.rs` `serve_on` and `crates/gateway/src/daemon.rs` \
             `run_async`): serve `listener.tap_io(|tcp| {{ let _ = tcp.set_nodelay(true); }})` \
             (`axum::serve::ListenerExt`).\n",
            signed_ms(fixed),
            signed_ms(http)
        );
    }

    o.push_str("## Docker's MCP gateway\n\n");
    o.push_str(
        "`docker mcp gateway run` is a Docker Desktop CLI plugin and cannot be installed on this machine, so it is not \
         in the tables. The figures published for it (see the seed article in the project's notes: *Docker MCP Gateway vs \
         Claude Desktop Native MCP*) are: ~50–100 ms per tool call with containers started on demand, ~10–20 ms per call \
         with `--long-lived`, and ~5–10 s added to a batch of 100 calls. Those are other machines' numbers, not a \
         measurement here; compare orders of magnitude only.\n\n",
    );
    let small = rows(&r.latency, "small");
    let docker = added(&small, "dockside-http-docker");
    if !docker.is_nan() {
        let _ = writeln!(
            o,
            "Here, Dockside's docker long-lived mode adds {} ms per call (p50); on demand, a cold first call takes {} ms.\n",
            ms(docker),
            r.cold.as_ref().map(|c| ms(c.first_call.p50_us)).unwrap_or_else(|| "—".into())
        );
    }

    if !r.skipped.is_empty() {
        o.push_str("## Not measured in this run\n\n");
        for s in &r.skipped {
            let _ = writeln!(o, "- {}", s.replace('\n', " "));
        }
        o.push('\n');
    }
    o.push_str("## Reproduce\n\n```sh\nscripts/bench            # installs the peers under target/, builds release, runs everything (< 15 min)\nscripts/bench --quick    # a smoke run with 1/10 of the calls\n```\n");
    o
}

fn first_call<'a>(p: &'a Packages, path: &str) -> Option<&'a FirstCallRow> {
    p.rows
        .iter()
        .find(|r| r.path == path && !r.samples_ms.is_empty())
}

fn packages_section(o: &mut String, r: &Results) {
    o.push_str("## Package servers: first call after `mode docker`\n\n");
    let Some(p) = &r.packages else {
        o.push_str("_not measured_\n\n");
        return;
    };
    let samples = p.rows.first().map(|r| r.samples_ms.len()).unwrap_or(0);
    let _ = writeln!(
        o,
        "An AI client's entry `{}`, pinned by Dockside to `{}`: the time from spawning the client's entry to the \
         answer of its first `tools/call echo` (spawn, `initialize`, call), {samples} samples per path, the paths \
         taking turns. **Native** is the entry the client has: `npx` with the npm cache warm (as for a user who has \
         run it before), which still asks the registry for the latest version before it starts the server. After \
         `dockside server mode NAME docker` (the package already in the store since `server add` pinned it, this \
         built `{}` FROM `{}`, the host's `node` with the libraries it links, in {} s) the client's entry is `dockside connect --server NAME`: \
         the daemon runs, the server is on demand, and its container is stopped before each sample (idle timeout \
         {} s), so the call starts one from the per-package image, install baked in, network `none`, nothing \
         downloaded. **Managed** is the same entry with the server in managed mode: the daemon keeps the store \
         install running on the host. The last row, for scale, is `node` run by the client on the store install: \
         the package's own start, with neither `npx` nor a gateway.\n",
        p.native_command,
        p.package,
        p.image,
        p.runtime_image,
        format_ms_plain(p.mode_docker_ms / 1000.0),
        p.idle_timeout_s,
    );
    let native = first_call(p, "pkg-native-npx").map(|r| r.median_ms);
    o.push_str(
        "| path | median ms | min ms | max ms | × native |\n| --- | ---: | ---: | ---: | ---: |\n",
    );
    for row in &p.rows {
        let name = match row.group {
            Group::Dockside => format!("**{}**", row.label),
            _ => row.label.clone(),
        };
        let _ = writeln!(
            o,
            "| {name} | {} | {} | {} | {} |",
            format_ms_plain(row.median_ms),
            format_ms_plain(row.min_ms),
            format_ms_plain(row.max_ms),
            match (row.group, native) {
                (Group::Direct, _) => "—".into(),
                (_, Some(n)) => ratio(row.median_ms, n),
                (_, None) => "—".into(),
            }
        );
    }
    o.push('\n');
    let (Some(docker), Some(managed), Some(native)) = (
        first_call(p, "pkg-docker"),
        first_call(p, "pkg-managed"),
        first_call(p, "pkg-native-npx"),
    ) else {
        return;
    };
    let d = docker.median_ms / native.median_ms;
    let verdict = if d <= 1.0 {
        format!(
            "met: the first call in docker mode takes {} native's time ({} ms against {} ms, median)",
            ratio(docker.median_ms, native.median_ms),
            format_ms_plain(docker.median_ms),
            format_ms_plain(native.median_ms)
        )
    } else {
        format!(
            "**not met**: the first call in docker mode takes {} native's time ({} ms against {} ms, median)",
            ratio(docker.median_ms, native.median_ms),
            format_ms_plain(docker.median_ms),
            format_ms_plain(native.median_ms)
        )
    };
    let _ = write!(
        o,
        "Goal (issue 15): the first call after `mode docker` is not slower than the same package started \
         natively by `npx`; {verdict}. Managed mode answers its first call in {} native's time ({} ms), \
         the server already running.",
        ratio(managed.median_ms, native.median_ms),
        format_ms_plain(managed.median_ms),
    );
    if let Some(node) = first_call(p, "pkg-node-store") {
        let _ = write!(
            o,
            " Of native's {} ms, {} ms is the package itself starting under `node` (the last row); the rest, \
             {} ms, is `npx`: loading npm, asking the registry for the latest version, finding it in its cache. \
             Docker mode spends {} ms over the package's own start: `dockside connect`, the daemon, and the \
             container's start.",
            format_ms_plain(native.median_ms),
            format_ms_plain(node.median_ms),
            format_ms_plain(native.median_ms - node.median_ms),
            format_ms_plain(docker.median_ms - node.median_ms),
        );
    }
    o.push_str("\n\n");
}

/// A short summary for the terminal.
pub fn headline_tables(r: &Results) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "\n{}\n", headline(r));
    for (set, name) in [(&r.latency, "Rust client"), (&r.ts_client, "TS SDK client")] {
        let small = rows(set, "small");
        if small.is_empty() {
            continue;
        }
        let direct = direct_p50(&small);
        let _ = writeln!(o, "{name}, small payload: p50 ms (added)");
        for row in small {
            let _ = writeln!(
                o,
                "  {:<72} {:>8} ({})",
                row.label,
                ms(row.summary.p50_us),
                signed_ms(row.summary.p50_us - direct)
            );
        }
    }
    if let Some(p) = &r.packages {
        let native = first_call(p, "pkg-native-npx").map(|r| r.median_ms);
        let _ = writeln!(o, "First call, {}: median ms (× native)", p.package);
        for row in &p.rows {
            let _ = writeln!(
                o,
                "  {:<72} {:>8} ({})",
                row.label,
                format_ms_plain(row.median_ms),
                native.map(|n| ratio(row.median_ms, n)).unwrap_or_default()
            );
        }
    }
    o
}
