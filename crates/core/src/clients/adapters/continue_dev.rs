//! Continue: `~/.continue/config.yaml`, top-level `mcpServers` **list** of
//! `{name, type: stdio, command, args, env, cwd}` / `{name, type: streamable-http, url,
//! requestOptions: {headers}}`: remote headers live only under `requestOptions` (Continue's
//! schema, `packages/config-yaml/src/schemas/mcp/index.ts`, has no top-level `headers` and drops
//! unknown keys). No per-entry on/off flag.
//! Documented: docs.continue.dev/customize/deep-dives/mcp and the config.yaml reference.
//! YAML is edited by text span (see `fsedit::yaml`).
use super::super::env::Env;
use super::super::shape::{Lit, RemoteShape, Shape};
use super::super::spec::ClientSpec;
use super::SPLIT;
use crate::fsedit::Format;

pub static SPEC: ClientSpec = ClientSpec {
    id: "continue",
    name: "Continue",
    format: Format::Yaml,
    container: &["mcpServers"],
    list_name_key: Some("name"),
    shape: Shape {
        command: SPLIT,
        env: "env",
        env_always: false,
        cwd: Some("cwd"),
        fixed: &[("type", Lit::Str("stdio"))],
        name_field: Some("name"),
        remote: Some(RemoteShape {
            url: "url",
            headers: &["requestOptions", "headers"],
            fixed: &[("type", Lit::Str("streamable-http"))],
        }),
        enabled: None,
    },
    user_paths: |env: &Env| vec![env.home.join(".continue/config.yaml")],
    project_path: None,
    docs: "https://docs.continue.dev/customize/deep-dives/mcp",
};
