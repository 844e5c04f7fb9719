//! A remote MCP server behind OAuth, run by the daemon in `managed` mode: a real authorization
//! server (`oidc-provider`) and an MCP server (the official TypeScript SDK) on loopback
//! (`dockside_oauth::testing`).
//!
//! Not signed in, the server is `needs-sign-in` and a call says which command fixes it;
//! `dockside auth login` (the browser step automated through `$BROWSER`) signs in and has the
//! running daemon restart the server, whose calls then carry the token; the token is in no file
//! under DOCKSIDE_HOME but the secret store, nor in the daemon's output, logs or events.

#[path = "gateway_support.rs"]
mod gateway_support;

#[path = "reliability_support.rs"]
mod reliability;

use std::path::{Path, PathBuf};
use std::time::Duration;

use dockside_oauth::testing::{browser, AuthServer};
use gateway_support::*;
use reliability::*;
use serde_json::{json, Value};

/// Every file under `dir` that holds `needle`, except the secret store.
fn files_holding(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n != "secrets.json") {
                let bytes = std::fs::read(&path).unwrap_or_default();
                if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                    found.push(path);
                }
            }
        }
    }
    found
}

/// The access and refresh tokens in the secret store (values of keys naming a token; a record
/// kept as JSON text is looked into).
fn stored_tokens(home: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(home.join("secrets.json")).unwrap();
    let mut out = Vec::new();
    let mut stack: Vec<(String, Value)> =
        vec![(String::new(), serde_json::from_str(&text).unwrap())];
    while let Some((key, v)) = stack.pop() {
        match v {
            Value::String(s) => match serde_json::from_str::<Value>(&s) {
                Ok(inner @ (Value::Object(_) | Value::Array(_))) => stack.push((key, inner)),
                _ if key.ends_with("_token") && s.len() >= 16 => out.push(s),
                _ => {}
            },
            Value::Array(a) => stack.extend(a.into_iter().map(|v| (key.clone(), v))),
            Value::Object(o) => stack.extend(o),
            _ => {}
        }
    }
    out
}

/// The OAuth-protected test server, added to a new home as remote server `secure` (managed).
fn secure_server() -> (AuthServer, TestHome) {
    let auth = AuthServer::start();
    let home = TestHome::new();
    let add = home
        .dockside()
        .env("DOCKSIDE_SECRET_STORE", "file")
        .args([
            "server",
            "add",
            "secure",
            "--url",
            &auth.resource,
            "--mode",
            "managed",
        ])
        .output()
        .unwrap();
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    (auth, home)
}

#[test]
fn a_remote_server_behind_oauth_needs_sign_in_then_runs_with_its_token_kept_secret() {
    let (auth, home) = secure_server();
    let gw = daemon(&home, &[]);
    let token = token(&home);

    // Not signed in: the state says so and a call names the fix.
    let status = wait_server(
        &gw,
        &home,
        "secure",
        "needs-sign-in",
        Duration::from_secs(60),
    );
    assert!(status["error"].is_string(), "{status}");
    let mut c = RawHttp::connect(&gw.addr, "/mcp", &token).unwrap();
    let refused = c.call("secure__read", json!({}));
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.contains("secure") && e.contains("dockside auth login secure")),
        "{refused:?}"
    );

    // Signed in from the CLI (the browser step automated): the daemon restarts the server.
    let mark = gw.events.mark();
    let login = home
        .dockside()
        .env("DOCKSIDE_SECRET_STORE", "file")
        .env("BROWSER", browser())
        .args(["auth", "login", "secure", "--timeout", "60"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&login.stderr).into_owned();
    assert!(login.status.success(), "{said}");
    assert!(
        said.contains("secure: restarted in the running daemon"),
        "{said}"
    );
    gw.events.wait(mark, "server-started", "secure");
    wait_server(&gw, &home, "secure", "running", Duration::from_secs(60));
    let mut c = RawHttp::connect(&gw.addr, "/mcp/secure", &token).unwrap();
    assert_eq!(c.call("read", json!({})), Ok("read ok".into()));

    // The token went to the authorization server's token endpoint with the resource named…
    let rt = tokio::runtime::Runtime::new().unwrap();
    let requests = rt.block_on(auth.requests("token"));
    assert!(!requests.is_empty());
    for r in &requests {
        assert_eq!(r["resource"], auth.resource.as_str(), "{r}");
    }
    // …and lives in the secret store only.
    let tokens = stored_tokens(home.path());
    assert!(
        tokens.len() >= 2,
        "the secret store holds the access and refresh tokens: {}",
        tokens.len()
    );
    let output = gw.stderr();
    let events = serde_json::to_string(&gw.events.events()).unwrap();
    let logs = home.dockside().args(["logs", "secure"]).output().unwrap();
    let logs = String::from_utf8_lossy(&logs.stdout).into_owned();
    for t in &tokens {
        assert_eq!(files_holding(home.path(), t), Vec::<PathBuf>::new());
        assert!(
            !output.contains(t.as_str()),
            "the daemon's output holds a token"
        );
        assert!(!events.contains(t.as_str()), "an event holds a token");
        assert!(!logs.contains(t.as_str()), "the logs hold a token");
        assert!(
            !said.contains(t.as_str()),
            "`auth login` printed a token: {t} in {said}"
        );
    }
}

/// The app's and the tray's Sign in: the daemon starts the sign-in, opens the page in the
/// browser (here `$BROWSER`, automated), finishes it when the browser comes back and restarts the
/// server, which then answers.
#[test]
fn the_daemon_signs_in_when_the_app_asks_and_restarts_the_server() {
    let (_auth, home) = secure_server();
    let browser = browser();
    let gw = daemon(&home, &[("BROWSER", browser.to_str().unwrap())]);
    let token = token(&home);
    wait_server(
        &gw,
        &home,
        "secure",
        "needs-sign-in",
        Duration::from_secs(60),
    );

    let mark = gw.events.mark();
    let (status, started) = api(
        &gw.addr,
        &token,
        "POST",
        "/api/servers/secure/sign-in",
        None,
    );
    assert_eq!(status, 200, "{started}");
    assert_eq!(started["browserOpened"], true, "{started}");
    assert!(
        started["url"]
            .as_str()
            .is_some_and(|u| u.contains("code_challenge_method=S256")),
        "{started}"
    );
    gw.events.wait(mark, "server-started", "secure");
    wait_server(&gw, &home, "secure", "running", Duration::from_secs(60));
    let mut c = RawHttp::connect(&gw.addr, "/mcp/secure", &token).unwrap();
    assert_eq!(c.call("read", json!({})), Ok("read ok".into()));

    let (status, body) = api(&gw.addr, &token, "POST", "/api/servers/nope/sign-in", None);
    assert_eq!(status, 404, "{body}");
}
