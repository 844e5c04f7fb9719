//! OpenAI Codex CLI: `~/.codex/config.toml` (`$CODEX_HOME/config.toml`), project
//! `.codex/config.toml`. `[mcp_servers.NAME]` tables with `command`, `args`, `env` (inline
//! table), `cwd`; remote `url` (+ `http_headers`).
//! Documented: developers.openai.com/codex/mcp and codex `docs/config.md` ("mcp_servers").
//! `enabled = false` switches a server off without removing it (same page; see also
//! openai/codex#16439).
use std::path::Path;

use super::super::env::Env;
use super::super::shape::{RemoteShape, Shape};
use super::super::spec::ClientSpec;
use super::{ENABLED, SPLIT};
use crate::fsedit::Format;

pub static SPEC: ClientSpec = ClientSpec {
    id: "codex",
    name: "Codex CLI",
    format: Format::Toml,
    container: &["mcp_servers"],
    list_name_key: None,
    shape: Shape {
        command: SPLIT,
        env: "env",
        env_always: false,
        cwd: Some("cwd"),
        fixed: &[],
        name_field: None,
        remote: Some(RemoteShape {
            url: "url",
            headers: &["http_headers"],
            fixed: &[],
        }),
        enabled: ENABLED,
    },
    user_paths: |env: &Env| {
        vec![env
            .codex_home
            .clone()
            .unwrap_or_else(|| env.home.join(".codex"))
            .join("config.toml")]
    },
    project_path: Some(|dir: &Path| dir.join(".codex/config.toml")),
    docs: "https://developers.openai.com/codex/mcp",
};
