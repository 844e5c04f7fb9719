//! `dockside logs [NAME] [-f] [--since DURATION|TIMESTAMP]`: the servers' stderr (and container
//! output) as the gateway captured it in `$DOCKSIDE_HOME/logs/<server>.log` (plus rotated
//! `.log.N` files), merged by timestamp, each line prefixed with its server's name.
//!
//! `-f` follows by tailing the files (polling), not through the daemon's event stream: it works
//! whether or not the daemon runs, survives daemon restarts, and sees rotations (the rest of
//! the rotated file is read before the new one).

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use dockside_core::Home;
use dockside_gateway::engine::logs::{format_utc, parse_line, parse_utc};

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Only this server (default: every server, merged)
    pub name: Option<String>,
    /// Keep printing new lines as they are written
    #[arg(short, long)]
    pub follow: bool,
    /// Only lines since then: a duration ago (`30s`, `5m`, `2h`, `1d`) or a UTC timestamp
    /// (`2026-11-26T16:03:44.123Z`)
    #[arg(long, value_name = "WHEN", value_parser = parse_since)]
    pub since: Option<u64>,
}

/// Unix milliseconds from `30s`/`5m`/`2h`/`1d` ago or a timestamp.
fn parse_since(s: &str) -> Result<u64, String> {
    if let Some(ms) = parse_utc(s) {
        return Ok(ms);
    }
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}`: use e.g. 30s, 5m, 2h, 1d or 2026-11-26T16:03:44.000Z"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("`{s}`: the unit is s, m, h or d")),
    };
    Ok(dockside_gateway::upstream::now_ms().saturating_sub(secs * 1000))
}

struct Line {
    at_ms: u64,
    server: String,
    text: String,
}

/// `<server>.log` files in `dir` (of `only`, when given), by server name.
fn current_files(dir: &Path, only: Option<&str>) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut out: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let server = name.strip_suffix(".log")?.to_string();
            only.is_none_or(|o| o == server)
                .then_some((server, e.path()))
        })
        .collect();
    out.sort();
    out
}

fn rotated(path: &Path, n: u32) -> PathBuf {
    PathBuf::from(format!("{}.{n}", path.display()))
}

/// Parses `text` into lines of `server`; a line without a timestamp keeps the previous one's.
fn parse_into(out: &mut Vec<Line>, server: &str, text: &str, since: u64) {
    let mut last = 0;
    for raw in text.lines() {
        let (at_ms, text) = match parse_line(raw) {
            Some((ms, t)) => (ms, t),
            None => (last, raw),
        };
        last = at_ms;
        if at_ms >= since {
            out.push(Line {
                at_ms,
                server: server.to_string(),
                text: text.to_string(),
            });
        }
    }
}

fn read_from(path: &Path, offset: u64) -> std::io::Result<(String, u64)> {
    let mut f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    if len <= offset {
        return Ok((String::new(), len));
    }
    f.seek(SeekFrom::Start(offset))?;
    let mut buf = Vec::new();
    f.take(len - offset).read_to_end(&mut buf)?;
    // Only whole lines; a partial last line is read next time.
    let end = buf.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    buf.truncate(end);
    Ok((
        String::from_utf8_lossy(&buf).into_owned(),
        offset + end as u64,
    ))
}

fn print(lines: &mut [Line], width: &mut usize) -> std::io::Result<()> {
    lines.sort_by_key(|l| l.at_ms);
    let mut out = std::io::stdout().lock();
    for l in lines.iter() {
        *width = (*width).max(l.server.len());
        writeln!(
            out,
            "{} {:w$} | {}",
            format_utc(l.at_ms),
            l.server,
            l.text,
            w = *width
        )?;
    }
    out.flush()
}

pub fn run(args: LogsArgs) -> anyhow::Result<()> {
    let home = Home::from_env()?;
    let dir = home.root().join("logs");
    let only = args.name.as_deref();
    let since = args.since.unwrap_or(0);
    let mut offsets: HashMap<PathBuf, u64> = HashMap::new();
    let mut lines = Vec::new();
    for (server, path) in current_files(&dir, only) {
        let mut n = 1;
        while rotated(&path, n).exists() {
            n += 1;
        }
        for k in (1..n).rev() {
            if let Ok(text) = std::fs::read_to_string(rotated(&path, k)) {
                parse_into(&mut lines, &server, &text, since);
            }
        }
        let (text, end) = read_from(&path, 0).unwrap_or_default();
        parse_into(&mut lines, &server, &text, since);
        offsets.insert(path, end);
    }
    if lines.is_empty() && !args.follow {
        let what = only
            .map(|n| format!("server '{n}'"))
            .unwrap_or("any server".into());
        eprintln!("no log lines for {what} in {}", dir.display());
    }
    let mut width = 0;
    print(&mut lines, &mut width).context("writing to stdout")?;
    if !args.follow {
        return Ok(());
    }
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let mut lines = Vec::new();
        for (server, path) in current_files(&dir, only) {
            let offset = offsets.get(&path).copied().unwrap_or(0);
            let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            let offset = if len < offset {
                // Rotated: finish the old file first.
                if let Ok((text, _)) = read_from(&rotated(&path, 1), offset) {
                    parse_into(&mut lines, &server, &text, since);
                }
                0
            } else {
                offset
            };
            if let Ok((text, end)) = read_from(&path, offset) {
                parse_into(&mut lines, &server, &text, since);
                offsets.insert(path, end);
            }
        }
        if print(&mut lines, &mut width).is_err() {
            // The reader went away (`| head`).
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_accepts_durations_and_timestamps() {
        let now = dockside_gateway::upstream::now_ms();
        let five_min = parse_since("5m").unwrap();
        assert!(now - five_min >= 300_000 && now - five_min < 310_000);
        assert_eq!(parse_since("1970-01-01T00:00:01.500Z"), Ok(1500));
        assert!(parse_since("5 weeks").is_err());
    }
}
