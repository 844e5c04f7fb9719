//! Amp (Sourcegraph) CLI: user `~/.config/amp/settings.json` or `settings.jsonc` on macOS and
//! Linux, `%USERPROFILE%\.config\amp\settings.json` on Windows; workspace `.amp/settings.json`
//! (its servers need the user's approval). JSONC. The servers live under the one literal key
//! `"amp.mcpServers"` → `{command, args, env}` / `{url, headers}`.
//! Documented: ampcode.com/manual ("MCP"; settings file locations). ⚠️ Whether Amp follows
//! `$XDG_CONFIG_HOME` is not documented (the docs say `~/.config`); the `"disabled": true`
//! flag is from a third-party summary (syllago), not read in Amp's own docs.
use std::path::Path;

use super::super::env::Env;
use super::super::shape::Shape;
use super::super::spec::ClientSpec;
use super::{DISABLED, MCP_SERVERS};
use crate::fsedit::Format;

pub static SPEC: ClientSpec = ClientSpec {
    id: "amp",
    name: "Amp",
    format: Format::Jsonc,
    container: &["amp.mcpServers"],
    list_name_key: None,
    shape: Shape {
        enabled: DISABLED,
        ..MCP_SERVERS
    },
    user_paths: |env: &Env| {
        let dir = env.home.join(".config/amp");
        vec![dir.join("settings.json"), dir.join("settings.jsonc")]
    },
    project_path: Some(|dir: &Path| dir.join(".amp/settings.json")),
    docs: "https://ampcode.com/manual#mcp",
};
