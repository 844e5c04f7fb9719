//! The MCP surface of the demo server: tools, one resource, one resource template, one prompt
//! and completions.
//!
//! Tool results are plain text so that clients, tests and benchmarks can check them without
//! parsing: `echo` returns exactly its `message`, `add` the decimal sum. Failures that a caller
//! should read (a refused file, an unreachable host, `fail`) are tool errors (`isError: true`),
//! not protocol errors.

use std::sync::Arc;
use std::time::Duration;

use rmcp::handler::server::router::prompt::PromptRouter;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, CompleteRequestParams, CompleteResult, CompletionInfo, ContentBlock,
    GetPromptResult, Implementation, ListResourceTemplatesResult, ListResourcesResult,
    PaginatedRequestParams, ProgressNotificationParam, PromptMessage, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, Reference, Resource, ResourceContents,
    ResourceTemplate, Role, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{
    prompt, prompt_handler, prompt_router, schemars, tool, tool_handler, tool_router, ErrorData,
    RoleServer, ServerHandler,
};
use serde::Deserialize;

/// URI of the fixed resource.
pub const INFO_URI: &str = "demo://info";
/// URI template of the echo resource: reading `demo://echo/hello` returns `hello`.
pub const ECHO_TEMPLATE: &str = "demo://echo/{text}";
const ECHO_PREFIX: &str = "demo://echo/";

/// Candidates offered when completing the `greet` prompt's `name` argument.
const GREET_NAMES: &[&str] = &["Ada", "Alan", "Barbara", "Grace", "Linus", "Margaret"];
/// Candidates offered when completing the `{text}` variable of [`ECHO_TEMPLATE`].
const ECHO_WORDS: &[&str] = &["hello", "help", "world"];

/// Default and largest `net_probe` timeout.
const PROBE_TIMEOUT_MS: u64 = 2_000;
const PROBE_TIMEOUT_MAX_MS: u64 = 30_000;
/// Default and largest number of progress notifications `sleep` sends.
const SLEEP_STEPS: u32 = 5;
const SLEEP_STEPS_MAX: u32 = 1_000;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct EchoArgs {
    /// The text to return, unchanged.
    pub message: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct AddArgs {
    /// First addend.
    pub a: f64,
    /// Second addend.
    pub b: f64,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct SleepArgs {
    /// How long to sleep, in milliseconds.
    pub ms: u64,
    /// How many progress notifications to send when the request carries a progress token
    /// (evenly spaced, the last one at the end; default 5, at most 1000).
    #[serde(default)]
    pub steps: Option<u32>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct FailArgs {
    /// The error text to return (default: "this tool always fails").
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CrashArgs {
    /// The process exit code (default 1).
    #[serde(default)]
    pub code: Option<i32>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct NetProbeArgs {
    /// Where to connect, as `host:port` (e.g. `127.0.0.1:8080` or `example.com:443`).
    pub address: String,
    /// Give up after this many milliseconds (default 2000, at most 30000).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ReadFileArgs {
    /// Path of the file to read (UTF-8 text).
    pub path: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct WriteFileArgs {
    /// Path of the file to create or replace.
    pub path: String,
    /// The text to write.
    pub content: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct GreetArgs {
    /// Who to greet.
    pub name: String,
}

/// The demo MCP server. Cheap to clone: the routers are built once.
#[derive(Clone)]
pub struct DemoServer {
    name: Arc<str>,
    tool_router: ToolRouter<Self>,
    prompt_router: PromptRouter<Self>,
}

#[tool_router]
impl DemoServer {
    /// A server that reports `name` as its `serverInfo.name`.
    pub fn new(name: impl Into<Arc<str>>) -> Self {
        Self {
            name: name.into(),
            tool_router: Self::tool_router(),
            prompt_router: Self::prompt_router(),
        }
    }

    #[tool(description = "Return `message` unchanged, as the only text content.")]
    fn echo(&self, Parameters(args): Parameters<EchoArgs>) -> String {
        args.message
    }

    #[tool(description = "Add two numbers `a` and `b`; returns the sum as decimal text.")]
    fn add(&self, Parameters(AddArgs { a, b }): Parameters<AddArgs>) -> String {
        format_number(a + b)
    }

    #[tool(
        description = "Sleep for `ms` milliseconds. Sends `steps` progress notifications (default 5) when the request carries a progress token; stops early when the request is cancelled."
    )]
    async fn sleep(
        &self,
        Parameters(args): Parameters<SleepArgs>,
        context: RequestContext<RoleServer>,
    ) -> Result<String, ErrorData> {
        let progress_token = context.meta.get_progress_token();
        let steps = args.steps.unwrap_or(SLEEP_STEPS).clamp(1, SLEEP_STEPS_MAX);
        let total = Duration::from_millis(args.ms);
        let start = tokio::time::Instant::now();
        for step in 1..=steps {
            let deadline = start + total * step / steps;
            tokio::select! {
                () = context.ct.cancelled() => {
                    return Err(ErrorData::internal_error(
                        format!("sleep cancelled after {} ms", start.elapsed().as_millis()),
                        None,
                    ));
                }
                () = tokio::time::sleep_until(deadline) => {}
            }
            if let Some(token) = &progress_token {
                let progress = ProgressNotificationParam::new(token.clone(), f64::from(step))
                    .with_total(f64::from(steps))
                    .with_message(format!(
                        "slept {} of {} ms",
                        (total * step / steps).as_millis(),
                        args.ms
                    ));
                // A client that went away cannot be told; the sleep itself still completes.
                let _ = context.peer.notify_progress(progress).await;
            }
        }
        Ok(format!("slept {} ms", args.ms))
    }

    #[tool(description = "Always fail: returns a tool error (isError: true) with `message`.")]
    fn fail(&self, Parameters(args): Parameters<FailArgs>) -> CallToolResult {
        let message = args
            .message
            .unwrap_or_else(|| "this tool always fails".to_owned());
        CallToolResult::error(vec![ContentBlock::text(message)])
    }

    #[tool(
        description = "Exit the server process at once with exit code `code` (default 1), without answering."
    )]
    fn crash(&self, Parameters(args): Parameters<CrashArgs>) -> String {
        let code = args.code.unwrap_or(1);
        eprintln!("dockside-demo-server: crash tool called, exiting with code {code}");
        std::process::exit(code)
    }

    #[tool(
        description = "List the NAMES of the environment variables this server sees, sorted, one per line. Values are never returned."
    )]
    fn env(&self) -> String {
        env_names().join("\n")
    }

    #[tool(
        description = "Try a TCP connection to `address` (`host:port`) with a short timeout and report whether it succeeded; failure is a tool error."
    )]
    async fn net_probe(
        &self,
        Parameters(args): Parameters<NetProbeArgs>,
    ) -> Result<String, String> {
        let timeout_ms = args
            .timeout_ms
            .unwrap_or(PROBE_TIMEOUT_MS)
            .min(PROBE_TIMEOUT_MAX_MS);
        let timeout = Duration::from_millis(timeout_ms);
        match tokio::time::timeout(timeout, probe(&args.address)).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "net_probe failed: cannot connect to {}: timed out after {timeout_ms} ms",
                args.address
            )),
        }
    }

    #[tool(description = "Read the UTF-8 text file at `path` and return its content.")]
    async fn read_file(
        &self,
        Parameters(args): Parameters<ReadFileArgs>,
    ) -> Result<String, String> {
        tokio::fs::read_to_string(&args.path)
            .await
            .map_err(|error| format!("read_file failed: cannot read {}: {error}", args.path))
    }

    #[tool(description = "Create or replace the file at `path` with `content`.")]
    async fn write_file(
        &self,
        Parameters(args): Parameters<WriteFileArgs>,
    ) -> Result<String, String> {
        match tokio::fs::write(&args.path, args.content.as_bytes()).await {
            Ok(()) => Ok(format!(
                "wrote {} bytes to {}",
                args.content.len(),
                args.path
            )),
            Err(error) => Err(format!(
                "write_file failed: cannot write {}: {error}",
                args.path
            )),
        }
    }
}

#[prompt_router]
impl DemoServer {
    /// Ask the model to greet someone by name.
    #[prompt(name = "greet")]
    async fn greet(&self, Parameters(args): Parameters<GreetArgs>) -> GetPromptResult {
        GetPromptResult::new(vec![PromptMessage::new_text(
            Role::User,
            greeting(&args.name),
        )])
        .with_description(format!("A greeting for {}", args.name))
    }
}

#[tool_handler(router = self.tool_router)]
#[prompt_handler(router = self.prompt_router)]
impl ServerHandler for DemoServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_prompts()
                .enable_resources()
                .enable_completions()
                .build(),
        )
        .with_server_info(Implementation::new(
            self.name.to_string(),
            env!("CARGO_PKG_VERSION"),
        ))
        .with_instructions(
            "Dockside's demo server. Tools: echo, add, sleep, fail, crash, env, net_probe, \
             read_file, write_file. Resources: demo://info and demo://echo/{text}. Prompt: greet.",
        )
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(vec![Resource::new(
            INFO_URI, "info",
        )
        .with_title("Demo server info")
        .with_description("The server's name, version and process id, as JSON")
        .with_mime_type("application/json")]))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(vec![
            ResourceTemplate::new(ECHO_TEMPLATE, "echo")
                .with_title("Echo")
                .with_description("Reading demo://echo/TEXT returns TEXT (percent-decoded)")
                .with_mime_type("text/plain"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let uri = request.uri;
        let contents = if uri == INFO_URI {
            ResourceContents::text(self.info_json(), uri).with_mime_type("application/json")
        } else if let Some(text) = uri.strip_prefix(ECHO_PREFIX) {
            let text = percent_decode(text).ok_or_else(|| {
                ErrorData::invalid_params(format!("{uri}: invalid percent-encoding"), None)
            })?;
            ResourceContents::text(text, uri).with_mime_type("text/plain")
        } else {
            return Err(ErrorData::resource_not_found(
                format!("no resource {uri}: this server has {INFO_URI} and {ECHO_TEMPLATE}"),
                Some(serde_json::json!({ "uri": uri })),
            ));
        };
        Ok(ReadResourceResult::new(vec![contents]).into())
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let candidates: &[&str] = match (&request.r#ref, request.argument.name.as_str()) {
            (Reference::Prompt(prompt), "name") if prompt.name == "greet" => GREET_NAMES,
            (Reference::Resource(template), "text") if template.uri == ECHO_TEMPLATE => ECHO_WORDS,
            _ => &[],
        };
        let values = complete_prefix(candidates, &request.argument.value);
        let info = CompletionInfo::with_all_values(values)
            .map_err(|error| ErrorData::internal_error(error, None))?;
        Ok(CompleteResult::new(info))
    }
}

impl DemoServer {
    /// The `demo://info` document: lets tests tell copies (`name`) and restarts (`pid`) apart.
    fn info_json(&self) -> String {
        serde_json::json!({
            "name": &*self.name,
            "version": env!("CARGO_PKG_VERSION"),
            "pid": std::process::id(),
        })
        .to_string()
    }
}

/// Resolves `address` and connects to the first address that accepts.
async fn probe(address: &str) -> Result<String, String> {
    let resolved: Vec<_> = tokio::net::lookup_host(address)
        .await
        .map_err(|error| format!("net_probe failed: cannot resolve {address}: {error}"))?
        .collect();
    let mut last_error = None;
    for target in &resolved {
        match tokio::net::TcpStream::connect(target).await {
            Ok(_) => return Ok(format!("net_probe ok: connected to {address} ({target})")),
            Err(error) => last_error = Some(format!("{target}: {error}")),
        }
    }
    Err(format!(
        "net_probe failed: cannot connect to {address}: {}",
        last_error.unwrap_or_else(|| "the name resolved to no address".to_owned())
    ))
}

/// `3` rather than `3.0` for whole numbers; Rust's shortest round-trip form otherwise.
fn format_number(value: f64) -> String {
    format!("{value}")
}

fn greeting(name: &str) -> String {
    format!("Please greet {name} warmly, in one short sentence.")
}

/// Environment variable names, sorted; names that are not UTF-8 are shown lossily.
fn env_names() -> Vec<String> {
    let mut names: Vec<String> = std::env::vars_os()
        .map(|(name, _value)| name.to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The candidates starting with `prefix`, ignoring ASCII case.
fn complete_prefix(candidates: &[&str], prefix: &str) -> Vec<String> {
    let prefix = prefix.to_ascii_lowercase();
    candidates
        .iter()
        .filter(|candidate| candidate.to_ascii_lowercase().starts_with(&prefix))
        .map(|candidate| (*candidate).to_owned())
        .collect()
}

/// Decodes `%XX` escapes; `None` for a malformed escape or bytes that are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> DemoServer {
        DemoServer::new("demo-test")
    }

    #[test]
    fn every_tool_is_routed() {
        let mut names: Vec<String> = server()
            .tool_router
            .list_all()
            .into_iter()
            .map(|tool| tool.name.to_string())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "add",
                "crash",
                "echo",
                "env",
                "fail",
                "net_probe",
                "read_file",
                "sleep",
                "write_file"
            ]
        );
    }

    #[test]
    fn the_greet_prompt_takes_a_required_name() {
        let prompts = server().prompt_router.list_all();
        assert_eq!(prompts.len(), 1);
        assert_eq!(prompts[0].name, "greet");
        let arguments = prompts[0].arguments.as_ref().expect("greet has arguments");
        assert_eq!(arguments.len(), 1);
        assert_eq!(arguments[0].name, "name");
        assert_eq!(arguments[0].required, Some(true));
    }

    #[test]
    fn get_info_reports_the_chosen_name_and_capabilities() {
        let info = server().get_info();
        assert_eq!(info.server_info.name, "demo-test");
        assert_eq!(info.server_info.version, env!("CARGO_PKG_VERSION"));
        let capabilities = info.capabilities;
        assert!(capabilities.tools.is_some());
        assert!(capabilities.prompts.is_some());
        assert!(capabilities.resources.is_some());
        assert!(capabilities.completions.is_some());
    }

    #[test]
    fn echo_returns_the_message_exactly() {
        let message = "  spaces, \"quotes\", unicode ✓ and\nnewlines  ";
        let out = server().echo(Parameters(EchoArgs {
            message: message.into(),
        }));
        assert_eq!(out, message);
    }

    #[test]
    fn add_prints_whole_numbers_without_a_fraction() {
        let add = |a, b| server().add(Parameters(AddArgs { a, b }));
        assert_eq!(add(2.0, 3.0), "5");
        assert_eq!(add(1.5, 2.25), "3.75");
        assert_eq!(add(-1.0, 0.5), "-0.5");
    }

    #[test]
    fn fail_is_a_tool_error() {
        let result = server().fail(Parameters(FailArgs { message: None }));
        assert_eq!(result.is_error, Some(true));
        let result = server().fail(Parameters(FailArgs {
            message: Some("boom".into()),
        }));
        let text = result.content[0].as_text().expect("text content");
        assert_eq!(text.text, "boom");
    }

    #[test]
    fn env_lists_names_only() {
        // The test process always has PATH (cargo sets more); its value must not leak.
        let names = env_names();
        assert!(names.iter().any(|name| name == "PATH"));
        let path = std::env::var("PATH").unwrap_or_default();
        if !path.is_empty() {
            assert!(!server().env().contains(&path));
        }
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
    }

    #[tokio::test]
    async fn files_round_trip_and_errors_name_the_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("note.txt").display().to_string();
        let server = server();
        let wrote = server
            .write_file(Parameters(WriteFileArgs {
                path: path.clone(),
                content: "hello".into(),
            }))
            .await;
        assert_eq!(wrote, Ok(format!("wrote 5 bytes to {path}")));
        let read = server
            .read_file(Parameters(ReadFileArgs { path: path.clone() }))
            .await;
        assert_eq!(read, Ok("hello".to_owned()));

        let missing = dir.path().join("missing.txt").display().to_string();
        let error = server
            .read_file(Parameters(ReadFileArgs {
                path: missing.clone(),
            }))
            .await
            .expect_err("missing file");
        assert!(error.starts_with(&format!("read_file failed: cannot read {missing}: ")));

        let in_missing_dir = dir.path().join("no/such/dir.txt").display().to_string();
        let error = server
            .write_file(Parameters(WriteFileArgs {
                path: in_missing_dir.clone(),
                content: String::new(),
            }))
            .await
            .expect_err("missing directory");
        assert!(error.starts_with(&format!(
            "write_file failed: cannot write {in_missing_dir}: "
        )));
    }

    #[tokio::test]
    async fn net_probe_reports_success_and_failure() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("local addr").to_string();
        let server = server();
        let ok = server
            .net_probe(Parameters(NetProbeArgs {
                address: address.clone(),
                timeout_ms: None,
            }))
            .await
            .expect("listener accepts");
        assert!(
            ok.starts_with("net_probe ok: connected to 127.0.0.1:"),
            "{ok}"
        );

        drop(listener);
        let error = server
            .net_probe(Parameters(NetProbeArgs {
                address: address.clone(),
                timeout_ms: Some(500),
            }))
            .await
            .expect_err("nothing listens any more");
        assert!(
            error.starts_with(&format!("net_probe failed: cannot connect to {address}")),
            "{error}"
        );

        let error = server
            .net_probe(Parameters(NetProbeArgs {
                address: "no port here".into(),
                timeout_ms: None,
            }))
            .await
            .expect_err("not host:port");
        assert!(
            error.starts_with("net_probe failed: cannot resolve no port here"),
            "{error}"
        );
    }

    #[test]
    fn info_names_this_copy() {
        let info: serde_json::Value =
            serde_json::from_str(&server().info_json()).expect("info is JSON");
        assert_eq!(info["name"], "demo-test");
        assert_eq!(info["pid"], std::process::id());
    }

    #[test]
    fn completion_filters_by_prefix_ignoring_case() {
        assert_eq!(complete_prefix(GREET_NAMES, "a"), ["Ada", "Alan"]);
        assert_eq!(complete_prefix(ECHO_WORDS, "HEL"), ["hello", "help"]);
        assert_eq!(complete_prefix(ECHO_WORDS, ""), ECHO_WORDS);
        assert!(complete_prefix(GREET_NAMES, "zz").is_empty());
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("hello").as_deref(), Some("hello"));
        assert_eq!(percent_decode("a%20b%2Fc").as_deref(), Some("a b/c"));
        assert_eq!(percent_decode("%E2%9C%93").as_deref(), Some("✓"));
        assert_eq!(percent_decode("bad%2"), None);
        assert_eq!(percent_decode("bad%zz"), None);
        assert_eq!(percent_decode("%FF"), None);
    }
}
