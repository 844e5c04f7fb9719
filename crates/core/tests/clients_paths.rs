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
        (
            "vscode-insiders",
            "/h/.config/Code - Insiders/User/mcp.json",
            "/h/Library/Application Support/Code - Insiders/User/mcp.json",
            "/h/AppData/Roaming/Code - Insiders/User/mcp.json",
        ),
        (
            "roo-code",
            "/h/.config/Code/User/globalStorage/rooveterinaryinc.roo-cline/settings/mcp_settings.json",
            "/h/Library/Application Support/Code/User/globalStorage/rooveterinaryinc.roo-cline/settings/mcp_settings.json",
            "/h/AppData/Roaming/Code/User/globalStorage/rooveterinaryinc.roo-cline/settings/mcp_settings.json",
        ),
        (
            "kiro",
            "/h/.kiro/settings/mcp.json",
            "/h/.kiro/settings/mcp.json",
            "/h/.kiro/settings/mcp.json",
        ),
        (
            "crush",
            "/h/.config/crush/crush.json",
            "/h/.config/crush/crush.json",
            "/h/.config/crush/crush.json",
        ),
        (
            "copilot-cli",
            "/h/.copilot/mcp-config.json",
            "/h/.copilot/mcp-config.json",
            "/h/.copilot/mcp-config.json",
        ),
        (
            "qwen-code",
            "/h/.qwen/settings.json",
            "/h/.qwen/settings.json",
            "/h/.qwen/settings.json",
        ),
        (
            "amp",
            "/h/.config/amp/settings.json",
            "/h/.config/amp/settings.json",
            "/h/.config/amp/settings.json",
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
    assert_eq!(path("crush", &e), Path::new("/x/crush/crush.json"));
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
    let amp = dir.path().join(".config/amp/settings.jsonc");
    std::fs::create_dir_all(amp.parent().unwrap()).unwrap();
    std::fs::write(&amp, "{}").unwrap();
    assert_eq!(by_id("amp").unwrap().user_path(&e), amp);
}

#[test]
fn project_paths() {
    let cases: &[(&str, Option<&str>)] = &[
        ("claude-desktop", None),
        ("claude-code", Some("/p/.mcp.json")),
        ("cursor", Some("/p/.cursor/mcp.json")),
        ("vscode", Some("/p/.vscode/mcp.json")),
        ("windsurf", None),
        ("zed", Some("/p/.zed/settings.json")),
        ("opencode", Some("/p/opencode.json")),
        ("codex", Some("/p/.codex/config.toml")),
        ("gemini", Some("/p/.gemini/settings.json")),
        ("goose", None),
        ("lmstudio", None),
        ("continue", None),
        ("cline", None),
        ("vscode-insiders", Some("/p/.vscode/mcp.json")),
        ("roo-code", Some("/p/.roo/mcp.json")),
        ("kiro", Some("/p/.kiro/settings/mcp.json")),
        ("crush", Some("/p/crush.json")),
        ("copilot-cli", Some("/p/.github/mcp.json")),
        ("qwen-code", Some("/p/.qwen/settings.json")),
        ("amp", Some("/p/.amp/settings.json")),
    ];
    assert_eq!(cases.len(), ALL.len());
    for (id, want) in cases {
        let got = by_id(id).unwrap().project_path.map(|f| f(Path::new("/p")));
        assert_eq!(got.as_deref(), want.map(Path::new), "{id}");
    }
}

#[test]
fn aliases() {
    for (alias, id) in [
        ("code-insiders", "vscode-insiders"),
        ("roo", "roo-code"),
        ("copilot", "copilot-cli"),
        ("qwen", "qwen-code"),
        ("ampcode", "amp"),
    ] {
        assert_eq!(by_id(alias).unwrap().id, id, "{alias}");
    }
}

/// docs/CLIENTS.md lists every client with the documentation its adapter cites.
#[test]
fn clients_md_lists_every_client() {
    let md = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/CLIENTS.md"),
    )
    .unwrap();
    for spec in ALL {
        assert!(
            md.contains(&format!("| `{}` | {} |", spec.id, spec.name)),
            "{}",
            spec.id
        );
        assert!(
            md.contains(&format!("| `{}` | {}", spec.id, spec.docs)),
            "{}: {}",
            spec.id,
            spec.docs
        );
    }
}
