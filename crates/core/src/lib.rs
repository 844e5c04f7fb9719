//! Dockside core.
pub mod fsedit;
