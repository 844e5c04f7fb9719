//! Entry shapes: how one server is written inside a client's container, and read back.
//!
//! Every client's stdio entry is some spelling of `{command, args, env, cwd}`; a shape is the
//! data that names the spelling (field names, whether `command` is one array, constant fields
//! such as `"type": "stdio"`), so one encoder/decoder serves every client.

use indexmap::IndexMap;
use serde_json::{Map, Value};

/// A constant field value written on every entry of a shape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Lit {
    Str(&'static str),
    Bool(bool),
    Int(i64),
    /// A list of strings (`env_keys: []` for Goose, `tools: ["*"]` for Copilot CLI).
    List(&'static [&'static str]),
}

impl Lit {
    fn value(self) -> Value {
        match self {
            Lit::Str(s) => Value::String(s.to_owned()),
            Lit::Bool(b) => Value::Bool(b),
            Lit::Int(i) => Value::from(i),
            Lit::List(l) => Value::Array(l.iter().map(|s| Value::from(*s)).collect()),
        }
    }
}

/// How the command line is spelled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CommandStyle {
    /// `"command": "npx", "args": ["-y", "pkg"]` (field names given).
    Split {
        command: &'static str,
        args: &'static str,
    },
    /// `"command": ["npx", "-y", "pkg"]` (OpenCode).
    Array(&'static str),
}

/// How a remote (HTTP) entry is spelled, where the client supports one in its file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RemoteShape {
    pub url: &'static str,
    /// Key path of the headers map inside the entry: `["headers"]` for most clients,
    /// `["requestOptions", "headers"]` for Continue.
    pub headers: &'static [&'static str],
    pub fixed: &'static [(&'static str, Lit)],
}

/// How a client marks an entry switched off, for clients that document a per-entry flag.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EnabledFlag {
    /// The entry is off when this field is `true` (`"disabled": true`: Cline, Kiro…).
    Disabled(&'static str),
    /// The entry is off when this field is `false` (`enabled = false`: Codex, Goose…).
    Enabled(&'static str),
}

impl EnabledFlag {
    fn key(self) -> &'static str {
        match self {
            EnabledFlag::Disabled(k) | EnabledFlag::Enabled(k) => k,
        }
    }

    /// The field's value that switches the entry off.
    fn off(self) -> bool {
        matches!(self, EnabledFlag::Disabled(_))
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    pub command: CommandStyle,
    pub env: &'static str,
    /// Written even when empty (`envs: {}` for Goose).
    pub env_always: bool,
    pub cwd: Option<&'static str>,
    /// Constant fields written first on stdio entries (`type: stdio`, `source: custom`…).
    pub fixed: &'static [(&'static str, Lit)],
    /// The entry repeats its own name in this field (Goose `name`, Continue list items).
    pub name_field: Option<&'static str>,
    pub remote: Option<RemoteShape>,
    /// The field with which the user switches an entry off, where the client has one.
    pub enabled: Option<EnabledFlag>,
}

/// A local command line with its environment.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct NativeCommand {
    pub command: String,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: IndexMap<String, String>,
    #[serde(default)]
    pub cwd: Option<String>,
}

/// An entry as read from a client's file, in client-neutral form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Stdio(NativeCommand),
    Remote {
        url: String,
        headers: IndexMap<String, String>,
    },
}

/// Every spelling of a remote URL field across clients (for reading any of them).
const URL_KEYS: &[&str] = &["url", "serverUrl", "httpUrl", "uri"];

fn string_map(v: Option<&Value>) -> IndexMap<String, String> {
    match v {
        Some(Value::Object(o)) => o
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), v)
            })
            .collect(),
        _ => IndexMap::new(),
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The value at a key path inside an entry.
fn get_path<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

/// Inserts `value` at a key path, creating the objects on the way.
fn insert_path(m: &mut Map<String, Value>, path: &[&str], value: Value) {
    match path {
        [] => {}
        [key] => {
            m.insert((*key).to_owned(), value);
        }
        [first, rest @ ..] => {
            let slot = m
                .entry((*first).to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(inner) = slot {
                insert_path(inner, rest, value);
            }
        }
    }
}

fn map_value(m: &IndexMap<String, String>) -> Value {
    Value::Object(
        m.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

impl Shape {
    /// The value of a stdio entry.
    pub fn encode_stdio(&self, name: &str, c: &NativeCommand) -> Value {
        let mut m = Map::new();
        if let Some(f) = self.name_field {
            m.insert(f.to_owned(), Value::String(name.to_owned()));
        }
        for (k, v) in self.fixed {
            m.insert((*k).to_owned(), v.value());
        }
        match self.command {
            CommandStyle::Split { command, args } => {
                m.insert(command.to_owned(), Value::String(c.command.clone()));
                m.insert(
                    args.to_owned(),
                    Value::Array(c.args.iter().cloned().map(Value::String).collect()),
                );
            }
            CommandStyle::Array(key) => {
                let all = std::iter::once(&c.command).chain(&c.args);
                m.insert(
                    key.to_owned(),
                    Value::Array(all.cloned().map(Value::String).collect()),
                );
            }
        }
        if self.env_always || !c.env.is_empty() {
            m.insert(self.env.to_owned(), map_value(&c.env));
        }
        if let (Some(key), Some(cwd)) = (self.cwd, &c.cwd) {
            m.insert(key.to_owned(), Value::String(cwd.clone()));
        }
        Value::Object(m)
    }

    /// The value of a remote entry, if this client supports remote entries in its file.
    pub fn encode_remote(
        &self,
        name: &str,
        url: &str,
        headers: &IndexMap<String, String>,
    ) -> Option<Value> {
        let r = self.remote?;
        let mut m = Map::new();
        if let Some(f) = self.name_field {
            m.insert(f.to_owned(), Value::String(name.to_owned()));
        }
        for (k, v) in r.fixed {
            m.insert((*k).to_owned(), v.value());
        }
        m.insert(r.url.to_owned(), Value::String(url.to_owned()));
        if !headers.is_empty() {
            insert_path(&mut m, r.headers, map_value(headers));
        }
        Some(Value::Object(m))
    }

    /// Whether the user switched this entry off with the client's own flag.
    pub fn is_disabled(&self, v: &Value) -> bool {
        self.enabled
            .is_some_and(|f| v.get(f.key()).and_then(Value::as_bool) == Some(f.off()))
    }

    /// Copies the client's on/off flag from the user's entry `from` onto `to`, a value
    /// Dockside is about to write in its place, so an entry the user switched off stays off.
    pub fn carry_enabled(&self, from: &Value, to: &mut Value) {
        let Some(flag) = self.enabled else { return };
        if let (Some(v), Some(o)) = (from.get(flag.key()), to.as_object_mut()) {
            o.insert(flag.key().to_owned(), v.clone());
        }
    }

    /// Reads an entry written by this client (or by hand), tolerating the other clients'
    /// spellings. `None` for entries that are not MCP servers Dockside understands
    /// (e.g. Goose `builtin` extensions).
    pub fn decode(&self, v: &Value) -> Option<Entry> {
        let o = v.as_object()?;
        let (command_key, args_key) = match self.command {
            CommandStyle::Split { command, args } => (command, Some(args)),
            CommandStyle::Array(k) => (k, None),
        };
        let command = o.get(command_key).or_else(|| o.get("command"));
        let env = o
            .get(self.env)
            .or_else(|| o.get("env"))
            .or_else(|| o.get("environment"))
            .or_else(|| o.get("envs"));
        let cwd = self
            .cwd
            .and_then(|k| o.get(k))
            .or_else(|| o.get("cwd"))
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        match command {
            Some(Value::String(cmd)) => {
                let args = strings(args_key.and_then(|k| o.get(k)).or_else(|| o.get("args")));
                Some(Entry::Stdio(NativeCommand {
                    command: cmd.clone(),
                    args,
                    env: string_map(env),
                    cwd,
                }))
            }
            Some(Value::Array(_)) => {
                let mut all = strings(command);
                if all.is_empty() {
                    return None;
                }
                let command = all.remove(0);
                Some(Entry::Stdio(NativeCommand {
                    command,
                    args: all,
                    env: string_map(env),
                    cwd,
                }))
            }
            // Zed's older `"command": {"path", "args", "env"}`.
            Some(Value::Object(c)) => Some(Entry::Stdio(NativeCommand {
                command: c.get("path")?.as_str()?.to_owned(),
                args: strings(c.get("args")),
                env: string_map(c.get("env")),
                cwd,
            })),
            _ => {
                let url = self
                    .remote
                    .and_then(|r| o.get(r.url))
                    .or_else(|| URL_KEYS.iter().find_map(|k| o.get(*k)))?
                    .as_str()?
                    .to_owned();
                let headers = string_map(
                    self.remote
                        .and_then(|r| get_path(v, r.headers))
                        .or_else(|| o.get("headers")),
                );
                Some(Entry::Remote { url, headers })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::by_id;
    use serde_json::json;

    fn shape(id: &str) -> Shape {
        by_id(id).unwrap().shape
    }

    #[test]
    fn continue_remote_headers_live_under_request_options() {
        let s = shape("continue");
        let headers: IndexMap<String, String> =
            [("Authorization".to_owned(), "Bearer t".to_owned())].into();
        let v = s
            .encode_remote("docs", "https://example.com/mcp", &headers)
            .unwrap();
        assert_eq!(
            v,
            json!({
                "name": "docs",
                "type": "streamable-http",
                "url": "https://example.com/mcp",
                "requestOptions": {"headers": {"Authorization": "Bearer t"}}
            })
        );
        assert!(v.get("headers").is_none());
        assert_eq!(
            s.decode(&v),
            Some(Entry::Remote {
                url: "https://example.com/mcp".into(),
                headers
            })
        );
        // A user's entry with other request options beside the headers reads the same way.
        let mut by_hand = v.clone();
        by_hand["requestOptions"]["verifySsl"] = json!(false);
        assert_eq!(s.decode(&by_hand), s.decode(&v));
    }

    #[test]
    fn top_level_headers_elsewhere() {
        let headers: IndexMap<String, String> = [("X-Key".to_owned(), "k".to_owned())].into();
        let v = shape("cursor")
            .encode_remote("w", "https://h/mcp", &headers)
            .unwrap();
        assert_eq!(
            v,
            json!({"url": "https://h/mcp", "headers": {"X-Key": "k"}})
        );
        let v = shape("codex")
            .encode_remote("w", "https://h/mcp", &headers)
            .unwrap();
        assert_eq!(
            v,
            json!({"url": "https://h/mcp", "http_headers": {"X-Key": "k"}})
        );
    }

    #[test]
    fn is_disabled_follows_each_clients_flag() {
        // `disabled: true` is off.
        let cline = shape("cline");
        assert!(cline.is_disabled(&json!({"command": "x", "disabled": true})));
        assert!(!cline.is_disabled(&json!({"command": "x", "disabled": false})));
        assert!(!cline.is_disabled(&json!({"command": "x"})));
        assert!(!cline.is_disabled(&json!({"command": "x", "enabled": false})));
        // `enabled: false` is off.
        let codex = shape("codex");
        assert!(codex.is_disabled(&json!({"command": "x", "enabled": false})));
        assert!(!codex.is_disabled(&json!({"command": "x", "enabled": true})));
        assert!(!codex.is_disabled(&json!({"command": "x", "disabled": true})));
        // A client without a documented flag never reads one.
        assert!(!shape("cursor").is_disabled(&json!({"command": "x", "disabled": true})));
    }

    #[test]
    fn carry_enabled_keeps_a_switched_off_entry_off() {
        let cmd = NativeCommand {
            command: "dockside".into(),
            args: vec!["connect".into()],
            ..NativeCommand::default()
        };
        // Goose writes `enabled: true` itself: the user's `false` replaces it in place.
        let goose = shape("goose");
        let user = json!({"name": "gh", "type": "stdio", "cmd": "npx", "enabled": false});
        let mut ours = goose.encode_stdio("gh", &cmd);
        let keys_before: Vec<String> = ours.as_object().unwrap().keys().cloned().collect();
        goose.carry_enabled(&user, &mut ours);
        assert!(goose.is_disabled(&ours));
        let keys_after: Vec<String> = ours.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys_before, keys_after);
        // Cline's entry gains the user's `disabled: true`.
        let cline = shape("cline");
        let mut ours = cline.encode_stdio("gh", &cmd);
        assert!(!cline.is_disabled(&ours));
        cline.carry_enabled(&json!({"command": "npx", "disabled": true}), &mut ours);
        assert!(cline.is_disabled(&ours));
        assert_eq!(ours["disabled"], json!(true));
        // Nothing to carry: the user's entry has no flag, or the client has none.
        let mut ours = cline.encode_stdio("gh", &cmd);
        let before = ours.clone();
        cline.carry_enabled(&json!({"command": "npx"}), &mut ours);
        assert_eq!(ours, before);
        let cursor = shape("cursor");
        let mut ours = cursor.encode_stdio("gh", &cmd);
        let before = ours.clone();
        cursor.carry_enabled(&json!({"command": "npx", "disabled": true}), &mut ours);
        assert_eq!(ours, before);
    }
}
