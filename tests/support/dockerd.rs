//! A second, throw-away `dockerd` for the engine-discovery tests: its own socket, data root,
//! exec root and pidfile under a temporary directory, no bridge and no iptables rules (so it does
//! not fight the machine's engine), and its own identity — a UTS namespace gives it another
//! host name (`docker info` Name) and a private `/etc/docker` another engine id (Docker 20.10
//! derives the id from `/etc/docker/key.json`; newer engines keep it in the data root). Needs
//! root, like scripts/test's `ensure_docker`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running second engine; stopped and removed when dropped.
pub struct Dockerd {
    dir: tempfile::TempDir,
    child: Child,
}

impl Dockerd {
    /// Starts one named `name` (its `docker info` Name) and waits (polling, 60 s at most) until it answers.
    pub fn start(name: &str) -> Dockerd {
        Dockerd::start_with(name, &[])
    }

    /// [`Dockerd::start`] with more `dockerd` arguments (another `--host`, TLS…).
    pub fn start_with(name: &str, extra: &[String]) -> Dockerd {
        // A short path: unix socket paths are limited to ~100 bytes.
        let dir = tempfile::Builder::new()
            .prefix("dsd")
            .tempdir_in("/tmp")
            .expect("temp dir");
        let d = dir.path().display().to_string();
        std::fs::create_dir(dir.path().join("etc")).unwrap();
        let script = format!(
            "hostname {name} && mount --bind {d}/etc /etc/docker && exec dockerd \
             --host unix://{d}/docker.sock --data-root {d}/data --exec-root {d}/exec \
             --pidfile {d}/docker.pid --bridge=none --iptables=false --ip6tables=false {}",
            extra.join(" ")
        );
        let log = std::fs::File::create(dir.path().join("dockerd.log")).unwrap();
        let child = Command::new("unshare")
            .args(["--uts", "--mount", "sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("cannot run `unshare` (util-linux) to start a second dockerd");
        let mut engine = Dockerd { dir, child };
        let deadline = Instant::now() + Duration::from_secs(60);
        while engine.info().is_none() {
            if let Ok(Some(status)) = engine.child.try_wait() {
                panic!(
                    "the second dockerd exited ({status}); it needs root. Its log:\n{}",
                    engine.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "the second dockerd did not answer within 60 s. Its log:\n{}",
                engine.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        engine
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("docker.sock")
    }

    /// `unix:///…/docker.sock`.
    pub fn host(&self) -> String {
        format!("unix://{}", self.socket().display())
    }

    /// Its engine id (`docker info` ID).
    pub fn id(&self) -> String {
        self.info().expect("the second dockerd answers").1
    }

    /// `(Name, ID)` from `docker info`, or `None` while it does not answer.
    fn info(&self) -> Option<(String, String)> {
        engine_identity(&self.host())
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dockerd.log")).unwrap_or_default()
    }
}

/// `(Name, ID)` of the engine at `host`, asked with the docker CLI.
pub fn engine_identity(host: &str) -> Option<(String, String)> {
    let out = Command::new("docker")
        .args(["-H", host, "info", "--format", "{{.Name}}\t{{.ID}}"])
        .env_remove("DOCKER_CONTEXT")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let (name, id) = text.trim().split_once('\t')?;
    (out.status.success() && !id.is_empty()).then(|| (name.to_owned(), id.to_owned()))
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        // SIGTERM lets dockerd stop its containerd and unmount; SIGKILL if it hangs.
        // SAFETY: signalling our own child, which has not been reaped yet.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
