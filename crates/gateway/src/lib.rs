//! Dockside gateway engine.
