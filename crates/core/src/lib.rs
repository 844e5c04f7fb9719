//! Dockside core.
