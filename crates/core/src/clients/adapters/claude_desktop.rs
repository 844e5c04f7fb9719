//! Claude Desktop: `claude_desktop_config.json`, `mcpServers` → `{command, args, env}`.
//! Documented: modelcontextprotocol.io "Connect to local MCP servers" (macOS
//! `~/Library/Application Support/Claude/`, Windows `%APPDATA%\Claude\`). No official Linux
//! build; community builds use `~/.config/Claude/`. Remote servers are added in the app
//! (Connectors), not in this file, so no remote shape is written here.
use super::super::env::Env;
use super::super::shape::Shape;
use super::super::spec::ClientSpec;
use super::MCP_SERVERS;
use crate::fsedit::Format;

pub static SPEC: ClientSpec = ClientSpec {
    id: "claude-desktop",
    name: "Claude Desktop",
    format: Format::Json,
    container: &["mcpServers"],
    list_name_key: None,
    shape: Shape {
        remote: None,
        ..MCP_SERVERS
    },
    user_paths: |env: &Env| vec![env.app_config().join("Claude/claude_desktop_config.json")],
    project_path: None,
    docs: "https://modelcontextprotocol.io/docs/develop/connect-local-servers",
};
