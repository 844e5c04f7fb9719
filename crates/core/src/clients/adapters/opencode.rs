//! OpenCode: `~/.config/opencode/opencode.json` or `opencode.jsonc` (JSONC either way), project
//! `opencode.json` at the root. Top-level `mcp` → `{type: "local", command: [cmd, ...args],
//! enabled, environment}` / `{type: "remote", url, enabled, headers}`. The schema has
//! `additionalProperties: false`, so no `args`/`env` keys may appear. `enabled: false` switches
//! a server off (same docs page).
//! Documented: opencode.ai/docs/mcp-servers and the schema at opencode.ai/config.json.
use std::path::Path;

use super::super::env::Env;
use super::super::shape::{CommandStyle, Lit, Shape};
use super::super::spec::ClientSpec;
use super::{url_remote, ENABLED};
use crate::fsedit::Format;

pub static SPEC: ClientSpec = ClientSpec {
    id: "opencode",
    name: "OpenCode",
    format: Format::Jsonc,
    container: &["mcp"],
    list_name_key: None,
    shape: Shape {
        command: CommandStyle::Array("command"),
        env: "environment",
        env_always: false,
        cwd: None,
        fixed: &[("type", Lit::Str("local")), ("enabled", Lit::Bool(true))],
        name_field: None,
        remote: url_remote(&[("type", Lit::Str("remote")), ("enabled", Lit::Bool(true))]),
        enabled: ENABLED,
    },
    user_paths: |env: &Env| {
        let dir = env.xdg_config().join("opencode");
        vec![dir.join("opencode.json"), dir.join("opencode.jsonc")]
    },
    project_path: Some(|dir: &Path| dir.join("opencode.json")),
    docs: "https://opencode.ai/docs/mcp-servers/",
};
