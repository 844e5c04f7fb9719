//! The one `initialize` replay. A relay in front of a server that can be replaced under it (the
//! `dockside connect` bridge when the daemon restarts, the on-demand container relay when a new
//! container starts) remembers the client's half of the handshake and plays it again to the new
//! server with its own request id, swallowing that answer, so the client never notices.

use serde_json::Value;

use super::jsonrpc::{self, Kind};

/// The client's `initialize` request and `notifications/initialized`, as last sent.
#[derive(Debug, Default, Clone)]
pub struct Handshake {
    initialize: Option<Value>,
    initialized: Option<Value>,
}

impl Handshake {
    /// Remembers `msg` if it is part of the handshake; returns whether it was.
    pub fn observe(&mut self, msg: &Value) -> bool {
        match jsonrpc::classify(msg) {
            Kind::Request {
                method: "initialize",
                ..
            } => self.initialize = Some(msg.clone()),
            Kind::Notification {
                method: "notifications/initialized",
            } => self.initialized = Some(msg.clone()),
            _ => return false,
        }
        true
    }

    /// The `initialize` request to replay, with the replayer's own `id` (`None` before the
    /// client sent one).
    pub fn replay(&self, id: &Value) -> Option<Value> {
        let mut init = self.initialize.clone()?;
        init["id"] = id.clone();
        Some(init)
    }

    /// The `initialized` notification, once the client sent it.
    pub fn initialized(&self) -> Option<&Value> {
        self.initialized.as_ref()
    }

    /// Whether `msg` answers the replayed request `id` (and must not reach the client).
    pub fn answers(msg: &Value, id: &Value) -> bool {
        matches!(jsonrpc::classify(msg), Kind::Response { id: got } if got == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn remembers_the_handshake_and_replays_it_with_its_own_id() {
        let mut h = Handshake::default();
        let id = json!("replay-1");
        assert!(h.replay(&id).is_none());
        let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25"}});
        assert!(h.observe(&init));
        assert!(!h.observe(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})));
        assert!(h.initialized().is_none());
        assert!(h.observe(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"})));
        let replay = h.replay(&id).unwrap();
        assert_eq!(replay["id"], id);
        assert_eq!(replay["params"], init["params"]);
        assert!(Handshake::answers(
            &json!({"jsonrpc": "2.0", "id": "replay-1", "result": {}}),
            &id
        ));
        assert!(!Handshake::answers(
            &json!({"jsonrpc": "2.0", "id": 1, "result": {}}),
            &id
        ));
        assert!(!Handshake::answers(
            &json!({"jsonrpc": "2.0", "id": "replay-1", "method": "x"}),
            &id
        ));
    }
}
