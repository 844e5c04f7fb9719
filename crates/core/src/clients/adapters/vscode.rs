//! VS Code (Copilot agent mode): user `mcp.json` in the profile folder (`Code/User/mcp.json`
//! under the OS app-config folder), workspace `.vscode/mcp.json`. JSONC. Top-level `servers`
//! (beside optional `inputs`), `type` mandatory: `{type: "stdio", command, args, env, envFile}`
//! / `{type: "http", url, headers}`.
//! Documented: code.visualstudio.com/docs/copilot/customization/mcp-servers and
//! .../reference/mcp-configuration.
use std::path::Path;

use super::super::env::Env;
use super::super::shape::Shape;
use super::super::spec::ClientSpec;
use super::{url_remote, MCP_SERVERS, TYPE_HTTP, TYPE_STDIO};
use crate::fsedit::Format;

/// VS Code's `servers` spelling, shared with VS Code Insiders. No per-entry on/off flag in the
/// file (servers are switched off in the Extensions view).
pub(crate) const SHAPE: Shape = Shape {
    fixed: TYPE_STDIO,
    remote: url_remote(TYPE_HTTP),
    ..MCP_SERVERS
};

pub static SPEC: ClientSpec = ClientSpec {
    id: "vscode",
    name: "VS Code",
    format: Format::Jsonc,
    container: &["servers"],
    list_name_key: None,
    shape: SHAPE,
    user_paths: |env: &Env| vec![env.app_config().join("Code/User/mcp.json")],
    project_path: Some(|dir: &Path| dir.join(".vscode/mcp.json")),
    docs: "https://code.visualstudio.com/docs/copilot/reference/mcp-configuration",
};
