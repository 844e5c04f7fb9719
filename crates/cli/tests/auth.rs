//! `dockside auth`: the real binary signs in to a real authorization server (`oidc-provider`)
//! protecting a real MCP server, both on loopback (`dockside_oauth::testing::AuthServer`).

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

use dockside_core::secrets::SecretStore;
use dockside_core::Home;
use dockside_oauth::testing::{browser, initialize, AuthServer};
use dockside_oauth::{OAuthConfig, Session};
use support::{snapshot, text, Sandbox};

/// An HTTP server on loopback that answers 404 to everything (a server without OAuth metadata).
fn not_found_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(16) {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = std::io::Read::read(&mut stream, &mut buf);
            let _ = std::io::Write::write_all(
                &mut stream,
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    url
}

fn sandbox_for(auth: &AuthServer) -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write(
        "catalogs/mine.yaml",
        &format!(
            "registry:\n  remote:\n    remote:\n      url: {}\n  local:\n    command: [echo]\n  plain:\n    remote:\n      url: {}\n",
            auth.resource,
            not_found_server()
        ),
    );
    sandbox
}

fn dockside(sandbox: &Sandbox, args: &[&str]) -> Command {
    let mut command = sandbox.command(args);
    command
        .env("DOCKSIDE_SECRET_STORE", "file")
        .env("BROWSER", browser())
        .stdin(Stdio::null());
    command
}

fn run(sandbox: &Sandbox, args: &[&str]) -> Output {
    dockside(sandbox, args).output().unwrap()
}

fn ok(output: &Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed:\n{}",
        text(&output.stderr)
    );
    text(&output.stdout) + &text(&output.stderr)
}

fn failed(output: &Output, what: &str) -> String {
    assert!(
        !output.status.success(),
        "{what} should fail:\n{}",
        text(&output.stdout)
    );
    text(&output.stderr)
}

#[tokio::test]
async fn login_ls_logout_keep_tokens_in_the_secret_store_only() {
    let auth = AuthServer::start();
    let sandbox = sandbox_for(&auth);
    let mut printed = String::new();

    printed += &ok(&run(&sandbox, &["auth", "login", "remote"]), "auth login");
    assert!(
        printed.contains("signed in to remote: signed in at"),
        "{printed}"
    );

    let ls = run(&sandbox, &["auth", "ls", "--json"]);
    printed += &ok(&ls, "auth ls");
    let list: serde_json::Value = serde_json::from_slice(&ls.stdout).unwrap();
    let servers: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["server"].clone())
        .collect();
    assert_eq!(servers, ["remote", "plain"], "only remote servers: {list}");
    assert_eq!(list[0]["signed_in"], true);
    assert_eq!(list[0]["issuer"], auth.issuer.as_str());
    assert!(list[0]["expires_at"].as_u64().is_some());
    assert_eq!(list[1]["signed_in"], false);
    printed += &ok(&run(&sandbox, &["auth", "ls"]), "auth ls");

    // The token works at the MCP server.
    let home = Home::new(sandbox.path());
    let record: serde_json::Value = serde_json::from_str(
        &SecretStore::file(&home)
            .get("oauth.remote.token")
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    let access = record["token_response"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let refresh = record["token_response"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (code, _, body) = auth
        .mcp(Some(&format!("Bearer {access}")), initialize())
        .await;
    assert_eq!(code, 200, "{body}");

    let out = run(&sandbox, &["auth", "logout", "remote"]);
    printed += &ok(&out, "auth logout");
    assert!(
        text(&out.stderr).contains("revoked at the authorization server"),
        "{}",
        text(&out.stderr)
    );
    let ls: serde_json::Value =
        serde_json::from_slice(&run(&sandbox, &["auth", "ls", "--json"]).stdout).unwrap();
    assert_eq!(ls[0]["signed_in"], false);

    // No token in any file but the secret store, nor in anything printed.
    for token in [&access, &refresh] {
        assert!(!printed.contains(token.as_str()), "a token was printed");
        for (path, bytes) in snapshot(sandbox.path()) {
            if path.file_name().unwrap() != "secrets.json" {
                assert!(
                    !String::from_utf8_lossy(&bytes).contains(token.as_str()),
                    "{} holds a token",
                    path.display()
                );
            }
        }
    }
    let token_requests: Vec<_> = auth.requests("token").await;
    assert!(!token_requests.is_empty());
    for request in token_requests {
        assert_eq!(request["resource"], auth.resource.as_str(), "{request}");
    }
}

#[tokio::test]
async fn a_client_registered_by_hand_signs_in_and_refreshes_with_its_secret() {
    const SECRET: &str = "dockside-test-client-secret";
    let auth = AuthServer::start();
    let sandbox = sandbox_for(&auth);
    let mut login = dockside(
        &sandbox,
        &[
            "auth",
            "login",
            "remote",
            "--client-id",
            "dockside-test",
            "--client-secret-stdin",
        ],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    std::io::Write::write_all(&mut login.stdin.take().unwrap(), SECRET.as_bytes()).unwrap();
    let printed = ok(&login.wait_with_output().unwrap(), "auth login --client-id");
    assert!(!printed.contains(SECRET));
    assert!(
        auth.requests("registration").await.is_empty(),
        "no dynamic registration"
    );

    // The gateway's session refreshes with the same client and its stored secret.
    std::env::set_var("DOCKSIDE_SECRET_STORE", "file");
    let home = Home::new(sandbox.path());
    let session = Session::new(
        home.clone(),
        "remote",
        &auth.resource,
        OAuthConfig::default(),
    )
    .unwrap();
    let mut record: serde_json::Value = serde_json::from_str(
        &SecretStore::file(&home)
            .get("oauth.remote.token")
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(record["client_id"], "dockside-test");
    record["token_received_at"] = 0.into();
    SecretStore::file(&home)
        .set("oauth.remote.token", &record.to_string())
        .unwrap();
    let header = session.authorization().await.unwrap().unwrap();
    let (code, _, body) = auth.mcp(Some(&header), initialize()).await;
    assert_eq!(code, 200, "{body}");
    let grants: Vec<_> = auth
        .requests("token")
        .await
        .iter()
        .map(|r| r["grant_type"].clone())
        .collect();
    assert_eq!(grants, ["authorization_code", "refresh_token"]);

    // The same client named by a catalog entry's `oauth` block, its secret by name.
    sandbox.write(
        "catalogs/preset.yaml",
        &format!(
            "registry:\n  preset:\n    remote:\n      url: {}\n    oauth:\n      client_id: dockside-test\n      client_secret: preset.client_secret\n",
            auth.resource
        ),
    );
    SecretStore::file(&home)
        .set("preset.client_secret", SECRET)
        .unwrap();
    ok(
        &run(&sandbox, &["auth", "login", "preset"]),
        "auth login preset",
    );
    let preset: serde_json::Value = serde_json::from_str(
        &SecretStore::file(&home)
            .get("oauth.preset.token")
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(preset["client_id"], "dockside-test");
    assert!(
        auth.requests("registration").await.is_empty(),
        "no dynamic registration"
    );

    for (path, bytes) in snapshot(sandbox.path()) {
        if path.file_name().unwrap() != "secrets.json" {
            assert!(
                !String::from_utf8_lossy(&bytes).contains(SECRET),
                "{}",
                path.display()
            );
        }
    }
}

#[tokio::test]
async fn no_browser_prints_the_address_to_open() {
    let auth = AuthServer::start();
    let sandbox = sandbox_for(&auth);
    let mut child = dockside(
        &sandbox,
        &[
            "auth",
            "login",
            "remote",
            "--no-browser",
            "--scope",
            "mcp:read",
        ],
    )
    .env_remove("BROWSER")
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(
        line.starts_with(&format!("{}/auth?", auth.issuer)),
        "{line}"
    );
    assert!(
        line.contains("code_challenge_method=S256") && line.contains("resource="),
        "{line}"
    );
    let browsed = Command::new(browser()).arg(line.trim()).status().unwrap();
    assert!(browsed.success());
    let output = child.wait_with_output().unwrap();
    ok(&output, "auth login --no-browser");
    let authorizations = auth.requests("authorization").await;
    assert_eq!(authorizations.len(), 1);
    assert!(authorizations[0]["scope"]
        .as_str()
        .unwrap()
        .contains("mcp:read"));
}

#[tokio::test]
async fn errors_say_what_and_where() {
    let auth = AuthServer::start();
    let sandbox = sandbox_for(&auth);
    let err = failed(&run(&sandbox, &["auth", "login", "nope"]), "unknown server");
    assert!(err.contains("nope is not in any catalog"), "{err}");
    let err = failed(&run(&sandbox, &["auth", "login", "local"]), "local server");
    assert!(err.contains("local is not a remote server"), "{err}");
    let err = failed(&run(&sandbox, &["auth", "login", "plain"]), "no metadata");
    assert!(err.contains("could not find how to sign in"), "{err}");
    assert!(err.contains("/mcp → 404 Not Found"), "{err}");
    assert!(
        err.contains("/.well-known/oauth-protected-resource/mcp → 404 Not Found"),
        "{err}"
    );
    let err = failed(
        &run(
            &sandbox,
            &["auth", "login", "remote", "--no-browser", "--timeout", "1"],
        ),
        "timeout",
    );
    assert!(
        err.contains("no answer from the browser within 1 s"),
        "{err}"
    );
    // An unreadable record is named, and `logout` clears it.
    SecretStore::file(&Home::new(sandbox.path()))
        .set("oauth.remote.token", "not json")
        .unwrap();
    let err = failed(&run(&sandbox, &["auth", "ls"]), "corrupt record");
    assert!(err.contains("oauth.remote.token is unreadable"), "{err}");
    ok(
        &run(&sandbox, &["auth", "logout", "remote"]),
        "logout of a corrupt record",
    );
    ok(&run(&sandbox, &["auth", "ls"]), "ls after logout");
    auth.deny_next().await;
    let err = failed(&run(&sandbox, &["auth", "login", "remote"]), "denied");
    assert!(
        err.contains("refused at the authorization server: access_denied"),
        "{err}"
    );
}
