//! VS Code Insiders: the same `mcp.json` as VS Code (JSONC, top-level `servers`, mandatory
//! `type`), in the Insiders profile folder `Code - Insiders/User/mcp.json` under the OS
//! app-config folder; workspace `.vscode/mcp.json` is shared with VS Code.
//! Documented: code.visualstudio.com/docs/copilot/reference/mcp-configuration (shape, user
//! `mcp.json` in the profile folder). The Insiders folder name `Code - Insiders` beside `Code`:
//! microsoft/vscode#3884 (`%APPDATA%\Code[ - Variant]\User`, `~/.config/Code[ - <quality>]/User`)
//! ⚠️ the docs give the stable folder only.
use std::path::Path;

use super::super::env::Env;
use super::super::spec::ClientSpec;
use super::vscode;
use crate::fsedit::Format;

pub static SPEC: ClientSpec = ClientSpec {
    id: "vscode-insiders",
    name: "VS Code Insiders",
    format: Format::Jsonc,
    container: &["servers"],
    list_name_key: None,
    shape: vscode::SHAPE,
    user_paths: |env: &Env| vec![env.app_config().join("Code - Insiders/User/mcp.json")],
    project_path: Some(|dir: &Path| dir.join(".vscode/mcp.json")),
    docs: "https://code.visualstudio.com/docs/copilot/reference/mcp-configuration",
};
