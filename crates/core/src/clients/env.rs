//! Where config files live: the user's home and the OS config folders, taken from the
//! environment (`HOME`/`USERPROFILE`, `XDG_CONFIG_HOME`, `APPDATA`, `CODEX_HOME`) so tests can
//! point every client at a temporary home.

use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    Linux,
    MacOs,
    Windows,
}

impl Os {
    pub fn current() -> Os {
        match std::env::consts::OS {
            "macos" => Os::MacOs,
            "windows" => Os::Windows,
            _ => Os::Linux,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Env {
    pub os: Os,
    pub home: PathBuf,
    pub xdg_config_home: Option<PathBuf>,
    pub appdata: Option<PathBuf>,
    pub codex_home: Option<PathBuf>,
}

fn var(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

impl Env {
    /// From this process's environment.
    pub fn from_process() -> Env {
        let os = Os::current();
        let home = match os {
            Os::Windows => var("USERPROFILE").or_else(|| var("HOME")),
            _ => var("HOME"),
        }
        .unwrap_or_else(|| PathBuf::from("."));
        Env {
            os,
            home,
            xdg_config_home: var("XDG_CONFIG_HOME"),
            appdata: var("APPDATA"),
            codex_home: var("CODEX_HOME"),
        }
    }

    /// A Linux-like environment rooted at `home` (tests).
    pub fn with_home(home: impl Into<PathBuf>) -> Env {
        Env {
            os: Os::Linux,
            home: home.into(),
            xdg_config_home: None,
            appdata: None,
            codex_home: None,
        }
    }

    /// `$XDG_CONFIG_HOME` or `~/.config` — used on every OS by CLI tools (OpenCode, Goose, Zed).
    pub fn xdg_config(&self) -> PathBuf {
        self.xdg_config_home
            .clone()
            .unwrap_or_else(|| self.home.join(".config"))
    }

    /// The OS's per-user application config folder: `~/.config` (or `$XDG_CONFIG_HOME`),
    /// `~/Library/Application Support`, `%APPDATA%`.
    pub fn app_config(&self) -> PathBuf {
        match self.os {
            Os::Linux => self.xdg_config(),
            Os::MacOs => self.home.join("Library/Application Support"),
            Os::Windows => self
                .appdata
                .clone()
                .unwrap_or_else(|| self.home.join("AppData").join("Roaming")),
        }
    }
}
