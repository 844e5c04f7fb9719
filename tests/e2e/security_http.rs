//! The daemon's listener: loopback only unless told otherwise, and every route (MCP, control
//! API, events, metrics) behind the bearer token and the Origin/Host checks.
//!
//! Already covered elsewhere (not repeated): `/mcp` without or with a wrong token → 401, foreign
//! Origin or Host → 403 (`gateway_http.rs`); the token file is 0600 and `/api/status` with a
//! wrong token is 401 (`gateway_daemon.rs`).

#[path = "gateway_support.rs"]
mod gateway_support;

#[path = "reliability_support.rs"]
mod reliability;

use std::process::Stdio;
use std::time::Duration;

use gateway_support::*;
use reliability::*;

#[test]
fn a_non_loopback_address_is_refused_unless_allow_remote() {
    let home = TestHome::new();
    home.write_catalog("e2e", &[("demo", demo_command("demo"))]);
    for args in [
        &["daemon", "--host", "0.0.0.0", "--port", "0"][..],
        &[
            "gateway",
            "run",
            "--transport",
            "streaming",
            "--host",
            "0.0.0.0",
            "--port",
            "0",
        ][..],
    ] {
        let out = home
            .dockside()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("refusing to listen on 0.0.0.0") && stderr.contains("--allow-remote"),
            "{args:?}: {stderr}"
        );
        assert!(!home.path().join("daemon.json").exists());
    }
    // Told explicitly: it listens, still behind the token (reached here over loopback only).
    let mut cmd = home.dockside();
    cmd.args(["daemon", "--host", "0.0.0.0", "--allow-remote"]);
    let gw = HttpGateway::start(cmd);
    let port = gw.addr.rsplit(':').next().unwrap();
    let local = format!("127.0.0.1:{port}");
    let (status, _) = post_initialize(&local, "/mcp", "");
    assert_eq!(status, 401);
    let (status, text) = post_initialize(
        &local,
        "/mcp",
        &format!("Authorization: Bearer {}\r\n", token(&home)),
    );
    assert_eq!(status, 200, "{text}");
}

#[test]
fn every_route_needs_the_token_and_a_local_origin_and_host() {
    let home = TestHome::new();
    home.write_catalog("e2e", &[("demo", demo_command("demo"))]);
    write_managed_state(&home, &["demo"]);
    let gw = daemon(&home, &[]);
    wait_server(&gw, &home, "demo", "running", Duration::from_secs(60));
    let token = token(&home);
    let routes = [
        ("GET", "/api/status"),
        ("GET", "/api/servers"),
        ("GET", "/api/events"),
        ("GET", "/api/logs"),
        ("GET", "/api/latency"),
        ("GET", "/api/metrics"),
        ("GET", "/metrics"),
        ("POST", "/api/reload"),
        ("POST", "/api/servers/demo/restart"),
        ("PUT", "/api/servers/demo/mode"),
        ("POST", "/api/shutdown"),
        ("POST", "/mcp"),
        ("GET", "/mcp"),
        ("DELETE", "/mcp"),
        ("POST", "/mcp/demo"),
    ];
    let body = r#"{"mode":"off"}"#;
    let request = |method: &str, path: &str, host: &str, extra: &str| {
        http_raw(
            &gw.addr,
            &format!(
                "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        )
        .0
    };
    let auth = format!("Authorization: Bearer {token}\r\n");
    for (method, path) in routes {
        let local = gw.addr.as_str();
        assert_eq!(
            request(method, path, local, ""),
            401,
            "{method} {path} without a token"
        );
        assert_eq!(
            request(method, path, local, "Authorization: Bearer nope\r\n"),
            401,
            "{method} {path} with a wrong token"
        );
        assert_eq!(
            request(
                method,
                path,
                local,
                &format!("Authorization: Basic {token}\r\n")
            ),
            401,
            "{method} {path} with the token in another scheme"
        );
        assert_eq!(
            request(
                method,
                path,
                local,
                &format!("{auth}Origin: http://evil.example\r\n")
            ),
            403,
            "{method} {path} from a foreign Origin"
        );
        assert_eq!(
            request(method, path, "evil.example", &auth),
            403,
            "{method} {path} with a foreign Host"
        );
    }
    // Nothing above reached a handler: the server is untouched, the daemon still runs.
    let demo = status_of(&gw, &home, "demo");
    assert_eq!(demo["state"], "running", "{demo}");
    assert_eq!(demo["restarts"], 0, "{demo}");
    assert!(std::fs::read_to_string(home.path().join("state.yaml"))
        .unwrap()
        .contains("managed"));
}

/// A standard MCP client given only the URL learns how to authenticate: the 401 names the
/// protected-resource metadata, and the TypeScript SDK's own OAuth flow (registration, consent
/// in the browser, PKCE) ends with a token that opens the MCP endpoints and nothing else.
#[test]
fn a_standard_client_signs_in_through_the_gateways_metadata_and_consent_page() {
    let home = TestHome::new();
    home.write_catalog("e2e", &[("demo", demo_command("demo"))]);
    write_managed_state(&home, &["demo"]);
    let gw = daemon(&home, &[]);
    wait_server(&gw, &home, "demo", "running", Duration::from_secs(60));
    let addr = gw.addr.as_str();

    let (status, text) = http_raw(
        addr,
        &format!("GET /mcp/demo HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    );
    assert_eq!(status, 401);
    let expected = format!(
        "www-authenticate: Bearer resource_metadata=\"http://{addr}/.well-known/oauth-protected-resource/mcp/demo\""
    );
    assert!(
        text.to_ascii_lowercase()
            .contains(&expected.to_ascii_lowercase()),
        "{text}"
    );
    let (status, prm) = api(
        addr,
        "",
        "GET",
        "/.well-known/oauth-protected-resource/mcp/demo",
        None,
    );
    assert_eq!(status, 200, "{prm}");
    assert_eq!(prm["resource"], format!("http://{addr}/mcp/demo"));
    assert_eq!(prm["authorization_servers"][0], format!("http://{addr}"));
    let (status, meta) = api(
        addr,
        "",
        "GET",
        "/.well-known/oauth-authorization-server",
        None,
    );
    assert_eq!(status, 200, "{meta}");
    assert_eq!(
        meta["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );

    let sign_in = |decision: &str| -> serde_json::Value {
        let out = dockside_e2e::node_script("gateway_sign_in.mjs")
            .args([format!("http://{addr}/mcp"), decision.to_owned()])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        serde_json::from_str(stdout.trim())
            .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr)))
    };
    let allowed = sign_in("allow");
    assert_eq!(allowed["unauthorizedFirst"], true, "{allowed}");
    assert_eq!(allowed["consent"]["status"], 200, "{allowed}");
    assert_eq!(
        allowed["consent"]["title"],
        "Allow <em>Dockside e2e &lt;client&gt; ünïcode</em> to use your MCP servers?",
        "the client's name, escaped: {allowed}"
    );
    assert_eq!(allowed["consent"]["frameOptions"], "DENY");
    assert_eq!(allowed["redirect"]["to"], "http://127.0.0.1:8976/callback");
    assert_eq!(
        allowed["redirect"]["params"]["iss"],
        format!("http://{addr}")
    );
    let tools = allowed["tools"].to_string();
    assert!(tools.contains("demo__echo"), "{allowed}");

    // The issued token opens the MCP endpoints, not the control API.
    let issued = allowed["accessToken"].as_str().unwrap();
    assert_ne!(issued, token(&home));
    let (status, _) = post_initialize(
        addr,
        "/mcp/demo",
        &format!("Authorization: Bearer {issued}\r\n"),
    );
    assert_eq!(status, 200);
    let (status, _) = api(addr, issued, "GET", "/api/status", None);
    assert_eq!(status, 401);
    // The same token with its last hex digit changed (never to itself).
    let last = if issued.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &issued[..issued.len() - 1]);
    assert_ne!(forged, issued);
    let (status, _) = post_initialize(
        addr,
        "/mcp/demo",
        &format!("Authorization: Bearer {forged}\r\n"),
    );
    assert_eq!(status, 401);

    // Denied: the client hears access_denied with its state, and gets nothing.
    let denied = sign_in("deny");
    assert_eq!(
        denied["redirect"]["params"]["error"], "access_denied",
        "{denied}"
    );
    assert!(
        denied["redirect"]["params"]["state"].is_string(),
        "{denied}"
    );
    assert!(denied.get("accessToken").is_none());
}

/// Sign-in requests that cannot be honoured say why, and a code is good once, for the PKCE
/// verifier it was issued against.
#[test]
fn the_gateways_sign_in_refuses_what_it_cannot_honour() {
    let home = TestHome::new();
    home.write_catalog("e2e", &[("demo", demo_command("demo"))]);
    let gw = daemon(&home, &[]);
    let addr = gw.addr.as_str();
    let form = |path: &str, body: &str| {
        http_raw(
            addr,
            &format!(
                "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        )
    };
    let get = |path: &str| {
        http_raw(
            addr,
            &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
        )
    };
    let (status, reg) = api(
        addr,
        "",
        "POST",
        "/oauth/register",
        Some(&serde_json::json!({"redirect_uris": ["http://evil.example/cb"]})),
    );
    assert_eq!(status, 400, "{reg}");
    assert_eq!(reg["error"], "invalid_redirect_uri");
    let (status, reg) = api(
        addr,
        "",
        "POST",
        "/oauth/register",
        Some(&serde_json::json!({"redirect_uris": ["http://127.0.0.1/cb"], "client_name": "t"})),
    );
    assert_eq!(status, 201, "{reg}");
    let client = reg["client_id"].as_str().unwrap().to_owned();

    let (status, page) = get("/oauth/authorize?client_id=nope&redirect_uri=http://127.0.0.1/cb");
    assert_eq!(status, 400);
    assert!(page.contains("not registered with this gateway"), "{page}");
    // No PKCE: back to the client with invalid_request.
    let (status, text) = get(&format!(
        "/oauth/authorize?response_type=code&client_id={client}&redirect_uri=http://127.0.0.1:4000/cb&state=s1"
    ));
    assert_eq!(status, 303, "{text}");
    assert!(
        text.contains("error=invalid_request") && text.contains("state=s1"),
        "{text}"
    );

    // "n2JI…" is the S256 challenge of the verifier used below (base64url of its SHA-256).
    let (status, page) = get(&format!(
        "/oauth/authorize?response_type=code&client_id={client}&redirect_uri=http://127.0.0.1:4000/cb&state=s2&code_challenge=n2JI7aQoNtGarmkrhcKZ-qTF75S3fCEDwRBmLFXJJWc&code_challenge_method=S256"
    ));
    assert_eq!(status, 200, "{page}");
    let nonce = page
        .split("name=\"nonce\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let (status, text) = form("/oauth/authorize", &format!("nonce={nonce}&decision=allow"));
    assert_eq!(status, 303, "{text}");
    let code = text
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let (status, again) = form("/oauth/authorize", &format!("nonce={nonce}&decision=allow"));
    assert_eq!(status, 400, "a consent is used once: {again}");

    let exchange = |verifier: &str| {
        form(
            "/oauth/token",
            &format!("grant_type=authorization_code&code={code}&client_id={client}&redirect_uri=http%3A%2F%2F127.0.0.1%3A4000%2Fcb&code_verifier={verifier}"),
        )
    };
    let (status, text) = exchange("wrong-verifier");
    assert_eq!(status, 400);
    assert!(
        text.contains("invalid_grant") && text.contains("code_verifier"),
        "{text}"
    );
    let (status, text) = exchange("dBjftJeZ4CVP-mJ0kzYoMj8Ywd0Fzpef0oHKs2CaweY");
    assert_eq!(
        status, 400,
        "a code is used once, even by a failed attempt: {text}"
    );
    let (status, text) = form("/oauth/token", "grant_type=refresh_token&refresh_token=x");
    assert_eq!(status, 400);
    assert!(text.contains("unsupported_grant_type"), "{text}");
}
