//! Engine discovery against real engines: a second `dockerd` (tests/support/dockerd.rs) found
//! through a docker context, `DOCKER_HOST`, and `--docker-context` / `DOCKSIDE_DOCKER_CONTEXT`;
//! a context naming a missing socket is reported by name; an `ssh://` host is reached through a
//! real OpenSSH server, a `tcp://` one with TLS certificates made here; and `allowHosts` on such
//! an engine is refused with the reason. `dockside doctor --json` says which
//! engine it reached (`docker.id` is the engine's own id, so the second engine cannot pass for
//! the machine's).

#![cfg(unix)]

#[path = "gateway_support.rs"]
mod gateway_support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

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
        report(&out)
    }
}

/// The `docker` object and the engine check of `doctor --json`'s output.
fn report(out: &std::process::Output) -> (Value, Value) {
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

/// `DOCKER_HOST=ssh://root@127.0.0.1` through a real OpenSSH server: in a network namespace of its
/// own (so port 22 on loopback is free) and a mount namespace where `/root` is a scratch home
/// holding the client key (ssh reads the key and `known_hosts` from the user's passwd home, not
/// `$HOME`). The server's sessions get `DOCKER_HOST` naming the second engine (`SetEnv`), so
/// `docker system dial-stdio` on the "remote" side reaches that engine, and doctor's id proves
/// the whole path.
#[test]
fn an_ssh_docker_host_is_reached_through_openssh() {
    assert!(
        Path::new("/usr/sbin/sshd").exists(),
        "this test needs an OpenSSH server: `apt-get install openssh-server` (scripts/test does)"
    );
    let second = Dockerd::start("dockside-ssh");
    let user = User::new();
    let d = user.dir.path();
    let keygen = |path: &Path| {
        let ok = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", ""])
            .arg("-f")
            .arg(path)
            .status()
            .unwrap()
            .success();
        assert!(ok, "ssh-keygen failed");
    };
    std::fs::create_dir_all(d.join("root/.ssh")).unwrap();
    keygen(&d.join("host_key"));
    keygen(&d.join("root/.ssh/id_ed25519"));
    std::fs::copy(
        d.join("root/.ssh/id_ed25519.pub"),
        d.join("authorized_keys"),
    )
    .unwrap();
    let d = d.display();
    std::fs::write(
        user.dir.path().join("sshd_config"),
        format!(
            "Port 22\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nAuthorizedKeysFile {d}/authorized_keys\n\
             PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             UsePAM no\nStrictModes no\nPidFile {d}/sshd.pid\nSetEnv DOCKER_HOST={}\n",
            second.host()
        ),
    )
    .unwrap();
    // sshd forks once it listens; it is stopped whatever doctor does.
    let script = format!(
        "set -e; ip link set lo up; mount --bind {d}/root /root; mkdir -p /run/sshd; \
         /usr/sbin/sshd -f {d}/sshd_config -E {d}/sshd.log; trap 'kill $(cat {d}/sshd.pid)' EXIT; \
         cd {d}; {} doctor --json",
        bin("dockside").display()
    );
    let out = user
        .command(Path::new("unshare"))
        .args(["--net", "--mount", "sh", "-c", &script])
        .env("DOCKER_HOST", "ssh://root@127.0.0.1")
        .output()
        .unwrap();
    let (docker, check) = report(&out);
    let sshd_log = std::fs::read_to_string(user.dir.path().join("sshd.log")).unwrap_or_default();
    assert_eq!(check["ok"], true, "{check}\nsshd: {sshd_log}");
    assert_eq!(docker["host"], "ssh://root@127.0.0.1", "{docker}");
    assert_eq!(docker["id"], second.id(), "{docker}");
    assert_eq!(docker["name"], "dockside-ssh", "{docker}");
}

/// A second engine on `tcp://127.0.0.1:PORT` with `--tlsverify`, and the directory holding the
/// client's `ca.pem`, `cert.pem`, `key.pem` (made with `openssl`: a CA, a server certificate for
/// IP 127.0.0.1, a client certificate).
fn tls_engine(name: &str) -> (tempfile::TempDir, Dockerd, String) {
    let certs = tempfile::tempdir().unwrap();
    let c = certs.path().display().to_string();
    let script = format!(
        "set -e; cd {c}; \
         openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 2 -subj /CN=dockside-test-ca; \
         openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj /CN=127.0.0.1; \
         printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > server.ext; \
         openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server-cert.pem -days 2 -extfile server.ext; \
         openssl req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr -subj /CN=client; \
         printf 'extendedKeyUsage=clientAuth\\n' > client.ext; \
         openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out cert.pem -days 2 -extfile client.ext"
    );
    let out = Command::new("sh").args(["-c", &script]).output().unwrap();
    assert!(
        out.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let second = Dockerd::start_with(
        name,
        &[
            format!("--host tcp://127.0.0.1:{port} --tlsverify"),
            format!(
                "--tlscacert {c}/ca.pem --tlscert {c}/server-cert.pem --tlskey {c}/server-key.pem"
            ),
        ],
    );
    (certs, second, format!("tcp://127.0.0.1:{port}"))
}

/// `DOCKER_HOST=tcp://…` with `DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH`: the second engine
/// listens on 127.0.0.1 with `--tlsverify` and certificates made here (a CA, a server certificate
/// for IP 127.0.0.1, a client certificate).
#[test]
fn a_tcp_docker_host_with_tls_is_reached() {
    let (certs, second, host) = tls_engine("dockside-tls");
    let c = certs.path().display().to_string();
    let user = User::new();
    let tls = [
        ("DOCKER_HOST", host.as_str()),
        ("DOCKER_TLS_VERIFY", "1"),
        ("DOCKER_CERT_PATH", c.as_str()),
    ];
    let (docker, check) = user.doctor(&[], &tls);
    assert_eq!(check["ok"], true, "{check}");
    assert_eq!(docker["id"], second.id(), "{docker}");
    assert!(
        check["detail"].as_str().unwrap().contains("(TLS)"),
        "{check}"
    );
    // Without the client certificate the engine refuses, and the error names the host.
    let (_, check) = user.doctor(&[], &tls[..1]);
    assert_eq!(check["ok"], false, "{check}");
    assert!(check["detail"].as_str().unwrap().contains(&host), "{check}");
}

/// `allowHosts` needs the engine on this host: with an engine reached over `tcp://` (here the
/// second engine, TLS), a long-lived server with an allow-list does not start, and the daemon says
/// why and what to do instead of failing to bind an address that is not here.
#[test]
fn allow_hosts_on_an_engine_elsewhere_is_refused_with_the_reason() {
    let (certs, second, host) = tls_engine("dockside-remote");
    let empty = tempfile::tempdir().unwrap();
    let import = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "tar -C {} -c . | docker -H {} import - dockside-test/egress:local",
            empty.path().display(),
            second.host()
        ))
        .output()
        .unwrap();
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    let home = gateway_support::TestHome::new();
    home.write_catalog_text(
        "e2e",
        "registry:\n  net:\n    image: dockside-test/egress:local\n    allowHosts: ['example.com:443']\n",
    );
    home.write_state_text("servers:\n  net:\n    mode: docker\n");
    let mut cmd = home.dockside();
    cmd.args(["daemon", "--long-lived"])
        .env("DOCKER_HOST", &host)
        .env("DOCKER_TLS_VERIFY", "1")
        .env("DOCKER_CERT_PATH", certs.path())
        .env("DOCKSIDE_SECRET_STORE", "file");
    let gw = gateway_support::HttpGateway::start(cmd);
    let token = gateway_support::token(&home);
    let said = gateway_support::wait_for(
        "the daemon to refuse the allowHosts server",
        Duration::from_secs(60),
        || {
            let (_, servers) = gateway_support::api(&gw.addr, &token, "GET", "/api/servers", None);
            let error = servers.as_array()?.iter().find(|s| s["name"] == "net")?["error"]
                .as_str()?
                .to_owned();
            error
                .contains("runs in a VM or on another machine")
                .then_some(error)
        },
    );
    assert!(said.contains(&host), "{said}");
    assert!(said.contains("--network open"), "{said}");
}
