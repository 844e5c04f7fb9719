//! What the dashboard binary's updater answers the tray. Tauri's updater plugin needs a Tauri
//! app, which the tray is not (it holds no web view), so the tray runs
//! `dockside-app --update check|install` and reads one [`UpdateReport`] line (JSON) from it.

use serde::{Deserialize, Serialize};

/// The `--update` flag's action.
pub const CHECK: &str = "check";
pub const INSTALL: &str = "install";

/// The outcome of `dockside-app --update ACTION`, its last line on stdout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum UpdateReport {
    /// `check`: a newer version was downloaded and its signature verified (nothing installed).
    Ready {
        version: String,
    },
    /// `install`: the update was downloaded, verified and installed.
    Installed {
        version: String,
    },
    /// Nothing newer is offered.
    UpToDate,
    /// This build has no update address.
    NoEndpoint {
        message: String,
    },
    /// The download's signature does not match Dockside's public key: refused.
    BadSignature {
        message: String,
    },
    Failed {
        message: String,
    },
}

impl UpdateReport {
    /// Reads the report from the updater's stdout (its last line that is one).
    pub fn from_output(stdout: &str) -> Option<UpdateReport> {
        stdout
            .lines()
            .rev()
            .find_map(|line| serde_json::from_str(line.trim()).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_round_trip_and_other_output_is_skipped() {
        let ready = UpdateReport::Ready {
            version: "0.1.1".into(),
        };
        let line = serde_json::to_string(&ready).unwrap();
        assert_eq!(line, r#"{"outcome":"ready","version":"0.1.1"}"#);
        let out = format!("some log line\n{line}\n");
        assert_eq!(UpdateReport::from_output(&out), Some(ready));
        assert_eq!(UpdateReport::from_output("no report\n"), None);
    }
}
