//! Call metrics: per server and per tool, call and error counts and an HDR latency histogram
//! (microseconds, 1 µs to 1 h, 2 significant digits), for the control API
//! (`GET /api/metrics`, `GET /api/latency`), `dockside status --json` and Prometheus
//! (`GET /metrics`).
//!
//! Recording a call is one mutex, two map lookups by `&str` and two histogram increments; a
//! key is allocated only on a tool's first call.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use dockside_api::{CallMetrics, Metrics, ServerMetrics, ToolLatency, ToolMetrics};
use hdrhistogram::Histogram;

struct Series {
    calls: u64,
    errors: u64,
    total_us: u64,
    last_us: u64,
    hist: Histogram<u64>,
}

impl Series {
    fn new() -> Series {
        Series {
            calls: 0,
            errors: 0,
            total_us: 0,
            last_us: 0,
            hist: Histogram::new_with_bounds(1, 3_600_000_000, 2).expect("valid bounds"),
        }
    }

    fn record(&mut self, us: u64, ok: bool) {
        self.calls += 1;
        if !ok {
            self.errors += 1;
        }
        self.total_us = self.total_us.saturating_add(us);
        self.last_us = us;
        self.hist.saturating_record(us.max(1));
    }

    fn ms(us: u64) -> f64 {
        us as f64 / 1000.0
    }

    fn quantile(&self, q: f64) -> f64 {
        if self.calls == 0 {
            0.0
        } else {
            Self::ms(self.hist.value_at_quantile(q))
        }
    }

    fn snapshot(&self) -> CallMetrics {
        CallMetrics {
            calls: self.calls,
            errors: self.errors,
            mean_ms: if self.calls == 0 {
                0.0
            } else {
                Self::ms(self.total_us) / self.calls as f64
            },
            p50_ms: self.quantile(0.5),
            p90_ms: self.quantile(0.9),
            p99_ms: self.quantile(0.99),
            max_ms: if self.calls == 0 {
                0.0
            } else {
                Self::ms(self.hist.max())
            },
        }
    }
}

struct ServerSeries {
    all: Series,
    tools: HashMap<String, Series>,
}

/// Every call the gateway forwarded, by server and tool.
#[derive(Default)]
pub struct CallMetricsStore {
    servers: Mutex<HashMap<String, ServerSeries>>,
}

impl CallMetricsStore {
    pub fn record(&self, server: &str, tool: &str, took: Duration, ok: bool) {
        let us = took.as_micros().min(u64::MAX as u128) as u64;
        let mut servers = self.servers.lock().unwrap();
        let s = match servers.get_mut(server) {
            Some(s) => s,
            None => servers
                .entry(server.to_string())
                .or_insert_with(|| ServerSeries {
                    all: Series::new(),
                    tools: HashMap::new(),
                }),
        };
        s.all.record(us, ok);
        match s.tools.get_mut(tool) {
            Some(t) => t.record(us, ok),
            None => {
                let mut t = Series::new();
                t.record(us, ok);
                s.tools.insert(tool.to_string(), t);
            }
        }
    }

    /// Everything, sorted by server and tool; `restarts` gives each server's restart count.
    pub fn snapshot(&self, restarts: impl Fn(&str) -> u32) -> Metrics {
        let servers = self.servers.lock().unwrap();
        let mut out: Vec<ServerMetrics> = servers
            .iter()
            .map(|(name, s)| {
                let mut tools: Vec<ToolMetrics> = s
                    .tools
                    .iter()
                    .map(|(tool, t)| ToolMetrics {
                        tool: tool.clone(),
                        calls: t.snapshot(),
                    })
                    .collect();
                tools.sort_by(|a, b| a.tool.cmp(&b.tool));
                ServerMetrics {
                    server: name.clone(),
                    calls: s.all.snapshot(),
                    restarts: restarts(name),
                    tools,
                }
            })
            .collect();
        out.sort_by(|a, b| a.server.cmp(&b.server));
        Metrics { servers: out }
    }

    /// The older per-tool latency view (`GET /api/latency`).
    pub fn latency(&self) -> Vec<ToolLatency> {
        let servers = self.servers.lock().unwrap();
        let mut out: Vec<ToolLatency> = servers
            .iter()
            .flat_map(|(server, s)| {
                s.tools.iter().map(move |(tool, t)| {
                    let m = t.snapshot();
                    ToolLatency {
                        server: server.clone(),
                        tool: tool.clone(),
                        calls: m.calls,
                        errors: m.errors,
                        mean_ms: m.mean_ms,
                        p50_ms: m.p50_ms,
                        p95_ms: t.quantile(0.95),
                        last_ms: Series::ms(t.last_us),
                    }
                })
            })
            .collect();
        out.sort_by(|a, b| (&a.server, &a.tool).cmp(&(&b.server, &b.tool)));
        out
    }
}

/// Prometheus text exposition format (version 0.0.4) of `metrics`.
pub fn prometheus(metrics: &Metrics) -> String {
    let mut out = String::new();
    let label = |s: &str| {
        s.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    };
    let mut counter = |name: &str, help: &str, value: fn(&CallMetrics) -> u64| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        for s in &metrics.servers {
            for t in &s.tools {
                let _ = writeln!(
                    out,
                    "{name}{{server=\"{}\",tool=\"{}\"}} {}",
                    label(&s.server),
                    label(&t.tool),
                    value(&t.calls)
                );
            }
        }
    };
    counter(
        "dockside_tool_calls_total",
        "Tool calls forwarded to a server.",
        |c| c.calls,
    );
    counter(
        "dockside_tool_errors_total",
        "Tool calls that failed or returned isError.",
        |c| c.errors,
    );
    out.push_str("# HELP dockside_tool_latency_seconds Tool call latency quantiles.\n");
    out.push_str("# TYPE dockside_tool_latency_seconds summary\n");
    for s in &metrics.servers {
        for t in &s.tools {
            let (srv, tool) = (label(&s.server), label(&t.tool));
            for (q, v) in [
                ("0.5", t.calls.p50_ms),
                ("0.9", t.calls.p90_ms),
                ("0.99", t.calls.p99_ms),
            ] {
                let _ = writeln!(
                    out,
                    "dockside_tool_latency_seconds{{server=\"{srv}\",tool=\"{tool}\",quantile=\"{q}\"}} {}",
                    v / 1000.0
                );
            }
            let _ = writeln!(
                out,
                "dockside_tool_latency_seconds_sum{{server=\"{srv}\",tool=\"{tool}\"}} {}",
                t.calls.mean_ms * t.calls.calls as f64 / 1000.0
            );
            let _ = writeln!(
                out,
                "dockside_tool_latency_seconds_count{{server=\"{srv}\",tool=\"{tool}\"}} {}",
                t.calls.calls
            );
        }
    }
    out.push_str("# HELP dockside_server_restarts_total Automatic restarts of a server.\n");
    out.push_str("# TYPE dockside_server_restarts_total counter\n");
    for s in &metrics.servers {
        let _ = writeln!(
            out,
            "dockside_server_restarts_total{{server=\"{}\"}} {}",
            label(&s.server),
            s.restarts
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_counts_and_quantiles() {
        let m = CallMetricsStore::default();
        for ms in 1..=100u64 {
            m.record("demo", "echo", Duration::from_millis(ms), ms % 10 != 0);
        }
        m.record("demo", "add", Duration::from_millis(5), true);
        let snap = m.snapshot(|_| 2);
        let demo = &snap.servers[0];
        assert_eq!(
            (demo.calls.calls, demo.calls.errors, demo.restarts),
            (101, 10, 2)
        );
        let echo = demo.tools.iter().find(|t| t.tool == "echo").unwrap();
        assert!((49.0..=51.0).contains(&echo.calls.p50_ms), "{echo:?}");
        assert!((98.0..=101.0).contains(&echo.calls.p99_ms), "{echo:?}");
        let text = prometheus(&snap);
        assert!(text.contains("dockside_tool_calls_total{server=\"demo\",tool=\"echo\"} 100"));
        assert!(text.contains("dockside_server_restarts_total{server=\"demo\"} 2"));
        assert_eq!(m.latency().len(), 2);
    }
}
