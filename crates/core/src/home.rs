//! Where Dockside keeps its files.
//!
//! Everything lives under one root so that a test, a second profile or a portable install is just
//! another directory: `$DOCKSIDE_HOME` if set, else the platform config directory
//! (`~/.config/dockside`, `~/Library/Application Support/dev.dockside.Dockside`, `%APPDATA%\dockside\Dockside\config`).
//!
//! ```text
//! <home>/
//!   catalogs/<id>.yaml   catalogs in Docker's MCP catalog format (`name`, `displayName`, `registry: …`);
//!                        Dockside-only fields under each server's `x-dockside` key
//!   state.yaml           Dockside's own state: active profile, per-server mode, limits, network, config values
//! ```

use std::path::{Path, PathBuf};

use crate::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    /// The environment variable that overrides the root.
    pub const ENV: &'static str = "DOCKSIDE_HOME";

    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// `$DOCKSIDE_HOME`, else the platform config directory.
    pub fn from_env() -> Result<Self, Error> {
        match std::env::var_os(Self::ENV) {
            Some(root) if !root.is_empty() => Ok(Self::new(root)),
            _ => directories::ProjectDirs::from("dev", "dockside", "Dockside")
                .map(|dirs| Self::new(dirs.config_dir()))
                .ok_or(Error::NoHome),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn catalogs_dir(&self) -> PathBuf {
        self.root.join("catalogs")
    }

    /// The file of catalog `id` (its file stem).
    pub fn catalog_path(&self, id: &str) -> PathBuf {
        self.catalogs_dir().join(format!("{id}.yaml"))
    }

    pub fn state_path(&self) -> PathBuf {
        self.root.join("state.yaml")
    }
}
