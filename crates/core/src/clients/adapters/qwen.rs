//! Qwen Code (a Gemini CLI fork): user `~/.qwen/settings.json`, project `.qwen/settings.json`.
//! Gemini's `mcpServers` spelling: `{command, args, env, cwd, timeout, trust}`; Streamable HTTP
//! remote `{httpUrl, headers}` (`url` means SSE). No per-entry on/off flag (`mcp.excluded`).
//! Documented: QwenLM/qwen-code `docs/users/features/mcp.md` ("Where configuration is stored",
//! "Choose a transport"), published at qwenlm.github.io/qwen-code-docs.
use std::path::Path;

use super::super::env::Env;
use super::super::spec::ClientSpec;
use super::gemini;
use crate::fsedit::Format;

pub static SPEC: ClientSpec = ClientSpec {
    id: "qwen-code",
    name: "Qwen Code",
    format: Format::Json,
    container: &["mcpServers"],
    list_name_key: None,
    shape: gemini::SHAPE,
    user_paths: |env: &Env| vec![env.home.join(".qwen/settings.json")],
    project_path: Some(|dir: &Path| dir.join(".qwen/settings.json")),
    docs: "https://github.com/QwenLM/qwen-code/blob/main/docs/users/features/mcp.md",
};
