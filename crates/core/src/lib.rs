//! Dockside core: the model every other crate shares.
//!
//! - [`home`]: where the files live (`$DOCKSIDE_HOME` or the platform config dir);
//! - [`catalog`]: catalogs in Docker's MCP catalog YAML shape, unknown keys kept;
//! - [`state`]: Dockside's own per-server mode, limits, network policy, and the profile;
//! - [`workspace`]: all of it loaded, validated ([`validate`]) and saved atomically ([`atomic`]);
//! - [`launch`]: how a server starts in a given mode (host process, container or remote URL);
//! - [`docker_legacy`]: import from / export to Docker's legacy `~/.docker/mcp` files;
//! - [`docker_toolkit`]: Docker MCP Toolkit users brought over (the `MCP_DOCKER` client entry,
//!   the profiles database);
//! - [`packages`]: package servers (`npx`, `uvx`…) pinned and installed once in a store;
//! - [`demo`]: the built-in demo catalog.
//!
//! Start reading at [`Workspace`].

pub mod atomic;
pub mod catalog;
pub mod change;
pub mod clients;
pub mod demo;
pub mod docker_legacy;
pub mod docker_toolkit;
pub mod error;
pub mod fsedit;
pub mod home;
pub mod launch;
pub mod packages;
pub mod secrets;
pub mod state;
pub mod switch;
pub mod template;
pub mod validate;
pub mod workspace;
mod yaml;

pub use catalog::{Catalog, CatalogFile, Server};
pub use error::{Error, Issue};
pub use home::Home;
pub use launch::Launch;
pub use state::{Limits, Mode, NetworkPolicy, Profile, State};
pub use workspace::Workspace;
