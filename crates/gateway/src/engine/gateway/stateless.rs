//! Clients and servers of the stateless era (2026-07-28) and the bridge between the eras.
//!
//! - `server/discover` and `subscriptions/listen` answered by the gateway for its clients;
//! - a stateless client calling a session-era server: the server's requests to the client
//!   (elicitation, sampling, roots) become an `input_required` result; the call waits, parked in
//!   the gateway under a random `requestState`, until the client retries with its answers
//!   ([`Parked`]; the state is only a key, so it cannot be forged or altered);
//! - a session-era client calling a stateless-era server: each `input_required` result becomes
//!   real requests to the client, and the call is retried with the answers, for at most
//!   [`revision::MAX_ROUNDS`] rounds ([`Session::play_rounds`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use tokio::sync::mpsc;

use super::session::{Era, Session};
use super::Gateway;
use crate::protocol::jsonrpc::{self, INVALID_PARAMS};
use crate::protocol::revision::{self, META_SERVER_INFO, META_SUBSCRIPTION};
use crate::upstream::{ListKind, Upstream};

/// A parked call is dropped (its questions answered with an error) after this long.
const PARKED_FOR: Duration = Duration::from_secs(10 * 60);
/// `requestState` values the gateway minted start with this.
const STATE_PREFIX: &str = "dockside:";

/// What a call driven for a stateless client yields: a question from the server, or its end.
pub(crate) enum Step {
    Ask {
        id: Value,
        method: String,
        params: Option<Value>,
    },
    Done(Result<Value, Value>),
}

/// A call waiting for its stateless client's answers.
pub(crate) struct Parked {
    up: Arc<Upstream>,
    /// What the client declared it can answer.
    capabilities: Value,
    steps: mpsc::UnboundedReceiver<Step>,
    /// Input key → the id of the server's request it answers, while unanswered.
    asks: Map<String, Value>,
    /// Input key → the request as the client is asked it.
    asked: Map<String, Value>,
    since: Instant,
}

impl Drop for Parked {
    fn drop(&mut self) {
        // Unanswered questions get an error, so the server's call ends too.
        for id in self.asks.values() {
            self.up.peer.send(
                jsonrpc::response(
                    id.clone(),
                    Err(jsonrpc::error(
                        jsonrpc::INTERNAL_ERROR,
                        "the client did not answer (its stateless retry never came)",
                    )),
                ),
                None,
            );
        }
    }
}

/// A listen subscription of a stateless client: its request id and what it asked for.
#[derive(Debug, Clone)]
pub(crate) struct Listen {
    pub(crate) id: Value,
    pub(crate) filter: Value,
}

impl Listen {
    fn wants(&self, kind: ListKind) -> bool {
        let key = match kind {
            ListKind::Tools => "toolsListChanged",
            ListKind::Prompts => "promptsListChanged",
            ListKind::Resources | ListKind::Templates => "resourcesListChanged",
        };
        self.filter[key] == json!(true)
    }

    fn watches(&self, uri: &str) -> bool {
        self.filter["resourceSubscriptions"]
            .as_array()
            .is_some_and(|a| a.iter().any(|u| u.as_str() == Some(uri)))
    }

    /// A notification for this subscription, tagged with its id.
    fn tag(&self, params: Option<Value>) -> Value {
        let mut params = match params {
            Some(Value::Object(m)) => Value::Object(m),
            _ => json!({}),
        };
        params["_meta"][META_SUBSCRIPTION] = self.id.clone();
        params
    }
}

impl Gateway {
    /// Tells stateless clients listening for `kind` that the list changed.
    pub(crate) fn notify_listeners(&self, server: &str, kind: ListKind, method: &str) {
        for s in self.sessions().into_iter().filter(|s| s.sees(server)) {
            let listens = s.st.lock().unwrap().listens.clone();
            for l in listens.iter().filter(|l| l.wants(kind)) {
                s.peer.notify(method, Some(l.tag(None)), Some(l.id.clone()));
            }
        }
    }

    /// Tells stateless clients watching `uri` that it changed.
    pub(crate) fn notify_resource_watchers(&self, server: &str, uri: &str, params: &Option<Value>) {
        for s in self.sessions().into_iter().filter(|s| s.sees(server)) {
            let listens = s.st.lock().unwrap().listens.clone();
            for l in listens.iter().filter(|l| l.watches(uri)) {
                s.peer.notify(
                    "notifications/resources/updated",
                    Some(l.tag(params.clone())),
                    Some(l.id.clone()),
                );
            }
        }
    }

    fn park(&self, parked: Parked) -> String {
        let mut bytes = [0u8; 16];
        let _ = getrandom::fill(&mut bytes);
        let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let key = format!("{STATE_PREFIX}{key}");
        let mut all = self.inner.parked.lock().unwrap();
        all.retain(|_, p| p.since.elapsed() < PARKED_FOR);
        all.insert(key.clone(), parked);
        key
    }

    fn unpark(&self, state: &str) -> Option<Parked> {
        self.inner.parked.lock().unwrap().remove(state)
    }
}

/// The gateway's own `requestState` in a retry's params, if it holds one.
pub(crate) fn parked_state(params: &Option<Value>) -> Option<String> {
    params
        .as_ref()?
        .get("requestState")?
        .as_str()
        .filter(|s| s.starts_with(STATE_PREFIX))
        .map(str::to_owned)
}

impl Session {
    /// `server/discover`: the scoped server's own answer when it speaks the stateless era, else
    /// what its `initialize` said; for the aggregated endpoint, the gateway's.
    pub(crate) fn discover(&self) -> Value {
        let (capabilities, info, instructions) = self.advertised(true);
        let up = self.scope().and_then(|s| self.gw.upstream(s));
        let info = info.unwrap_or_else(|| self.server_info());
        let mut result = json!({
            "supportedVersions": revision::ALL_VERSIONS,
            "capabilities": capabilities,
            "_meta": {META_SERVER_INFO: info},
        });
        if let Some(i) = instructions {
            result["instructions"] = i;
        }
        if let Some(found) = up.as_ref().and_then(|u| u.discover.as_ref()) {
            for k in ["ttlMs", "cacheScope"] {
                if let Some(v) = found.get(k) {
                    result[k] = v.clone();
                }
            }
        }
        result
    }

    /// Who answers, as `_meta` of stateless results names it.
    pub(crate) fn server_info(&self) -> Value {
        json!({
            "name": self.scope().unwrap_or("dockside"),
            "version": env!("CARGO_PKG_VERSION"),
        })
    }

    /// `subscriptions/listen`: acknowledged at once with what the gateway will send; the request
    /// stays open (never answered) until the client goes.
    pub(crate) fn listen(&self, id: &Value, params: Option<&Value>) {
        let asked = params
            .and_then(|p| p.get("notifications"))
            .and_then(Value::as_object);
        let mut honored = Map::new();
        for (k, v) in asked.into_iter().flatten() {
            let keep = match k.as_str() {
                "toolsListChanged" | "promptsListChanged" | "resourcesListChanged" => {
                    v == &json!(true)
                }
                "resourceSubscriptions" => v.as_array().is_some_and(|a| !a.is_empty()),
                _ => false,
            };
            if keep {
                honored.insert(k.clone(), v.clone());
            }
        }
        let listen = Listen {
            id: id.clone(),
            filter: Value::Object(honored.clone()),
        };
        let ack = listen.tag(Some(json!({"notifications": honored})));
        self.st.lock().unwrap().listens.push(listen);
        self.peer.notify(
            "notifications/subscriptions/acknowledged",
            Some(ack),
            Some(id.clone()),
        );
    }

    /// Ends a listen subscription (the client cancelled it).
    pub(crate) fn unlisten(&self, id: &Value) -> bool {
        let mut st = self.st.lock().unwrap();
        let before = st.listens.len();
        st.listens.retain(|l| &l.id != id);
        before != st.listens.len()
    }

    /// Lists for a stateless client carry cache hints correct for the merged list: the shortest
    /// lifetime and the narrowest scope of the servers' own (none given: not cacheable).
    pub(crate) fn list_hints(&self, kind: ListKind, result: &mut Value) {
        let ups = self.gw.upstreams_for(self.scope());
        let hints: Vec<(u64, String)> = ups
            .iter()
            .map(|u| {
                u.with_lists_for(true, |l| {
                    l.hints
                        .get(&kind)
                        .cloned()
                        .unwrap_or((0, "private".to_owned()))
                })
            })
            .collect();
        let (ttl, scope) = revision::merge_hints(hints.iter().map(|(t, s)| (*t, s.as_str())));
        result["ttlMs"] = ttl.into();
        result["cacheScope"] = scope.into();
    }

    /// A stateless client's call to a session-era server: driven on its own task; the first
    /// questions the server asks park it and become an `input_required` result.
    pub(crate) async fn call_for_stateless(
        self: &Arc<Self>,
        client_id: &Value,
        up: &Arc<Upstream>,
        method: &str,
        params: Option<Value>,
        capabilities: Value,
    ) -> Result<Value, Value> {
        let (tx, steps) = mpsc::unbounded_channel();
        let me = self.clone();
        let (id, target, method) = (client_id.clone(), up.clone(), method.to_owned());
        tokio::spawn(async move {
            let outcome = me
                .exchange(&id, &target, &method, params, Some(tx.clone()))
                .await;
            let _ = tx.send(Step::Done(outcome));
        });
        self.gw.next_step(up.clone(), steps, capabilities).await
    }

    /// A stateless client's retry of a parked call: its answers go to the server's questions,
    /// then the call goes on to its end or to the next questions.
    pub(crate) async fn resume(&self, state: &str, params: &Option<Value>) -> Result<Value, Value> {
        let mut parked = self.gw.unpark(state).ok_or_else(|| {
            jsonrpc::error(
                INVALID_PARAMS,
                "Invalid params: requestState is unknown or expired (the gateway keeps it for 10 minutes); call again without it",
            )
        })?;
        let answers = params
            .as_ref()
            .and_then(|p| p.get("inputResponses"))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mut missing = Map::new();
        for (key, id) in std::mem::take(&mut parked.asks) {
            match answers.get(&key) {
                Some(answer) => parked
                    .up
                    .peer
                    .send(jsonrpc::response(id, Ok(answer.clone())), None),
                None => {
                    missing.insert(key, id);
                }
            }
        }
        if !missing.is_empty() {
            // Ask again for what is still missing.
            parked.asks = missing;
            return Ok(self.gw.input_required(parked));
        }
        let steps = std::mem::replace(&mut parked.steps, mpsc::unbounded_channel().1);
        let (up, capabilities) = (parked.up.clone(), parked.capabilities.take());
        drop(parked);
        self.gw.next_step(up, steps, capabilities).await
    }

    /// A session-era client's call to a stateless-era server: every `input_required` result is
    /// asked of the client as real requests, and the call retried with the answers.
    pub(crate) async fn play_rounds(
        self: &Arc<Self>,
        client_id: &Value,
        up: &Arc<Upstream>,
        method: &str,
        params: Option<Value>,
        mut result: Value,
    ) -> Result<Value, Value> {
        for _ in 0..revision::MAX_ROUNDS {
            if !revision::is_input_required(&result) {
                return Ok(result);
            }
            let mut answers = Map::new();
            let asks = result["inputRequests"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for (key, ask) in asks {
                let method = ask["method"].as_str().unwrap_or_default();
                let reply = self
                    .peer
                    .start_request(method, ask.get("params").cloned(), Some(client_id.clone()))
                    .reply()
                    .await;
                match reply {
                    Ok(Ok(answer)) => answers.insert(key, answer),
                    Ok(Err(e)) => return Err(e),
                    Err(_) => {
                        return Err(jsonrpc::error(
                            jsonrpc::INTERNAL_ERROR,
                            "the client disconnected before answering",
                        ))
                    }
                };
            }
            let mut retry = params.clone().unwrap_or_else(|| json!({}));
            retry["inputResponses"] = Value::Object(answers);
            match result.get("requestState") {
                Some(s) => retry["requestState"] = s.clone(),
                None => {
                    retry.as_object_mut().map(|r| r.remove("requestState"));
                }
            }
            result = self
                .exchange(client_id, up, method, Some(retry), None)
                .await?;
        }
        Err(jsonrpc::error(
            jsonrpc::INTERNAL_ERROR,
            format!(
                "server '{}' asked for input more than {} times in one call",
                up.name(),
                revision::MAX_ROUNDS
            ),
        ))
    }
}

impl Gateway {
    /// Waits for the call's next step: its end, or questions (with any others already queued),
    /// which park it.
    async fn next_step(
        &self,
        up: Arc<Upstream>,
        mut steps: mpsc::UnboundedReceiver<Step>,
        capabilities: Value,
    ) -> Result<Value, Value> {
        let (mut asks, mut asked) = (Map::new(), Map::new());
        let mut next = steps.recv().await;
        while let Some(step) = next.take() {
            match step {
                // The call ended (questions it asked meanwhile no longer matter).
                Step::Done(outcome) => return outcome,
                Step::Ask { id, method, .. } if !declares(&capabilities, &method) => {
                    // The client cannot answer it: the server hears so at once.
                    up.peer.send(
                        jsonrpc::response(
                            id,
                            Err(jsonrpc::error(
                                jsonrpc::METHOD_NOT_FOUND,
                                format!("the client did not declare the capability {method} needs"),
                            )),
                        ),
                        None,
                    );
                    next = steps.recv().await;
                    continue;
                }
                Step::Ask { id, method, params } => {
                    let key = format!("{}-{}", method.replace('/', "-"), jsonrpc::id_key(&id));
                    let mut request = json!({"method": method});
                    if let Some(p) = params {
                        request["params"] = p;
                    }
                    asked.insert(key.clone(), request);
                    asks.insert(key, id);
                }
            }
            next = steps.try_recv().ok();
        }
        if asks.is_empty() {
            return Err(jsonrpc::error(
                jsonrpc::INTERNAL_ERROR,
                format!("server '{}' ended the call without an answer", up.name()),
            ));
        }
        Ok(self.input_required(Parked {
            up,
            capabilities,
            steps,
            asks,
            asked,
            since: Instant::now(),
        }))
    }

    fn input_required(&self, parked: Parked) -> Value {
        let requests: Map<String, Value> = parked
            .asks
            .keys()
            .filter_map(|k| parked.asked.get(k).map(|r| (k.clone(), r.clone())))
            .collect();
        let state = self.park(parked);
        json!({
            "resultType": "input_required",
            "inputRequests": requests,
            "requestState": state,
        })
    }
}

/// Whether a client's declared capabilities let it answer a server's `method`.
fn declares(capabilities: &Value, method: &str) -> bool {
    let capability = match method {
        "elicitation/create" => "elicitation",
        "sampling/createMessage" => "sampling",
        "roots/list" => "roots",
        _ => return true,
    };
    capabilities.get(capability).is_some_and(|c| !c.is_null())
}

/// Which requests the stateless era handles how, for [`Session`]'s dispatch.
pub(crate) fn removed(era: &Era, method: &str) -> Option<Value> {
    (era.modern() && revision::REMOVED.contains(&method)).then(|| {
        jsonrpc::error(
            jsonrpc::METHOD_NOT_FOUND,
            format!(
                "Method not found: {method} (removed in MCP {})",
                revision::MODERN
            ),
        )
    })
}
