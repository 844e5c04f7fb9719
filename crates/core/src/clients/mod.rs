//! AI clients' MCP config files: one adapter per client, and keeping them in sync with
//! Dockside's state.
//!
//! Where to start reading:
//! * [`adapters`] — one small module per client: config paths per OS, format, container key
//!   and entry [`shape`] (all data, with the documentation each was checked against);
//! * [`plan::plan`] — the pure sync planner: current file text + desired entries + ownership
//!   record → new text (edited in place by [`crate::fsedit`]) + new record;
//! * [`desired::desired_entries`] — state (modes) → desired entries;
//! * [`ownership`] — which entries Dockside wrote (`DOCKSIDE_HOME/clients.json`), so a user's
//!   own entries are never removed;
//! * [`import`] — reading existing servers out of clients, deduplicated across clients;
//! * [`sync`] — the I/O around the planner: snapshot, record, atomic checked write, backups;
//! * [`status`] — each known client's file as it stands (`dockside client list`, the app);
//! * [`launchers`] — which `dockside` binary Dockside's entries run, and whether it is still there;
//!   [`appimage`] — the stable one when Dockside runs from its AppImage.
//!
//! Invariant: connect + sync + disconnect leaves a client's file byte-identical (as long as
//! the user did not edit Dockside's entries meanwhile — then those entries are theirs).

pub mod adapters;
pub mod appimage;
pub mod desired;
pub mod docker_run;
pub mod env;
pub mod import;
pub mod launchers;
pub mod ownership;
pub mod plan;
pub mod shape;
pub mod spec;
pub mod status;
pub mod sync;
pub mod workspace;

pub use adapters::{by_id, ALL};
pub use desired::{desired_entries, ServerMode, ServerView, AGGREGATE_NAME};
pub use env::{Env, Os};
pub use plan::{plan, Change, Desired, DesiredEntry, FilePlan, Launcher, PlanInput};
pub use shape::{Entry, NativeCommand};
pub use spec::ClientSpec;
pub use sync::{Context, Outcome, SyncError, Target};
