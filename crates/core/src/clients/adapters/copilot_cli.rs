//! GitHub Copilot CLI: `~/.copilot/mcp-config.json` (`%USERPROFILE%\.copilot\` on Windows;
//! ⚠️ a `COPILOT_HOME` override is not followed). Top-level `mcpServers` →
//! `{type: "stdio", command, args, env, tools: ["*"]}` / `{type: "http", url, headers,
//! tools: ["*"]}`; `tools` lists the tools Copilot may call (`*`: all).
//! Documented: docs.github.com/en/copilot/how-tos/copilot-cli/customize-copilot/add-mcp-servers
//! (types local/stdio, http/sse; command, env, url, headers, tools). Project scope
//! `.github/mcp.json` (or `.mcp.json`, which Claude Code owns here): the CLI command reference's
//! "MCP server loading priority" ⚠️ seen through microsoft/apm#2047, not read first-hand.
//! No per-entry on/off flag is documented (`/mcp disable` keeps its own record).
use std::path::Path;

use super::super::env::Env;
use super::super::shape::{Lit, Shape};
use super::super::spec::ClientSpec;
use super::{url_remote, MCP_SERVERS};
use crate::fsedit::Format;

const ALL_TOOLS: (&str, Lit) = ("tools", Lit::List(&["*"]));

pub static SPEC: ClientSpec = ClientSpec {
    id: "copilot-cli",
    name: "GitHub Copilot CLI",
    format: Format::Json,
    container: &["mcpServers"],
    list_name_key: None,
    shape: Shape {
        fixed: &[("type", Lit::Str("stdio")), ALL_TOOLS],
        remote: url_remote(&[("type", Lit::Str("http")), ALL_TOOLS]),
        ..MCP_SERVERS
    },
    user_paths: |env: &Env| vec![env.home.join(".copilot/mcp-config.json")],
    project_path: Some(|dir: &Path| dir.join(".github/mcp.json")),
    docs:
        "https://docs.github.com/en/copilot/how-tos/copilot-cli/customize-copilot/add-mcp-servers",
};
