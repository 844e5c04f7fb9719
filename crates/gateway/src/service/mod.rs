//! Layer 5, service: Dockside's gateway as a program — its options ([`options`]: the one place a
//! gateway is assembled), the catalog selection ([`config`]), `gateway run` ([`run`]) and the
//! long-lived `daemon` with its control API ([`daemon`]).

pub mod config;
pub mod daemon;
pub mod options;
pub mod run;
