//! One module per AI client, each only data: config paths per OS, format, container and entry
//! shape, with a note of where the shape is documented. The editing engine is shared
//! ([`crate::fsedit`]); the encoder/decoder too ([`super::shape`]).

use super::shape::{CommandStyle, EnabledFlag, Lit, RemoteShape, Shape};
use super::spec::ClientSpec;

pub mod amp;
pub mod claude_code;
pub mod claude_desktop;
pub mod cline;
pub mod codex;
pub mod continue_dev;
pub mod copilot_cli;
pub mod crush;
pub mod cursor;
pub mod gemini;
pub mod goose;
pub mod kiro;
pub mod lmstudio;
pub mod opencode;
pub mod qwen;
pub mod roo_code;
pub mod vscode;
pub mod vscode_insiders;
pub mod windsurf;
pub mod zed;

/// `"command": "...", "args": [...]`.
pub(crate) const SPLIT: CommandStyle = CommandStyle::Split {
    command: "command",
    args: "args",
};

/// `headers` at the top of a remote entry (every client but Continue).
pub(crate) const HEADERS: &[&str] = &["headers"];

/// A remote entry `{url, headers}` after the given constant fields.
pub(crate) const fn url_remote(fixed: &'static [(&'static str, Lit)]) -> Option<RemoteShape> {
    Some(RemoteShape {
        url: "url",
        headers: HEADERS,
        fixed,
    })
}

/// The common `mcpServers` spelling (Claude Desktop, Cursor, LM Studio…): `command`, `args`,
/// `env`, remote `url` + `headers`.
pub(crate) const MCP_SERVERS: Shape = Shape {
    command: SPLIT,
    env: "env",
    env_always: false,
    cwd: None,
    fixed: &[],
    name_field: None,
    remote: url_remote(&[]),
    enabled: None,
};

/// `"type": "stdio"` first (Claude Code, VS Code).
pub(crate) const TYPE_STDIO: &[(&str, Lit)] = &[("type", Lit::Str("stdio"))];

/// `"type": "http"` first on remote entries (Claude Code, VS Code, Crush).
pub(crate) const TYPE_HTTP: &[(&str, Lit)] = &[("type", Lit::Str("http"))];

/// `"disabled": true` switches an entry off (Cline, Windsurf, Roo Code, Kiro, Crush, Amp).
pub(crate) const DISABLED: Option<EnabledFlag> = Some(EnabledFlag::Disabled("disabled"));

/// `enabled: false` switches an entry off (Codex, Goose, OpenCode, Zed).
pub(crate) const ENABLED: Option<EnabledFlag> = Some(EnabledFlag::Enabled("enabled"));

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
    &vscode_insiders::SPEC,
    &roo_code::SPEC,
    &kiro::SPEC,
    &crush::SPEC,
    &copilot_cli::SPEC,
    &qwen::SPEC,
    &amp::SPEC,
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
        "code-insiders" | "insiders" => "vscode-insiders",
        "roo" | "roo-cline" => "roo-code",
        "copilot" | "github-copilot-cli" => "copilot-cli",
        "qwen" => "qwen-code",
        "amp-code" | "ampcode" => "amp",
        other => other,
    };
    ALL.iter().copied().find(|s| s.id == id)
}
