//! Continue: `~/.continue/config.yaml`, top-level `mcpServers` **list** of
//! `{name, type: stdio, command, args, env, cwd}` / `{name, type: streamable-http, url}`.
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
            headers: "headers", // undocumented for Continue (it nests `requestOptions.headers`); never written by sync
            fixed: &[("type", Lit::Str("streamable-http"))],
        }),
    },
    user_paths: |env: &Env| vec![env.home.join(".continue/config.yaml")],
    project_path: None,
    docs: "https://docs.continue.dev/customize/deep-dives/mcp",
};
