//! JSON-RPC 2.0 message helpers over `serde_json::Value`.
//!
//! The gateway routes MCP traffic at the JSON-RPC level: it looks at `method`, `id` and a few
//! well-known params (`name`, `uri`, `_meta.progressToken`) and leaves everything else exactly as
//! it arrived, so results, errors (`code`, `message`, `data`) and `_meta` pass through unchanged.

use serde_json::{json, Map, Value};

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL_ERROR: i64 = -32603;

/// What a single JSON-RPC message is.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind<'a> {
    Request { id: &'a Value, method: &'a str },
    Notification { method: &'a str },
    Response { id: &'a Value },
    Invalid,
}

/// Classifies one message without copying it.
pub fn classify(msg: &Value) -> Kind<'_> {
    let Some(obj) = msg.as_object() else {
        return Kind::Invalid;
    };
    match (obj.get("method").and_then(Value::as_str), obj.get("id")) {
        (Some(method), Some(id)) if !id.is_null() => Kind::Request { id, method },
        (Some(method), _) => Kind::Notification { method },
        (None, Some(id)) if obj.contains_key("result") || obj.contains_key("error") => {
            Kind::Response { id }
        }
        _ => Kind::Invalid,
    }
}

pub fn request(id: Value, method: &str, params: Option<Value>) -> Value {
    let mut m = Map::new();
    m.insert("jsonrpc".into(), "2.0".into());
    m.insert("id".into(), id);
    m.insert("method".into(), method.into());
    if let Some(p) = params {
        m.insert("params".into(), p);
    }
    Value::Object(m)
}

pub fn notification(method: &str, params: Option<Value>) -> Value {
    let mut m = Map::new();
    m.insert("jsonrpc".into(), "2.0".into());
    m.insert("method".into(), method.into());
    if let Some(p) = params {
        m.insert("params".into(), p);
    }
    Value::Object(m)
}

/// A response carrying either a result or an error object, both passed through as they are.
pub fn response(id: Value, outcome: Result<Value, Value>) -> Value {
    match outcome {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err(error) => json!({"jsonrpc": "2.0", "id": id, "error": error}),
    }
}

/// A JSON-RPC error object.
pub fn error(code: i64, message: impl Into<String>) -> Value {
    json!({"code": code, "message": message.into()})
}

/// A stable string key for a request id (ids may be numbers or strings; `1` and `"1"` differ).
pub fn id_key(id: &Value) -> String {
    match id {
        Value::String(s) => format!("s:{s}"),
        other => format!("n:{other}"),
    }
}

/// The id an [`id_key`] was made from.
pub fn id_from_key(key: &str) -> Option<Value> {
    match key.split_once(':')? {
        ("s", s) => Some(Value::String(s.to_owned())),
        ("n", n) => serde_json::from_str(n).ok(),
        _ => None,
    }
}

/// Splits a received payload into messages (a JSON-RPC batch is an array).
pub fn unbatch(v: Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items,
        one => vec![one],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_key_gives_back_its_id() {
        for id in [json!(7), json!("a:b"), json!(-1), json!("")] {
            assert_eq!(id_from_key(&id_key(&id)), Some(id));
        }
        assert_eq!(id_from_key("x"), None);
    }

    #[test]
    fn classifies_messages() {
        let req = json!({"jsonrpc":"2.0","id":1,"method":"ping"});
        assert!(matches!(
            classify(&req),
            Kind::Request { method: "ping", .. }
        ));
        let note = json!({"jsonrpc":"2.0","method":"notifications/initialized"});
        assert!(matches!(classify(&note), Kind::Notification { .. }));
        let resp = json!({"jsonrpc":"2.0","id":"a","result":{}});
        assert!(matches!(classify(&resp), Kind::Response { .. }));
        let err = json!({"jsonrpc":"2.0","id":2,"error":{"code":1,"message":"x"}});
        assert!(matches!(classify(&err), Kind::Response { .. }));
        assert_eq!(classify(&json!([1])), Kind::Invalid);
        assert_ne!(id_key(&json!(1)), id_key(&json!("1")));
    }
}
