//! Sign-in against a real authorization server (`oidc-provider`) protecting a real MCP server
//! (the TypeScript SDK), both on loopback: `dockside_oauth::testing::AuthServer`.

use std::time::Duration;

use dockside_core::secrets::SecretStore;
use dockside_core::Home;
use dockside_oauth::flow::{self, LoginOptions};
use dockside_oauth::testing::{browser, initialize, tool_call, AuthServer};
use dockside_oauth::{tokens, AuthError, Challenge, OAuthConfig, Revocation, Session, Target};
use serde_json::Value;

const SERVER: &str = "remote";
const WAIT: Duration = Duration::from_secs(60);

/// The file secret store and the curl browser (set once for this test process: every server's
/// browser is the same script), and a home.
fn setup(auth: &AuthServer) -> (tempfile::TempDir, Home, Target) {
    static ENV: std::sync::Once = std::sync::Once::new();
    ENV.call_once(|| {
        std::env::set_var("DOCKSIDE_SECRET_STORE", "file");
        std::env::set_var("BROWSER", browser());
    });
    let dir = tempfile::tempdir().unwrap();
    let home = Home::new(dir.path());
    let target = Target::new(SERVER, &auth.resource, OAuthConfig::default()).unwrap();
    (dir, home, target)
}

async fn sign_in(home: &Home, target: &Target, scopes: &[&str]) -> tokens::Status {
    let options = LoginOptions {
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        ..LoginOptions::default()
    };
    flow::login_in_browser(home, target, options, WAIT)
        .await
        .expect("sign-in completes")
}

fn stored(home: &Home) -> Value {
    let text = SecretStore::file(home)
        .get("oauth.remote.token")
        .unwrap()
        .expect("tokens stored");
    serde_json::from_str(&text).unwrap()
}

/// Makes the stored access token look expired (its record says it was received long ago).
fn age_stored_token(home: &Home) {
    let mut record = stored(home);
    let lifetime = record["token_response"]["expires_in"].as_u64().unwrap();
    let received = record["token_received_at"].as_u64().unwrap();
    record["token_received_at"] = (received - lifetime - 1).into();
    SecretStore::file(home)
        .set("oauth.remote.token", &record.to_string())
        .unwrap();
}

fn bearer(value: &Option<String>) -> &str {
    value.as_deref().expect("a bearer header")
}

#[tokio::test]
async fn sign_in_then_an_expired_token_is_refreshed_unnoticed_with_resource_on_every_token_request()
{
    let auth = AuthServer::start();
    let (_dir, home, target) = setup(&auth);
    let status = sign_in(&home, &target, &[]).await;
    assert!(status.signed_in && status.refreshable, "{status:?}");
    assert_eq!(status.issuer.as_deref(), Some(auth.issuer.as_str()));
    assert!(status.scopes.iter().any(|s| s == "mcp:read"), "{status:?}");

    let registrations = auth.requests("registration").await;
    assert_eq!(registrations.len(), 1);
    assert_eq!(registrations[0]["application_type"], "native");

    let session =
        Session::new(home.clone(), SERVER, &auth.resource, OAuthConfig::default()).unwrap();
    let first = session.authorization().await.unwrap();
    let (code, _, body) = auth.mcp(Some(bearer(&first)), initialize()).await;
    assert_eq!(code, 200, "{body}");

    age_stored_token(&home);
    let second = session.authorization().await.unwrap();
    assert_ne!(first, second, "an expired token is replaced");
    let (code, _, body) = auth.mcp(Some(bearer(&second)), tool_call("read")).await;
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("read ok"), "{body}");

    let token_requests = auth.requests("token").await;
    let grants: Vec<_> = token_requests
        .iter()
        .map(|e| e["grant_type"].clone())
        .collect();
    assert_eq!(grants, ["authorization_code", "refresh_token"]);
    for request in token_requests
        .iter()
        .chain(&auth.requests("authorization").await)
    {
        assert_eq!(request["resource"], auth.resource.as_str(), "{request}");
    }

    // A 401 refreshes once; the refreshed token refused again needs a sign-in.
    assert_eq!(session.challenge(401, None).await, Challenge::Retry);
    match session.challenge(401, None).await {
        Challenge::NeedsSignIn { message } => {
            assert!(message.contains("dockside auth login remote"), "{message}")
        }
        other => panic!("expected NeedsSignIn, got {other:?}"),
    }
    assert_eq!(auth.requests("token").await.len(), 3);
}

#[tokio::test]
async fn a_refresh_token_revoked_at_the_authorization_server_needs_a_sign_in() {
    let auth = AuthServer::start();
    let (_dir, home, target) = setup(&auth);
    sign_in(&home, &target, &[]).await;
    let record = stored(&home);
    let refresh = record["token_response"]["refresh_token"].as_str().unwrap();
    let revoked = reqwest::Client::new()
        .post(format!("{}/token/revocation", auth.issuer))
        .form(&[
            ("token", refresh),
            ("client_id", record["client_id"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success());

    age_stored_token(&home);
    let session =
        Session::new(home.clone(), SERVER, &auth.resource, OAuthConfig::default()).unwrap();
    match session.authorization().await {
        Err(AuthError::NeedsSignIn(message)) => {
            assert!(
                message.contains("`dockside auth login remote`"),
                "{message}"
            );
            assert!(message.contains("Sign in"), "{message}");
        }
        other => panic!("expected NeedsSignIn, got {other:?}"),
    }
    assert!(!tokens::status(&home, SERVER).await.unwrap().signed_in);
    assert!(matches!(
        session.challenge(401, None).await,
        Challenge::NeedsSignIn { .. }
    ));
}

#[tokio::test]
async fn insufficient_scope_steps_up_once() {
    let auth = AuthServer::start();
    let (_dir, home, target) = setup(&auth);
    sign_in(&home, &target, &["mcp:read"]).await;
    let session = Session::new(home.clone(), SERVER, &auth.resource, OAuthConfig::default())
        .unwrap()
        .with_step_up(WAIT);

    let header = session.authorization().await.unwrap();
    let (code, challenge, _) = auth.mcp(Some(bearer(&header)), tool_call("write")).await;
    assert_eq!(code, 403);
    assert_eq!(session.challenge(403, challenge).await, Challenge::Retry);
    assert_eq!(auth.requests("authorization").await.len(), 2, "one step-up");
    let scopes = auth.requests("authorization").await[1]["scope"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        scopes.contains("mcp:read") && scopes.contains("mcp:write"),
        "{scopes}"
    );
    let header = session.authorization().await.unwrap();
    let (code, _, body) = auth.mcp(Some(bearer(&header)), tool_call("write")).await;
    assert_eq!(code, 200, "{body}");

    // A scope the authorization server never grants: one step-up, then the call fails.
    let (code, challenge, _) = auth.mcp(Some(bearer(&header)), tool_call("admin")).await;
    assert_eq!(code, 403);
    assert_eq!(session.challenge(403, challenge).await, Challenge::Retry);
    let header = session.authorization().await.unwrap();
    let (code, challenge, _) = auth.mcp(Some(bearer(&header)), tool_call("admin")).await;
    assert_eq!(code, 403);
    match session.challenge(403, challenge).await {
        Challenge::Fail(why) => assert!(why.contains("mcp:admin"), "{why}"),
        other => panic!("expected Fail, got {other:?}"),
    }
    assert_eq!(
        auth.requests("authorization").await.len(),
        3,
        "one step-up per scope set"
    );
}

#[tokio::test]
async fn without_a_browser_a_403_says_which_sign_in_helps() {
    let auth = AuthServer::start();
    let (_dir, home, target) = setup(&auth);
    sign_in(&home, &target, &["mcp:read"]).await;
    let session =
        Session::new(home.clone(), SERVER, &auth.resource, OAuthConfig::default()).unwrap();
    let header = session.authorization().await.unwrap();
    let (_, challenge, _) = auth.mcp(Some(bearer(&header)), tool_call("write")).await;
    match session.challenge(403, challenge).await {
        Challenge::NeedsSignIn { message } => {
            assert!(message.contains("dockside auth login remote"), "{message}");
            assert!(message.contains("--scope mcp:write"), "{message}");
        }
        other => panic!("expected NeedsSignIn, got {other:?}"),
    }
    assert_eq!(auth.requests("authorization").await.len(), 1);
}

#[tokio::test]
async fn sign_out_revokes_at_the_authorization_server_and_forgets() {
    let auth = AuthServer::start();
    let (_dir, home, target) = setup(&auth);
    sign_in(&home, &target, &[]).await;
    let record = stored(&home);
    let out = tokens::logout(&home, &target).await.unwrap();
    assert!(out.forgotten);
    assert_eq!(out.revocation, Revocation::Revoked);
    assert!(!tokens::status(&home, SERVER).await.unwrap().signed_in);
    let refused = reqwest::Client::new()
        .post(format!("{}/token", auth.issuer))
        .form(&[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                record["token_response"]["refresh_token"].as_str().unwrap(),
            ),
            ("client_id", record["client_id"].as_str().unwrap()),
            ("resource", auth.resource.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant", "{body}");
}

#[tokio::test]
async fn a_refused_sign_in_says_so() {
    let auth = AuthServer::start();
    let (_dir, home, target) = setup(&auth);
    auth.deny_next().await;
    let err = flow::login_in_browser(&home, &target, LoginOptions::default(), WAIT)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AuthError::Denied { error, .. } if error == "access_denied"),
        "{err}"
    );
    assert!(!tokens::status(&home, SERVER).await.unwrap().signed_in);
}
