//! Kiro (IDE and CLI): user `~/.kiro/settings/mcp.json` (`%USERPROFILE%\.kiro\...` on Windows),
//! workspace `.kiro/settings/mcp.json`; both are merged, the workspace winning.
//! `mcpServers` → `{command, args, env, disabled, autoApprove, disabledTools}`; remote
//! `{url, headers}` (no `type`). `"disabled": true` switches a server off.
//! Documented: kiro.dev/docs/mcp/configuration (and kiro.dev/docs/cli/mcp/configuration).
use std::path::Path;

use super::super::env::Env;
use super::super::shape::Shape;
use super::super::spec::ClientSpec;
use super::{DISABLED, MCP_SERVERS};
use crate::fsedit::Format;

pub static SPEC: ClientSpec = ClientSpec {
    id: "kiro",
    name: "Kiro",
    format: Format::Json,
    container: &["mcpServers"],
    list_name_key: None,
    shape: Shape {
        enabled: DISABLED,
        ..MCP_SERVERS
    },
    user_paths: |env: &Env| vec![env.home.join(".kiro/settings/mcp.json")],
    project_path: Some(|dir: &Path| dir.join(".kiro/settings/mcp.json")),
    docs: "https://kiro.dev/docs/mcp/configuration",
};
