//! The app's own preferences, in `<home>/app.json` (the Dockside home keeps everything, so a
//! test or a second profile is just another directory).

use std::path::PathBuf;

use dockside_core::Home;
use serde::{Deserialize, Serialize};

use crate::notify::Kind;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Prefs {
    /// Leave the daemon running when the app quits (otherwise Quit stops it).
    pub keep_gateway_running: bool,
    /// Notification kinds turned off.
    pub muted: Vec<Kind>,
}

pub fn path(home: &Home) -> PathBuf {
    home.root().join("app.json")
}

impl Prefs {
    /// The saved preferences; defaults if none (or unreadable: logged, never fatal).
    pub fn load(home: &Home) -> Prefs {
        let path = path(home);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).unwrap_or_else(|err| {
                tracing::warn!("{}: {err}; using default preferences", path.display());
                Prefs::default()
            }),
            Err(_) => Prefs::default(),
        }
    }

    /// Saves atomically.
    pub fn save(&self, home: &Home) -> Result<(), dockside_core::Error> {
        let text = serde_json::to_string_pretty(self).expect("preferences serialize");
        std::fs::create_dir_all(home.root()).map_err(|source| dockside_core::Error::Io {
            action: "create",
            path: home.root().to_owned(),
            source,
        })?;
        dockside_core::atomic::write(&path(home), text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path().join("h"));
        assert_eq!(Prefs::load(&home), Prefs::default());
        let prefs = Prefs {
            keep_gateway_running: true,
            muted: vec![Kind::Restarted],
        };
        prefs.save(&home).unwrap();
        assert_eq!(Prefs::load(&home), prefs);
        std::fs::write(path(&home), "{broken").unwrap();
        assert_eq!(Prefs::load(&home), Prefs::default());
    }
}
