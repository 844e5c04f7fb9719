//! Shared helpers for Dockside's end-to-end tests.
//!
//! The tests drive the real binaries (`dockside`, `dockside-demo-server`) built by the same
//! `cargo test` invocation, and real MCP clients from `tests/node` (the official TypeScript SDK).

use std::path::{Path, PathBuf};

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
