//! Shared helpers for Dockside's end-to-end tests.
//!
//! The tests drive the real binaries (`dockside`, `dockside-demo-server`) built by the same
//! `cargo test` invocation, and real MCP clients from `tests/node` (the official TypeScript SDK).

#[cfg(unix)]
pub mod dockerd;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The workspace root (the directory holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The directory where cargo put this test's sibling binaries (`target/<profile>`).
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current test executable");
    // target/<profile>/deps/<test-binary>
    exe.parent()
        .and_then(Path::parent)
        .expect("test binary lives in target/<profile>/deps")
        .to_path_buf()
}

/// Path of a workspace binary, e.g. `bin("dockside")`. Panics with a hint when it was not built.
pub fn bin(name: &str) -> PathBuf {
    let path = bin_dir().join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} not found: build the workspace binaries first (`cargo build --workspace --bins`)",
        path.display()
    );
    path
}

/// `tests/node`: the Node.js MCP clients and their `node_modules`.
pub fn node_dir() -> PathBuf {
    workspace_root().join("tests").join("node")
}

/// `node tests/node/<script>`, run from `tests/node`. Panics with a hint when the npm packages
/// are not installed there.
pub fn node_script(script: &str) -> Command {
    let dir = node_dir();
    assert!(
        dir.join("node_modules/@modelcontextprotocol/sdk").is_dir(),
        "{} has no node_modules: run `npm ci` in tests/node (scripts/test does)",
        dir.display()
    );
    let mut command = Command::new("node");
    command.arg(dir.join(script)).current_dir(&dir);
    command
}

/// Runs `tests/node/mcp_client.mjs` (the official TypeScript SDK client) with `spec` and returns
/// the JSON document it prints. The spec and output formats are described at the top of that
/// script: `{"connect": {"command", "args", "env"} | {"url", "headers"}, "steps": [...]}` in,
/// `{"ok", "connected", "server", "results": [{"op", "ok", "result" | "error"}], ...}` out.
/// Panics (with the client's stderr) only when it printed no JSON document.
pub fn mcp_client(spec: &serde_json::Value) -> serde_json::Value {
    let mut child = node_script("mcp_client.mjs")
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start `node` (is Node.js installed?)");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(spec.to_string().as_bytes())
        .expect("write the spec to mcp_client.mjs");
    let output = child.wait_with_output().expect("wait for mcp_client.mjs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    match serde_json::from_str(stdout.trim()) {
        Ok(document) => document,
        Err(error) => panic!(
            "mcp_client.mjs printed no JSON document ({error}); exit {}\nstdout:\n{stdout}\nstderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}
