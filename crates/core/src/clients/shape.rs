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
    EmptyList,
}

impl Lit {
    fn value(self) -> Value {
        match self {
            Lit::Str(s) => Value::String(s.to_owned()),
            Lit::Bool(b) => Value::Bool(b),
            Lit::Int(i) => Value::from(i),
            Lit::EmptyList => Value::Array(Vec::new()),
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
    pub headers: &'static str,
    pub fixed: &'static [(&'static str, Lit)],
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
            m.insert(r.headers.to_owned(), map_value(headers));
        }
        Some(Value::Object(m))
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
                        .and_then(|r| o.get(r.headers))
                        .or_else(|| o.get("headers")),
                );
                Some(Entry::Remote { url, headers })
            }
        }
    }
}
