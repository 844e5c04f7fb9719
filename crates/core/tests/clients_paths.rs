//! Each adapter's config path per OS, from `HOME`/`XDG_CONFIG_HOME`/`APPDATA`/`CODEX_HOME`.

use std::path::{Path, PathBuf};

use dockside_core::clients::{by_id, Env, Os, ALL};

fn env(os: Os) -> Env {
    Env {
        os,
        home: PathBuf::from("/h"),
        xdg_config_home: None,
        appdata: Some(PathBuf::from("/h/AppData/Roaming")),
        codex_home: None,
    }
}

fn path(id: &str, env: &Env) -> PathBuf {
    (by_id(id).unwrap().user_paths)(env).remove(0)
}

#[test]
fn paths_per_os() {
    let cases: &[(&str, &str, &str, &str)] = &[
        // id, linux, macos, windows
        (
            "claude-desktop",
            "/h/.config/Claude/claude_desktop_config.json",
            "/h/Library/Application Support/Claude/claude_desktop_config.json",
            "/h/AppData/Roaming/Claude/claude_desktop_config.json",
        ),
        (
            "claude-code",
            "/h/.claude.json",
            "/h/.claude.json",
            "/h/.claude.json",
        ),
        (
            "cursor",
            "/h/.cursor/mcp.json",
            "/h/.cursor/mcp.json",
            "/h/.cursor/mcp.json",
        ),
        (
            "vscode",
            "/h/.config/Code/User/mcp.json",
            "/h/Library/Application Support/Code/User/mcp.json",
            "/h/AppData/Roaming/Code/User/mcp.json",
        ),
        (
            "windsurf",
            "/h/.codeium/windsurf/mcp_config.json",
            "/h/.codeium/windsurf/mcp_config.json",
            "/h/.codeium/windsurf/mcp_config.json",
        ),
        (
            "zed",
            "/h/.config/zed/settings.json",
            "/h/.config/zed/settings.json",
            "/h/AppData/Roaming/Zed/settings.json",
        ),
        (
            "opencode",
            "/h/.config/opencode/opencode.json",
            "/h/.config/opencode/opencode.json",
            "/h/.config/opencode/opencode.json",
        ),
        (
            "codex",
            "/h/.codex/config.toml",
            "/h/.codex/config.toml",
            "/h/.codex/config.toml",
        ),
        (
            "gemini",
            "/h/.gemini/settings.json",
            "/h/.gemini/settings.json",
            "/h/.gemini/settings.json",
        ),
        (
            "goose",
            "/h/.config/goose/config.yaml",
            "/h/.config/goose/config.yaml",
            "/h/AppData/Roaming/Block/goose/config/config.yaml",
        ),
        (
            "lmstudio",
            "/h/.lmstudio/mcp.json",
            "/h/.lmstudio/mcp.json",
            "/h/.lmstudio/mcp.json",
        ),
        (
            "continue",
            "/h/.continue/config.yaml",
            "/h/.continue/config.yaml",
            "/h/.continue/config.yaml",
        ),
        (
            "cline",
            "/h/.cline/data/settings/cline_mcp_settings.json",
            "/h/.cline/data/settings/cline_mcp_settings.json",
            "/h/.cline/data/settings/cline_mcp_settings.json",
        ),
    ];
    assert_eq!(cases.len(), ALL.len());
    for (id, linux, mac, win) in cases {
        assert_eq!(path(id, &env(Os::Linux)), Path::new(linux), "{id} linux");
        assert_eq!(path(id, &env(Os::MacOs)), Path::new(mac), "{id} macos");
        assert_eq!(path(id, &env(Os::Windows)), Path::new(win), "{id} windows");
    }
}

#[test]
fn environment_overrides() {
    let mut e = env(Os::Linux);
    e.xdg_config_home = Some("/x".into());
    e.codex_home = Some("/c".into());
    assert_eq!(path("goose", &e), Path::new("/x/goose/config.yaml"));
    assert_eq!(path("opencode", &e), Path::new("/x/opencode/opencode.json"));
    assert_eq!(
        path("claude-desktop", &e),
        Path::new("/x/Claude/claude_desktop_config.json")
    );
    assert_eq!(path("codex", &e), Path::new("/c/config.toml"));
    // The first existing candidate wins: OpenCode's `.jsonc`, Cline's legacy location.
    let dir = tempfile::tempdir().unwrap();
    let e = Env::with_home(dir.path());
    let jsonc = dir.path().join(".config/opencode/opencode.jsonc");
    std::fs::create_dir_all(jsonc.parent().unwrap()).unwrap();
    std::fs::write(&jsonc, "{}").unwrap();
    assert_eq!(by_id("opencode").unwrap().user_path(&e), jsonc);
    let legacy = dir.path().join(
        ".config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json",
    );
    std::fs::create_dir_all(legacy.parent().unwrap()).unwrap();
    std::fs::write(&legacy, "{}").unwrap();
    assert_eq!(by_id("cline").unwrap().user_path(&e), legacy);
    // Project scope.
    assert_eq!(
        (by_id("vscode").unwrap().project_path.unwrap())(Path::new("/p")),
        Path::new("/p/.vscode/mcp.json")
    );
    assert_eq!(
        (by_id("claude-code").unwrap().project_path.unwrap())(Path::new("/p")),
        Path::new("/p/.mcp.json")
    );
}
