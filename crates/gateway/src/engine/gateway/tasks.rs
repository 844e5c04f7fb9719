//! Tasks (MCP 2025-11-25 core; the `io.modelcontextprotocol/tasks` extension of 2026-07-28)
//! through the aggregated endpoint.
//!
//! Two servers may mint the same task id, and a client names a task only by its id, so the
//! aggregated endpoint shows each server's task ids as `<server>:<id>` and takes the prefix off
//! again when the client asks about the task (`tasks/get`, `tasks/result`, `tasks/cancel`,
//! `tasks/update`); `tasks/list` merges every server's list. Server names are safe names with no
//! `:`, so the first `:` splits. Per-server endpoints pass ids unchanged.

use std::sync::Arc;

use serde_json::{json, Value};

use super::session::{Era, Session};
use crate::protocol::jsonrpc::{self, INVALID_PARAMS};
use crate::upstream::Upstream;

/// The `_meta` key that ties a message to a task.
const RELATED_TASK: &str = "io.modelcontextprotocol/related-task";
/// The capability key of the tasks extension (2026-07-28).
const EXTENSION: &str = "io.modelcontextprotocol/tasks";
/// Pages of one server's `tasks/list` merged at most (a server that pages forever stops here).
const MAX_PAGES: usize = 32;

/// Whether `method` is about one task named by `params.taskId`.
pub(crate) fn names_a_task(method: &str) -> bool {
    matches!(
        method,
        "tasks/get" | "tasks/result" | "tasks/cancel" | "tasks/update"
    )
}

/// The id a client of the aggregated endpoint sees for `server`'s task `id`.
fn exposed_id(server: &str, id: &str) -> String {
    format!("{server}:{id}")
}

/// The server and that server's own id behind an exposed task id.
fn split(exposed: &str) -> Option<(&str, &str)> {
    exposed
        .split_once(':')
        .filter(|(server, _)| !server.is_empty())
}

fn prefix_id(server: &str, slot: Option<&mut Value>) {
    if let Some(slot) = slot {
        if let Some(id) = slot.as_str() {
            *slot = Value::String(exposed_id(server, id));
        }
    }
}

/// Rewrites the task ids in a message `server` sent (a result of `method`, or a request's or
/// notification's params) to the ids clients of the aggregated endpoint see: a created task's
/// `task.taskId`, `_meta[related-task].taskId`, and for messages about tasks (`tasks/*`,
/// `notifications/tasks*`) the task's own `taskId` and each of `tasks[]`.
pub(crate) fn expose(server: &str, method: &str, message: &mut Value) {
    if !message.is_object() {
        return;
    }
    prefix_id(
        server,
        message.get_mut("task").and_then(|t| t.get_mut("taskId")),
    );
    prefix_id(
        server,
        message
            .get_mut("_meta")
            .and_then(|m| m.get_mut(RELATED_TASK))
            .and_then(|r| r.get_mut("taskId")),
    );
    if method.starts_with("tasks/") || method.starts_with("notifications/tasks") {
        prefix_id(server, message.get_mut("taskId"));
        if let Some(tasks) = message.get_mut("tasks").and_then(Value::as_array_mut) {
            for t in tasks {
                prefix_id(server, t.get_mut("taskId"));
            }
        }
    }
}

/// Merges the task capabilities of every server into `caps` (the aggregated endpoint's): the
/// 2025-11-25 `tasks` object and the 2026-07-28 extension, key by key.
pub(crate) fn merge_capabilities<'a>(caps: &mut Value, servers: impl Iterator<Item = &'a Value>) {
    for server in servers {
        if let Some(tasks) = server.get("tasks") {
            union(&mut caps["tasks"], tasks);
        }
        if let Some(ext) = server.get("extensions").and_then(|e| e.get(EXTENSION)) {
            union(&mut caps["extensions"][EXTENSION], ext);
        }
    }
}

/// `into` ∪ `from` for JSON objects (the first value wins where both have a non-object).
fn union(into: &mut Value, from: &Value) {
    if into.is_null() {
        *into = from.clone();
    } else if let (Some(into), Some(from)) = (into.as_object_mut(), from.as_object()) {
        for (k, v) in from {
            union(into.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

impl Session {
    /// A server's request or notification params as this session sees them: task ids prefixed
    /// on the aggregated endpoint.
    pub(crate) fn sees_tasks_of(
        &self,
        server: &str,
        method: &str,
        mut params: Option<Value>,
    ) -> Option<Value> {
        if let (Some(p), None) = (params.as_mut(), self.scope()) {
            expose(server, method, p);
        }
        params
    }

    /// A request about one task on the aggregated endpoint: to the server that owns it, under
    /// that server's own id.
    pub(crate) async fn task_request(
        self: &Arc<Self>,
        id: &Value,
        method: &str,
        mut params: Option<Value>,
        era: &Era,
    ) -> Result<Value, Value> {
        let exposed = params
            .as_ref()
            .and_then(|p| p.get("taskId"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let unknown = || {
            jsonrpc::error(
                INVALID_PARAMS,
                format!("unknown task '{exposed}': task ids of the aggregated endpoint look like <server>:<id>"),
            )
        };
        let (server, own) = split(&exposed).ok_or_else(unknown)?;
        let up = self.gw.upstream(server).ok_or_else(unknown)?;
        if let Some(p) = params.as_mut() {
            p["taskId"] = Value::String(own.to_owned());
        }
        self.forward(id, &up, method, params, era).await
    }

    /// `tasks/list` on the aggregated endpoint: every page of every server that lists tasks.
    pub(crate) async fn list_tasks(
        self: &Arc<Self>,
        id: &Value,
        era: &Era,
    ) -> Result<Value, Value> {
        let listing: Vec<Arc<Upstream>> = self
            .gw
            .upstreams_for(None)
            .into_iter()
            .filter(|u| u.capabilities()["tasks"].get("list").is_some())
            .collect();
        let pages = futures::future::join_all(listing.iter().map(|up| self.all_tasks(id, up, era)));
        let mut tasks = vec![];
        for (up, found) in listing.iter().zip(pages.await) {
            match found {
                Ok(mut found) => tasks.append(&mut found),
                Err(e) => tracing::debug!(server = %up.name(), "tasks/list: {e}"),
            }
        }
        Ok(json!({ "tasks": tasks }))
    }

    async fn all_tasks(
        self: &Arc<Self>,
        id: &Value,
        up: &Arc<Upstream>,
        era: &Era,
    ) -> Result<Vec<Value>, Value> {
        let mut tasks = vec![];
        let mut cursor: Option<Value> = None;
        for _ in 0..MAX_PAGES {
            let params = cursor.take().map(|c| json!({ "cursor": c }));
            let page = self.forward(id, up, "tasks/list", params, era).await?;
            if let Some(found) = page.get("tasks").and_then(Value::as_array) {
                tasks.extend(found.iter().cloned());
            }
            match page.get("nextCursor") {
                Some(c) if !c.is_null() => cursor = Some(c.clone()),
                _ => break,
            }
        }
        Ok(tasks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_prefixed_where_tasks_are_named_and_split_back() {
        let mut created = json!({"task": {"taskId": "t1", "status": "working"}});
        expose("a", "tools/call", &mut created);
        assert_eq!(created["task"]["taskId"], "a:t1");
        let mut got = json!({"taskId": "t1", "status": "completed"});
        expose("a", "tasks/get", &mut got);
        assert_eq!(got["taskId"], "a:t1");
        let mut listed = json!({"tasks": [{"taskId": "x:y"}, {"taskId": "z"}], "nextCursor": "c"});
        expose("b", "tasks/list", &mut listed);
        assert_eq!(listed["tasks"][0]["taskId"], "b:x:y");
        assert_eq!(listed["tasks"][1]["taskId"], "b:z");
        let mut result = json!({"content": [], "_meta": {RELATED_TASK: {"taskId": "t1"}}});
        expose("a", "tasks/result", &mut result);
        assert_eq!(result["_meta"][RELATED_TASK]["taskId"], "a:t1");
        // A tool's own output that happens to say taskId is not touched.
        let mut tool = json!({"taskId": "mine", "content": []});
        expose("a", "tools/call", &mut tool);
        assert_eq!(tool["taskId"], "mine");
        assert_eq!(split("b:x:y"), Some(("b", "x:y")));
        assert_eq!(split(":y"), None);
        assert_eq!(split("plain"), None);
    }

    #[test]
    fn capabilities_are_merged_key_by_key() {
        let a = json!({"tasks": {"list": {}, "requests": {"tools": {"call": {}}}}});
        let b = json!({"tasks": {"cancel": {}}, "extensions": {EXTENSION: {}}});
        let none = json!({"tools": {}});
        let mut caps = json!({"tools": {"listChanged": true}});
        merge_capabilities(&mut caps, [&a, &b, &none].into_iter());
        assert_eq!(
            caps,
            json!({
                "tools": {"listChanged": true},
                "tasks": {"list": {}, "cancel": {}, "requests": {"tools": {"call": {}}}},
                "extensions": {EXTENSION: {}},
            })
        );
        let mut untouched = json!({"tools": {}});
        merge_capabilities(&mut untouched, [&none].into_iter());
        assert_eq!(untouched, json!({"tools": {}}));
    }
}
