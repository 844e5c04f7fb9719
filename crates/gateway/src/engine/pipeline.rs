//! The tool-call pipeline: layers around the forward of a `tools/call`, tower-style.
//!
//! Each [`Layer`] sees the call before it is forwarded (and may refuse it with a JSON-RPC error)
//! and its outcome after (and may replace it). Layers run in order before the forward and in
//! reverse order after it, so the first layer is the outermost. The gateway assembles its
//! pipeline from its configuration in one list (`Gateway::with_launcher`): adding a layer is one
//! line there. Each layer here is tested alone.

use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use dockside_api::LogEntry;
use serde_json::Value;

use super::logs::LogStore;
use super::metrics::CallMetricsStore;
use super::naming::{self, ToolPattern};
use super::secrets::SecretScanner;
use crate::protocol::jsonrpc::{self, INTERNAL_ERROR, INVALID_PARAMS};
use crate::upstream::{now_ms, UpstreamSpec};

/// A call's result or its JSON-RPC error object, as the client will get it.
pub type Outcome = Result<Value, Value>;

/// One `tools/call` on its way to a server.
pub struct ToolCall<'a> {
    pub spec: &'a UpstreamSpec,
    /// The name the client used (prefixed in the aggregated view).
    pub exposed: &'a str,
    /// The server's own name of the tool.
    pub tool: &'a str,
    pub arguments: Option<&'a Value>,
}

/// One concern around the forward.
pub trait Layer: Send + Sync {
    /// Before the forward: `Err` refuses the call with that JSON-RPC error.
    fn before(&self, _call: &ToolCall<'_>) -> Result<(), Value> {
        Ok(())
    }

    /// After the forward (which took `took`): the outcome to pass on. `call.arguments` is set
    /// only when some layer [`wants_arguments_after`](Layer::wants_arguments_after).
    fn after(&self, _call: &ToolCall<'_>, _took: Duration, outcome: Outcome) -> Outcome {
        outcome
    }

    /// Whether [`after`](Layer::after) reads the arguments. The forward consumes them, so they
    /// are copied for the after phase only then (never on the ordinary path).
    fn wants_arguments_after(&self) -> bool {
        false
    }
}

/// The layers, outermost first.
#[derive(Default)]
pub struct Pipeline {
    layers: Vec<Box<dyn Layer>>,
}

impl Pipeline {
    pub fn new(layers: Vec<Box<dyn Layer>>) -> Pipeline {
        Pipeline { layers }
    }

    /// Runs a `tools/call` whose `params` already name the server's own tool through every
    /// layer around `forward`, which gets the params.
    pub async fn call<F, Fut>(
        &self,
        spec: &UpstreamSpec,
        exposed: &str,
        params: Option<Value>,
        forward: F,
    ) -> Outcome
    where
        F: FnOnce(Option<Value>) -> Fut,
        Fut: Future<Output = Outcome>,
    {
        let tool = params
            .as_ref()
            .and_then(|p| p["name"].as_str())
            .unwrap_or_default()
            .to_owned();
        let arguments = params.as_ref().and_then(|p| p.get("arguments"));
        let call = ToolCall {
            spec,
            exposed,
            tool: &tool,
            arguments,
        };
        for layer in &self.layers {
            layer.before(&call)?;
        }
        let kept = self
            .layers
            .iter()
            .any(|l| l.wants_arguments_after())
            .then(|| arguments.cloned())
            .flatten();
        let call = ToolCall {
            spec,
            exposed,
            tool: &tool,
            arguments: kept.as_ref(),
        };
        let started = Instant::now();
        let mut outcome = forward(params).await;
        let took = started.elapsed();
        for layer in self.layers.iter().rev() {
            outcome = layer.after(&call, took, outcome);
        }
        outcome
    }
}

/// A call that ran and did not report a tool error.
fn succeeded(outcome: &Outcome) -> bool {
    matches!(outcome, Ok(r) if r.get("isError") != Some(&Value::Bool(true)))
}

/// Refuses tools outside the server's allow-list (`tools` in its catalog entry, Docker's
/// `tools.yaml`) and the gateway's `--tools` patterns.
pub struct AllowList {
    pub patterns: Vec<ToolPattern>,
}

impl Layer for AllowList {
    fn before(&self, call: &ToolCall<'_>) -> Result<(), Value> {
        if naming::tool_enabled(call.spec, &self.patterns, call.tool) {
            return Ok(());
        }
        Err(jsonrpc::error(
            INVALID_PARAMS,
            format!(
                "tool '{}' of server '{}' is not enabled (its allow-list leaves it out)",
                call.exposed, call.spec.name
            ),
        ))
    }
}

/// `--block-secrets`: refuses calls whose arguments, or whose results, hold a secret.
pub struct SecretBlock {
    pub scanner: Arc<RwLock<SecretScanner>>,
}

impl Layer for SecretBlock {
    fn before(&self, call: &ToolCall<'_>) -> Result<(), Value> {
        let Some(args) = call.arguments else {
            return Ok(());
        };
        match self.scanner.read().unwrap().scan_value(args) {
            None => Ok(()),
            Some(kind) => {
                tracing::warn!(tool = %call.exposed, "blocked: {kind} in the arguments");
                Err(jsonrpc::error(
                    INVALID_PARAMS,
                    format!(
                        "blocked by Dockside: a secret ({kind}) is being passed to tool '{}'",
                        call.exposed
                    ),
                ))
            }
        }
    }

    fn after(&self, call: &ToolCall<'_>, _took: Duration, outcome: Outcome) -> Outcome {
        let Ok(result) = &outcome else {
            return outcome;
        };
        let scanner = self.scanner.read().unwrap();
        let found = ["content", "structuredContent"]
            .iter()
            .filter_map(|field| result.get(*field))
            .find_map(|v| scanner.scan_value(v));
        match found {
            None => outcome,
            Some(kind) => {
                tracing::warn!(tool = %call.exposed, "blocked: {kind} in the result");
                Err(jsonrpc::error(
                    INTERNAL_ERROR,
                    format!(
                        "blocked by Dockside: a secret ({kind}) was returned by tool '{}'",
                        call.exposed
                    ),
                ))
            }
        }
    }
}

/// Call counts, errors and latency per server and tool.
pub struct Metrics {
    pub store: Arc<CallMetricsStore>,
}

impl Layer for Metrics {
    fn after(&self, call: &ToolCall<'_>, took: Duration, outcome: Outcome) -> Outcome {
        self.store
            .record(&call.spec.name, call.tool, took, succeeded(&outcome));
        outcome
    }
}

/// `--log-calls`: one line per call in the server's log (file, ring) and the daemon's log:
/// tool, duration, outcome; argument values only with `--log-call-args` (they may hold secrets).
pub struct CallLog {
    pub store: Arc<LogStore>,
    pub with_arguments: bool,
}

impl Layer for CallLog {
    fn after(&self, call: &ToolCall<'_>, took: Duration, outcome: Outcome) -> Outcome {
        let (server, tool) = (call.spec.name.as_str(), call.tool);
        let ms = took.as_secs_f64() * 1000.0;
        let ok = succeeded(&outcome);
        let mut line = format!("call {tool} {ms:.1} ms {}", if ok { "ok" } else { "error" });
        match call.arguments {
            Some(args) => {
                line.push_str(&format!(" arguments={args}"));
                tracing::info!(server, tool, ms, ok, arguments = %args, "tool call");
            }
            None => tracing::info!(server, tool, ms, ok, "tool call"),
        }
        self.store.push(LogEntry {
            server: server.to_owned(),
            at_ms: now_ms(),
            line,
        });
        outcome
    }

    fn wants_arguments_after(&self) -> bool {
        self.with_arguments
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Mutex;

    fn spec(tools: Option<Vec<&str>>) -> UpstreamSpec {
        UpstreamSpec {
            name: "srv".into(),
            tools: tools.map(|t| t.into_iter().map(String::from).collect()),
            ..Default::default()
        }
    }

    /// `tools/call` params naming the server's `echo`, with these arguments.
    fn call(args: Option<&Value>) -> Option<Value> {
        let mut params = json!({"name": "echo"});
        if let Some(a) = args {
            params["arguments"] = a.clone();
        }
        Some(params)
    }

    /// Runs `params` through `p` on server `s`; returns the outcome and whether the forward
    /// ran (with the params it got).
    async fn run(
        p: &Pipeline,
        s: &UpstreamSpec,
        params: Option<Value>,
        reply: Outcome,
    ) -> (Outcome, bool) {
        let forwarded = Mutex::new(None);
        let sent = params.clone();
        let out = p
            .call(s, "srv__echo", params, |got| async {
                *forwarded.lock().unwrap() = Some(got);
                reply
            })
            .await;
        let forwarded = forwarded.into_inner().unwrap();
        if let Some(got) = &forwarded {
            assert_eq!(*got, sent, "the forward gets the params untouched");
        }
        (out, forwarded.is_some())
    }

    #[tokio::test]
    async fn layers_run_in_order_around_the_forward() {
        struct Trace(&'static str, Arc<Mutex<Vec<String>>>);
        impl Layer for Trace {
            fn before(&self, _: &ToolCall<'_>) -> Result<(), Value> {
                self.1.lock().unwrap().push(format!("before {}", self.0));
                Ok(())
            }
            fn after(&self, _: &ToolCall<'_>, _: Duration, o: Outcome) -> Outcome {
                self.1.lock().unwrap().push(format!("after {}", self.0));
                o
            }
        }
        let log = Arc::new(Mutex::new(Vec::new()));
        let p = Pipeline::new(vec![
            Box::new(Trace("outer", log.clone())),
            Box::new(Trace("inner", log.clone())),
        ]);
        let s = spec(None);
        let (out, forwarded) = run(&p, &s, call(None), Ok(json!({"content": []}))).await;
        assert!(out.is_ok() && forwarded);
        assert_eq!(
            *log.lock().unwrap(),
            ["before outer", "before inner", "after inner", "after outer"]
        );
    }

    #[tokio::test]
    async fn the_allow_list_refuses_before_the_forward() {
        let p = Pipeline::new(vec![Box::new(AllowList { patterns: vec![] })]);
        let allowed = spec(Some(vec!["echo"]));
        let (out, forwarded) = run(&p, &allowed, call(None), Ok(json!({}))).await;
        assert!(out.is_ok() && forwarded);
        let other = spec(Some(vec!["add"]));
        let (out, forwarded) = run(&p, &other, call(None), Ok(json!({}))).await;
        assert!(!forwarded);
        let err = out.unwrap_err();
        assert_eq!(err["code"], INVALID_PARAMS);
        assert!(err["message"].as_str().unwrap().contains("srv__echo"));
    }

    #[tokio::test]
    async fn secrets_are_blocked_in_arguments_and_in_results() {
        let scanner = Arc::new(RwLock::new(SecretScanner::default()));
        scanner
            .write()
            .unwrap()
            .set_values(vec!["hunter2-very-secret".into()]);
        let p = Pipeline::new(vec![Box::new(SecretBlock { scanner })]);
        let s = spec(None);
        let args = json!({"message": "hunter2-very-secret"});
        let (out, forwarded) = run(&p, &s, call(Some(&args)), Ok(json!({}))).await;
        assert!(!forwarded);
        assert_eq!(out.unwrap_err()["code"], INVALID_PARAMS);
        let clean = json!({"message": "hello"});
        let leak = json!({"content": [{"type": "text", "text": "hunter2-very-secret"}]});
        let (out, forwarded) = run(&p, &s, call(Some(&clean)), Ok(leak)).await;
        assert!(forwarded);
        assert_eq!(out.unwrap_err()["code"], INTERNAL_ERROR);
        let fine = json!({"content": [{"type": "text", "text": "hello"}]});
        let (out, _) = run(&p, &s, call(Some(&clean)), Ok(fine.clone())).await;
        assert_eq!(out.unwrap(), fine);
    }

    #[tokio::test]
    async fn metrics_count_tool_errors_as_errors() {
        let store = Arc::new(CallMetricsStore::default());
        let p = Pipeline::new(vec![Box::new(Metrics {
            store: store.clone(),
        })]);
        let s = spec(None);
        let _ = run(&p, &s, call(None), Ok(json!({"content": []}))).await;
        let _ = run(&p, &s, call(None), Ok(json!({"isError": true}))).await;
        let _ = run(&p, &s, call(None), Err(json!({"code": -1}))).await;
        let m = store.snapshot(|_| 0);
        let srv = &m.servers[0];
        assert_eq!((srv.calls.calls, srv.calls.errors), (3, 2));
    }

    #[tokio::test]
    async fn the_call_log_keeps_argument_values_only_when_asked() {
        let s = spec(None);
        let args = json!({"message": "private"});
        for with_arguments in [false, true] {
            let store = Arc::new(LogStore::new(None));
            let p = Pipeline::new(vec![Box::new(CallLog {
                store: store.clone(),
                with_arguments,
            })]);
            let _ = run(&p, &s, call(Some(&args)), Ok(json!({}))).await;
            let lines = store.recent(Some("srv"), 0);
            assert_eq!(lines.len(), 1);
            assert!(lines[0].line.starts_with("call echo "));
            assert_eq!(lines[0].line.contains("private"), with_arguments);
        }
    }
}
