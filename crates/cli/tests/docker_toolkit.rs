//! `dockside catalog import --docker` for a Docker MCP Toolkit user: the profile the clients'
//! `MCP_DOCKER` entries run, read from a profiles database made with Docker's own schema; clear
//! errors naming the file; `dockside client list` shows who runs Docker's gateway; the
//! production switch's plan replaces `MCP_DOCKER` when asked.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use dockside_core::docker_toolkit::db::testing;
use support::{snapshot, text, Sandbox};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/docker/toolkit"
);

/// A user's home: Claude Desktop and Cursor hold `MCP_DOCKER`, Docker's database has the
/// profiles `default` and `work`.
struct User {
    sandbox: Sandbox,
    home: tempfile::TempDir,
}

impl User {
    fn new() -> User {
        let home = tempfile::tempdir().unwrap();
        for (fixture, path) in [
            (
                "claude_desktop_config.json",
                ".config/Claude/claude_desktop_config.json",
            ),
            ("cursor-mcp.json", ".cursor/mcp.json"),
        ] {
            let path = home.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::copy(Path::new(FIXTURES).join(fixture), path).unwrap();
        }
        let user = User {
            sandbox: Sandbox::new(),
            home,
        };
        testing::create(
            &user.database(),
            &[
                ("default", "Default Profile", testing::SERVERS),
                ("work", "Work", "[]"),
            ],
        )
        .unwrap();
        user
    }

    fn docker_dir(&self) -> PathBuf {
        self.home.path().join(".docker/mcp")
    }

    fn database(&self) -> PathBuf {
        self.docker_dir().join("mcp-toolkit.db")
    }

    /// `dockside ARGS…` with this home, Dockside's secrets in a file.
    fn run(&self, args: &[&str]) -> Output {
        self.sandbox
            .command(args)
            .env("HOME", self.home.path())
            .env("DOCKSIDE_SECRET_STORE", "file")
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("CODEX_HOME")
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    }

    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "{args:?}: {}", text(&out.stdout));
        text(&out.stderr)
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }
}

#[test]
fn the_profile_the_clients_run_comes_over() {
    let user = User::new();
    let docker_before = snapshot(&user.docker_dir());
    let out = user.json(&["catalog", "import", "--docker", "--json"]);
    assert_eq!(out["source"]["kind"], "profile");
    assert_eq!(out["source"]["profile"], "default");
    assert_eq!(out["source"]["path"], user.database().display().to_string());
    let servers: Vec<(&str, &str)> = out["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["mode"].as_str().unwrap()))
        .collect();
    assert_eq!(
        servers,
        [
            ("github-official", "docker"),
            ("filesystem", "docker"),
            ("cloudflare-docs", "managed")
        ]
    );
    assert_eq!(
        out["servers"][0]["image"],
        "mcp/github@sha256:1111111111111111111111111111111111111111111111111111111111111111"
    );
    assert_eq!(
        out["servers"][0]["secrets"],
        serde_json::json!(["github.personal_access_token"])
    );
    assert_eq!(
        out["missingSecrets"],
        serde_json::json!(["github.personal_access_token"])
    );
    assert_eq!(
        snapshot(&user.docker_dir()),
        docker_before,
        "Docker's files"
    );

    let list = user.json(&["server", "list", "--json"]);
    let github = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "github-official")
        .unwrap();
    assert_eq!(github["mode"], "docker", "{github}");

    // With the secret set, nothing is left to set; the text says what happened.
    let mut set = user
        .sandbox
        .command(&["secret", "set", "github.personal_access_token"]);
    set.env("DOCKSIDE_SECRET_STORE", "file")
        .stdin(std::process::Stdio::piped());
    let mut child = set.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"ghp_x").unwrap();
    assert!(child.wait().unwrap().success());
    let again = user.ok(&["catalog", "import", "--docker"]);
    assert!(
        again.contains("updated github-official (docker) into catalog `docker-default`"),
        "{again}"
    );
    assert!(
        again.contains("3 server(s) imported from profile `default` (Default Profile)"),
        "{again}"
    );
    assert!(!again.contains("dockside secret set"), "{again}");
}

#[test]
fn secrets_to_set_are_listed_with_the_command() {
    let user = User::new();
    let out = user.ok(&["catalog", "import", "--docker"]);
    assert!(out.contains("imported github-official (docker)"), "{out}");
    assert!(out.contains("imported cloudflare-docs (managed)"), "{out}");
    assert!(
        out.contains("  dockside secret set github.personal_access_token"),
        "{out}"
    );
}

#[test]
fn errors_name_the_file_and_what_to_do() {
    let user = User::new();
    let db = user.database().display().to_string();
    let err = user.fails(&["catalog", "import", "--docker", "--profile", "nope"]);
    assert!(
        err.contains(&format!("{db}: no profile `nope`; the profiles there are: default (Default Profile), work (Work)")),
        "{err}"
    );

    // Several profiles in the clients: the user picks one.
    let cursor = user.home.path().join(".cursor/mcp.json");
    let text = std::fs::read_to_string(&cursor).unwrap();
    std::fs::write(&cursor, text.replace("\"default\"", "\"work\"")).unwrap();
    let err = user.fails(&["catalog", "import", "--docker"]);
    assert!(err.contains("several Docker MCP Toolkit profiles"), "{err}");
    assert!(err.contains("cursor runs `work`"), "{err}");
    user.ok(&["catalog", "import", "--docker", "--profile", "work"]);

    // A newer Docker's schema.
    let conn = rusqlite::Connection::open(user.database()).unwrap();
    conn.execute("UPDATE schema_migrations SET version = 99", [])
        .unwrap();
    let err = user.fails(&["catalog", "import", "--docker", "--profile", "work"]);
    assert!(
        err.contains(&format!("{db}: schema version 99 is unknown")),
        "{err}"
    );

    // Locked by Docker.
    conn.execute("UPDATE schema_migrations SET version = 6", [])
        .unwrap();
    conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let err = user.fails(&["catalog", "import", "--docker", "--profile", "work"]);
    assert!(
        err.contains(&format!("{db}: locked by another program")),
        "{err}"
    );
    conn.execute_batch("COMMIT").unwrap();

    // No database, and a profile named.
    std::fs::remove_file(user.database()).unwrap();
    let err = user.fails(&["catalog", "import", "--docker", "--profile", "work"]);
    assert!(
        err.contains(&format!("{db}: not found, so there is no profile `work`")),
        "{err}"
    );
}

#[test]
fn client_list_shows_who_runs_dockers_gateway() {
    let user = User::new();
    let rows = user.json(&["client", "list", "--json"]);
    let toolkit: Vec<(&str, &serde_json::Value)> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["docker_toolkit"].is_null())
        .map(|r| (r["id"].as_str().unwrap(), &r["docker_toolkit"]))
        .collect();
    let expected = serde_json::json!({"entry": "MCP_DOCKER", "profile": "default", "servers": 3, "error": null});
    assert_eq!(
        toolkit,
        [("claude-desktop", &expected), ("cursor", &expected)]
    );
    let table = user.ok(&["client", "list"]);
    assert!(
        table.contains("  uses Docker MCP Toolkit (`MCP_DOCKER`, profile default): 3 server(s); `dockside catalog import --docker --profile default` brings them over"),
        "{table}"
    );
}

#[test]
fn the_switch_plan_replaces_mcp_docker_when_asked() {
    let user = User::new();
    user.ok(&["catalog", "import", "--docker"]);
    user.ok(&["client", "connect", "cursor"]);
    let kept = user.run(&["switch", "production", "--dry-run"]);
    assert!(kept.status.success(), "{}", text(&kept.stderr));
    assert!(
        text(&kept.stderr).contains("--replace-docker-gateway replaces it"),
        "{}",
        text(&kept.stderr)
    );
    let plan = user.json(&[
        "switch",
        "production",
        "--dry-run",
        "--json",
        "--replace-docker-gateway",
    ]);
    assert_eq!(plan["dockerGateway"][0]["entry"], "MCP_DOCKER");
    assert_eq!(plan["dockerGateway"][0]["replaced"], true);
    let diff = plan["clients"][0]["diff"].as_str().unwrap();
    assert!(diff.contains("-    \"MCP_DOCKER\": {"), "{diff}");
    // Claude Desktop holds MCP_DOCKER too, but Dockside does not keep it in sync.
    let warnings = plan["warnings"].to_string();
    assert!(
        warnings.contains("dockside client connect claude-desktop"),
        "{warnings}"
    );
}
