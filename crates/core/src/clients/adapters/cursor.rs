//! Cursor: `~/.cursor/mcp.json` (project `.cursor/mcp.json`), `mcpServers` →
//! `{command, args, env}` or `{url, headers}`. Documented: docs.cursor.com/context/mcp.
use std::path::Path;

use super::super::env::Env;
use super::super::spec::ClientSpec;
use super::MCP_SERVERS;
use crate::fsedit::Format;

pub static SPEC: ClientSpec = ClientSpec {
    id: "cursor",
    name: "Cursor",
    format: Format::Json,
    container: &["mcpServers"],
    list_name_key: None,
    shape: MCP_SERVERS,
    user_paths: |env: &Env| vec![env.home.join(".cursor/mcp.json")],
    project_path: Some(|dir: &Path| dir.join(".cursor/mcp.json")),
    docs: "https://docs.cursor.com/context/mcp",
};
