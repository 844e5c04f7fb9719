//! A Docker MCP Toolkit user brought over: Claude Desktop and Cursor hold Docker's `MCP_DOCKER`
//! gateway entry (`tests/fixtures/docker/toolkit/`), its profile lives in a profiles database
//! made with Docker's own schema. The profile's servers come over in docker mode with the same
//! images and secret names; the client importer does not take `MCP_DOCKER` for a server; the
//! production switch replaces `MCP_DOCKER` with Dockside's entries, and undo puts every file
//! back byte for byte. Docker's database is never written.

use std::path::{Path, PathBuf};

use dockside_core::clients::import;
use dockside_core::clients::ownership::Record;
use dockside_core::clients::status::{self, DockerToolkit};
use dockside_core::clients::sync::{self, Context, Target};
use dockside_core::clients::{by_id, workspace as bridge, Env, Launcher};
use dockside_core::docker_toolkit::{self, db, Source, DB_FILE};
use dockside_core::switch::{self, PlanOptions};
use dockside_core::{Home, Mode, Workspace};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/docker/toolkit"
);

struct World {
    _dir: tempfile::TempDir,
    ctx: Context,
    home: Home,
    /// Claude Desktop's and Cursor's files: target, path, original text.
    files: Vec<(Target, PathBuf, String)>,
    database: PathBuf,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let env = Env::with_home(dir.path().join("user"));
    let mut files = Vec::new();
    for (id, fixture) in [
        ("claude-desktop", "claude_desktop_config.json"),
        ("cursor", "cursor-mcp.json"),
    ] {
        let target = Target::user(by_id(id).unwrap());
        let path = target.path(&env);
        let text = std::fs::read_to_string(Path::new(FIXTURES).join(fixture)).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
        files.push((target, path, text));
    }
    let database = docker_toolkit::default_dir(&env).join(DB_FILE);
    db::testing::create(
        &database,
        &[
            ("default", "Default Profile", db::testing::SERVERS),
            ("work", "Work", "[]"),
        ],
    )
    .unwrap();
    let home = Home::new(dir.path().join("dockside"));
    World {
        ctx: Context {
            env,
            dockside_home: home.root().to_owned(),
            launcher: Launcher("/opt/dockside/bin/dockside".into()),
        },
        home,
        files,
        database,
        _dir: dir,
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn the_profile_behind_mcp_docker_comes_over_in_docker_mode() {
    let w = world();
    let database_bytes = std::fs::read(&w.database).unwrap();

    let seen = docker_toolkit::sightings(&w.ctx.env);
    let seen: Vec<(&str, &str, &str)> = seen
        .iter()
        .map(|s| {
            (
                s.client.id,
                s.gateway.entry.as_str(),
                s.gateway.profile.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("claude-desktop", "MCP_DOCKER", "default"),
            ("cursor", "MCP_DOCKER", "default")
        ]
    );
    let sightings = docker_toolkit::sightings(&w.ctx.env);
    let profile = docker_toolkit::profile_in_use(&sightings).unwrap();
    assert_eq!(profile, "default");

    let mut ws = Workspace::load(w.home.clone()).unwrap();
    let dir = docker_toolkit::default_dir(&w.ctx.env);
    let imported = docker_toolkit::import(&mut ws, &dir, &profile, false).unwrap();
    ws.save().unwrap();
    assert_eq!(
        imported.source,
        Source::Profile {
            path: w.database.clone(),
            profile: "default".into(),
            name: "Default Profile".into()
        }
    );

    let ws = Workspace::load(w.home.clone()).unwrap();
    for (name, image) in [
        (
            "github-official",
            "mcp/github@sha256:1111111111111111111111111111111111111111111111111111111111111111",
        ),
        (
            "filesystem",
            "mcp/filesystem@sha256:2222222222222222222222222222222222222222222222222222222222222222",
        ),
    ] {
        let entry = ws.server(name).unwrap();
        assert_eq!(entry.state.mode, Mode::Docker, "{name}");
        assert_eq!(entry.server.image.as_deref(), Some(image), "{name}");
    }
    let github = ws.server("github-official").unwrap();
    let secrets: Vec<(&str, &str)> = (github.server.secrets.iter().flatten())
        .map(|s| (s.name.as_str(), s.env.as_str()))
        .collect();
    assert_eq!(
        secrets,
        [(
            "github.personal_access_token",
            "GITHUB_PERSONAL_ACCESS_TOKEN"
        )]
    );
    assert_eq!(
        ws.server("cloudflare-docs").unwrap().state.mode,
        Mode::Managed
    );
    assert_eq!(
        std::fs::read(&w.database).unwrap(),
        database_bytes,
        "Docker's database was written"
    );
}

#[test]
fn the_clients_screen_shows_who_runs_dockers_gateway() {
    let w = world();
    let rows = status::list(&w.ctx).unwrap();
    let toolkit: Vec<(&str, &DockerToolkit)> = rows
        .iter()
        .filter_map(|r| Some((r.id.as_str(), r.docker_toolkit.as_ref()?)))
        .collect();
    let expected = DockerToolkit {
        entry: "MCP_DOCKER".into(),
        profile: "default".into(),
        servers: Some(3),
        error: None,
    };
    assert_eq!(
        toolkit,
        [("claude-desktop", &expected), ("cursor", &expected)]
    );
    // A profile Docker does not have: the row says why there is no count.
    let (_, path, text) = &w.files[1];
    std::fs::write(path, text.replace("\"default\"", "\"gone\"")).unwrap();
    let rows = status::list(&w.ctx).unwrap();
    let cursor = rows.iter().find(|r| r.id == "cursor").unwrap();
    let toolkit = cursor.docker_toolkit.as_ref().unwrap();
    assert_eq!((toolkit.profile.as_str(), toolkit.servers), ("gone", None));
    assert!(toolkit
        .error
        .as_deref()
        .unwrap()
        .contains("no profile `gone`"));
}

#[test]
fn the_client_importer_does_not_take_mcp_docker_for_a_server() {
    let w = world();
    for (target, path, text) in &w.files {
        let found = import::read(target, path, text, &Default::default()).unwrap();
        let names: Vec<&str> = found.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["notes"], "{}", path.display());
    }
}

#[test]
fn the_switch_replaces_mcp_docker_and_undo_puts_every_byte_back() {
    let w = world();
    let mut ws = Workspace::load(w.home.clone()).unwrap();
    let dir = docker_toolkit::default_dir(&w.ctx.env);
    docker_toolkit::import(&mut ws, &dir, "default", false).unwrap();
    ws.save().unwrap();
    for (target, _, _) in &w.files {
        sync::connect(
            &w.ctx,
            target,
            false,
            |s| bridge::desired(&ws, &target.key(), s),
            false,
        )
        .unwrap();
    }
    let connected: Vec<String> = w.files.iter().map(|(_, p, _)| read(p)).collect();
    for text in &connected {
        assert!(text.contains("MCP_DOCKER") && text.contains("github-official"));
    }

    // Without the option the entry stays, and the plan says so.
    let kept = switch::plan_production(&ws, &w.ctx, &PlanOptions::default()).unwrap();
    assert_eq!(kept.docker_gateway.len(), 2);
    assert!(kept.docker_gateway.iter().all(|g| !g.replaced));
    assert!(kept
        .warnings
        .iter()
        .any(|m| m.contains("--replace-docker-gateway")));

    let opts = PlanOptions {
        replace_docker_gateway: true,
        ..PlanOptions::default()
    };
    let plan = switch::plan_production(&ws, &w.ctx, &opts).unwrap();
    assert!(plan.docker_gateway.iter().all(|g| g.replaced));
    // The remote server runs behind Dockside's gateway, as it ran behind Docker's.
    assert!(
        plan.warnings.iter().all(|m| !m.contains("cloudflare-docs")),
        "{:?}",
        plan.warnings
    );
    for c in &plan.clients {
        assert!(
            c.changes.iter().any(|l| l
                == "replace Docker's gateway `MCP_DOCKER` (profile `default`) with Dockside's entries"),
            "{:?}",
            c.changes
        );
    }
    let applied = switch::apply(&w.ctx, &plan, None).unwrap();
    assert!(applied.problems.is_empty(), "{:?}", applied.problems);
    for (_, path, _) in &w.files {
        let text = read(path);
        assert!(!text.contains("MCP_DOCKER"), "{text}");
        assert!(text.contains("\"github-official\""), "{text}");
        assert!(text.contains("\"cloudflare-docs\""), "{text}");
        assert!(
            text.contains("\"notes\""),
            "the user's own entry stays: {text}"
        );
    }
    assert!(docker_toolkit::sightings(&w.ctx.env).is_empty());

    switch::restore(&w.ctx, &w.home, &applied.record.id).unwrap();
    for ((_, path, _), before) in w.files.iter().zip(&connected) {
        assert_eq!(&read(path), before, "{}", path.display());
    }

    // Disconnecting gives back the files as the user had them.
    for (target, path, original) in &w.files {
        sync::disconnect(&w.ctx, target).unwrap();
        assert_eq!(&read(path), original, "{}", path.display());
    }
    assert!(Record::load(&w.ctx.dockside_home)
        .unwrap()
        .clients
        .is_empty());
}
