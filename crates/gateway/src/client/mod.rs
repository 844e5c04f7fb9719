//! Layer 6, client side: what runs in other processes to reach a daemon — the [`bridge`]
//! (`dockside connect`; [`direct`] for a remote server in `native` mode) and the production switch's [`preflight`]. Control-API calls go through
//! `dockside_api::DaemonClient`; printing them is the CLI's.

pub mod bridge;
pub mod direct;
mod network_hint;
pub mod preflight;
