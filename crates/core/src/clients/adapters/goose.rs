//! Goose: `~/.config/goose/config.yaml` (Windows `%APPDATA%\Block\goose\config\config.yaml`).
//! Top-level `extensions` mapping; a stdio extension is `{name, type: stdio, enabled, cmd,
//! args, envs, env_keys, timeout}`; remote `{type: streamable_http, uri, headers}`.
//! Documented: block.github.io/goose/docs/getting-started/using-extensions (config file) and
//! goose's `ExtensionConfig` (fields `cmd`, `args`, `envs`, `env_keys`, `timeout`, `name`);
//! `enabled: false` switches an extension off (the same page shows extensions toggled by it).
//! YAML is edited by text span (see `fsedit::yaml`).
use super::super::env::{Env, Os};
use super::super::shape::{CommandStyle, Lit, RemoteShape, Shape};
use super::super::spec::ClientSpec;
use super::{ENABLED, HEADERS};
use crate::fsedit::Format;

pub static SPEC: ClientSpec = ClientSpec {
    id: "goose",
    name: "Goose",
    format: Format::Yaml,
    container: &["extensions"],
    list_name_key: None,
    shape: Shape {
        command: CommandStyle::Split {
            command: "cmd",
            args: "args",
        },
        env: "envs",
        env_always: true,
        cwd: None,
        fixed: &[
            ("enabled", Lit::Bool(true)),
            ("type", Lit::Str("stdio")),
            ("env_keys", Lit::List(&[])),
            ("timeout", Lit::Int(300)),
        ],
        name_field: Some("name"),
        remote: Some(RemoteShape {
            url: "uri",
            headers: HEADERS,
            fixed: &[
                ("enabled", Lit::Bool(true)),
                ("type", Lit::Str("streamable_http")),
                ("timeout", Lit::Int(300)),
            ],
        }),
        enabled: ENABLED,
    },
    user_paths: |env: &Env| match env.os {
        Os::Windows => vec![env.app_config().join("Block/goose/config/config.yaml")],
        _ => vec![env.xdg_config().join("goose/config.yaml")],
    },
    project_path: None,
    docs: "https://block.github.io/goose/docs/getting-started/using-extensions",
};
