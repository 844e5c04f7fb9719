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
    /// Start the app at login. The OS holds the truth (a login item, an XDG autostart entry):
    /// `get_prefs` reads it from there and `set_prefs` changes it there; never saved here.
    #[serde(skip_serializing_if = "skip_in_file")]
    pub start_at_login: bool,
}

/// `start_at_login` is not written to `app.json` (serde cannot tell the file from the IPC
/// answer, so the file writer clears it first: see [`Prefs::save`]).
fn skip_in_file(value: &bool) -> bool {
    !*value
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
        let file = Prefs {
            start_at_login: false,
            ..self.clone()
        };
        let text = serde_json::to_string_pretty(&file).expect("preferences serialize");
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
            start_at_login: false,
        };
        prefs.save(&home).unwrap();
        assert_eq!(Prefs::load(&home), prefs);
        // Start at login belongs to the OS: never written to the file.
        let asked = Prefs {
            start_at_login: true,
            ..prefs.clone()
        };
        asked.save(&home).unwrap();
        assert!(!std::fs::read_to_string(path(&home))
            .unwrap()
            .contains("startAtLogin"));
        assert_eq!(Prefs::load(&home), prefs);
        std::fs::write(path(&home), "{broken").unwrap();
        assert_eq!(Prefs::load(&home), Prefs::default());
    }
}
