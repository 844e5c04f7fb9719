//! Dockside's desktop side without a GUI toolkit, shared by the tray (`crates/tray`,
//! `dockside-tray`: no web view) and the dashboard (`src-tauri`, `dockside-app`: the web UI).
//!
//! Module layers — each module imports only from layers below it:
//! 1. [`model`], [`launch`] — shared types (rows, daemon state, errors); where the binaries are.
//! 2. [`notify`], [`prefs`], [`tray_model`], [`autostart`], [`backend`] — which events become
//!    notifications, the app's preferences, what the tray shows, start at login, data through
//!    `dockside-core`.
//! 3. [`link`], [`updates`] — the tray ⇄ dashboard requests; the updater's answer to the tray.
//! 4. [`hub`] — daemon supervision (the tray) or following (the dashboard), its events, the one
//!    mode change, the refresher of rows, tray and UI.

pub mod autostart;
pub mod backend;
pub mod hub;
pub mod launch;
pub mod link;
pub mod model;
pub mod notify;
pub mod prefs;
pub mod tray_model;
pub mod updates;
