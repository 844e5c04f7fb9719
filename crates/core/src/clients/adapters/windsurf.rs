//! Windsurf: `~/.codeium/windsurf/mcp_config.json` on every OS, `mcpServers` →
//! `{command, args, env}`; remote entries use **`serverUrl`** (+ `headers`).
//! Documented: docs.windsurf.com/windsurf/cascade/mcp. `"disabled": true` switches a server off
//! (the Cascade MCP panel's toggle writes it; ⚠️ seen in vendors' examples, not in the docs'
//! field list).
use super::super::env::Env;
use super::super::shape::{RemoteShape, Shape};
use super::super::spec::ClientSpec;
use super::{DISABLED, HEADERS, MCP_SERVERS};
use crate::fsedit::Format;

pub static SPEC: ClientSpec = ClientSpec {
    id: "windsurf",
    name: "Windsurf",
    format: Format::Json,
    container: &["mcpServers"],
    list_name_key: None,
    shape: Shape {
        remote: Some(RemoteShape {
            url: "serverUrl",
            headers: HEADERS,
            fixed: &[],
        }),
        enabled: DISABLED,
        ..MCP_SERVERS
    },
    user_paths: |env: &Env| vec![env.home.join(".codeium/windsurf/mcp_config.json")],
    project_path: None,
    docs: "https://docs.windsurf.com/windsurf/cascade/mcp",
};
