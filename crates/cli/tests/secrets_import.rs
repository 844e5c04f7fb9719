//! Secrets out of every file: `client import` moves a token from a client's `env` to the secret
//! store, `client connect` writes `dockside exec NAME` in its place, and the server still gets
//! the token when the client starts that entry. The token is in no file Dockside writes apart
//! from the store (`secrets.json`), and disconnecting gives the user's file back byte for byte.
//!
//! Needs `dockside-demo-server` next to `dockside` (`cargo build -p dockside-demo-server`).

mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Value};
use support::{snapshot, text, Sandbox};

const TOKEN: &str = "ghp_DocksideE2eTok3nAbCdEfGhIjKlMnOpQrSt";

fn demo_server() -> PathBuf {
    let path = Path::new(env!("CARGO_BIN_EXE_dockside")).with_file_name("dockside-demo-server");
    assert!(
        path.is_file(),
        "{} not found: run `cargo build -p dockside-demo-server` first",
        path.display()
    );
    path
}

/// Every file under `dir` that holds `needle`, except `allowed` file names.
fn files_holding(dir: &Path, needle: &str, allowed: &[&str]) -> Vec<PathBuf> {
    snapshot(dir)
        .into_iter()
        .filter(|(p, bytes)| {
            let name = p.file_name().unwrap().to_string_lossy();
            !allowed.contains(&name.as_ref()) && String::from_utf8_lossy(bytes).contains(needle)
        })
        .map(|(p, _)| p)
        .collect()
}

struct Mcp {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    stdout: BufReader<std::process::ChildStdout>,
}

impl Mcp {
    fn send(&mut self, msg: Value) {
        writeln!(self.stdin, "{msg}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// The next message with `id` (notifications and logs in between are skipped).
    fn reply(&mut self, id: u64) -> Value {
        loop {
            let mut line = String::new();
            let n = self.stdout.read_line(&mut line).unwrap();
            assert!(
                n > 0,
                "the server closed stdout before answering request {id}"
            );
            let v: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("not JSON on the MCP channel ({e}): {line}"));
            if v["id"] == id {
                return v;
            }
        }
    }
}

#[test]
fn an_imported_token_lives_only_in_the_store_and_still_reaches_the_native_server() {
    let sandbox = Sandbox::new();
    let user_home = tempfile::tempdir().unwrap();
    let demo = demo_server();
    let config_dir = user_home.path().join(".config/Claude");
    std::fs::create_dir_all(&config_dir).unwrap();
    let config = config_dir.join("claude_desktop_config.json");
    let command = serde_json::to_string(&demo.display().to_string()).unwrap();
    let original = format!(
        "{{\r\n  \"globalShortcut\": \"Ctrl+Space\",\r\n  \"mcpServers\": {{\r\n    \
         \"github\": {{\r\n      \"command\": {command},\r\n      \"args\": [],\r\n      \
         \"env\": {{ \"GITHUB_PERSONAL_ACCESS_TOKEN\": \"{TOKEN}\", \"NOTIZ\": \"Grüße ✓\" }}\r\n    }},\r\n    \
         \"notes-ü\": {{ \"command\": \"notes-server\", \"args\": [\"--dir\", \"/home/me/Notizen ü\"] }}\r\n  }}\r\n}}\r\n"
    );
    std::fs::write(&config, &original).unwrap();
    let dockside = |args: &[&str]| -> String {
        let out = sandbox
            .command(args)
            .env("HOME", user_home.path())
            .env("XDG_CONFIG_HOME", user_home.path().join(".config"))
            .env("DOCKSIDE_SECRET_STORE", "file")
            .env("DOCKSIDE_LAUNCHER", env!("CARGO_BIN_EXE_dockside"))
            .env_remove("GITHUB_PERSONAL_ACCESS_TOKEN")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "dockside {args:?}: {}",
            text(&out.stderr)
        );
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(!all.contains(TOKEN), "dockside {args:?} printed the token");
        text(&out.stdout)
    };

    // 1. Import: the token goes to the store, the report names the variable only.
    let report: Value =
        serde_json::from_str(&dockside(&["client", "import", "--all", "--json"])).unwrap();
    let github = report
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "github")
        .unwrap_or_else(|| panic!("github not imported: {report}"));
    assert_eq!(github["status"], "added");
    assert_eq!(
        github["moved_secrets"],
        json!([{"env": "GITHUB_PERSONAL_ACCESS_TOKEN", "secret": "github.github_personal_access_token"}])
    );
    let ls: Value = serde_json::from_str(&dockside(&["secret", "ls", "--json"])).unwrap();
    assert_eq!(ls["names"], json!(["github.github_personal_access_token"]));
    let store: Value =
        serde_json::from_slice(&std::fs::read(sandbox.path().join("secrets.json")).unwrap())
            .unwrap();
    assert_eq!(store["github.github_personal_access_token"], TOKEN);
    assert_eq!(
        files_holding(sandbox.path(), TOKEN, &["secrets.json"]),
        Vec::<PathBuf>::new(),
        "after import, the token is only in the store"
    );
    let catalog = std::fs::read_to_string(sandbox.path().join("catalogs/imported.yaml")).unwrap();
    assert!(
        catalog.contains("github.github_personal_access_token") && catalog.contains("NOTIZ"),
        "the catalog declares the secret and keeps plain env:\n{catalog}"
    );

    // Importing again changes nothing (the server with the same command is there).
    let before = snapshot(sandbox.path());
    let again: Value =
        serde_json::from_str(&dockside(&["client", "import", "--all", "--json"])).unwrap();
    assert!(
        again
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "exists"),
        "{again}"
    );
    assert_eq!(
        snapshot(sandbox.path()),
        before,
        "a second import changed files"
    );

    // 2. Connect in native mode: the entry is `dockside exec github`, the file holds no token.
    dockside(&["client", "connect", "claude-desktop"]);
    let text_now = std::fs::read_to_string(&config).unwrap();
    assert!(
        !text_now.contains(TOKEN),
        "the client file holds the token:\n{text_now}"
    );
    assert!(text_now.contains("\r\n"), "CRLF kept:\n{text_now}");
    assert!(text_now.contains("/home/me/Notizen ü"), "{text_now}");
    let doc: Value = serde_json::from_str(&text_now).unwrap();
    let entry = &doc["mcpServers"]["github"];
    assert_eq!(
        entry["command"],
        env!("CARGO_BIN_EXE_dockside"),
        "{text_now}"
    );
    assert_eq!(entry["args"], json!(["exec", "github"]), "{text_now}");
    assert!(entry.get("env").is_none(), "{text_now}");
    assert_eq!(doc["globalShortcut"], "Ctrl+Space");

    // 3. Start the entry as Claude Desktop would: its command and args, stdio pipes.
    let args: Vec<String> = serde_json::from_value(entry["args"].clone()).unwrap();
    let mut child = Command::new(entry["command"].as_str().unwrap())
        .args(&args)
        .env("DOCKSIDE_HOME", sandbox.path())
        .env("DOCKSIDE_SECRET_STORE", "file")
        .env_remove("GITHUB_PERSONAL_ACCESS_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut mcp = Mcp {
        stdin: child.stdin.take().unwrap(),
        stdout: BufReader::new(child.stdout.take().unwrap()),
        child,
    };
    mcp.send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "claude-desktop-stand-in", "version": "1"}}}),
    );
    let init = mcp.reply(1);
    assert!(
        init["result"]["serverInfo"]["name"].is_string(),
        "initialize: {init}"
    );
    mcp.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    mcp.send(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "env", "arguments": {}}}));
    let call = mcp.reply(2);
    let names = call["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(
        names.lines().any(|n| n == "GITHUB_PERSONAL_ACCESS_TOKEN")
            && names.lines().any(|n| n == "NOTIZ"),
        "the server does not see its env: {call}"
    );
    // `dockside exec` replaced itself: the process the client started is the server, and its
    // environment holds the token's value.
    #[cfg(target_os = "linux")]
    {
        let environ = std::fs::read(format!("/proc/{}/environ", mcp.child.id())).unwrap();
        let wanted = format!("GITHUB_PERSONAL_ACCESS_TOKEN={TOKEN}");
        assert!(
            environ.split(|b| *b == 0).any(|kv| kv == wanted.as_bytes()),
            "the server process did not get the token's value"
        );
        let exe = std::fs::read_link(format!("/proc/{}/exe", mcp.child.id())).unwrap();
        assert_eq!(exe.file_name(), demo.file_name(), "exec replaced dockside");
    }
    drop(mcp.stdin);
    let out = mcp.child.wait_with_output().unwrap();
    assert!(!text(&out.stderr).contains(TOKEN));

    // 4. No file Dockside wrote holds the token: the home (catalog, state, clients.json,
    // backups…) apart from the store, and the user's HOME.
    assert_eq!(
        files_holding(sandbox.path(), TOKEN, &["secrets.json"]),
        Vec::<PathBuf>::new()
    );
    assert_eq!(
        files_holding(user_home.path(), TOKEN, &[]),
        Vec::<PathBuf>::new()
    );

    // 5. Disconnect puts the user's own file back byte for byte (the token comes back from the
    // store into the file it came from), and the home still holds it nowhere else.
    dockside(&["client", "disconnect", "claude-desktop"]);
    assert_eq!(std::fs::read_to_string(&config).unwrap(), original);
    assert_eq!(
        files_holding(sandbox.path(), TOKEN, &["secrets.json"]),
        Vec::<PathBuf>::new()
    );
}

#[test]
fn exec_errors_go_to_stderr_and_name_the_fix() {
    let sandbox = Sandbox::new();
    sandbox.write(
        "catalogs/local.yaml",
        "name: local\nregistry:\n  gh:\n    command: [\"/bin/true\"]\n    secrets:\n      - {name: gh.token, env: GH_TOKEN}\n",
    );
    let out = sandbox
        .command(&["exec", "nope"])
        .env("DOCKSIDE_SECRET_STORE", "file")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "stdout is the MCP channel");
    let err = text(&out.stderr);
    assert!(
        err.contains("no server named `nope`") && err.contains("catalogs"),
        "{err}"
    );
    let out = sandbox
        .command(&["exec", "gh"])
        .env("DOCKSIDE_SECRET_STORE", "file")
        .env_remove("GH_TOKEN")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(err.contains("dockside secret set gh.token"), "{err}");
    assert!(sandbox.ok(&["exec", "--help"]).contains("secret"));
}

const LINEAR_KEY: &str = "lin_api_DocksideE2eRemoteKey0123456789";

/// A remote entry's credentials: `client import` moves a secret header value to the store and
/// the catalog names it as `${secret:NAME}`; connecting the client writes a
/// `dockside connect --server NAME` entry instead of the URL, so its file holds no secret.
#[test]
fn an_imported_remote_header_secret_lives_only_in_the_store() {
    let sandbox = Sandbox::new();
    let user_home = tempfile::tempdir().unwrap();
    let config = user_home.path().join(".cursor/mcp.json");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    let original = format!(
        "{{\n  \"mcpServers\": {{\n    \"linear\": {{\n      \"url\": \"https://mcp.linear.app/mcp\",\n      \
         \"headers\": {{ \"Authorization\": \"Bearer {LINEAR_KEY}\", \"X-Team\": \"platform\" }}\n    }}\n  }}\n}}\n"
    );
    std::fs::write(&config, &original).unwrap();
    let dockside = |args: &[&str]| -> String {
        let out = sandbox
            .command(args)
            .env("HOME", user_home.path())
            .env("XDG_CONFIG_HOME", user_home.path().join(".config"))
            .env("DOCKSIDE_SECRET_STORE", "file")
            .env("DOCKSIDE_LAUNCHER", env!("CARGO_BIN_EXE_dockside"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "dockside {args:?}: {}",
            text(&out.stderr)
        );
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(
            !all.contains(LINEAR_KEY),
            "dockside {args:?} printed the key"
        );
        text(&out.stdout)
    };

    let report: Value =
        serde_json::from_str(&dockside(&["client", "import", "--all", "--json"])).unwrap();
    let linear = (report.as_array().unwrap().iter())
        .find(|r| r["name"] == "linear")
        .unwrap_or_else(|| panic!("linear not imported: {report}"));
    assert_eq!(
        linear["moved_secrets"],
        json!([{"env": "Authorization", "secret": "linear.authorization"}])
    );
    let store: Value =
        serde_json::from_slice(&std::fs::read(sandbox.path().join("secrets.json")).unwrap())
            .unwrap();
    assert_eq!(
        store["linear.authorization"],
        format!("Bearer {LINEAR_KEY}")
    );
    let catalog = std::fs::read_to_string(sandbox.path().join("catalogs/imported.yaml")).unwrap();
    assert!(
        catalog.contains("Authorization: ${secret:linear.authorization}")
            && catalog.contains("X-Team: platform")
            && catalog.contains("url: https://mcp.linear.app/mcp"),
        "{catalog}"
    );
    assert_eq!(
        files_holding(sandbox.path(), LINEAR_KEY, &["secrets.json"]),
        Vec::<PathBuf>::new()
    );
    // The same URL again is the same server, whatever its headers say.
    let again: Value =
        serde_json::from_str(&dockside(&["client", "import", "--all", "--json"])).unwrap();
    assert!(
        (again.as_array().unwrap().iter()).all(|r| r["status"] == "exists"),
        "{again}"
    );

    dockside(&["client", "connect", "cursor", "--adopt"]);
    let now = std::fs::read_to_string(&config).unwrap();
    assert!(!now.contains(LINEAR_KEY), "{now}");
    let doc: Value = serde_json::from_str(&now).unwrap();
    assert_eq!(
        doc["mcpServers"]["linear"]["args"],
        json!(["connect", "--server", "linear"]),
        "{now}"
    );
    dockside(&["client", "disconnect", "cursor"]);
    assert_eq!(std::fs::read_to_string(&config).unwrap(), original);
}
