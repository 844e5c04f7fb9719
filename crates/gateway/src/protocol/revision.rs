//! The two eras of MCP and what tells them apart on the wire.
//!
//! - Session era (2024-11-05 … 2025-11-25): `initialize` negotiates a version for the whole
//!   session; server→client requests; notifications at any time.
//! - Stateless era (2026-07-28, "modern"): every request carries its version and the client's
//!   capabilities in `_meta`; `server/discover` instead of `initialize`; notifications only on a
//!   `subscriptions/listen` stream; server→client requests become `input_required` results
//!   that the client answers by retrying (multi round-trip requests); lists carry cache hints.
//!
//! A request is modern when its `_meta` names a protocol version ([`declared_version`]);
//! everything else is session-era traffic. Nothing here knows a transport.

use serde_json::{json, Map, Value};

use super::jsonrpc;

/// The stateless revision.
pub const MODERN: &str = "2026-07-28";
/// Every version the gateway serves, oldest first; the session-era ones are
/// [`super::PROTOCOL_VERSIONS`].
pub const ALL_VERSIONS: &[&str] = &[
    "2024-11-05",
    "2025-03-26",
    "2025-06-18",
    "2025-11-25",
    MODERN,
];

pub const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub const META_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
pub const META_CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";
pub const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";
pub const META_SUBSCRIPTION: &str = "io.modelcontextprotocol/subscriptionId";

/// Streamable HTTP headers of the stateless revision.
pub const METHOD_HEADER: &str = "mcp-method";
pub const NAME_HEADER: &str = "mcp-name";
pub const VERSION_HEADER: &str = "mcp-protocol-version";

/// Error codes of the stateless revision.
pub const HEADER_MISMATCH: i64 = -32020;
pub const MISSING_CAPABILITY: i64 = -32021;
pub const UNSUPPORTED_VERSION: i64 = -32022;

/// Methods the stateless revision removed: a modern request for one is "method not found".
pub const REMOVED: &[&str] = &[
    "initialize",
    "ping",
    "logging/setLevel",
    "resources/subscribe",
    "resources/unsubscribe",
    "elicitation/complete",
    // Tasks became an extension with no blocking result and no listing (SEP-2663).
    "tasks/result",
    "tasks/list",
];

/// Methods whose results carry cache hints (`ttlMs`, `cacheScope`).
pub const CACHEABLE: &[&str] = &[
    "server/discover",
    "tools/list",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
    "resources/read",
];

/// Methods that may answer `input_required` (multi round-trip requests).
pub const ROUND_TRIP: &[&str] = &["tools/call", "prompts/get", "resources/read"];

/// The most rounds the gateway plays for a session-era client against a modern server.
pub const MAX_ROUNDS: usize = 8;

/// Whether a protocol version belongs to the stateless era.
pub fn is_modern(version: &str) -> bool {
    version >= MODERN
}

/// The version a request's `_meta` declares (present only on stateless-era requests).
pub fn declared_version(params: Option<&Value>) -> Option<&str> {
    params?.get("_meta")?.get(META_VERSION)?.as_str()
}

/// Whether a request means the stateless era: its `_meta` names a version or capabilities,
/// or its method exists only there. Such a request is checked as a stateless one (an
/// incomplete `_meta` is `-32602`), never served as a session-era request.
pub fn means_stateless(method: &str, params: Option<&Value>) -> bool {
    let meta = params.and_then(|p| p.get("_meta"));
    matches!(method, "server/discover" | "subscriptions/listen")
        || meta.is_some_and(|m| m.get(META_VERSION).is_some() || m.get(META_CAPABILITIES).is_some())
}

/// What a stateless request declares about its client.
#[derive(Debug, Clone, PartialEq)]
pub struct Declared {
    pub version: String,
    pub capabilities: Value,
}

/// Checks a stateless request's `_meta`: the version must be one the gateway speaks and the
/// client's capabilities must be present. The error is the JSON-RPC error to answer.
pub fn check_meta(params: Option<&Value>) -> Result<Declared, Value> {
    let meta = params.and_then(|p| p.get("_meta"));
    let version = meta
        .and_then(|m| m.get(META_VERSION))
        .and_then(Value::as_str);
    let capabilities = meta.and_then(|m| m.get(META_CAPABILITIES));
    let (Some(version), Some(capabilities)) = (version, capabilities) else {
        return Err(jsonrpc::error(
            jsonrpc::INVALID_PARAMS,
            format!("Invalid params: _meta must carry {META_VERSION} and {META_CAPABILITIES}"),
        ));
    };
    if !is_modern(version) || !ALL_VERSIONS.contains(&version) {
        return Err(unsupported_version(version));
    }
    Ok(Declared {
        version: version.to_owned(),
        capabilities: capabilities.clone(),
    })
}

/// `UnsupportedProtocolVersionError`, listing what the gateway supports.
pub fn unsupported_version(requested: &str) -> Value {
    json!({
        "code": UNSUPPORTED_VERSION,
        "message": format!("Unsupported protocol version {requested:?}"),
        "data": {"supported": ALL_VERSIONS, "requested": requested},
    })
}

/// The name a stateless request's `Mcp-Name` header must carry.
pub fn name_of(method: &str, params: Option<&Value>) -> Option<String> {
    let key = match method {
        "tools/call" | "prompts/get" => "name",
        "resources/read" => "uri",
        "tasks/get" | "tasks/update" | "tasks/cancel" => "taskId",
        _ => return None,
    };
    params?.get(key)?.as_str().map(str::to_owned)
}

/// The HTTP headers a stateless request must carry (`MCP-Protocol-Version`, `Mcp-Method`,
/// `Mcp-Name` where the method names something); `None` for session-era messages.
pub fn http_headers(msg: &Value) -> Option<Vec<(&'static str, String)>> {
    let params = msg.get("params");
    let version = declared_version(params)?;
    let method = msg.get("method")?.as_str()?;
    let mut headers = vec![
        (VERSION_HEADER, version.to_owned()),
        (METHOD_HEADER, method.to_owned()),
    ];
    if let Some(name) = name_of(method, params) {
        headers.push((NAME_HEADER, name));
    }
    Some(headers)
}

/// The HTTP headers a stateless request carries, as the client sent them.
#[derive(Debug, Default, Clone)]
pub struct Headers<'a> {
    pub version: Option<&'a str>,
    pub method: Option<&'a str>,
    pub name: Option<&'a str>,
}

/// Checks the headers of a stateless request against its body (`-32020` on a mismatch). A
/// missing `Mcp-Method`/`Mcp-Name` is accepted; one that disagrees with the body is not.
pub fn check_headers(h: &Headers, method: &str, params: Option<&Value>) -> Result<(), Value> {
    let mismatch = |what: &str| {
        Err(jsonrpc::error(
            HEADER_MISMATCH,
            format!("Header mismatch: {what} does not match the request body"),
        ))
    };
    let declared = declared_version(params);
    match h.version {
        None => {
            return Err(jsonrpc::error(
                HEADER_MISMATCH,
                "Header mismatch: missing MCP-Protocol-Version header",
            ))
        }
        Some(v) if Some(v) != declared => return mismatch("MCP-Protocol-Version"),
        Some(_) => {}
    }
    if h.method.is_some_and(|m| m != method) {
        return mismatch("Mcp-Method");
    }
    if let Some(name) = h.name {
        if name_of(method, params).as_deref() != Some(name) {
            return mismatch("Mcp-Name");
        }
    }
    Ok(())
}

/// Checks a stateless request that came over HTTP, in the order the revision gives: the
/// version header is there (`-32020`), `_meta` is complete (`-32602`), the headers match the
/// body (`-32020`), and the version is one the gateway speaks (`-32022`).
pub fn check_http(h: &Headers, method: &str, params: Option<&Value>) -> Result<Declared, Value> {
    if h.version.is_none() {
        return Err(jsonrpc::error(
            HEADER_MISMATCH,
            "Header mismatch: missing MCP-Protocol-Version header",
        ));
    }
    let meta = params.and_then(|p| p.get("_meta"));
    if meta.and_then(|m| m.get(META_VERSION)).is_none()
        || meta.and_then(|m| m.get(META_CAPABILITIES)).is_none()
    {
        return check_meta(params);
    }
    check_headers(h, method, params)?;
    check_meta(params)
}

/// The HTTP status a stateless request's error answer gets.
pub fn http_status(error: &Value) -> u16 {
    match error.get("code").and_then(Value::as_i64) {
        Some(jsonrpc::METHOD_NOT_FOUND) => 404,
        Some(
            jsonrpc::INVALID_PARAMS | HEADER_MISMATCH | MISSING_CAPABILITY | UNSUPPORTED_VERSION,
        ) => 400,
        _ => 200,
    }
}

/// Makes a result valid for a stateless-era client: `resultType` (default `complete`), cache
/// hints on cacheable methods (absent hints mean "do not cache": `ttlMs: 0`, `private`), and
/// the server's identity in `_meta`.
pub fn stamp_result(method: &str, result: &mut Value, server_info: &Value) {
    let Some(obj) = result.as_object_mut() else {
        return;
    };
    obj.entry("resultType").or_insert_with(|| "complete".into());
    if CACHEABLE.contains(&method) {
        obj.entry("ttlMs").or_insert_with(|| 0.into());
        obj.entry("cacheScope").or_insert_with(|| "private".into());
    }
    let meta = obj
        .entry("_meta")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(meta) = meta.as_object_mut() {
        meta.entry(META_SERVER_INFO)
            .or_insert_with(|| server_info.clone());
    }
}

/// Cache hints of one result: `(ttlMs, cacheScope)`, absent meaning `(0, private)`.
pub fn hints(result: &Value) -> (u64, &str) {
    (
        result.get("ttlMs").and_then(Value::as_u64).unwrap_or(0),
        result
            .get("cacheScope")
            .and_then(Value::as_str)
            .unwrap_or("private"),
    )
}

/// The hints a merged result may carry: the shortest lifetime and the narrowest scope of its
/// parts (`private` when any part is private; no parts: nothing to cache).
pub fn merge_hints<'a>(parts: impl IntoIterator<Item = (u64, &'a str)>) -> (u64, &'static str) {
    let mut ttl: Option<u64> = None;
    let mut public = true;
    for (t, scope) in parts {
        ttl = Some(ttl.map_or(t, |m| m.min(t)));
        public &= scope == "public";
    }
    match ttl {
        Some(t) => (t, if public { "public" } else { "private" }),
        None => (0, "private"),
    }
}

/// Whether a result asks the client for input (a multi round-trip request).
pub fn is_input_required(result: &Value) -> bool {
    result.get("resultType").and_then(Value::as_str) == Some("input_required")
}

/// `_meta` for a request the gateway sends to a modern server on behalf of a client with
/// `capabilities`.
pub fn request_meta(capabilities: &Value) -> Value {
    json!({
        META_VERSION: MODERN,
        META_CAPABILITIES: capabilities,
        META_CLIENT_INFO: {"name": "dockside", "version": env!("CARGO_PKG_VERSION")},
    })
}

/// Puts stateless `_meta` on a request's params (keeping the params' other `_meta` keys, e.g.
/// a progress token).
pub fn with_meta(params: Option<Value>, capabilities: &Value) -> Value {
    let mut params = match params {
        Some(Value::Object(m)) => Value::Object(m),
        _ => json!({}),
    };
    let meta = params["_meta"].take();
    let mut merged = match meta {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    if let Value::Object(ours) = request_meta(capabilities) {
        for (k, v) in ours {
            merged.insert(k, v);
        }
    }
    params["_meta"] = Value::Object(merged);
    params
}

/// Removes the stateless keys from a request's `_meta` (a session-era server gets the request as
/// a session-era client would send it).
pub fn without_meta(params: Option<Value>) -> Option<Value> {
    let mut params = params?;
    if let Some(meta) = params.get_mut("_meta").and_then(Value::as_object_mut) {
        for k in [
            META_VERSION,
            META_CAPABILITIES,
            META_CLIENT_INFO,
            "io.modelcontextprotocol/logLevel",
        ] {
            meta.remove(k);
        }
        if meta.is_empty() {
            params.as_object_mut().map(|p| p.remove("_meta"));
        }
    }
    Some(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(version: &str) -> Value {
        json!({"_meta": {META_VERSION: version, META_CAPABILITIES: {}}, "name": "echo"})
    }

    #[test]
    fn a_request_is_modern_when_its_meta_names_a_version() {
        assert_eq!(declared_version(Some(&meta(MODERN))), Some(MODERN));
        assert_eq!(declared_version(Some(&json!({"name": "x"}))), None);
        assert_eq!(declared_version(None), None);
        assert!(is_modern(MODERN) && !is_modern("2025-11-25"));
        assert!(means_stateless("server/discover", None));
        assert!(means_stateless(
            "tools/list",
            Some(&json!({"_meta": {META_CAPABILITIES: {}}}))
        ));
        assert!(!means_stateless(
            "tools/list",
            Some(&json!({"_meta": {"progressToken": 1}}))
        ));
    }

    #[test]
    fn meta_must_name_a_supported_version_and_capabilities() {
        assert_eq!(check_meta(Some(&meta(MODERN))).unwrap().version, MODERN);
        let e = check_meta(Some(&json!({"_meta": {META_VERSION: MODERN}}))).unwrap_err();
        assert_eq!(e["code"], jsonrpc::INVALID_PARAMS);
        assert_eq!(http_status(&e), 400);
        let e = check_meta(Some(&meta("v999"))).unwrap_err();
        assert_eq!(e["code"], UNSUPPORTED_VERSION);
        assert_eq!(e["data"]["requested"], "v999");
        assert!(e["data"]["supported"]
            .as_array()
            .unwrap()
            .contains(&json!(MODERN)));
        // A session-era version in `_meta` is not a stateless request the gateway serves.
        assert_eq!(
            check_meta(Some(&meta("2025-11-25"))).unwrap_err()["code"],
            UNSUPPORTED_VERSION
        );
    }

    #[test]
    fn headers_must_match_the_body() {
        let p = meta(MODERN);
        let ok = Headers {
            version: Some(MODERN),
            method: Some("tools/call"),
            name: Some("echo"),
        };
        assert!(check_headers(&ok, "tools/call", Some(&p)).is_ok());
        for bad in [
            Headers {
                version: None,
                ..ok.clone()
            },
            Headers {
                version: Some("2025-11-25"),
                ..ok.clone()
            },
            Headers {
                method: Some("tools/list"),
                ..ok.clone()
            },
            Headers {
                name: Some("other"),
                ..ok.clone()
            },
        ] {
            let e = check_headers(&bad, "tools/call", Some(&p)).unwrap_err();
            assert_eq!(e["code"], HEADER_MISMATCH, "{bad:?}");
            assert_eq!(http_status(&e), 400);
        }
        let msg = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": p});
        assert_eq!(
            http_headers(&msg).unwrap(),
            vec![
                (VERSION_HEADER, MODERN.to_owned()),
                (METHOD_HEADER, "tools/call".to_owned()),
                (NAME_HEADER, "echo".to_owned())
            ]
        );
        assert!(
            http_headers(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})).is_none()
        );
        assert_eq!(
            name_of("resources/read", Some(&json!({"uri": "u://x"}))).as_deref(),
            Some("u://x")
        );
    }

    #[test]
    fn http_checks_come_in_the_revisions_order() {
        let h = |v: Option<&'static str>| Headers {
            version: v,
            method: None,
            name: None,
        };
        let code = |h: &Headers, p: &Value| {
            check_http(h, "server/discover", Some(p)).unwrap_err()["code"].clone()
        };
        assert_eq!(code(&h(None), &meta(MODERN)), json!(HEADER_MISMATCH));
        assert_eq!(
            code(&h(Some(MODERN)), &json!({"_meta": {META_VERSION: MODERN}})),
            json!(jsonrpc::INVALID_PARAMS)
        );
        assert_eq!(
            code(&h(Some(MODERN)), &meta("v999")),
            json!(HEADER_MISMATCH)
        );
        assert_eq!(
            code(&h(Some("v999")), &meta("v999")),
            json!(UNSUPPORTED_VERSION)
        );
        assert!(check_http(&h(Some(MODERN)), "server/discover", Some(&meta(MODERN))).is_ok());
    }

    #[test]
    fn results_are_stamped_for_stateless_clients() {
        let info = json!({"name": "dockside", "version": "1"});
        let mut r = json!({"tools": []});
        stamp_result("tools/list", &mut r, &info);
        assert_eq!(r["resultType"], "complete");
        assert_eq!(
            (r["ttlMs"].clone(), r["cacheScope"].clone()),
            (json!(0), json!("private"))
        );
        assert_eq!(r["_meta"][META_SERVER_INFO], info);
        let mut r = json!({"content": [], "resultType": "input_required", "_meta": {META_SERVER_INFO: "up"}});
        stamp_result("tools/call", &mut r, &info);
        assert_eq!(r["resultType"], "input_required");
        assert!(r.get("ttlMs").is_none());
        assert_eq!(r["_meta"][META_SERVER_INFO], "up");
    }

    #[test]
    fn merged_hints_are_the_shortest_and_narrowest() {
        assert_eq!(
            merge_hints([(300_000, "public"), (60_000, "public")]),
            (60_000, "public")
        );
        assert_eq!(
            merge_hints([(300_000, "public"), (600_000, "private")]),
            (300_000, "private")
        );
        assert_eq!(merge_hints([]), (0, "private"));
        assert_eq!(hints(&json!({})), (0, "private"));
    }

    #[test]
    fn meta_is_added_for_modern_servers_and_removed_for_session_era_ones() {
        let p = with_meta(
            Some(json!({"name": "x", "_meta": {"progressToken": 7}})),
            &json!({"sampling": {}}),
        );
        assert_eq!(p["_meta"]["progressToken"], 7);
        assert_eq!(p["_meta"][META_VERSION], MODERN);
        assert_eq!(p["_meta"][META_CAPABILITIES], json!({"sampling": {}}));
        let back = without_meta(Some(p)).unwrap();
        assert_eq!(back, json!({"name": "x", "_meta": {"progressToken": 7}}));
        assert_eq!(
            without_meta(Some(meta(MODERN))).unwrap(),
            json!({"name": "echo"})
        );
    }
}
