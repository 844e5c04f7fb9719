//! Zed: `settings.json` (JSONC) in `~/.config/zed/` (`$XDG_CONFIG_HOME/zed`; Windows
//! `%APPDATA%\Zed\`), project `.zed/settings.json`. Top-level `context_servers` →
//! `{source: "custom", command, args, env}`; remote `{source: "custom", url, headers}`.
//! Documented: zed.dev/docs/ai/mcp ("As Custom Servers"). Older Zed nested
//! `command: {path, args, env}`; that form is still read on import. `"enabled": false` switches
//! a server off (`ContextServerSettings::Custom { enabled, .. }`, default `true`, in Zed's
//! `crates/project/src/project_settings.rs`).
use std::path::Path;

use super::super::env::{Env, Os};
use super::super::shape::{Lit, Shape};
use super::super::spec::ClientSpec;
use super::{url_remote, ENABLED, MCP_SERVERS};
use crate::fsedit::Format;

const CUSTOM: &[(&str, Lit)] = &[("source", Lit::Str("custom"))];

pub static SPEC: ClientSpec = ClientSpec {
    id: "zed",
    name: "Zed",
    format: Format::Jsonc,
    container: &["context_servers"],
    list_name_key: None,
    shape: Shape {
        fixed: CUSTOM,
        remote: url_remote(CUSTOM),
        enabled: ENABLED,
        ..MCP_SERVERS
    },
    user_paths: |env: &Env| match env.os {
        Os::Windows => vec![env.app_config().join("Zed/settings.json")],
        _ => vec![env.xdg_config().join("zed/settings.json")],
    },
    project_path: Some(|dir: &Path| dir.join(".zed/settings.json")),
    docs: "https://zed.dev/docs/ai/mcp",
};
