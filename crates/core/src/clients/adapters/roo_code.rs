//! Roo Code (VS Code extension `RooVeterinaryInc.roo-cline`): global `mcp_settings.json` in the
//! extension's storage, `Code/User/globalStorage/rooveterinaryinc.roo-cline/settings/` under the
//! OS app-config folder; project `.roo/mcp.json`. Plain JSON (`JSON.parse`).
//! `mcpServers` → `{command, args, env, cwd, disabled, alwaysAllow}`; remote
//! `{type: "streamable-http", url, headers}` (a `url` without `type` is taken as SSE).
//! `"disabled": true` switches a server off.
//! Documented: docs.roocode.com/features/mcp/using-mcp-in-roo (locations, fields); checked
//! against Roo Code's `src/services/mcp/McpHub.ts` (schema: stdio `command/args/cwd/env`,
//! `streamable-http` `url/headers`, `disabled`) and `src/utils/storage.ts` (`settings/` folder).
use std::path::Path;

use super::super::env::Env;
use super::super::shape::{Lit, Shape};
use super::super::spec::ClientSpec;
use super::{url_remote, DISABLED, MCP_SERVERS};
use crate::fsedit::Format;

pub static SPEC: ClientSpec = ClientSpec {
    id: "roo-code",
    name: "Roo Code",
    format: Format::Json,
    container: &["mcpServers"],
    list_name_key: None,
    shape: Shape {
        cwd: Some("cwd"),
        remote: url_remote(&[("type", Lit::Str("streamable-http"))]),
        enabled: DISABLED,
        ..MCP_SERVERS
    },
    user_paths: |env: &Env| {
        vec![env
            .app_config()
            .join("Code/User/globalStorage/rooveterinaryinc.roo-cline/settings/mcp_settings.json")]
    },
    project_path: Some(|dir: &Path| dir.join(".roo/mcp.json")),
    docs: "https://docs.roocode.com/features/mcp/using-mcp-in-roo",
};
