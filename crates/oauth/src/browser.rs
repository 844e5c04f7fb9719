//! Opening the sign-in page: `$BROWSER` when set (a `:`-separated list of commands, each may
//! hold `%s` for the address, as other command-line tools read it), else the platform's opener
//! (`xdg-open`, `open`, `start`).

use std::process::{Command, Stdio};

use crate::error::AuthError;

/// Opens `url` in the user's browser; returns once the opener is started.
pub fn open(url: &str) -> Result<(), AuthError> {
    let commands = match std::env::var("BROWSER") {
        Ok(list) if !list.trim().is_empty() => list
            .split(':')
            .filter_map(|entry| command_for(entry, url))
            .collect(),
        _ => vec![platform_opener(url)],
    };
    let mut failures = Vec::new();
    for argv in commands {
        let spawned = Command::new(&argv[0])
            .args(&argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        match spawned {
            Ok(mut child) => {
                // Reaped in the background: a browser may run long after the sign-in.
                std::thread::spawn(move || child.wait());
                return Ok(());
            }
            Err(e) => failures.push(format!("{}: {e}", argv[0])),
        }
    }
    Err(AuthError::Browser(failures.join("; ")))
}

/// One `$BROWSER` entry as an argument vector: `%s` replaced by the address, else appended.
fn command_for(entry: &str, url: &str) -> Option<Vec<String>> {
    let mut argv = shlex::split(entry.trim())?;
    if argv.is_empty() {
        return None;
    }
    if argv.iter().any(|a| a.contains("%s")) {
        for arg in &mut argv {
            *arg = arg.replace("%s", url);
        }
    } else {
        argv.push(url.to_owned());
    }
    Some(argv)
}

fn platform_opener(url: &str) -> Vec<String> {
    let argv: &[&str] = if cfg!(target_os = "macos") {
        &["open"]
    } else if cfg!(windows) {
        &["cmd", "/C", "start", ""]
    } else {
        &["xdg-open"]
    };
    argv.iter()
        .map(|s| s.to_string())
        .chain([url.to_owned()])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_entries_take_the_address_in_place_of_percent_s_or_at_the_end() {
        assert_eq!(
            command_for("firefox --new-tab", "http://a/?x=1").unwrap(),
            ["firefox", "--new-tab", "http://a/?x=1"]
        );
        assert_eq!(
            command_for("'my browser' -u %s -q", "http://a").unwrap(),
            ["my browser", "-u", "http://a", "-q"]
        );
        assert_eq!(command_for("  ", "http://a"), None);
    }
}
