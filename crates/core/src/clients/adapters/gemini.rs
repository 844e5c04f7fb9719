//! Gemini CLI: `~/.gemini/settings.json`, project `.gemini/settings.json`. `mcpServers` →
//! `{command, args, env, cwd, timeout, trust}`; Streamable HTTP remote uses **`httpUrl`**
//! (`url` means SSE). Documented: google-gemini.github.io/gemini-cli/docs/tools/mcp-server.
//! No per-entry on/off flag (`mcp.excluded` lists switched-off servers).
use std::path::Path;

use super::super::env::Env;
use super::super::shape::{RemoteShape, Shape};
use super::super::spec::ClientSpec;
use super::{HEADERS, MCP_SERVERS};
use crate::fsedit::Format;

/// Gemini CLI's spelling (`cwd`, remote `httpUrl`), shared with its fork Qwen Code.
pub(crate) const SHAPE: Shape = Shape {
    cwd: Some("cwd"),
    remote: Some(RemoteShape {
        url: "httpUrl",
        headers: HEADERS,
        fixed: &[],
    }),
    ..MCP_SERVERS
};

pub static SPEC: ClientSpec = ClientSpec {
    id: "gemini",
    name: "Gemini CLI",
    format: Format::Json,
    container: &["mcpServers"],
    list_name_key: None,
    shape: SHAPE,
    user_paths: |env: &Env| vec![env.home.join(".gemini/settings.json")],
    project_path: Some(|dir: &Path| dir.join(".gemini/settings.json")),
    docs: "https://google-gemini.github.io/gemini-cli/docs/tools/mcp-server.html",
};
