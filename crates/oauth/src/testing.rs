//! The OAuth-protected MCP server the sign-in tests run on loopback (feature `testing`):
//! `tests/node/oauth_server.mjs` — a real authorization server (`oidc-provider`) and an MCP
//! server (the official TypeScript SDK) behind a bearer check — plus a `$BROWSER` that signs in
//! by following the redirects with curl (`tests/node/oauth_browser.sh`; the server approves
//! login and consent at once).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

const NODE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/node");

/// One running test server; killed when dropped.
pub struct AuthServer {
    child: Child,
    pub issuer: String,
    /// The MCP endpoint: `http://127.0.0.1:<port>/mcp`.
    pub resource: String,
    dir: tempfile::TempDir,
}

impl AuthServer {
    pub fn start() -> AuthServer {
        let node_dir = Path::new(NODE_DIR);
        assert!(
            node_dir.join("node_modules/oidc-provider").is_dir(),
            "the test server's packages are not installed: run `npm ci` in {} (scripts/test does)",
            node_dir.display()
        );
        let dir = tempfile::tempdir().unwrap();
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let mut child = Command::new("node")
            .arg(node_dir.join("oauth_server.mjs"))
            .current_dir(node_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log.try_clone().unwrap())
            .spawn()
            .expect("node runs");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        // The rest of its output goes to the log (a closed pipe would kill it on EPIPE).
        let mut rest = log.try_clone().unwrap();
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut rest));
        let ready: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
            panic!(
                "the test server did not start ({e}): {}",
                std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default()
            )
        });
        AuthServer {
            child,
            issuer: ready["issuer"].as_str().unwrap().to_owned(),
            resource: ready["resource"].as_str().unwrap().to_owned(),
            dir,
        }
    }

    fn origin(&self) -> &str {
        self.resource.trim_end_matches("/mcp")
    }

    /// What the authorization server saw: `{route, status, grant_type, resource, scope}` each.
    pub async fn log(&self) -> Vec<Value> {
        reqwest::get(format!("{}/test/log", self.origin()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The log entries of one route (`authorization`, `token`, `registration`, `revocation`).
    pub async fn requests(&self, route: &str) -> Vec<Value> {
        self.log()
            .await
            .into_iter()
            .filter(|e| e["route"] == route)
            .collect()
    }

    /// The next authorization ends in `access_denied`.
    pub async fn deny_next(&self) {
        reqwest::Client::new()
            .post(format!("{}/test/deny", self.origin()))
            .send()
            .await
            .unwrap();
    }

    /// Sends one JSON-RPC message to the MCP endpoint: status, `WWW-Authenticate`, body.
    pub async fn mcp(
        &self,
        authorization: Option<&str>,
        message: Value,
    ) -> (u16, Option<String>, String) {
        let mut request = reqwest::Client::new()
            .post(&self.resource)
            .header("Accept", "application/json, text/event-stream")
            .json(&message);
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let challenge = response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned());
        (status, challenge, response.text().await.unwrap())
    }
}

impl Drop for AuthServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(self.dir.path().join("server.log"));
            eprintln!("test server output:\n{}", log.unwrap_or_default());
        }
    }
}

/// A `$BROWSER` command that completes a sign-in by following redirects
/// (`tests/node/oauth_browser.sh`: the same for every server, so tests running side by side may
/// all set it).
pub fn browser() -> PathBuf {
    Path::new(NODE_DIR).join("oauth_browser.sh")
}

/// A JSON-RPC `tools/call` of `tool`.
pub fn tool_call(tool: &str) -> Value {
    serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": {}}})
}

/// A JSON-RPC `initialize`.
pub fn initialize() -> Value {
    serde_json::json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}})
}
