//! Engine discovery against real engines: a second `dockerd` (tests/support/dockerd.rs) found
//! through a docker context, `DOCKER_HOST`, and `--docker-context` / `DOCKSIDE_DOCKER_CONTEXT`;
//! a context naming a missing socket is reported by name. `dockside doctor --json` says which
//! engine it reached (`docker.id` is the engine's own id, so the second engine cannot pass for
//! the machine's).

#![cfg(unix)]

use std::path::Path;
use std::process::Command;

use dockside_e2e::bin;
use dockside_e2e::dockerd::{engine_identity, Dockerd};
use serde_json::Value;

/// A scratch user: HOME, DOCKER_CONFIG and DOCKSIDE_HOME under one temp dir, no Docker variables.
struct User {
    dir: tempfile::TempDir,
}

impl User {
    fn new() -> User {
        User {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn config(&self) -> std::path::PathBuf {
        self.dir.path().join(".docker")
    }

    fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        for var in [
            "DOCKER_HOST",
            "DOCKER_CONTEXT",
            "DOCKER_TLS_VERIFY",
            "DOCKER_CERT_PATH",
            "DOCKSIDE_DOCKER_CONTEXT",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("HOME", self.dir.path())
            .env("DOCKER_CONFIG", self.config())
            .env("DOCKSIDE_HOME", self.dir.path().join("dockside"));
        cmd
    }

    /// `docker …` as this user (its contexts), panicking on failure.
    fn docker(&self, args: &[&str]) {
        let out = self
            .command(Path::new("docker"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "docker {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `docker context create NAME --docker host=HOST`.
    fn context(&self, name: &str, host: &str) {
        self.docker(&[
            "context",
            "create",
            name,
            "--docker",
            &format!("host={host}"),
        ]);
    }

    /// `dockside [args] doctor --json` with `env`: its `docker` object and its engine check.
    fn doctor(&self, args: &[&str], env: &[(&str, &str)]) -> (Value, Value) {
        let out = self
            .command(&bin("dockside"))
            .args(args)
            .args(["doctor", "--json"])
            .envs(env.iter().copied())
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "doctor --json printed no JSON ({e}): {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let check = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["area"] == "docker")
            .cloned()
            .unwrap();
        (report["docker"].clone(), check)
    }
}

fn main_engine_id() -> String {
    engine_identity("unix:///var/run/docker.sock")
        .expect("the machine's dockerd answers (scripts/test starts it)")
        .1
}

#[test]
fn the_current_docker_context_is_used() {
    let second = Dockerd::start("dockside-ctx");
    assert_ne!(second.id(), main_engine_id(), "the two engines must differ");
    let user = User::new();
    user.context("second", &second.host());
    user.docker(&["context", "use", "second"]);
    let (docker, check) = user.doctor(&[], &[]);
    assert_eq!(check["ok"], true, "{check}");
    assert_eq!(docker["source"], "context", "{docker}");
    assert_eq!(docker["context"], "second", "{docker}");
    assert_eq!(docker["host"], second.host(), "{docker}");
    assert_eq!(docker["id"], second.id(), "{docker}");
    assert_eq!(docker["name"], "dockside-ctx", "{docker}");
    let detail = check["detail"].as_str().unwrap();
    assert!(detail.contains("context `second`"), "{detail}");
    assert!(detail.contains(&second.host()), "{detail}");
}

#[test]
fn docker_host_names_the_engine() {
    let second = Dockerd::start("dockside-host");
    let user = User::new();
    let (docker, check) = user.doctor(&[], &[("DOCKER_HOST", &second.host())]);
    assert_eq!(check["ok"], true, "{check}");
    assert_eq!(docker["source"], "DOCKER_HOST", "{docker}");
    assert_eq!(docker["id"], second.id(), "{docker}");
    assert_eq!(docker["name"], "dockside-host", "{docker}");
    // Without it, the same user reaches the machine's engine.
    let (docker, _) = user.doctor(&[], &[]);
    assert_eq!(docker["id"], main_engine_id(), "{docker}");
}

#[test]
fn the_docker_context_flag_and_variable_win() {
    let second = Dockerd::start("dockside-flag");
    let user = User::new();
    user.context("second", &second.host());
    // DOCKER_HOST names the machine's engine; the override names the second one.
    let main = [("DOCKER_HOST", "unix:///var/run/docker.sock")];
    let (docker, _) = user.doctor(&["--docker-context", "second"], &main);
    assert_eq!(docker["source"], "override", "{docker}");
    assert_eq!(docker["id"], second.id(), "{docker}");
    let with_var = [main[0], ("DOCKSIDE_DOCKER_CONTEXT", "second")];
    let (docker, _) = user.doctor(&[], &with_var);
    assert_eq!(docker["id"], second.id(), "{docker}");
    // And the other way round: the current context is the second engine, `default` overrides.
    user.docker(&["context", "use", "second"]);
    let (docker, _) = user.doctor(&[], &[]);
    assert_eq!(docker["id"], second.id(), "{docker}");
    let (docker, _) = user.doctor(&["--docker-context", "default"], &[]);
    assert_eq!(docker["id"], main_engine_id(), "{docker}");
}

#[test]
fn a_context_naming_a_missing_socket_is_reported_by_name() {
    let user = User::new();
    let gone = user.dir.path().join("gone/docker.sock");
    user.context("gone", &format!("unix://{}", gone.display()));
    user.docker(&["context", "use", "gone"]);
    let (docker, check) = user.doctor(&[], &[]);
    assert_eq!(check["ok"], false, "{check}");
    assert_eq!(docker["context"], "gone", "{docker}");
    let detail = check["detail"].as_str().unwrap();
    assert!(detail.contains("context `gone`"), "{detail}");
    assert!(detail.contains(&gone.display().to_string()), "{detail}");
    // A context that does not exist at all names the file it looked for.
    let (_, check) = user.doctor(&["--docker-context", "nowhere"], &[]);
    let detail = check["detail"].as_str().unwrap();
    assert!(
        detail.contains("docker context `nowhere` does not exist"),
        "{detail}"
    );
}
