//! Sign-in for standard MCP clients that are given only the gateway's URL (MCP authorization,
//! 2025-06-18 and later): the gateway is a protected resource with its own small authorization
//! server, all on the listener it already has.
//!
//! - A request to `/mcp…` without a valid token gets `401` with
//!   `WWW-Authenticate: Bearer resource_metadata="…"` ([`challenge`]).
//! - `/.well-known/oauth-protected-resource[/mcp[/NAME]]` (RFC 9728) names the gateway itself as
//!   the authorization server; `/.well-known/oauth-authorization-server` (RFC 8414) describes it.
//! - `POST /oauth/register` (dynamic client registration, RFC 7591), `GET /oauth/authorize` (a
//!   consent page: the user allows or denies that client in the browser), `POST /oauth/token`
//!   (authorization code with PKCE S256 only).
//!
//! The access token it issues is bound to the client id by an HMAC keyed with the daemon's own
//! token: it survives a daemon restart (the token file stays), needs no storage, opens the MCP
//! endpoints only (never the control API), and dies when the daemon's token changes. Pending
//! consents and codes live in memory, bounded, for minutes.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

/// Registered clients, pending consents and codes kept at most (the oldest go first).
const MAX_ENTRIES: usize = 256;
/// How long a consent page and an authorization code stay valid.
const TTL: Duration = Duration::from_secs(600);
const TOKEN_PREFIX: &str = "dsk_mcp_";
const PRM_PATH: &str = "/.well-known/oauth-protected-resource";

/// The sign-in state of one listener.
#[derive(Clone)]
pub struct SignIn {
    inner: Arc<Inner>,
}

struct Inner {
    /// The daemon's token: the HMAC key of issued tokens.
    key: Arc<String>,
    clients: Mutex<IndexMap<String, Client>>,
    pending: Mutex<IndexMap<String, Pending>>,
    codes: Mutex<IndexMap<String, Grant>>,
}

#[derive(Clone)]
struct Client {
    name: String,
    redirect_uris: Vec<String>,
}

struct Pending {
    client_id: String,
    redirect_uri: String,
    state: Option<String>,
    challenge: String,
    issuer: String,
    at: Instant,
}

struct Grant {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    at: Instant,
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    getrandom::fill(&mut b).expect("the OS random source");
    hex::encode(b)
}

fn insert_bounded<V>(map: &Mutex<IndexMap<String, V>>, key: String, value: V) {
    let mut map = map.lock().unwrap();
    if map.len() >= MAX_ENTRIES {
        map.shift_remove_index(0);
    }
    map.insert(key, value);
}

impl SignIn {
    pub fn new(key: Arc<String>) -> SignIn {
        SignIn {
            inner: Arc::new(Inner {
                key,
                clients: Mutex::default(),
                pending: Mutex::default(),
                codes: Mutex::default(),
            }),
        }
    }

    fn mac(&self, client_id: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.inner.key.as_bytes())
            .expect("HMAC takes any key length");
        mac.update(b"dockside-mcp-access:");
        mac.update(client_id.as_bytes());
        mac
    }

    fn issue(&self, client_id: &str) -> String {
        let tag = hex::encode(self.mac(client_id).finalize().into_bytes());
        format!("{TOKEN_PREFIX}{client_id}_{tag}")
    }

    /// Whether `token` is an access token this gateway issued (for the MCP endpoints).
    pub fn accepts(&self, token: &str) -> bool {
        let Some((client_id, tag)) = token
            .strip_prefix(TOKEN_PREFIX)
            .and_then(|rest| rest.split_once('_'))
        else {
            return false;
        };
        match hex::decode(tag) {
            Ok(tag) => self.mac(client_id).verify_slice(&tag).is_ok(),
            Err(_) => false,
        }
    }

    /// The routes that must answer without a token.
    pub fn router(&self) -> Router {
        Router::new()
            .route(PRM_PATH, get(protected_resource))
            .route(&format!("{PRM_PATH}/{{*path}}"), get(protected_resource_at))
            .route(
                "/.well-known/oauth-authorization-server",
                get(authorization_server),
            )
            .route("/oauth/register", post(register))
            .route("/oauth/authorize", get(consent_page).post(decide))
            .route("/oauth/token", post(token))
            .with_state(self.clone())
    }
}

/// `http://HOST` as the client addressed this listener (`local_only` has checked the host).
fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// Whether `path` is an MCP endpoint (the only routes issued tokens open).
pub fn is_mcp_path(path: &str) -> bool {
    path == "/mcp" || path.starts_with("/mcp/")
}

/// The `WWW-Authenticate` value of a 401 on `req`: where its protected-resource metadata is.
pub fn challenge(req: &Request) -> HeaderValue {
    let path = req.uri().path();
    let metadata = if is_mcp_path(path) {
        format!("{}{PRM_PATH}{path}", origin(req.headers()))
    } else {
        format!("{}{PRM_PATH}", origin(req.headers()))
    };
    HeaderValue::from_str(&format!("Bearer resource_metadata=\"{metadata}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
}

fn resource_metadata(headers: &HeaderMap, path: &str) -> Response {
    let origin = origin(headers);
    Json(json!({
        "resource": format!("{origin}{path}"),
        "authorization_servers": [origin],
        "bearer_methods_supported": ["header"],
        "resource_name": "Dockside MCP gateway",
    }))
    .into_response()
}

async fn protected_resource(headers: HeaderMap) -> Response {
    resource_metadata(&headers, "/mcp")
}

async fn protected_resource_at(headers: HeaderMap, Path(path): Path<String>) -> Response {
    let path = format!("/{path}");
    if !is_mcp_path(&path) {
        return (StatusCode::NOT_FOUND, "no protected resource there").into_response();
    }
    resource_metadata(&headers, &path)
}

async fn authorization_server(headers: HeaderMap) -> Response {
    let issuer = origin(&headers);
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth/authorize"),
        "token_endpoint": format!("{issuer}/oauth/token"),
        "registration_endpoint": format!("{issuer}/oauth/register"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "authorization_response_iss_parameter_supported": true,
    }))
    .into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// A redirect URI a desktop client may register: `http` only to this machine; `https`; or an
/// app's own scheme (`cursor://…`, `com.example.app:/…`), never a scheme that runs or reads.
fn acceptable_redirect(uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else {
        return false;
    };
    match url.scheme() {
        "http" => matches!(
            url.host_str(),
            Some("127.0.0.1" | "localhost" | "[::1]" | "::1")
        ),
        "javascript" | "data" | "file" | "vbscript" | "blob" | "about" => false,
        _ => url.fragment().is_none(),
    }
}

#[derive(Deserialize)]
struct Registration {
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    client_name: Option<String>,
}

async fn register(State(s): State<SignIn>, body: axum::body::Bytes) -> Response {
    let reg: Registration = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_client_metadata",
                &format!("expected a JSON client registration: {e}"),
            )
        }
    };
    if reg.redirect_uris.is_empty() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_redirect_uri",
            "redirect_uris is required",
        );
    }
    if let Some(bad) = reg.redirect_uris.iter().find(|u| !acceptable_redirect(u)) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_redirect_uri",
            &format!("`{bad}` is not a loopback http, https or app-scheme URI"),
        );
    }
    let client_id = random_hex(16);
    let name = reg
        .client_name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "An MCP client".into());
    let answer = json!({
        "client_id": client_id,
        "client_id_issued_at": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        "client_name": name,
        "redirect_uris": reg.redirect_uris,
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    });
    insert_bounded(
        &s.inner.clients,
        client_id,
        Client {
            name,
            redirect_uris: reg.redirect_uris,
        },
    );
    (StatusCode::CREATED, Json(answer)).into_response()
}

/// RFC 8252 §7.3: a loopback redirect may use any port.
fn redirect_matches(registered: &str, given: &str) -> bool {
    if registered == given {
        return true;
    }
    match (url::Url::parse(registered), url::Url::parse(given)) {
        (Ok(mut r), Ok(mut g)) if r.scheme() == "http" && acceptable_redirect(given) => {
            let _ = r.set_port(None);
            let _ = g.set_port(None);
            r == g
        }
        _ => false,
    }
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <meta name=\"viewport\" content=\"width=device-width\"><style>\
         body{{font:15px system-ui,sans-serif;max-width:32rem;margin:12vh auto;padding:0 1rem;color:#1f2937}}\
         h1{{font-size:1.3rem}}button{{font:inherit;padding:.5rem 1.2rem;margin-right:.6rem;border-radius:6px;border:1px solid #d1d5db;background:#fff;cursor:pointer}}\
         button.allow{{background:#2563eb;color:#fff;border-color:#2563eb}}code{{background:#f3f4f6;padding:0 .25rem;border-radius:4px}}\
         </style></head><body>{body}</body></html>"
    );
    let mut r = (status, Html(html)).into_response();
    let h = r.headers_mut();
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// `redirect_uri` with `params` added to its query.
fn redirect_with(redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    let mut url = match url::Url::parse(redirect_uri) {
        Ok(u) => u,
        Err(_) => return (StatusCode::BAD_REQUEST, "bad redirect_uri").into_response(),
    };
    url.query_pairs_mut().extend_pairs(params);
    Redirect::to(url.as_str()).into_response()
}

async fn consent_page(
    State(s): State<SignIn>,
    headers: HeaderMap,
    Query(q): Query<AuthorizeQuery>,
) -> Response {
    let bad = |what: &str| {
        page(
            StatusCode::BAD_REQUEST,
            "Sign-in request refused",
            &format!(
                "<h1>This sign-in request cannot be used</h1><p>{}</p>",
                escape(what)
            ),
        )
    };
    let Some(client_id) = q.client_id else {
        return bad("It names no client (client_id).");
    };
    let Some(client) = s.inner.clients.lock().unwrap().get(&client_id).cloned() else {
        return bad("Its client is not registered with this gateway (it may have restarted): start the sign-in again from your MCP client.");
    };
    let Some(redirect_uri) = q
        .redirect_uri
        .filter(|u| client.redirect_uris.iter().any(|r| redirect_matches(r, u)))
    else {
        return bad("Its redirect_uri is not one its client registered.");
    };
    let state = q.state.as_deref().unwrap_or_default();
    let refuse = |description: &str| {
        redirect_with(
            &redirect_uri,
            &[
                ("error", "invalid_request"),
                ("error_description", description),
                ("state", state),
            ],
        )
    };
    if q.response_type.as_deref() != Some("code") {
        return refuse("response_type must be code");
    }
    let Some(challenge) = q.code_challenge.filter(|c| !c.is_empty()) else {
        return refuse("PKCE is required: send code_challenge with code_challenge_method=S256");
    };
    if q.code_challenge_method.as_deref() != Some("S256") {
        return refuse("code_challenge_method must be S256");
    }
    let nonce = random_hex(16);
    let name = escape(&client.name);
    insert_bounded(
        &s.inner.pending,
        nonce.clone(),
        Pending {
            client_id,
            redirect_uri: redirect_uri.clone(),
            state: q.state,
            challenge,
            issuer: origin(&headers),
            at: Instant::now(),
        },
    );
    page(
        StatusCode::OK,
        "Allow access to Dockside",
        &format!(
            "<h1>Allow <em>{name}</em> to use your MCP servers?</h1>\
             <p>It will see and call every tool, prompt and resource your Dockside gateway \
             offers, as you could yourself. It asked to come back to <code>{}</code>.</p>\
             <form method=\"post\" action=\"/oauth/authorize\">\
             <input type=\"hidden\" name=\"nonce\" value=\"{nonce}\">\
             <button class=\"allow\" name=\"decision\" value=\"allow\">Allow</button>\
             <button name=\"decision\" value=\"deny\">Deny</button></form>",
            escape(&redirect_uri)
        ),
    )
}

#[derive(Deserialize)]
struct Decision {
    nonce: String,
    decision: String,
}

async fn decide(State(s): State<SignIn>, Form(d): Form<Decision>) -> Response {
    let pending = s.inner.pending.lock().unwrap().shift_remove(&d.nonce);
    let Some(p) = pending.filter(|p| p.at.elapsed() < TTL) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Sign-in expired",
            "<h1>This sign-in page has expired or was already used</h1>\
             <p>Start the sign-in again from your MCP client.</p>",
        );
    };
    let state = p.state.as_deref().unwrap_or_default();
    if d.decision != "allow" {
        return redirect_with(
            &p.redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_description", "the user denied access"),
                ("state", state),
                ("iss", &p.issuer),
            ],
        );
    }
    let code = random_hex(24);
    insert_bounded(
        &s.inner.codes,
        code.clone(),
        Grant {
            client_id: p.client_id.clone(),
            redirect_uri: p.redirect_uri.clone(),
            challenge: p.challenge.clone(),
            at: Instant::now(),
        },
    );
    redirect_with(
        &p.redirect_uri,
        &[("code", &code), ("state", state), ("iss", &p.issuer)],
    )
}

#[derive(Deserialize)]
struct TokenRequest {
    grant_type: String,
    code: Option<String>,
    redirect_uri: Option<String>,
    client_id: Option<String>,
    code_verifier: Option<String>,
}

fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

async fn token(State(s): State<SignIn>, Form(t): Form<TokenRequest>) -> Response {
    let invalid =
        |description: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description);
    if t.grant_type != "authorization_code" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only authorization_code: the access token does not expire",
        );
    }
    let grant = t
        .code
        .as_deref()
        .and_then(|c| s.inner.codes.lock().unwrap().shift_remove(c));
    let Some(grant) = grant.filter(|g| g.at.elapsed() < TTL) else {
        return invalid("unknown, used or expired code");
    };
    if t.client_id.as_deref() != Some(grant.client_id.as_str()) {
        return invalid("the code was issued to another client");
    }
    if t.redirect_uri.as_deref() != Some(grant.redirect_uri.as_str()) {
        return invalid("redirect_uri differs from the authorization request's");
    }
    let verifier = t.code_verifier.unwrap_or_default();
    if s256(&verifier) != grant.challenge {
        return invalid("code_verifier does not match the code_challenge");
    }
    let mut r = Json(json!({
        "access_token": s.issue(&grant.client_id),
        "token_type": "Bearer",
    }))
    .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_are_bound_to_the_key_and_the_client() {
        let a = SignIn::new(Arc::new("key-a".into()));
        let b = SignIn::new(Arc::new("key-b".into()));
        let t = a.issue("c1");
        assert!(a.accepts(&t));
        assert!(!b.accepts(&t), "another daemon token");
        assert!(!a.accepts(&t.replace("c1", "c2")), "another client");
        assert!(!a.accepts("key-a"));
        assert!(!a.accepts(&format!("{t}00")));
    }

    #[test]
    fn redirects_desktop_clients_may_use() {
        assert!(acceptable_redirect("http://127.0.0.1:33418/callback"));
        assert!(acceptable_redirect("http://localhost/cb"));
        assert!(acceptable_redirect("https://vscode.dev/redirect"));
        assert!(acceptable_redirect(
            "cursor://anysphere.cursor-mcp/oauth/callback"
        ));
        assert!(!acceptable_redirect("http://evil.example/cb"));
        assert!(!acceptable_redirect("javascript:alert(1)"));
        assert!(!acceptable_redirect("not a url"));
        assert!(redirect_matches(
            "http://127.0.0.1:1/cb",
            "http://127.0.0.1:5555/cb"
        ));
        assert!(!redirect_matches(
            "http://127.0.0.1/cb",
            "http://127.0.0.1/other"
        ));
        assert!(!redirect_matches(
            "https://a.example/cb",
            "https://a.example:8443/cb"
        ));
    }

    #[test]
    fn pkce_s256_is_base64url_of_sha256() {
        // Computed independently: base64.urlsafe_b64encode(hashlib.sha256(v).digest()) in Python.
        assert_eq!(
            s256("dBjftJeZ4CVP-mJ0kzYoMj8Ywd0Fzpef0oHKs2CaweY"),
            "n2JI7aQoNtGarmkrhcKZ-qTF75S3fCEDwRBmLFXJJWc"
        );
    }
}
