//! Supervision: what happens when an upstream dies, hangs or keeps failing.
//!
//! Every running upstream has one watcher task, spawned by [`Gateway::supervise`] when it
//! starts and ending when it exits. The watcher waits for the process to exit, pings
//! long-lived servers on an interval (a server that does not answer within the timeout is
//! hung: it is killed and handled like a crash), and, once the server has run for the stable
//! period, forgets its crash history (`server-recovered` when there was one).
//!
//! A server that dies on its own goes `crashed → backoff → starting → ready`: exponential
//! backoff with jitter (0.5 s doubling up to 30 s by default), so nothing restarts in a tight
//! loop. Too many crashes in the window (5 in 60 s), or too many start-up failures in a row
//! (3: the server died, or never answered, before `initialize` completed — a bad command, a
//! missing dependency, bad config), put it in `crash-loop`: it is not restarted until a user
//! asks (`dockside server restart NAME`, the tray, a changed spec). Start-up failures carry
//! the cause from the server's stderr. A server that cannot even be launched (its command is
//! missing, Docker is down) is not retried: it is `start-failed` until a reload or a user
//! starts it.
//!
//! A remote server out of reach is not a crash: `unreachable` (a connection error, a timeout,
//! an HTTP error answer to `initialize`) is retried with the same backoff for as long as it
//! lasts and never becomes a crash loop; `needs-sign-in` waits for a restart. Calls for it fail
//! at once with why ([`Gateway::outage`]).
//!
//! Calls in flight on a server that dies fail at once with an error naming the server and how
//! it exited ([`down_error`]); calls that arrive while it restarts wait for it (bounded).
//!
//! Every transition is an [`Event`](dockside_api::Event) on the control API:
//! `start-failed`, `server-crashed` (`phase`: `startup`/`runtime`/`hung`, `how`, the last
//! `stderr` lines), `server-restarted` (`attempt`), `crash-loop`, `server-recovered`.
//!
//! Limits are set with environment variables of the daemon (see [`SupervisorConfig::from_env`]).

use std::collections::VecDeque;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::engine::gateway::{Gateway, GatewayEvent, Inner};
use crate::protocol::jsonrpc::INTERNAL_ERROR;
use crate::upstream::{ListKind, Outage, StartError, Upstream, UpstreamSpec};

/// Restart, crash-loop and health-check limits.
#[derive(Debug, Clone, PartialEq)]
pub struct SupervisorConfig {
    /// First restart delay; doubles per attempt.
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    /// A server that runs this long is stable again: backoff and crash history start over.
    pub stable_after: Duration,
    /// Crash loop: `crash_limit` crashes within `crash_window`…
    pub crash_window: Duration,
    pub crash_limit: u32,
    /// …or this many start-up failures in a row.
    pub startup_limit: u32,
    /// Ping long-lived servers this often (`None`: never).
    pub health_interval: Option<Duration>,
    /// A server that does not answer a ping within this is hung.
    pub health_timeout: Duration,
    /// How long a call waits for a server that is (re)starting.
    pub restart_wait: Duration,
    /// Whether containers without a `longLived` setting of their own keep running (the
    /// `--long-lived` flag): only long-lived servers are pinged.
    pub containers_long_lived: bool,
}

impl Default for SupervisorConfig {
    fn default() -> Self {
        SupervisorConfig {
            backoff_initial: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            stable_after: Duration::from_secs(60),
            crash_window: Duration::from_secs(60),
            crash_limit: 5,
            startup_limit: 3,
            health_interval: Some(Duration::from_secs(30)),
            health_timeout: Duration::from_secs(10),
            restart_wait: Duration::from_secs(30),
            containers_long_lived: false,
        }
    }
}

impl SupervisorConfig {
    /// The defaults, changed by these environment variables when set: `DOCKSIDE_CRASH_LIMIT`,
    /// `DOCKSIDE_CRASH_WINDOW_MS`, `DOCKSIDE_STARTUP_LIMIT`, `DOCKSIDE_BACKOFF_MS`,
    /// `DOCKSIDE_BACKOFF_MAX_MS`, `DOCKSIDE_STABLE_MS`, `DOCKSIDE_HEALTH_INTERVAL_MS` (0: no
    /// pings), `DOCKSIDE_HEALTH_TIMEOUT_MS`.
    pub fn from_env() -> SupervisorConfig {
        let mut c = SupervisorConfig::default();
        let num = |k: &str| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let ms = |k: &str| num(k).map(Duration::from_millis);
        if let Some(n) = num("DOCKSIDE_CRASH_LIMIT") {
            c.crash_limit = n.max(1) as u32;
        }
        if let Some(n) = num("DOCKSIDE_STARTUP_LIMIT") {
            c.startup_limit = n.max(1) as u32;
        }
        if let Some(d) = ms("DOCKSIDE_CRASH_WINDOW_MS") {
            c.crash_window = d;
        }
        if let Some(d) = ms("DOCKSIDE_BACKOFF_MS") {
            c.backoff_initial = d;
        }
        if let Some(d) = ms("DOCKSIDE_BACKOFF_MAX_MS") {
            c.backoff_max = d;
        }
        if let Some(d) = ms("DOCKSIDE_STABLE_MS") {
            c.stable_after = d;
        }
        if let Some(d) = ms("DOCKSIDE_HEALTH_INTERVAL_MS") {
            c.health_interval = (!d.is_zero()).then_some(d);
        }
        if let Some(d) = ms("DOCKSIDE_HEALTH_TIMEOUT_MS") {
            c.health_timeout = d;
        }
        c
    }

    /// The delay before restart `attempt` (1-based): doubling, capped, ±20 % jitter so that
    /// servers that died together do not restart together.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let base = self
            .backoff_initial
            .saturating_mul(1u32 << (attempt.saturating_sub(1)).min(16))
            .min(self.backoff_max);
        let mut b = [0u8; 2];
        let r = match getrandom::fill(&mut b) {
            Ok(()) => u16::from_le_bytes(b) as f64 / u16::MAX as f64,
            Err(_) => 0.5,
        };
        base.mul_f64(0.8 + 0.4 * r)
    }
}

/// When a server failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Before `initialize` completed.
    Startup,
    Runtime,
    /// It stopped answering `ping`.
    Hung,
    /// A remote server out of reach: retried, never a crash loop.
    Unreachable,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Startup => "startup",
            Phase::Runtime => "runtime",
            Phase::Hung => "hung",
            Phase::Unreachable => "unreachable",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Failure {
    phase: Phase,
    how: String,
    stderr: Vec<String>,
}

impl Failure {
    pub(crate) fn startup(e: &StartError) -> Failure {
        let phase = match e {
            StartError::Unavailable { .. } => Phase::Unreachable,
            _ => Phase::Startup,
        };
        Failure {
            phase,
            how: e.cause(),
            stderr: e.stderr().to_vec(),
        }
    }
}

enum Decision {
    Restart { attempt: u32, delay: Duration },
    CrashLoop { crashes: u32 },
}

/// One server's crash history.
#[derive(Debug, Default)]
pub(crate) struct History {
    crashes: VecDeque<Instant>,
    startup_failures: u32,
    attempt: u32,
    /// Bumped by every start a user or a reload asks for: a restart loop of an older
    /// generation gives up.
    generation: u64,
    /// The spec that crash-looped: a reload with the same spec leaves it stopped.
    pub(crate) crash_loop: Option<UpstreamSpec>,
    pub(crate) restarts: u32,
}

impl History {
    fn record(&mut self, phase: Phase, now: Instant, cfg: &SupervisorConfig) -> Decision {
        if phase == Phase::Unreachable {
            self.attempt += 1;
            return Decision::Restart {
                attempt: self.attempt,
                delay: cfg.backoff(self.attempt),
            };
        }
        self.crashes.push_back(now);
        while self
            .crashes
            .front()
            .is_some_and(|t| now.duration_since(*t) > cfg.crash_window)
        {
            self.crashes.pop_front();
        }
        if phase == Phase::Startup {
            self.startup_failures += 1;
        } else {
            self.startup_failures = 0;
        }
        self.attempt += 1;
        let crashes = self.crashes.len() as u32;
        if crashes >= cfg.crash_limit
            || (phase == Phase::Startup && self.startup_failures >= cfg.startup_limit)
        {
            Decision::CrashLoop {
                crashes: crashes.max(self.startup_failures),
            }
        } else {
            Decision::Restart {
                attempt: self.attempt,
                delay: cfg.backoff(self.attempt),
            }
        }
    }

    /// A fresh start asked for by a user or a reload; returns its generation.
    pub(crate) fn fresh_start(&mut self) -> u64 {
        self.generation += 1;
        self.crashes.clear();
        self.startup_failures = 0;
        self.attempt = 0;
        self.crash_loop = None;
        self.generation
    }
}

/// The error a caller gets when the server died under its call: names the server and how it
/// went (exit code, signal, hang), promptly.
pub(crate) async fn down_error(up: &Upstream, method: &str, restarting: bool) -> Value {
    let how = match up.down_reason() {
        Some(r) => r,
        None => {
            // The reply channel closes as the process goes; its exit status follows at once.
            tokio::time::timeout(Duration::from_millis(300), up.exited())
                .await
                .unwrap_or_else(|_| "closed its connection".into())
        }
    };
    if let Some(outage) = up.outage() {
        return outage.call_error(up.name());
    }
    let next = if restarting && how != "stopped" {
        "; Dockside is restarting it"
    } else {
        ""
    };
    json!({
        "code": INTERNAL_ERROR,
        "message": format!("server '{}' went away before answering {method}: {how}{next}", up.name()),
        "data": {"server": up.name(), "exit": how},
    })
}

fn upgrade(gw: &Weak<Inner>) -> Option<Gateway> {
    gw.upgrade().map(Gateway::from_inner)
}

impl Gateway {
    fn emit(&self, e: GatewayEvent) {
        let _ = self.inner.events.send(e);
    }

    /// Starts over the crash history of a server a user or a reload (re)starts.
    pub(crate) fn fresh_start(&self, name: &str) -> u64 {
        self.inner
            .supervision
            .lock()
            .unwrap()
            .entry(name.to_string())
            .or_default()
            .fresh_start()
    }

    /// Whether `spec` crash-looped and nobody asked to start it since.
    pub(crate) fn crash_looped(&self, spec: &UpstreamSpec) -> bool {
        self.inner
            .supervision
            .lock()
            .unwrap()
            .get(&spec.name)
            .is_some_and(|h| h.crash_loop.as_ref() == Some(spec))
    }

    /// Automatic restarts of a server since the daemon started.
    pub fn restarts(&self, name: &str) -> u32 {
        self.inner
            .supervision
            .lock()
            .unwrap()
            .get(name)
            .map_or(0, |h| h.restarts)
    }

    /// Watches a started upstream until it exits (the task ends with it).
    pub(crate) fn supervise(&self, up: Arc<Upstream>) {
        let gw = Arc::downgrade(&self.inner);
        let cfg = self.inner.config.supervisor.clone();
        tokio::spawn(async move {
            let failure = watch(&gw, &up, &cfg).await;
            if let Some(gw) = upgrade(&gw) {
                gw.on_down(&up, failure).await;
            }
        });
    }

    /// Starts the restart loop of a server whose first start failed before `initialize`.
    pub(crate) fn retry_start(&self, name: String, e: &StartError, generation: u64) {
        let gw = Arc::downgrade(&self.inner);
        let failure = Failure::startup(e);
        tokio::spawn(restart_loop(gw, name, failure, generation));
    }

    async fn on_down(&self, up: &Arc<Upstream>, failure: Failure) {
        let name = up.name().to_string();
        let was_current = {
            let mut ups = self.inner.upstreams.write().unwrap();
            if ups.get(&name).is_some_and(|u| Arc::ptr_eq(u, up)) {
                ups.shift_remove(&name);
                true
            } else {
                false
            }
        };
        if !was_current || (failure.phase != Phase::Hung && failure.how == "stopped") {
            return;
        }
        let outage = up.outage();
        let failure = match &outage {
            Some(o) => {
                self.set_outage(&name, o.clone());
                Failure {
                    phase: Phase::Unreachable,
                    ..failure
                }
            }
            None => {
                tracing::warn!(server = %name, phase = failure.phase.as_str(), "server {}", failure.how);
                self.emit(GatewayEvent::ServerCrashed {
                    server: name.clone(),
                    how: failure.how.clone(),
                    phase: failure.phase.as_str().into(),
                    stderr: failure.stderr.clone(),
                });
                failure
            }
        };
        self.rebuild_index();
        self.notify_list_changed(
            &name,
            &[ListKind::Tools, ListKind::Prompts, ListKind::Resources],
        );
        if !self.inner.config.restart || matches!(outage, Some(Outage::NeedsSignIn(_))) {
            return;
        }
        let generation = self
            .inner
            .supervision
            .lock()
            .unwrap()
            .entry(name.clone())
            .or_default()
            .generation;
        restart_loop(Arc::downgrade(&self.inner), name, failure, generation).await;
    }

    fn stabilized(&self, name: &str) {
        let crashes = {
            let mut sup = self.inner.supervision.lock().unwrap();
            let Some(h) = sup.get_mut(name) else { return };
            let n = h.attempt;
            h.crashes.clear();
            h.startup_failures = 0;
            h.attempt = 0;
            n
        };
        if crashes > 0 {
            tracing::info!(server = %name, "server recovered after {crashes} crashes");
            self.emit(GatewayEvent::ServerRecovered {
                server: name.to_string(),
                crashes,
            });
        }
    }
}

/// Waits until the upstream exits or hangs; meanwhile marks it stable after the stable period.
async fn watch(gw: &Weak<Inner>, up: &Arc<Upstream>, cfg: &SupervisorConfig) -> Failure {
    let hung = hung(up, cfg);
    tokio::pin!(hung);
    let stable = tokio::time::sleep(cfg.stable_after);
    tokio::pin!(stable);
    let mut stable_done = false;
    loop {
        tokio::select! {
            how = up.exited() => {
                return Failure { phase: Phase::Runtime, how, stderr: up.stderr_tail() };
            }
            how = &mut hung => {
                up.set_down_reason(how.clone());
                up.stop(Duration::from_millis(500)).await;
                return Failure { phase: Phase::Hung, how, stderr: up.stderr_tail() };
            }
            _ = &mut stable, if !stable_done => {
                stable_done = true;
                if let Some(gw) = upgrade(gw) {
                    gw.stabilized(up.name());
                }
            }
        }
    }
}

/// Resolves when a long-lived server stops answering `ping`; never for others.
async fn hung(up: &Upstream, cfg: &SupervisorConfig) -> String {
    let long_lived = match &up.spec.container {
        Some(c) => c
            .options
            .long_lived
            .unwrap_or(c.launch.long_lived || cfg.containers_long_lived),
        None => true,
    };
    let Some(interval) = cfg.health_interval.filter(|_| long_lived) else {
        return std::future::pending().await;
    };
    loop {
        tokio::time::sleep(interval).await;
        if !up.is_running() || up.healthy(cfg.health_timeout).await || !up.is_running() {
            // Healthy, or gone (the exit is reported by the watcher).
            continue;
        }
        return format!(
            "hung: no answer to ping within {} ms",
            cfg.health_timeout.as_millis()
        );
    }
}

/// `backoff → starting` until the server runs, gives up (crash loop), or someone else took
/// over (a newer start, a stop).
async fn restart_loop(gw: Weak<Inner>, name: String, mut failure: Failure, generation: u64) {
    loop {
        let Some(g) = upgrade(&gw) else { return };
        let decision = {
            let mut sup = g.inner.supervision.lock().unwrap();
            let h = sup.entry(name.clone()).or_default();
            if h.generation != generation {
                return;
            }
            h.record(failure.phase, Instant::now(), &g.inner.config.supervisor)
        };
        let (attempt, delay) = match decision {
            Decision::CrashLoop { crashes } => {
                let spec = g.inner.wanted.lock().unwrap().shift_remove(&name);
                if let Some(h) = g.inner.supervision.lock().unwrap().get_mut(&name) {
                    h.crash_loop = spec;
                }
                tracing::error!(server = %name, "crash loop ({crashes} failures): not restarting until asked; last: {}", failure.how);
                g.emit(GatewayEvent::CrashLoop {
                    server: name,
                    crashes,
                    startup: failure.phase == Phase::Startup,
                    cause: Some(failure.how),
                    stderr: failure.stderr,
                });
                return;
            }
            Decision::Restart { attempt, delay } => (attempt, delay),
        };
        tracing::info!(server = %name, attempt, delay_ms = delay.as_millis() as u64, "restarting");
        drop(g);
        tokio::time::sleep(delay).await;
        let Some(g) = upgrade(&gw) else { return };
        let current = g
            .inner
            .supervision
            .lock()
            .unwrap()
            .get(&name)
            .is_some_and(|h| h.generation == generation);
        let spec = g.inner.wanted.lock().unwrap().get(&name).cloned();
        let (true, Some(spec), None) = (current, spec, g.upstream(&name)) else {
            return;
        };
        match g.launch(spec).await {
            Ok(up) => {
                if let Some(h) = g.inner.supervision.lock().unwrap().get_mut(&name) {
                    h.restarts += 1;
                }
                g.emit(GatewayEvent::ServerRestarted {
                    server: name,
                    pid: up.pid,
                    attempt,
                });
                return;
            }
            Err(e @ StartError::Spawn { .. }) => {
                // It cannot even be launched (its command is gone, Docker is down): retrying
                // will not help; a reload or a user starts it again.
                tracing::error!("restart failed: {e}");
                g.inner.wanted.lock().unwrap().shift_remove(&name);
                g.emit(GatewayEvent::StartFailed {
                    server: name,
                    error: e.to_string(),
                });
                return;
            }
            Err(StartError::Unavailable { outage, .. }) => {
                g.set_outage(&name, outage.clone());
                if let Outage::NeedsSignIn(_) = outage {
                    return;
                }
                failure = Failure {
                    phase: Phase::Unreachable,
                    how: outage.to_string(),
                    stderr: vec![],
                };
            }
            Err(e) => {
                tracing::warn!("restart failed: {e}");
                failure = Failure::startup(&e);
                g.emit(GatewayEvent::ServerCrashed {
                    server: name.clone(),
                    how: failure.how.clone(),
                    phase: Phase::Startup.as_str().into(),
                    stderr: failure.stderr.clone(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_cap() {
        let c = SupervisorConfig::default();
        for (attempt, base) in [(1, 500u64), (2, 1000), (3, 2000), (7, 30_000), (40, 30_000)] {
            let d = c.backoff(attempt).as_millis() as u64;
            assert!(
                d >= base * 8 / 10 && d <= base * 12 / 10,
                "{attempt}: {d} vs {base}"
            );
        }
    }

    #[test]
    fn runtime_crashes_loop_after_the_limit_startup_failures_sooner() {
        let c = SupervisorConfig::default();
        let now = Instant::now();
        let mut h = History::default();
        for i in 1..5 {
            assert!(
                matches!(h.record(Phase::Runtime, now, &c), Decision::Restart { attempt, .. } if attempt == i)
            );
        }
        assert!(matches!(
            h.record(Phase::Runtime, now, &c),
            Decision::CrashLoop { crashes: 5 }
        ));

        let mut h = History::default();
        assert!(matches!(
            h.record(Phase::Startup, now, &c),
            Decision::Restart { .. }
        ));
        assert!(matches!(
            h.record(Phase::Startup, now, &c),
            Decision::Restart { .. }
        ));
        assert!(matches!(
            h.record(Phase::Startup, now, &c),
            Decision::CrashLoop { crashes: 3 }
        ));
        // Crashes outside the window do not count.
        let mut h = History::default();
        let later = now + c.crash_window * 2;
        for _ in 0..4 {
            h.record(Phase::Runtime, now, &c);
        }
        assert!(matches!(
            h.record(Phase::Runtime, later, &c),
            Decision::Restart { .. }
        ));
        let g = h.fresh_start();
        assert_eq!((g, h.attempt, h.crashes.len()), (1, 0, 0));
    }

    #[test]
    fn an_unreachable_remote_is_retried_with_backoff_and_never_loops() {
        let c = SupervisorConfig::default();
        let now = Instant::now();
        let mut h = History::default();
        for attempt in 1..=20 {
            match h.record(Phase::Unreachable, now, &c) {
                Decision::Restart { attempt: a, delay } => {
                    assert_eq!(a, attempt);
                    assert!(delay <= c.backoff_max.mul_f64(1.2));
                }
                Decision::CrashLoop { .. } => panic!("an outage is not a crash loop"),
            }
        }
        assert!(h.crashes.is_empty());
    }
}
