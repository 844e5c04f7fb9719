//! Switching between the development ("hybrid") and production profiles, all at once.
//!
//! Production means every enabled server behind the gateway (`docker` where it has or can get an
//! image, else `managed`) and every connected client holding only gateway entries. A switch is
//! one transaction over every connected client's file plus Dockside's state, previewed, checked
//! first, verified afterwards, recorded, and reversible:
//!
//! 1. [`plan::plan_production`] — pure apart from reading files: the servers' new modes, each
//!    client file's new text and unified diff, the user's own entries that stay;
//! 2. pre-flight (in `dockside-gateway`, `preflight` module) — images present or pulled/built,
//!    every server started in its new mode, its tools compared with what it offered before, and
//!    the per-call latency overhead measured; the [`preflight`] report types live here so the
//!    CLI and the tray app share them;
//! 3. [`transaction::apply`] — a [`record::SwitchRecord`] is written first, then every client
//!    file (each atomically with a backup; one failure puts the others back), then the state;
//!    [`transaction::verify_files`] checks the result;
//! 4. [`transaction::restore`] — `switch development` / `switch rollback`: a file nobody edited
//!    since the switch gets its old bytes back; an edited one gets a three-way merge of
//!    Dockside's own entries (the user's edits win), and so does the state.
//!
//! History lives in `<home>/switches/<id>.json`, one record per switch.

pub mod plan;
pub mod preflight;
pub mod record;
pub mod transaction;

pub use plan::{plan_production, ClientChange, PlanOptions, ServerMove, SwitchPlan};
pub use preflight::{Latency, PreflightReport, ServerCheck};
pub use record::{history, SwitchKind, SwitchRecord, SwitchStatus};
pub use transaction::{apply, latest, restore, verify_files, Applied, Restored};

/// Errors of planning, applying or restoring a switch.
#[derive(Debug, thiserror::Error)]
pub enum SwitchError {
    #[error(transparent)]
    Workspace(#[from] crate::Error),
    #[error(transparent)]
    Sync(#[from] crate::clients::SyncError),
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Clients(Vec<crate::clients::sync::TargetError>),
    #[error("{path}: {message}")]
    Record { path: String, message: String },
    #[error("{0}")]
    Other(String),
}
