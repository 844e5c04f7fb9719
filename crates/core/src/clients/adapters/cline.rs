//! Cline: `~/.cline/data/settings/cline_mcp_settings.json` (shared by the CLI and extension;
//! the VS Code extension's older location is `Code/User/globalStorage/saoudrizwan.claude-dev/
//! settings/cline_mcp_settings.json`, used when it exists and the new one doesn't).
//! `mcpServers` → `{command, args, env, disabled, autoApprove}`; remote
//! `{type: "streamableHttp", url, headers}`. Documented: docs.cline.bot/mcp/configuring-mcp-servers,
//! whose examples carry `"disabled": false` (`true` switches a server off).
use super::super::env::Env;
use super::super::shape::{Lit, Shape};
use super::super::spec::ClientSpec;
use super::{url_remote, DISABLED, MCP_SERVERS};
use crate::fsedit::Format;

pub static SPEC: ClientSpec = ClientSpec {
    id: "cline",
    name: "Cline",
    format: Format::Json,
    container: &["mcpServers"],
    list_name_key: None,
    shape: Shape {
        remote: url_remote(&[("type", Lit::Str("streamableHttp"))]),
        enabled: DISABLED,
        ..MCP_SERVERS
    },
    user_paths: |env: &Env| {
        vec![
            env.home
                .join(".cline/data/settings/cline_mcp_settings.json"),
            env.app_config().join(
                "Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json",
            ),
        ]
    },
    project_path: None,
    docs: "https://docs.cline.bot/mcp/configuring-mcp-servers",
};
