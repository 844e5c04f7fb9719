//! Helpers for the docker-mode end-to-end tests (`#[path]`-included by `docker_mode.rs`).
//!
//! The tests need a real dockerd (scripts/test starts one) and images that exist without any
//! registry: `dockside/demo-server:local` (scripts/lib.sh `build_demo_image`, which scripts/test
//! runs first) and two images these helpers build on the spot, idempotently, with `docker
//! import`: an empty one (`dockside-test/empty:local`, only `/tmp`) for static host binaries,
//! a Node one (`dockside-test/node:local`) holding the host's `node` and the libraries `ldd`
//! lists, and a Python one (`dockside-test/python:local`): the host's `python3` with its standard
//! library (ensurepip included) at the same prefix, and the libraries it and its modules need. The tests use the `docker` CLI to look at containers; Dockside itself never does.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;

use super::gateway_support::{bin, wait_for, Daemon, Fixture, HttpGateway, TestHome};

pub const DEMO_IMAGE: &str = "dockside/demo-server:local";
pub const EMPTY_IMAGE: &str = "dockside-test/empty:local";
pub const NODE_IMAGE: &str = "dockside-test/node:local";
pub const PYTHON_IMAGE: &str = "dockside-test/python:local";

/// Docker tests run one at a time: one of them stops dockerd.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    require_docker();
    guard
}

/// `docker …`, returning stdout; panics with stderr on failure.
pub fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `docker` ({e}); install the Docker CLI"));
    assert!(
        out.status.success(),
        "`docker {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

pub fn docker_ok(args: &[&str]) -> bool {
    Command::new("docker")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Fails (never skips) when Docker does not answer.
pub fn require_docker() {
    assert!(
        docker_ok(&["info"]),
        "Docker is not reachable: these tests need a running dockerd. scripts/test starts one \
         (`source scripts/lib.sh; ensure_docker`)."
    );
}

pub fn image_exists(image: &str) -> bool {
    docker_ok(&["image", "inspect", image])
}

/// The demo server image, built by scripts/test before `cargo test`.
pub fn demo_image() -> &'static str {
    assert!(
        image_exists(DEMO_IMAGE),
        "image {DEMO_IMAGE} is missing: build it with `source scripts/lib.sh; build_demo_image` \
         (scripts/test does this before cargo test)"
    );
    DEMO_IMAGE
}

/// The fully static demo server binary `build_demo_image` leaves behind.
pub fn static_demo_binary() -> PathBuf {
    let path = dockside_e2e::workspace_root()
        .join("target/x86_64-unknown-linux-gnu/debug/dockside-demo-server");
    assert!(
        path.exists(),
        "{} is missing: `source scripts/lib.sh; build_demo_image` builds it (scripts/test does)",
        path.display()
    );
    path
}

/// `tar -C root -c . | docker import - image`.
fn import(root: &Path, image: &str) {
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "tar -C '{}' -c . | docker import - '{image}' >/dev/null",
            root.display()
        ))
        .status()
        .expect("run sh");
    assert!(status.success(), "docker import of {image} failed");
}

/// An image holding only `/tmp`: static host binaries run in it from a read-only mount.
pub fn empty_image() -> &'static str {
    if !image_exists(EMPTY_IMAGE) {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("tmp")).unwrap();
        import(root.path(), EMPTY_IMAGE);
    }
    EMPTY_IMAGE
}

/// `sh -c script`, asserting success.
fn sh(script: &str, what: &str) {
    let status = Command::new("sh")
        .arg("-c")
        .arg(script)
        .status()
        .expect("run sh");
    assert!(status.success(), "cannot {what}");
}

/// A Python image made from the host's `python3` (same prefix, standard library without its
/// tests, `python3` on PATH) and the libraries `ldd` lists for it and its extension modules.
pub fn python_image() -> &'static str {
    if !image_exists(PYTHON_IMAGE) {
        let root = tempfile::tempdir().unwrap();
        let script = format!(
            r#"set -e
root="{root}"
prefix="$(python3 -c 'import sys; print(sys.base_prefix)')"
ver="$(python3 -c 'import sys; print(f"{{sys.version_info[0]}}.{{sys.version_info[1]}}")')"
mkdir -p "$root$prefix/bin" "$root$prefix/lib" "$root/tmp" "$root/usr/local/bin"
chmod 1777 "$root/tmp"
cp -L "$prefix/bin/python$ver" "$root$prefix/bin/python$ver"
ln -s "python$ver" "$root$prefix/bin/python3"
ln -s "$prefix/bin/python$ver" "$root/usr/local/bin/python3"
cp -a "$prefix/lib/libpython$ver"* "$root$prefix/lib/" 2>/dev/null || true
tar -C "$prefix/lib" --exclude="python$ver/site-packages" --exclude="python$ver/test" \
  --exclude="python$ver/idlelib" --exclude="python$ver/tkinter" --exclude="python$ver/turtledemo" \
  --exclude='__pycache__' --exclude="python$ver/config-*" -c "python$ver" | tar -C "$root$prefix/lib" -x
# As in python:*-slim: the C/C++ and glibc libraries compiled wheels (pydantic-core…) link against.
extra="$(ldconfig -p | grep -E '(libgcc_s\.so\.1|libstdc\+\+\.so\.6|librt\.so\.1|libdl\.so\.2|libpthread\.so\.0|libutil\.so\.1|libresolv\.so\.2|libm\.so\.6) \(libc6,x86-64' | awk '{{print $NF}}')"
for f in "$prefix/bin/python$ver" "$prefix/lib/python$ver"/lib-dynload/*.so $extra; do
  for lib in $f $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
    case "$lib" in *.so*) ;; *) continue ;; esac
    [ -e "$root$lib" ] || {{ mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; }}
  done
done
chmod -R a+rX "$root"
tar -C "$root" -c . | docker import --change "ENV PATH=$prefix/bin:/usr/local/bin:/usr/bin:/bin" - '{image}' >/dev/null"#,
            root = root.path().display(),
            image = PYTHON_IMAGE,
        );
        sh(&script, "assemble the python image");
    }
    PYTHON_IMAGE
}

/// Tags `image` as `as_tag` (a registry image's name the tests cannot pull), idempotently.
pub fn tag_as(image: &str, as_tag: &str) {
    docker(&["tag", image, as_tag]);
}

/// A Node image made from the host's `node` and the libraries `ldd` lists.
pub fn node_image() -> &'static str {
    if !image_exists(NODE_IMAGE) {
        let root = tempfile::tempdir().unwrap();
        let script = format!(
            r#"set -e
node="$(readlink -f "$(command -v node)")"
mkdir -p "{root}/usr/bin" "{root}/tmp"
cp "$node" "{root}/usr/bin/node"
for lib in $(ldd "$node" | grep -o '/[^ ]*'); do
  mkdir -p "{root}$(dirname "$lib")"
  cp -L "$lib" "{root}$lib"
done"#,
            root = root.path().display()
        );
        sh(&script, "assemble the node image rootfs");
        import(root.path(), NODE_IMAGE);
    }
    NODE_IMAGE
}

/// Ids of containers with `label` (`key=value`), running or not.
pub fn containers(label: &str) -> Vec<String> {
    docker(&[
        "ps",
        "-aq",
        "--no-trunc",
        "--filter",
        &format!("label={label}"),
    ])
    .lines()
    .map(str::to_owned)
    .collect()
}

pub fn inspect(id: &str) -> Value {
    let text = docker(&["inspect", id]);
    let mut all: Value = serde_json::from_str(&text).unwrap();
    all[0].take()
}

/// The host's address on Docker's default bridge (e.g. 172.17.0.1): the network's gateway, or
/// (engines that leave it out of `inspect`, like 20.10) the first address of its subnet, which
/// is where Docker puts the gateway.
pub fn bridge_gateway() -> String {
    let field = |f: &str| {
        docker(&[
            "network",
            "inspect",
            "bridge",
            "--format",
            &format!("{{{{range .IPAM.Config}}}}{{{{.{f}}}}}{{{{end}}}}"),
        ])
    };
    let gateway = field("Gateway");
    if !gateway.is_empty() {
        return gateway;
    }
    let subnet = field("Subnet");
    let network: std::net::Ipv4Addr = subnet
        .split('/')
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("the bridge network has no IPv4 subnet: {subnet:?}"));
    std::net::Ipv4Addr::from(u32::from(network) + 1).to_string()
}

/// A directory under `target/` that the container user (nobody) can read: tempdirs are 0700.
pub fn shared_dir() -> tempfile::TempDir {
    let base = dockside_e2e::workspace_root().join("target/docker-e2e");
    std::fs::create_dir_all(&base).unwrap();
    let dir = tempfile::tempdir_in(&base).unwrap();
    set_mode(dir.path(), 0o755);
    dir
}

pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Writes `<home>/catalogs/e2e.yaml` and `<home>/state.yaml` as given (YAML text).
pub fn write_home(home: &TestHome, catalog: &str, state: &str) {
    home.write_catalog_text("e2e", catalog);
    home.write_state_text(state);
}

pub fn write_state(home: &TestHome, state: &str) {
    home.write_state_text(state);
}

/// `dockside daemon` with the file secret store, events recorded from the start.
pub fn start_daemon(home: &TestHome) -> Daemon {
    Daemon::start(home, &["daemon"], &[("DOCKSIDE_SECRET_STORE", "file")])
}

/// A [`Fixture`] whose `catalogs/e2e.yaml` and `state.yaml` hold `catalog` and `state` (YAML
/// text) and whose daemon uses the file secret store, like [`start_daemon`].
pub fn fixture(catalog: &str, state: &str) -> Fixture {
    Fixture::new()
        .catalog_yaml(catalog)
        .state_yaml(state)
        .env("DOCKSIDE_SECRET_STORE", "file")
}

/// `dockside status --json`'s `status.servers`.
pub fn servers(home: &TestHome) -> Vec<Value> {
    let out = home
        .dockside()
        .args(["status", "--json"])
        .output()
        .expect("run dockside status");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "dockside status --json printed no JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    doc["status"]["servers"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The daemon's view of one server.
pub fn server_state(home: &TestHome, name: &str) -> Value {
    servers(home)
        .into_iter()
        .find(|s| s["name"] == name)
        .unwrap_or(Value::Null)
}

/// Waits until `name` is in `state` (e.g. `running`).
pub fn wait_state(home: &TestHome, name: &str, state: &str, timeout: Duration) -> Value {
    wait_for(&format!("server {name} to be {state}"), timeout, || {
        let s = server_state(home, name);
        (s["state"] == state).then_some(s)
    })
}

/// Runs the TypeScript SDK client against the daemon's per-server endpoint.
pub fn client(gw: &HttpGateway, home: &TestHome, server: &str, steps: Value) -> Value {
    let token = super::gateway_support::token(home);
    dockside_e2e::mcp_client(&serde_json::json!({
        "connect": {"url": gw.url(&format!("/mcp/{server}")), "headers": {"Authorization": format!("Bearer {token}")}},
        "timeoutMs": 90000,
        "steps": steps,
    }))
}

/// The text of a `callTool` step result.
pub fn text(result: &Value) -> String {
    result["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

pub fn dockside_bin() -> PathBuf {
    bin("dockside")
}
