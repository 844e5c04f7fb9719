//! Server logs: every line a server writes to stderr (or a container to its output) goes to
//! an in-memory ring (`GET /api/logs`), the event stream (`log` events) and, when the gateway
//! has a log directory (the daemon: `$DOCKSIDE_HOME/logs`), to `logs/<server>.log`.
//!
//! Files rotate by size: when `<server>.log` reaches `max_bytes` it becomes `<server>.log.1`
//! (`.1` becomes `.2`…, `keep` old files). Each line is `<UTC timestamp> <text>`, e.g.
//! `2026-11-26T16:03:44.123Z listening`; [`parse_line`] reads it back (`dockside logs`).
//! Files are written on a dedicated thread, never on the async runtime; it ends when the
//! gateway is dropped.

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Mutex};

use dockside_api::LogEntry;

/// Where and how server logs are written.
#[derive(Debug, Clone, PartialEq)]
pub struct LogConfig {
    pub dir: PathBuf,
    /// Rotate a file when it reaches this size.
    pub max_bytes: u64,
    /// Rotated files kept per server.
    pub keep: u32,
}

impl LogConfig {
    /// `<root>/logs`, 5 MiB per file, 3 old files; `DOCKSIDE_LOG_MAX_BYTES` and
    /// `DOCKSIDE_LOG_KEEP` change the limits.
    pub fn for_home(root: &Path) -> LogConfig {
        let num = |k: &str| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        LogConfig {
            dir: root.join("logs"),
            max_bytes: num("DOCKSIDE_LOG_MAX_BYTES").unwrap_or(5 << 20).max(1024),
            keep: num("DOCKSIDE_LOG_KEEP").unwrap_or(3) as u32,
        }
    }
}

/// Lines kept in memory, over all servers.
const RING: usize = 2000;

/// The ring and the file writer.
pub struct LogStore {
    ring: Mutex<VecDeque<LogEntry>>,
    writer: Option<Mutex<mpsc::Sender<LogEntry>>>,
}

impl LogStore {
    pub fn new(config: Option<LogConfig>) -> LogStore {
        let writer = config.map(|c| {
            let (tx, rx) = mpsc::channel::<LogEntry>();
            let spawned = std::thread::Builder::new()
                .name("dockside-logs".into())
                .spawn(move || write_files(c, rx));
            if let Err(e) = spawned {
                tracing::warn!("server logs are not written to files: {e}");
            }
            Mutex::new(tx)
        });
        LogStore {
            ring: Mutex::new(VecDeque::with_capacity(RING)),
            writer,
        }
    }

    pub fn push(&self, entry: LogEntry) {
        if let Some(w) = &self.writer {
            let _ = w.lock().unwrap().send(entry.clone());
        }
        let mut ring = self.ring.lock().unwrap();
        if ring.len() == RING {
            ring.pop_front();
        }
        ring.push_back(entry);
    }

    /// Recent lines, oldest first: of one server or all, at or after `since_ms`.
    pub fn recent(&self, server: Option<&str>, since_ms: u64) -> Vec<LogEntry> {
        self.ring
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.at_ms >= since_ms && server.is_none_or(|s| s == e.server))
            .cloned()
            .collect()
    }
}

/// `<dir>/<server>.log`.
pub fn log_file(dir: &Path, server: &str) -> PathBuf {
    dir.join(format!("{server}.log"))
}

fn write_files(c: LogConfig, rx: mpsc::Receiver<LogEntry>) {
    let mut open: HashMap<String, (std::fs::File, u64)> = HashMap::new();
    let mut warned = false;
    while let Ok(e) = rx.recv() {
        let line = format!("{} {}\n", format_utc(e.at_ms), e.line);
        let result = (|| -> std::io::Result<()> {
            if !open.contains_key(&e.server) {
                std::fs::create_dir_all(&c.dir)?;
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(log_file(&c.dir, &e.server))?;
                let len = f.metadata()?.len();
                open.insert(e.server.clone(), (f, len));
            }
            let (f, len) = open.get_mut(&e.server).expect("just opened");
            f.write_all(line.as_bytes())?;
            *len += line.len() as u64;
            if *len >= c.max_bytes {
                open.remove(&e.server);
                rotate(&c, &e.server)?;
            }
            Ok(())
        })();
        if let Err(err) = result {
            open.remove(&e.server);
            if !warned {
                tracing::warn!("cannot write server logs in {}: {err}", c.dir.display());
                warned = true;
            }
        }
    }
}

fn rotate(c: &LogConfig, server: &str) -> std::io::Result<()> {
    let base = log_file(&c.dir, server);
    let nth = |n: u32| PathBuf::from(format!("{}.{n}", base.display()));
    if c.keep == 0 {
        return std::fs::remove_file(&base);
    }
    let _ = std::fs::remove_file(nth(c.keep));
    for n in (1..c.keep).rev() {
        let _ = std::fs::rename(nth(n), nth(n + 1));
    }
    std::fs::rename(&base, nth(1))
}

/// `2026-11-26T16:03:44.123Z` from Unix milliseconds.
pub fn format_utc(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

/// Unix milliseconds from [`format_utc`]'s format.
pub fn parse_utc(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != 24 || b[4] != b'-' || b[10] != b'T' || b[23] != b'Z' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<u64>().ok();
    let days = days_from_civil(n(0..4)? as i64, n(5..7)?, n(8..10)?);
    let secs = days as u64 * 86_400 + n(11..13)? * 3600 + n(14..16)? * 60 + n(17..19)?;
    Some(secs * 1000 + n(20..23)?)
}

/// A file line: (Unix milliseconds, text).
pub fn parse_line(line: &str) -> Option<(u64, &str)> {
    let (ts, text) = line.split_once(' ')?;
    Some((parse_utc(ts)?, text))
}

// Howard Hinnant's civil calendar algorithms.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_from_civil(y: i64, m: u64, d: u64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00.000Z");
        let ms = 1_795_708_224_123; // 2026-11-26
        let s = format_utc(ms);
        assert_eq!(s, "2026-11-26T15:50:24.123Z");
        assert_eq!(parse_utc(&s), Some(ms));
        assert_eq!(
            parse_line(&format!("{s} hello world")),
            Some((ms, "hello world"))
        );
        assert_eq!(parse_line("garbage"), None);
    }

    #[test]
    fn files_rotate_at_the_size_limit() {
        let dir = tempfile::tempdir().unwrap();
        let store = LogStore::new(Some(LogConfig {
            dir: dir.path().to_path_buf(),
            max_bytes: 1024,
            keep: 2,
        }));
        for i in 0..100 {
            store.push(LogEntry {
                server: "a".into(),
                at_ms: 1000 + i,
                line: format!("line {i:03} {}", "x".repeat(40)),
            });
        }
        assert_eq!(store.recent(Some("a"), 1050).len(), 50);
        drop(store);
        let base = dir.path().join("a.log");
        for _ in 0..50 {
            if std::fs::read_to_string(dir.path().join("a.log.2")).is_ok()
                && std::fs::metadata(&base).is_ok()
            {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(std::fs::metadata(dir.path().join("a.log.1")).unwrap().len() >= 1024);
        assert!(dir.path().join("a.log.2").exists());
        assert!(!dir.path().join("a.log.3").exists());
    }
}
