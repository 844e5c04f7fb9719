//! A daemon started the way the GUI starts it — `env -i HOME=… SHELL=/bin/bash
//! PATH=/usr/bin:/bin` — finds `npx` where only the user's login shell puts it: a scratch HOME
//! whose `.bash_profile` prepends a directory holding a fake `npx` (a script that runs the demo
//! server and records its arguments). The record and the server's tools prove the daemon ran that
//! `npx` and not `/usr/bin/npx`; `doctor` says it was found through the login shell.

#![cfg(unix)]

#[path = "gateway_support.rs"]
mod gateway_support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use gateway_support::{api, bin, token, wait_for, HttpGateway, TestHome};
use serde_json::Value;

/// A scratch user whose login shell adds `~/node-tools/bin` (holding a fake `npx`) to PATH.
fn user_with_npx_in_profile() -> (tempfile::TempDir, std::path::PathBuf) {
    let user = tempfile::tempdir().unwrap();
    let tools = user.path().join("node-tools/bin");
    std::fs::create_dir_all(&tools).unwrap();
    let npx = tools.join("npx");
    std::fs::write(
        &npx,
        format!(
            "#!/bin/sh\necho \"$@\" > {}\nexec {} --name login-npx\n",
            user.path().join("npx-ran").display(),
            bin("dockside-demo-server").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&npx, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(
        user.path().join(".bash_profile"),
        "echo 'a banner the environment reader must ignore'\nexport PATH=\"$HOME/node-tools/bin:$PATH\"\n",
    )
    .unwrap();
    (user, npx)
}

/// `dockside ARGS` with only what a GUI-started process has.
fn minimal(home: &TestHome, user: &Path) -> Command {
    let mut cmd = Command::new(bin("dockside"));
    cmd.env_clear()
        .env("HOME", user)
        .env("SHELL", "/bin/bash")
        .env("PATH", "/usr/bin:/bin")
        .env("DOCKSIDE_HOME", home.path())
        .env("DOCKSIDE_SECRET_STORE", "file");
    cmd
}

#[test]
fn a_gui_started_daemon_runs_npx_from_the_login_shell_path() {
    let (user, _npx) = user_with_npx_in_profile();
    let home = TestHome::new();
    home.write_catalog(
        "e2e",
        &[(
            "tools",
            vec![
                "npx".into(),
                "-y".into(),
                "@dockside-test/login-only".into(),
            ],
        )],
    );
    home.write_state_text("servers:\n  tools:\n    mode: managed\n");
    let mut cmd = minimal(&home, user.path());
    cmd.arg("daemon");
    let gw = HttpGateway::start(cmd);
    let token = token(&home);
    let status = wait_for(
        "server `tools` to run through the login shell's npx",
        Duration::from_secs(60),
        || {
            let (_, servers) = api(&gw.addr, &token, "GET", "/api/servers", None);
            servers
                .as_array()?
                .iter()
                .find(|s| s["name"] == "tools" && s["state"] == "running")
                .cloned()
        },
    );
    // The fake npx ran (it records its arguments) and started the demo server with its tools.
    let ran = std::fs::read_to_string(user.path().join("npx-ran")).unwrap_or_default();
    assert_eq!(
        ran.trim(),
        "-y @dockside-test/login-only",
        "{}",
        gw.stderr()
    );
    assert!(status["tools"].as_u64() > Some(0), "{status}");
    assert!(
        gw.stderr().contains("from the login shell: PATH"),
        "{}",
        gw.stderr()
    );
}

#[test]
fn doctor_says_npx_came_from_the_login_shell() {
    let (user, npx) = user_with_npx_in_profile();
    let home = TestHome::new();
    let out = minimal(&home, user.path())
        .args(["doctor", "--json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["area"] == "runtimes" && c["name"] == "npx")
        .cloned()
        .unwrap();
    let detail = check["detail"].as_str().unwrap();
    assert!(detail.starts_with(&npx.display().to_string()), "{detail}");
    assert!(detail.contains("through the login shell"), "{detail}");
    // Turned off, the inherited PATH is all there is.
    let out = minimal(&home, user.path())
        .env("DOCKSIDE_LOGIN_SHELL", "0")
        .args(["doctor", "--json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let npx_detail = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "npx")
        .map(|c| c["detail"].to_string())
        .unwrap();
    assert!(!npx_detail.contains("node-tools"), "{npx_detail}");
}
