//! Crush (Charm): `crush.json` in `$XDG_CONFIG_HOME/crush/` or `~/.config/crush/` on every OS
//! (`%USERPROFILE%\.config\crush\` on Windows); project `.crush.json` or `crush.json`, looked up
//! from the working folder to the repository root. Plain JSON. Top-level `mcp` →
//! `{type: "stdio", command, args, env, disabled}` / `{type: "http", url, headers}`; `type` is
//! required, `"disabled": true` switches a server off.
//! Documented: Crush's README ("MCPs") and `internal/config/config.go` (`MCPConfig`),
//! `internal/config/load.go` (`GlobalConfig`, `lookupConfigs`). ⚠️ Newer Crush prefers a Bash
//! `crushrc` and calls `crush.json` deprecated, but still loads and merges it.
use std::path::Path;

use super::super::env::Env;
use super::super::shape::Shape;
use super::super::spec::ClientSpec;
use super::{url_remote, DISABLED, MCP_SERVERS, TYPE_HTTP, TYPE_STDIO};
use crate::fsedit::Format;

pub static SPEC: ClientSpec = ClientSpec {
    id: "crush",
    name: "Crush",
    format: Format::Json,
    container: &["mcp"],
    list_name_key: None,
    shape: Shape {
        fixed: TYPE_STDIO,
        remote: url_remote(TYPE_HTTP),
        enabled: DISABLED,
        ..MCP_SERVERS
    },
    user_paths: |env: &Env| vec![env.xdg_config().join("crush/crush.json")],
    project_path: Some(|dir: &Path| dir.join("crush.json")),
    docs: "https://github.com/charmbracelet/crush#mcps",
};
