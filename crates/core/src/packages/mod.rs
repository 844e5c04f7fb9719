//! Package servers: servers people start with `npx -y PKG`, `uvx PKG`, `bunx`, `pipx run`…
//!
//! [`detect`] recognises the launcher and the package in a host command. The exact version is
//! pinned in the catalog (`x-dockside.package`, [`Package`]: registry, name, version, integrity,
//! entry point), and [`Store`] installs it once under `<home>/packages/`, with the user's own
//! npm and pip configuration (registry, certificates, proxies). Every mode but `native` then runs
//! that install: `managed` from the store on the host; `docker` from an image built once from
//! the store (`FROM` the runtime image, the install copied in: nothing is downloaded when a
//! container starts, and it runs with network `none`). `native` keeps the client's own launcher
//! command.

mod detect;
pub mod pin;
mod store;

use serde::{Deserialize, Serialize};

pub use detect::{detect, Invocation};
pub use store::{PackageError, Store};

/// The registry a package comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Registry {
    Npm,
    Pypi,
    Jsr,
}

impl std::fmt::Display for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Registry::Npm => "npm",
            Registry::Pypi => "PyPI",
            Registry::Jsr => "JSR",
        })
    }
}

/// A pinned package: `x-dockside.package` in a catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Package {
    #[serde(rename = "type")]
    pub registry: Registry,
    pub name: String,
    pub version: String,
    /// The registry's digest of the package (`sha512-…` for npm, `sha256:…` for a PyPI file),
    /// checked after every install.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integrity: Option<String>,
    /// What runs: an npm package's script inside the package (`dist/index.js`), a PyPI
    /// package's console script (`mcp-server-time`).
    pub entry: String,
    /// PyPI: the Python (`3.11`) the package was resolved and downloaded for; its runtime
    /// image is `python:<python>-slim`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python: Option<String>,
}

impl Package {
    /// `npm:@scope/name@1.2.3`.
    pub fn label(&self) -> String {
        format!("{}:{}@{}", self.registry, self.name, self.version)
    }

    /// The image a container of this package starts from, unless the server names one.
    pub fn default_runtime_image(&self) -> String {
        match self.registry {
            Registry::Npm => "node:22-slim".to_owned(),
            Registry::Pypi => format!("python:{}-slim", self.python.as_deref().unwrap_or("3")),
            Registry::Jsr => "denoland/deno:latest".to_owned(),
        }
    }

    /// The per-package image built from `base` with the install in it.
    pub fn image_tag(&self, base: &str) -> String {
        use sha2::{Digest, Sha256};
        let hash = hex::encode(&Sha256::digest(base.as_bytes())[..4]);
        let name = crate::catalog::safe_name(&self.name.replace('@', ""), "package").to_lowercase();
        let version = crate::catalog::safe_name(&self.version, "0");
        format!(
            "dockside-pkg/{}-{name}:{version}-{hash}",
            self.registry_key()
        )
    }

    /// The command a container of [`Package::image_tag`] runs, before the server's arguments.
    pub fn container_command(&self) -> Vec<String> {
        match self.registry {
            Registry::Npm | Registry::Jsr => vec![
                "node".to_owned(),
                format!("{IMAGE_ROOT}/node_modules/{}/{}", self.name, self.entry),
            ],
            Registry::Pypi => vec![format!("{IMAGE_ROOT}/venv/bin/{}", self.entry)],
        }
    }

    fn registry_key(&self) -> &'static str {
        match self.registry {
            Registry::Npm => "npm",
            Registry::Pypi => "pypi",
            Registry::Jsr => "jsr",
        }
    }
}

/// Where a package's install sits inside its image.
pub const IMAGE_ROOT: &str = "/opt/dockside";
