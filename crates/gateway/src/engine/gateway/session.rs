//! One client's MCP session with the gateway: the requests it sends (routed by name or URI to
//! the upstream behind them, ids remapped, progress tokens replaced), its notifications
//! (cancellation, roots), its subscriptions, and the requests upstreams send back to it.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use tokio::sync::mpsc;

use super::stateless::{self, Listen, Step};
use super::supervisor;
use super::tasks;
use super::{Gateway, Index, ProgressRoute, PROGRESS_GAP, STARTUP_WAIT};
use crate::protocol::jsonrpc::{self, Kind, INTERNAL_ERROR, INVALID_PARAMS, METHOD_NOT_FOUND};
use crate::protocol::peer::Peer;
use crate::protocol::revision::{self, Declared};
use crate::protocol::PROTOCOL_VERSIONS;
use crate::upstream::{ListKind, Upstream};

/// The revision one client request is handled per.
#[derive(Debug, Clone)]
pub(crate) enum Era {
    /// The session era: what `initialize` negotiated.
    Session,
    /// The stateless era: what the request's `_meta` declares.
    Stateless(Declared),
}

impl Era {
    pub(crate) fn modern(&self) -> bool {
        matches!(self, Era::Stateless(_))
    }
}

#[derive(Default)]
pub(crate) struct SessionState {
    pub(crate) initialized: bool,
    pub(crate) protocol_version: String,
    pub(crate) client_capabilities: Value,
    /// Client request id key → (server, id of the forwarded request on that server's peer).
    pub(crate) inflight: HashMap<String, (String, u64)>,
    pub(crate) cancelled: HashSet<String>,
    pub(crate) subscriptions: HashSet<String>,
    /// Server request id key → (server, id of the request we sent this client).
    pub(crate) reverse: HashMap<String, (String, u64)>,
    pub(crate) last_active: u64,
    pub(crate) closed: bool,
    /// Open `subscriptions/listen` requests of a stateless client.
    pub(crate) listens: Vec<Listen>,
}

/// One client's MCP session with the gateway.
pub struct Session {
    pub(crate) id: u64,
    pub(crate) gw: Gateway,
    pub(crate) scope: Option<String>,
    pub(crate) peer: Arc<Peer>,
    pub(crate) st: Mutex<SessionState>,
}

impl Session {
    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    pub fn protocol_version(&self) -> String {
        self.st.lock().unwrap().protocol_version.clone()
    }

    pub(crate) fn sees(&self, server: &str) -> bool {
        self.scope.as_deref().is_none_or(|s| s == server)
    }

    /// Takes one message from the client. Never blocks: requests are served on their own tasks.
    pub fn handle(self: &Arc<Self>, msg: Value) {
        let Some(msg) = self.peer.accept(msg) else {
            return;
        };
        let seq = self.gw.next_seq();
        self.st.lock().unwrap().last_active = seq;
        match jsonrpc::classify(&msg) {
            Kind::Request { id, method } => {
                let id = id.clone();
                let method = method.to_string();
                let params = msg.get("params").cloned();
                let era = match revision::means_stateless(&method, params.as_ref()) {
                    false => Era::Session,
                    true => match revision::check_meta(params.as_ref()) {
                        Ok(declared) => Era::Stateless(declared),
                        Err(e) => {
                            self.peer
                                .send(jsonrpc::response(id.clone(), Err(e)), Some(id));
                            return;
                        }
                    },
                };
                tokio::spawn(self.clone().serve(id, method, params, era));
            }
            Kind::Notification { method } => self.on_notification(method, msg.get("params")),
            _ => {
                if let Some(id) = msg.get("id").filter(|id| !id.is_null()) {
                    self.peer.send(
                        jsonrpc::response(
                            id.clone(),
                            Err(jsonrpc::error(
                                jsonrpc::INVALID_REQUEST,
                                "not a JSON-RPC 2.0 request",
                            )),
                        ),
                        Some(id.clone()),
                    );
                }
            }
        }
    }

    /// The client's id of the request forwarded to `server` as `upstream_id`.
    pub(crate) fn request_forwarded_as(&self, server: &str, upstream_id: u64) -> Option<Value> {
        let st = self.st.lock().unwrap();
        st.inflight
            .iter()
            .find(|(_, (s, id))| s == server && *id == upstream_id)
            .and_then(|(key, _)| jsonrpc::id_from_key(key))
    }

    /// Ends the session: calls still running upstream are cancelled.
    pub fn close(&self) {
        let inflight: Vec<(String, u64)> = {
            let mut st = self.st.lock().unwrap();
            st.closed = true;
            st.inflight.drain().map(|(_, v)| v).collect()
        };
        for (server, id) in inflight {
            if let Some(up) = self.gw.upstream(&server) {
                up.peer.forget(id);
                up.peer.notify(
                    "notifications/cancelled",
                    Some(json!({"requestId": id, "reason": "the client disconnected"})),
                    None,
                );
            }
        }
        self.peer.close();
        self.gw.inner.sessions.lock().unwrap().remove(&self.id);
    }

    fn on_notification(&self, method: &str, params: Option<&Value>) {
        match method {
            "notifications/initialized" => {}
            "notifications/cancelled" => {
                let Some(id) = params.and_then(|p| p.get("requestId")) else {
                    return;
                };
                if self.unlisten(id) {
                    self.peer.send(Value::Null, Some(id.clone()));
                    return;
                }
                let key = jsonrpc::id_key(id);
                let found = {
                    let mut st = self.st.lock().unwrap();
                    let found = st.inflight.remove(&key);
                    if found.is_some() {
                        st.cancelled.insert(key);
                    }
                    found
                };
                if let Some((server, upstream_id)) = found {
                    if let Some(up) = self.gw.upstream(&server) {
                        up.peer.forget(upstream_id);
                        let mut p = params.cloned().unwrap_or_else(|| json!({}));
                        p["requestId"] = upstream_id.into();
                        up.peer.notify(method, Some(p), None);
                    }
                }
            }
            "notifications/roots/list_changed" => {
                for up in self.gw.upstreams_for(self.scope()) {
                    up.peer.notify(method, params.cloned(), None);
                }
            }
            _ => tracing::debug!(session = self.id, "ignoring client notification {method}"),
        }
    }

    async fn serve(self: Arc<Self>, id: Value, method: String, params: Option<Value>, era: Era) {
        let outcome = match (&era, method.as_str()) {
            (Era::Stateless(_), "subscriptions/listen") => {
                // Open until the client goes: no reply.
                self.listen(&id, params.as_ref());
                return;
            }
            (Era::Stateless(_), "server/discover") => Ok(self.discover()),
            _ => match stateless::removed(&era, &method) {
                Some(e) => Err(e),
                None => self.dispatch(&id, &method, params, &era).await,
            },
        };
        let outcome = match (outcome, &era) {
            (Ok(mut result), Era::Stateless(_)) => {
                revision::stamp_result(&method, &mut result, &self.server_info());
                Ok(result)
            }
            (outcome, _) => outcome,
        };
        let key = jsonrpc::id_key(&id);
        if self.st.lock().unwrap().cancelled.remove(&key) {
            // No reply to a cancelled request; tell the transport it is over (a Streamable HTTP
            // POST stream closes).
            self.peer.send(Value::Null, Some(id));
            return;
        }
        self.peer
            .send(jsonrpc::response(id.clone(), outcome), Some(id));
    }

    fn index(&self, era: &Era) -> Arc<Index> {
        self.gw.index(era.modern())
    }

    /// The capabilities a session-era client declared at `initialize`.
    fn client_capabilities(&self) -> Value {
        self.st.lock().unwrap().client_capabilities.clone()
    }

    async fn dispatch(
        self: &Arc<Self>,
        id: &Value,
        method: &str,
        params: Option<Value>,
        era: &Era,
    ) -> Result<Value, Value> {
        match method {
            "initialize" => Ok(self.initialize(params.unwrap_or(Value::Null))),
            "ping" => Ok(json!({})),
            "tools/list" | "prompts/list" | "resources/list" | "resources/templates/list" => {
                Ok(self.list(method, era))
            }
            "tools/call" => self.call_tool(id, params, era).await,
            "prompts/get" => {
                let (up, params) = self.resolve_named(ListKind::Prompts, params, era).await?;
                self.forward(id, &up, method, params, era).await
            }
            "resources/read" | "resources/subscribe" | "resources/unsubscribe" => {
                let uri = str_param(&params, "uri");
                if self.gw.owner_of_uri(self.scope(), &uri).is_none() {
                    self.gw.wait_ready(STARTUP_WAIT).await;
                }
                let up = self.gw.owner_of_uri(self.scope(), &uri).ok_or_else(|| {
                    json!({"code": -32002, "message": format!("Resource not found: {uri}"), "data": {"uri": uri}})
                })?;
                let outcome = self.forward(id, &up, method, params, era).await;
                if outcome.is_ok() {
                    let mut st = self.st.lock().unwrap();
                    match method {
                        "resources/subscribe" => {
                            st.subscriptions.insert(uri);
                        }
                        "resources/unsubscribe" => {
                            st.subscriptions.remove(&uri);
                        }
                        _ => {}
                    }
                }
                outcome
            }
            "completion/complete" => {
                let r = params
                    .as_ref()
                    .and_then(|p| p.get("ref"))
                    .cloned()
                    .unwrap_or(Value::Null);
                match r.get("type").and_then(Value::as_str) {
                    Some("ref/prompt") => {
                        let name = r.get("name").cloned().unwrap_or(Value::Null);
                        let (up, original) = self
                            .lookup_ready(ListKind::Prompts, name.as_str().unwrap_or(""), era)
                            .await?;
                        let mut params = params.unwrap_or_default();
                        params["ref"]["name"] = Value::String(original);
                        self.forward(id, &up, method, Some(params), era).await
                    }
                    Some("ref/resource") => {
                        let uri = r.get("uri").and_then(Value::as_str).unwrap_or("");
                        let up = self.gw.owner_of_uri(self.scope(), uri).ok_or_else(|| {
                            jsonrpc::error(
                                INVALID_PARAMS,
                                format!("no server offers resource {uri}"),
                            )
                        })?;
                        self.forward(id, &up, method, params, era).await
                    }
                    _ => Err(jsonrpc::error(
                        INVALID_PARAMS,
                        "completion/complete needs ref/prompt or ref/resource",
                    )),
                }
            }
            "logging/setLevel" => {
                let ups: Vec<_> = self
                    .gw
                    .upstreams_for(self.scope())
                    .into_iter()
                    .filter(|u| u.session && u.has_capability("logging"))
                    .collect();
                let replies = futures::future::join_all(
                    ups.iter()
                        .map(|u| u.peer.request("logging/setLevel", params.clone())),
                )
                .await;
                for (u, r) in ups.iter().zip(replies) {
                    if let Ok(Err(e)) = r {
                        tracing::debug!(server = %u.name(), "logging/setLevel: {e}");
                    }
                }
                Ok(json!({}))
            }
            "tasks/list" if self.scope().is_none() => self.list_tasks(id, era).await,
            m if tasks::names_a_task(m) && self.scope().is_none() => {
                self.task_request(id, m, params, era).await
            }
            _ => match self.scope() {
                // A scoped session passes every other method through unchanged.
                Some(server) => {
                    let up = self.scoped_upstream(server)?;
                    self.forward(id, &up, method, params, era).await
                }
                None => Err(jsonrpc::error(
                    METHOD_NOT_FOUND,
                    format!("Method not found: {method}"),
                )),
            },
        }
    }

    fn initialize(&self, params: Value) -> Value {
        let requested = params
            .get("protocolVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        let version = if PROTOCOL_VERSIONS.contains(&requested) {
            requested.to_string()
        } else {
            PROTOCOL_VERSIONS[PROTOCOL_VERSIONS.len() - 1].to_string()
        };
        {
            let mut st = self.st.lock().unwrap();
            st.initialized = true;
            st.protocol_version = version.clone();
            st.client_capabilities = params.get("capabilities").cloned().unwrap_or(Value::Null);
        }
        let (capabilities, info, instructions) = self.advertised(false);
        let mut result = json!({
            "protocolVersion": version,
            "capabilities": capabilities,
            "serverInfo": info.unwrap_or_else(|| self.server_info()),
        });
        if let Some(i) = instructions {
            result["instructions"] = i;
        }
        result
    }

    /// What this endpoint says of itself: for a per-server endpoint, the server's capabilities
    /// (every list announces changes: the gateway relays them), info and instructions; for the
    /// aggregated one, the gateway's capabilities with every server's task capabilities, and for
    /// a session-era client (`!modern`: it has `logging/setLevel`) the logging it relays.
    pub(crate) fn advertised(&self, modern: bool) -> (Value, Option<Value>, Option<Value>) {
        match self.scope().and_then(|s| self.gw.upstream(s)) {
            Some(up) => {
                let mut caps = up.capabilities().clone();
                for k in ["tools", "prompts", "resources"] {
                    if let Some(obj) = caps.get_mut(k).and_then(Value::as_object_mut) {
                        obj.insert("listChanged".into(), true.into());
                    }
                }
                let init = |k: &str| up.init.get(k).cloned();
                (caps, init("serverInfo"), init("instructions"))
            }
            None => {
                let mut caps = json!({
                    "tools": {"listChanged": true},
                    "resources": {"subscribe": true, "listChanged": true},
                    "prompts": {"listChanged": true},
                    "completions": {},
                });
                if !modern {
                    caps["logging"] = json!({});
                }
                if self.scope().is_none() {
                    let ups = self.gw.upstreams();
                    tasks::merge_capabilities(&mut caps, ups.iter().map(|u| u.capabilities()));
                }
                (caps, None, None)
            }
        }
    }

    fn scoped_upstream(&self, server: &str) -> Result<Arc<Upstream>, Value> {
        self.gw
            .upstream(server)
            .ok_or_else(|| match self.gw.outage(server) {
                Some(outage) => outage.call_error(server),
                None => jsonrpc::error(
                    INTERNAL_ERROR,
                    format!("server '{server}' is not running in the Dockside gateway"),
                ),
            })
    }

    /// The error for a name whose server is a remote one out of reach.
    fn outage_error(&self, name: &str) -> Option<Value> {
        match self.scope() {
            Some(server) => self.gw.outage(server).map(|o| o.call_error(server)),
            None => self
                .gw
                .outage_for_exposed(name)
                .map(|(server, o)| o.call_error(&server)),
        }
    }

    /// A list request's result, as the client's era sees the servers.
    fn list(&self, method: &str, era: &Era) -> Value {
        let (kind, field) = match method {
            "tools/list" => (ListKind::Tools, "tools"),
            "prompts/list" => (ListKind::Prompts, "prompts"),
            "resources/list" => (ListKind::Resources, "resources"),
            _ => (ListKind::Templates, "resourceTemplates"),
        };
        let items = match kind {
            ListKind::Tools | ListKind::Prompts => self.list_named(kind, era),
            _ => self.list_plain(kind, era),
        };
        let mut result = json!({ field: items });
        if era.modern() {
            self.list_hints(kind, &mut result);
        }
        result
    }

    fn list_named(&self, kind: ListKind, era: &Era) -> Vec<Value> {
        match self.scope() {
            Some(server) => match self.gw.upstream(server) {
                Some(up) if kind == ListKind::Tools => self.gw.enabled_tools(&up, era.modern()),
                Some(up) => up.lists_for(era.modern()).prompts,
                None => vec![],
            },
            None => {
                let index = self.index(era);
                index.named(kind).values().map(|e| e.item.clone()).collect()
            }
        }
    }

    fn list_plain(&self, kind: ListKind, era: &Era) -> Vec<Value> {
        self.gw
            .upstreams_for(self.scope())
            .iter()
            .flat_map(|u| {
                let l = u.lists_for(era.modern());
                if kind == ListKind::Resources {
                    l.resources
                } else {
                    l.templates
                }
            })
            .collect()
    }

    /// [`Self::lookup`], waiting (bounded) while servers start or restart when the name is
    /// unknown: a call that arrives during a restart waits for it instead of failing.
    async fn lookup_ready(
        &self,
        kind: ListKind,
        name: &str,
        era: &Era,
    ) -> Result<(Arc<Upstream>, String), Value> {
        let config = &self.gw.inner.config;
        let mut deadline = None;
        let mut expired = || {
            let d =
                *deadline.get_or_insert_with(|| Instant::now() + config.supervisor.restart_wait);
            Instant::now() >= d
        };
        loop {
            match self.lookup(kind, name, era) {
                // Found, and alive: the usual case, no clock read.
                Ok(found) if found.0.is_running() => return Ok(found),
                // Dead but not replaced yet (the supervisor is about to): wait for the restart,
                // unless it is a remote server out of reach (its call fails at once).
                Ok(found)
                    if !config.restart
                        || !self.gw.is_wanted(found.0.name())
                        || found.0.outage().is_some()
                        || expired() =>
                {
                    return Ok(found)
                }
                Ok(_) => {}
                Err(e) => {
                    if let Some(outage) = self.outage_error(name) {
                        return Err(outage);
                    }
                    if !self.gw.starting() || expired() {
                        // A server may have started between the lookup and that check (it is
                        // indexed before it counts as started): one more look.
                        return self.lookup(kind, name, era).map_err(|_| e);
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The upstream and original name behind an exposed tool or prompt name.
    fn lookup(
        &self,
        kind: ListKind,
        name: &str,
        era: &Era,
    ) -> Result<(Arc<Upstream>, String), Value> {
        let what = if kind == ListKind::Tools {
            "tool"
        } else {
            "prompt"
        };
        let unknown = || jsonrpc::error(INVALID_PARAMS, format!("Unknown {what}: {name}"));
        match self.scope() {
            Some(server) => {
                let up = self.scoped_upstream(server)?;
                // A server of the stateless era answers for names it does not list itself.
                let known = kind != ListKind::Tools
                    || self.gw.offers_tool(&up, name, era.modern())
                    || (era.modern() && up.stateless_for(true));
                if !known {
                    return Err(unknown());
                }
                Ok((up, name.to_string()))
            }
            None => {
                let index = self.index(era);
                let Some(e) = index.named(kind).get(name) else {
                    // The only server, of the stateless era and unprefixed, answers for names
                    // it does not list itself.
                    return match self.gw.upstreams().as_slice() {
                        [only]
                            if era.modern()
                                && only.stateless_for(true)
                                && only.spec.prefix_str().is_none() =>
                        {
                            Ok((only.clone(), name.to_string()))
                        }
                        _ => Err(unknown()),
                    };
                };
                let up = self.gw.upstream(&e.server).ok_or_else(unknown)?;
                Ok((up, e.original.clone()))
            }
        }
    }

    async fn resolve_named(
        &self,
        kind: ListKind,
        params: Option<Value>,
        era: &Era,
    ) -> Result<(Arc<Upstream>, Option<Value>), Value> {
        let name = str_param(&params, "name");
        let mut params = params.unwrap_or_else(|| json!({}));
        let (up, original) = self.lookup_ready(kind, &name, era).await?;
        params["name"] = Value::String(original);
        Ok((up, Some(params)))
    }

    async fn call_tool(
        self: &Arc<Self>,
        id: &Value,
        params: Option<Value>,
        era: &Era,
    ) -> Result<Value, Value> {
        let exposed = str_param(&params, "name");
        let (up, params) = self.resolve_named(ListKind::Tools, params, era).await?;
        let forward = |params| self.forward(id, &up, "tools/call", params, era);
        self.gw
            .inner
            .pipeline
            .call(&up.spec, &exposed, params, forward)
            .await
    }

    /// Sends a request to an upstream on behalf of this client and waits for the reply, in the
    /// era the upstream speaks to this client's era, bridging where they differ. On the
    /// aggregated endpoint the reply's task ids are the server's prefixed ones.
    pub(crate) async fn forward(
        self: &Arc<Self>,
        client_id: &Value,
        up: &Arc<Upstream>,
        method: &str,
        params: Option<Value>,
        era: &Era,
    ) -> Result<Value, Value> {
        let stateless = up.stateless_for(era.modern());
        let mut outcome = match (era, stateless) {
            (Era::Session, false) => self.exchange(client_id, up, method, params, None).await,
            (Era::Stateless(_), true) => self.exchange(client_id, up, method, params, None).await,
            (Era::Stateless(declared), false) => match stateless::parked_state(&params) {
                Some(state) => self.resume(&state, &params).await,
                None => {
                    let params = revision::without_meta(params);
                    let caps = declared.capabilities.clone();
                    self.call_for_stateless(client_id, up, method, params, caps)
                        .await
                }
            },
            (Era::Session, true) => {
                let params = Some(revision::with_meta(params, &self.client_capabilities()));
                let result = self
                    .exchange(client_id, up, method, params.clone(), None)
                    .await?;
                self.play_rounds(client_id, up, method, params, result)
                    .await
            }
        };
        if let (Ok(result), None) = (outcome.as_mut(), self.scope()) {
            tasks::expose(up.name(), method, result);
        }
        outcome
    }

    /// One request to an upstream for this client: progress tokens mapped, the call recorded
    /// (the server's requests to a client go to the newest call's client, or to `inbox` for a
    /// stateless client's call), cancellable by the client unless it runs for an inbox.
    pub(crate) async fn exchange(
        self: &Arc<Self>,
        client_id: &Value,
        up: &Arc<Upstream>,
        method: &str,
        mut params: Option<Value>,
        inbox: Option<mpsc::UnboundedSender<Step>>,
    ) -> Result<Value, Value> {
        let gw = &self.gw;
        let mut token = None;
        if let Some(tok) = params
            .as_mut()
            .and_then(|p| p.get_mut("_meta"))
            .and_then(|m| m.get_mut("progressToken"))
        {
            let ours = format!("dockside-{}", gw.next_seq());
            let original = std::mem::replace(tok, Value::String(ours.clone()));
            gw.inner.progress.lock().unwrap().insert(
                ours.clone(),
                ProgressRoute {
                    session: Arc::downgrade(self),
                    token: original,
                    client_id: client_id.clone(),
                    last_sent: None,
                },
            );
            token = Some(ours);
        }
        let key = jsonrpc::id_key(client_id);
        let cancellable = inbox.is_none();
        let call = gw.begin_call(up.name(), self, client_id, inbox);
        let pending = up.peer.start_request(method, params, None);
        if cancellable {
            self.st
                .lock()
                .unwrap()
                .inflight
                .insert(key.clone(), (up.name().to_string(), pending.id));
        }
        let reply = pending.reply().await;
        gw.end_call(up.name(), call);
        if cancellable {
            self.st.lock().unwrap().inflight.remove(&key);
        }
        if let Some(t) = token {
            let route = gw.inner.progress.lock().unwrap().remove(&t);
            if let Some(since) = route.and_then(|r| r.last_sent).map(|at| at.elapsed()) {
                if since < PROGRESS_GAP {
                    tokio::time::sleep(PROGRESS_GAP - since).await;
                }
            }
        }
        match reply {
            Ok(outcome) => outcome,
            Err(_) => Err(supervisor::down_error(up, method, gw.inner.config.restart).await),
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if !self.st.get_mut().map(|s| s.closed).unwrap_or(true) {
            self.peer.close();
        }
    }
}

/// A string parameter of a request (`""` when absent or not a string).
fn str_param(params: &Option<Value>, key: &str) -> String {
    params
        .as_ref()
        .and_then(|p| p.get(key))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}
