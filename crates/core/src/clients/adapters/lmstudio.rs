//! LM Studio (0.3.17+): `~/.lmstudio/mcp.json` on every OS, Cursor's `mcpServers` notation.
//! Documented: lmstudio.ai/docs/app/plugins/mcp.
use super::super::env::Env;
use super::super::spec::ClientSpec;
use super::MCP_SERVERS;
use crate::fsedit::Format;

pub static SPEC: ClientSpec = ClientSpec {
    id: "lmstudio",
    name: "LM Studio",
    format: Format::Json,
    container: &["mcpServers"],
    list_name_key: None,
    shape: MCP_SERVERS,
    user_paths: |env: &Env| vec![env.home.join(".lmstudio/mcp.json")],
    project_path: None,
    docs: "https://lmstudio.ai/docs/app/plugins/mcp",
};
