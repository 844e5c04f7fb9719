//! One module per AI client, each only data: config paths per OS, format, container and entry
//! shape, with a note of where the shape is documented. The editing engine is shared
//! ([`crate::fsedit`]); the encoder/decoder too ([`super::shape`]).

use super::shape::{CommandStyle, Lit, RemoteShape, Shape};
use super::spec::ClientSpec;

pub mod claude_code;
pub mod claude_desktop;
pub mod cline;
pub mod codex;
pub mod continue_dev;
pub mod cursor;
pub mod gemini;
pub mod goose;
pub mod lmstudio;
pub mod opencode;
pub mod vscode;
pub mod windsurf;
pub mod zed;

/// `"command": "...", "args": [...]`.
pub(crate) const SPLIT: CommandStyle = CommandStyle::Split {
    command: "command",
    args: "args",
};

/// The common `mcpServers` spelling (Claude Desktop, Cursor, LM Studio…): `command`, `args`,
/// `env`, remote `url` + `headers`.
pub(crate) const MCP_SERVERS: Shape = Shape {
    command: SPLIT,
    env: "env",
    env_always: false,
    cwd: None,
    fixed: &[],
    name_field: None,
    remote: Some(RemoteShape {
        url: "url",
        headers: "headers",
        fixed: &[],
    }),
};

/// `"type": "stdio"` first (Claude Code, VS Code).
pub(crate) const TYPE_STDIO: &[(&str, Lit)] = &[("type", Lit::Str("stdio"))];

/// Every client Dockside knows, in display order.
pub static ALL: &[&ClientSpec] = &[
    &claude_desktop::SPEC,
    &claude_code::SPEC,
    &cursor::SPEC,
    &vscode::SPEC,
    &windsurf::SPEC,
    &zed::SPEC,
    &opencode::SPEC,
    &codex::SPEC,
    &gemini::SPEC,
    &goose::SPEC,
    &lmstudio::SPEC,
    &continue_dev::SPEC,
    &cline::SPEC,
];

/// The client with this id (or a common alias).
pub fn by_id(id: &str) -> Option<&'static ClientSpec> {
    let id = match id {
        "claude" => "claude-desktop",
        "code" | "vs-code" => "vscode",
        "continue-dev" => "continue",
        "lm-studio" => "lmstudio",
        "gemini-cli" => "gemini",
        "codex-cli" => "codex",
        other => other,
    };
    ALL.iter().copied().find(|s| s.id == id)
}
