//! Claude Code: user scope `~/.claude.json` (top-level `mcpServers`), project scope `.mcp.json`.
//! Entries `{type: "stdio", command, args, env}` / `{type: "http", url, headers}`.
//! Documented: docs.anthropic.com/en/docs/claude-code/mcp ("MCP installation scopes").
//! `~/.claude.json` also holds much unrelated state: only our entries are touched.
//! (Local scope, `projects.<dir>.mcpServers` in the same file, is not written: its container
//! depends on the project folder.) No per-entry on/off flag: Claude Code keeps
//! `enabledMcpjsonServers` / `disabledMcpjsonServers` lists in its settings instead.
use std::path::Path;

use super::super::env::Env;
use super::super::shape::Shape;
use super::super::spec::ClientSpec;
use super::{url_remote, MCP_SERVERS, TYPE_HTTP, TYPE_STDIO};
use crate::fsedit::Format;

pub static SPEC: ClientSpec = ClientSpec {
    id: "claude-code",
    name: "Claude Code",
    format: Format::Json,
    container: &["mcpServers"],
    list_name_key: None,
    shape: Shape {
        fixed: TYPE_STDIO,
        remote: url_remote(TYPE_HTTP),
        ..MCP_SERVERS
    },
    user_paths: |env: &Env| vec![env.home.join(".claude.json")],
    project_path: Some(|dir: &Path| dir.join(".mcp.json")),
    docs: "https://docs.anthropic.com/en/docs/claude-code/mcp",
};
