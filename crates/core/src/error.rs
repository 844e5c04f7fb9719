//! Errors of the core library.
//!
//! Everything a user can get wrong in a file becomes an [`Issue`]: where it is (`file:line:col` when the
//! YAML parser knows it), what is wrong, and how to fix it. Callers collect issues instead of stopping at
//! the first one, so one `dockside catalog validate` run lists every problem; [`Error::Invalid`] carries
//! them all. Nothing is ever written while an error is pending.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// One problem found in a catalog, the state file or a Docker file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub path: PathBuf,
    /// 1-based line and column, when known.
    pub location: Option<(usize, usize)>,
    pub message: String,
    /// What to do about it.
    pub fix: Option<String>,
}

impl Issue {
    pub fn new(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            location: None,
            message: message.into(),
            fix: None,
        }
    }

    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some((line, column)) = self.location {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(fix) = &self.fix {
            write!(f, "\n  fix: {fix}")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}", list(.0))]
    Invalid(Vec<Issue>),
    #[error("cannot {action} {}: {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("no server named `{0}`; `dockside server list` shows the known servers")]
    UnknownServer(String),
    #[error("a server named `{name}` already exists in catalog `{catalog}`; pick another name, or change it with `dockside server edit {name}`")]
    ServerExists { name: String, catalog: String },
    #[error("server `{server}` cannot run in `{mode}` mode: {reason}")]
    ModeUnavailable {
        server: String,
        mode: crate::state::Mode,
        reason: String,
    },
    #[error("invalid {kind} name `{name}`: use letters, digits, `.`, `_` and `-` (not starting with `.` or `-`)")]
    BadName { kind: &'static str, name: String },
    #[error("{} changed since Dockside read it (another Dockside process?); nothing was written: run the command again", .0.display())]
    Changed(PathBuf),
    #[error(
        "cannot find a configuration directory for this user; set DOCKSIDE_HOME to a directory"
    )]
    NoHome,
    /// The secret store refused (its message names the store and the fix; never a value).
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
}

impl Error {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

fn list(issues: &[Issue]) -> String {
    let lines: Vec<String> = issues.iter().map(Issue::to_string).collect();
    lines.join("\n")
}

/// Checks a server or catalog name: it becomes a file name, a URL path segment and a client config key.
pub fn check_name(kind: &'static str, name: &str) -> Result<(), Error> {
    let valid = !name.is_empty()
        && !name.starts_with(['.', '-'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if valid {
        Ok(())
    } else {
        Err(Error::BadName {
            kind,
            name: name.to_owned(),
        })
    }
}
