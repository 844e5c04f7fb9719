//! YAML entries edited by text span — the least destructive means available.
//!
//! No Rust YAML library keeps comments on a round trip, so this editor never re-serializes a
//! document. It only handles a container written in block style under a top-level key:
//!
//! ```yaml
//! extensions:            # Kind::Map   (Goose)
//!   developer:           #   an entry = its key line + every deeper line after it
//!     enabled: true
//! mcpServers:            # Kind::List  (Continue): items keyed by a `name` field
//!   - name: local
//!     command: npx
//! ```
//!
//! An entry's span is its first line up to the next sibling (trailing blank and comment lines
//! are left outside, they belong to what follows). Setting an entry replaces exactly its span;
//! adding one inserts lines right after the last entry, indented like its siblings; removing
//! deletes exactly its span. New entries are rendered in block style by `yaml_serde`.
//! Everything else — comments, anchors, quoting, flow collections elsewhere, key order, blank
//! lines, CRLF — is untouched byte for byte.
//!
//! Every edit is verified by re-parsing the whole new text: the document must equal the old one
//! with exactly the intended entry changed, otherwise the edit fails and nothing is written.
//! A container written in flow style (`extensions: {}`) is refused with a clear message.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::Value;
use yaml_serde::Value as Yaml;

use super::{line_break, EditError, EntryDoc, ParseError};

/// Which kind of container holds the entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Map { key: String },
    List { key: String, name_key: String },
}

impl Kind {
    fn key(&self) -> &str {
        match self {
            Kind::Map { key } | Kind::List { key, .. } => key,
        }
    }
}

fn parse_yaml(path: &Path, text: &str) -> Result<Yaml, ParseError> {
    yaml_serde::from_str::<Yaml>(text).map_err(|e| {
        let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        ParseError {
            path: path.to_owned(),
            line,
            column,
            message: e.to_string(),
        }
    })
}

/// Parses a YAML document into the JSON data model.
pub fn parse_value(path: &Path, text: &str) -> Result<Value, ParseError> {
    let y = parse_yaml(path, text)?;
    serde_json::to_value(&y).map_err(|e| ParseError {
        path: path.to_owned(),
        line: 1,
        column: 1,
        message: e.to_string(),
    })
}

#[derive(Debug, Clone, Copy)]
struct Line {
    start: usize,
    /// End of content, before the line break.
    content_end: usize,
    /// End including the line break.
    end: usize,
}

fn lines(text: &str) -> Vec<Line> {
    let mut v = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let (content_end, end) = match text[start..].find('\n') {
            Some(i) => {
                let nl = start + i;
                let ce = if nl > start && text.as_bytes()[nl - 1] == b'\r' {
                    nl - 1
                } else {
                    nl
                };
                (ce, nl + 1)
            }
            None => (text.len(), text.len()),
        };
        v.push(Line {
            start,
            content_end,
            end,
        });
        start = end;
    }
    v
}

/// The located container: its key line, its entries' spans (byte ranges) and indentation.
struct Layout {
    key_line: Line,
    /// Byte ranges of the entries, in file order.
    spans: Vec<(usize, usize)>,
    /// Where a new entry goes.
    insert_at: usize,
    indent: Option<usize>,
}

pub struct YamlDoc {
    path: PathBuf,
    text: String,
    kind: Kind,
    value: Yaml,
}

impl YamlDoc {
    pub fn parse(path: &Path, text: &str, kind: Kind) -> Result<Self, EditError> {
        let value = parse_yaml(path, text)?;
        let doc = YamlDoc {
            path: path.to_owned(),
            text: text.to_owned(),
            kind,
            value,
        };
        doc.layout()?;
        Ok(doc)
    }

    fn unsupported(&self, message: String) -> EditError {
        EditError::Unsupported {
            path: self.path.clone(),
            message,
        }
    }

    fn nl(&self) -> &'static str {
        line_break(&self.text)
    }

    /// The container's value in the parsed document.
    fn container_value(&self) -> Option<&Yaml> {
        self.value.as_mapping()?.get(self.kind.key())
    }

    /// Entry names in container order.
    fn names(&self) -> Vec<Option<String>> {
        match (&self.kind, self.container_value()) {
            (Kind::Map { .. }, Some(Yaml::Mapping(m))) => m
                .keys()
                .map(|k| match k {
                    Yaml::String(s) => Some(s.clone()),
                    other => yaml_serde::to_string(other)
                        .ok()
                        .map(|s| s.trim().to_owned()),
                })
                .collect(),
            (Kind::List { name_key, .. }, Some(Yaml::Sequence(items))) => items
                .iter()
                .map(|i| {
                    i.get(name_key.as_str())
                        .and_then(|n| n.as_str())
                        .map(str::to_owned)
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    fn layout(&self) -> Result<Option<Layout>, EditError> {
        let key = self.kind.key();
        let all = lines(&self.text);
        let line_text = |l: &Line| &self.text[l.start..l.content_end];
        let Some(k) = all.iter().position(|l| {
            let t = line_text(l);
            t.strip_prefix(key)
                .and_then(|r| r.strip_prefix(':'))
                .is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t']))
        }) else {
            return match self.container_value() {
                None | Some(Yaml::Null) if !self.has_key() => Ok(None),
                _ => Err(self.unsupported(format!(
                    "`{key}` is not written as a plain top-level `{key}:` line; edit it by hand or write it in block style"
                ))),
            };
        };
        let after_colon = line_text(&all[k])[key.len() + 1..].trim();
        if !(after_colon.is_empty() || after_colon.starts_with('#')) {
            return Err(self.unsupported(format!(
                "`{key}: {after_colon}` is in flow style; Dockside edits only block style (put each entry on its own lines under `{key}:`)"
            )));
        }
        match self.container_value() {
            Some(Yaml::Null) | None => {}
            Some(Yaml::Mapping(_)) if matches!(self.kind, Kind::Map { .. }) => {}
            Some(Yaml::Sequence(_)) if matches!(self.kind, Kind::List { .. }) => {}
            Some(other) => {
                return Err(EditError::Shape {
                    path: self.path.clone(),
                    key: key.to_owned(),
                    expected: match self.kind {
                        Kind::Map { .. } => "a mapping",
                        Kind::List { .. } => "a list",
                    },
                    found: yaml_serde::to_string(other)
                        .unwrap_or_default()
                        .trim()
                        .to_owned(),
                })
            }
        }
        let is_list = matches!(self.kind, Kind::List { .. });
        let indent_of = |l: &Line| line_text(l).len() - line_text(l).trim_start_matches(' ').len();
        let is_trivia = |l: &Line| {
            let t = line_text(l).trim_start();
            t.is_empty() || t.starts_with('#')
        };
        // The body: up to the next top-level line.
        let mut body_end = k + 1;
        while body_end < all.len() {
            let l = &all[body_end];
            let t = line_text(l);
            if !is_trivia(l) && indent_of(l) == 0 && !(is_list && t.starts_with('-')) {
                break;
            }
            if t == "---" || t == "..." {
                break;
            }
            body_end += 1;
        }
        let body = &all[k + 1..body_end];
        let indent = body.iter().find(|l| !is_trivia(l)).map(indent_of);
        let starts: Vec<usize> = match indent {
            None => Vec::new(),
            Some(ind) => body
                .iter()
                .enumerate()
                .filter(|(_, l)| {
                    !is_trivia(l)
                        && indent_of(l) == ind
                        && (!is_list || line_text(l)[ind..].starts_with('-'))
                })
                .map(|(i, _)| i)
                .collect(),
        };
        let names = self.names();
        if starts.len() != names.len() {
            return Err(self.unsupported(format!(
                "could not match the {} entries under `{key}:` to their lines (unusual layout); edit this file by hand",
                names.len()
            )));
        }
        let mut spans = Vec::new();
        for (n, &s) in starts.iter().enumerate() {
            let mut e = starts.get(n + 1).copied().unwrap_or(body.len());
            while e > s + 1 && is_trivia(&body[e - 1]) {
                e -= 1;
            }
            spans.push((body[s].start, body[e - 1].end));
        }
        let insert_at = spans.last().map_or(all[k].end, |s| s.1);
        Ok(Some(Layout {
            key_line: all[k],
            spans,
            insert_at,
            indent,
        }))
    }

    fn has_key(&self) -> bool {
        self.value
            .as_mapping()
            .is_some_and(|m| m.contains_key(self.kind.key()))
    }

    /// Renders one entry as block YAML at `indent`, lines ending with `nl`.
    fn render(&self, name: &str, value: &Value, indent: usize) -> Result<String, EditError> {
        let raw = match &self.kind {
            Kind::Map { .. } => {
                let mut m = serde_json::Map::new();
                m.insert(name.to_owned(), value.clone());
                yaml_serde::to_string(&Value::Object(m))
            }
            Kind::List { .. } => yaml_serde::to_string(&vec![value]),
        }
        .map_err(|e| self.unsupported(format!("cannot render entry `{name}`: {e}")))?;
        let pad = " ".repeat(indent);
        let nl = self.nl();
        let mut out = String::new();
        for line in raw.lines() {
            if !line.is_empty() {
                out.push_str(&pad);
            }
            out.push_str(line);
            out.push_str(nl);
        }
        Ok(out)
    }

    /// Replaces the span `start..end` of an entry with `block`, keeping the line break (or the
    /// lack of one, at the end of a file) that ends the span now.
    fn replace_span(&self, start: usize, end: usize, block: &str) -> String {
        let span = &self.text[start..end];
        let brk = &span[span.trim_end_matches(['\r', '\n']).len()..];
        self.splice(
            start,
            end,
            &format!("{}{brk}", block.trim_end_matches(['\r', '\n'])),
        )
    }

    /// Replaces `range` with `with`, handling a file that does not end with a line break.
    fn splice(&self, start: usize, end: usize, with: &str) -> String {
        let mut t = String::with_capacity(self.text.len() + with.len());
        t.push_str(&self.text[..start]);
        t.push_str(with);
        t.push_str(&self.text[end..]);
        t
    }

    /// Commits `new_text` if it parses to the old document with the container set to
    /// `expected` (`None`: container gone).
    fn verify_and_apply(
        &mut self,
        new_text: String,
        entry: &str,
        expected: Option<Yaml>,
    ) -> Result<(), EditError> {
        let verify_err = |message: String| EditError::Verify {
            path: self.path.clone(),
            entry: entry.to_owned(),
            message,
        };
        let parsed = parse_yaml(&self.path, &new_text)
            .map_err(|e| verify_err(format!("result does not parse: {e}")))?;
        let mut want = match &self.value {
            Yaml::Null => Yaml::Mapping(Default::default()),
            v => v.clone(),
        };
        let m = want
            .as_mapping_mut()
            .ok_or_else(|| verify_err("document is not a mapping".into()))?;
        match expected {
            Some(c) => {
                if let Some(slot) = m.get_mut(self.kind.key()) {
                    *slot = c;
                } else {
                    m.insert(Yaml::String(self.kind.key().to_owned()), c);
                }
            }
            None => {
                m.shift_remove(self.kind.key());
            }
        }
        let parsed_norm = match parsed {
            Yaml::Null => Yaml::Mapping(Default::default()),
            v => v,
        };
        if parsed_norm != want {
            return Err(verify_err(
                "re-parsed document differs from the intended change".into(),
            ));
        }
        self.text = new_text;
        self.value = parsed_norm;
        Ok(())
    }

    /// The container with entry `name` set to `value` (appended when new) or removed (`None`).
    fn container_with(&self, name: &str, value: Option<&Value>) -> Result<Yaml, EditError> {
        let to_yaml = |v: &Value| {
            yaml_serde::to_value(v).map_err(|e| self.unsupported(format!("entry `{name}`: {e}")))
        };
        match &self.kind {
            Kind::Map { .. } => {
                let mut m = match self.container_value() {
                    Some(Yaml::Mapping(m)) => m.clone(),
                    _ => Default::default(),
                };
                match value {
                    Some(v) => {
                        let key = Yaml::String(name.to_owned());
                        let v = to_yaml(v)?;
                        if let Some(slot) = m.get_mut(&key) {
                            *slot = v;
                        } else {
                            m.insert(key, v);
                        }
                    }
                    None => {
                        m.shift_remove(name);
                    }
                }
                Ok(Yaml::Mapping(m))
            }
            Kind::List { name_key, .. } => {
                let mut items = match self.container_value() {
                    Some(Yaml::Sequence(s)) => s.clone(),
                    _ => Vec::new(),
                };
                let pos = items
                    .iter()
                    .position(|i| i.get(name_key.as_str()).and_then(|n| n.as_str()) == Some(name));
                match (value, pos) {
                    (Some(v), Some(p)) => items[p] = to_yaml(v)?,
                    (Some(v), None) => items.push(to_yaml(v)?),
                    (None, Some(p)) => {
                        items.remove(p);
                    }
                    (None, None) => {}
                }
                Ok(Yaml::Sequence(items))
            }
        }
    }

    fn position_of(&self, name: &str) -> Option<usize> {
        self.names().iter().position(|n| n.as_deref() == Some(name))
    }

    fn entry_value(&self, name: &str, value: &Value) -> Value {
        match (&self.kind, value) {
            (Kind::List { name_key, .. }, Value::Object(o)) if !o.contains_key(name_key) => {
                let mut m = serde_json::Map::new();
                m.insert(name_key.clone(), Value::String(name.to_owned()));
                m.extend(o.clone());
                Value::Object(m)
            }
            _ => value.clone(),
        }
    }
}

impl EntryDoc for YamlDoc {
    fn entries(&self) -> IndexMap<String, Value> {
        let to_json = |y: &Yaml| serde_json::to_value(y).unwrap_or(Value::Null);
        match (&self.kind, self.container_value()) {
            (Kind::Map { .. }, Some(Yaml::Mapping(m))) => self
                .names()
                .into_iter()
                .zip(m.values())
                .filter_map(|(n, v)| Some((n?, to_json(v))))
                .collect(),
            (Kind::List { .. }, Some(Yaml::Sequence(items))) => self
                .names()
                .into_iter()
                .zip(items)
                .filter_map(|(n, v)| Some((n?, to_json(v))))
                .collect(),
            _ => IndexMap::new(),
        }
    }

    fn has_container(&self) -> bool {
        self.has_key()
    }

    fn set(&mut self, name: &str, value: &Value) -> Result<(), EditError> {
        let value = self.entry_value(name, value);
        let expected = self.container_with(name, Some(&value))?;
        let nl = self.nl();
        let ends_nl = self.text.is_empty() || self.text.ends_with('\n');
        let new_text = match self.layout()? {
            Some(lay) => {
                let indent = lay.indent.unwrap_or(2);
                let block = self.render(name, &value, indent)?;
                match self.position_of(name) {
                    Some(i) => {
                        let (s, e) = lay.spans[i];
                        self.replace_span(s, e, &block)
                    }
                    None if lay.insert_at == self.text.len() && !ends_nl => {
                        let block = format!("{nl}{}", block.trim_end_matches(['\r', '\n']));
                        self.splice(lay.insert_at, lay.insert_at, &block)
                    }
                    None => self.splice(lay.insert_at, lay.insert_at, &block),
                }
            }
            None => {
                let block = self.render(name, &value, 2)?;
                let key = self.kind.key();
                let len = self.text.len();
                if ends_nl {
                    self.splice(len, len, &format!("{key}:{nl}{block}"))
                } else {
                    let block = block.trim_end_matches(['\r', '\n']);
                    self.splice(len, len, &format!("{nl}{key}:{nl}{block}"))
                }
            }
        };
        self.verify_and_apply(new_text, name, Some(expected))
    }

    fn remove(&mut self, name: &str) -> Result<(), EditError> {
        let Some(i) = self.position_of(name) else {
            return Ok(());
        };
        let Some(lay) = self.layout()? else {
            return Ok(());
        };
        let (mut s, e) = lay.spans[i];
        if e == self.text.len() && !self.text.ends_with('\n') {
            // The entry ends the file without a line break: take the break before it too.
            s = self.text[..s]
                .trim_end_matches('\n')
                .trim_end_matches('\r')
                .len();
        }
        let expected = self.container_with(name, None)?;
        // An emptied container parses as `null`.
        let expected = match &expected {
            Yaml::Mapping(m) if m.is_empty() => Yaml::Null,
            Yaml::Sequence(v) if v.is_empty() => Yaml::Null,
            _ => expected,
        };
        let new_text = self.splice(s, e, "");
        self.verify_and_apply(new_text, name, Some(expected))
    }

    fn remove_container_if_empty(&mut self) -> Result<(), EditError> {
        let Some(lay) = self.layout()? else {
            return Ok(());
        };
        if !lay.spans.is_empty() || !matches!(self.container_value(), Some(Yaml::Null)) {
            return Ok(());
        }
        // Only when nothing but the key line is left (no comments under it).
        let all = lines(&self.text);
        let k = all
            .iter()
            .position(|l| l.start == lay.key_line.start)
            .unwrap_or(0);
        let rest_is_body = all[k + 1..].first().is_none_or(|l| {
            self.text[l.start..l.content_end].starts_with(|c: char| c != ' ' && c != '#')
        });
        if !rest_is_body {
            return Ok(());
        }
        let (mut s, e) = (lay.key_line.start, lay.key_line.end);
        if e == self.text.len() && !self.text.ends_with('\n') {
            s = self.text[..s]
                .trim_end_matches('\n')
                .trim_end_matches('\r')
                .len();
        }
        let new_text = self.splice(s, e, "");
        self.verify_and_apply(new_text, self.kind.key().to_owned().as_str(), None)
    }

    fn entry_text(&self, name: &str) -> Option<String> {
        let i = self.position_of(name)?;
        let (s, e) = self.layout().ok()??.spans[i];
        Some(self.text[s..e].to_owned())
    }

    fn set_text(&mut self, name: &str, text: &str, value: &Value) -> Result<(), EditError> {
        let span = match (self.position_of(name), self.layout()?) {
            (Some(i), Some(lay)) => lay.spans[i],
            _ => {
                return Err(EditError::Verify {
                    path: self.path.clone(),
                    entry: name.to_owned(),
                    message: "no such entry".into(),
                })
            }
        };
        let expected = self.container_with(name, Some(value))?;
        let new_text = self.replace_span(span.0, span.1, text);
        self.verify_and_apply(new_text, name, Some(expected))
    }

    fn text(&self) -> String {
        self.text.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map_doc(text: &str) -> YamlDoc {
        YamlDoc::parse(
            Path::new("c.yaml"),
            text,
            Kind::Map {
                key: "extensions".into(),
            },
        )
        .unwrap()
    }

    #[test]
    fn map_append_replace_remove_roundtrip() {
        for text in [
            "# goose\nGOOSE_PROVIDER: openai\nextensions:\n  developer:\n    enabled: true # builtin\n    type: builtin\n\n  # my own\n  mine:\n    cmd: node\n    args: [a, \"b c\"]\n\n# after\nGOOSE_MODEL: gpt\n",
            "extensions:\n    mine:\n        cmd: x",
            "a: 1\r\nextensions:\r\n  mine:\r\n    cmd: x\r\n",
            "a: 1\n",
            "a: 1",
            "",
        ] {
            let mut d = map_doc(text);
            let v = json!({"enabled": true, "name": "dockside: x", "cmd": "dockside", "args": ["connect", "--server", "x y"], "envs": {"K": "\"q\" ü"}});
            d.set("dockside: x", &v).unwrap();
            d.set("plain", &json!({"cmd": "y", "args": []})).unwrap();
            d.set("plain", &json!({"cmd": "z", "args": ["1"]})).unwrap();
            let added = d.text();
            let mut d = map_doc(&added);
            assert_eq!(d.entries()["dockside: x"], v, "{added}");
            d.remove("plain").unwrap();
            d.remove("dockside: x").unwrap();
            d.remove_container_if_empty().unwrap();
            assert_eq!(d.text(), text, "after adding:\n{added}");
        }
    }

    /// An entry's exact lines go back in place of what Dockside wrote there, with the line
    /// break (or none, at the end of the file) that place has now.
    #[test]
    fn entry_text_is_put_back_verbatim() {
        let text =
            "extensions:\n  a: {cmd: x} # one line\n  mine:\n    cmd: node\n    args: [m.js]";
        let mut d = map_doc(text);
        assert_eq!(
            d.entry_text("a").as_deref(),
            Some("  a: {cmd: x} # one line\n")
        );
        let mine = d.entry_text("mine").unwrap();
        assert_eq!(mine, "  mine:\n    cmd: node\n    args: [m.js]");
        let orig = d.entries()["mine"].clone();
        d.set("mine", &json!({"cmd": "dockside"})).unwrap();
        // `mine` no longer ends the file.
        d.set("added", &json!({"cmd": "y"})).unwrap();
        d.set_text("mine", &mine, &orig).unwrap();
        d.remove("added").unwrap();
        assert_eq!(d.text(), text);
        // Re-indented since: the old lines no longer fit, and nothing changes.
        let text = "extensions:\n    a: 1\n    mine:\n        cmd: x\n";
        let mut d = map_doc(text);
        let wrong = d.set_text("mine", "  mine:\n    cmd: x\n", &json!({"cmd": "x"}));
        assert!(matches!(wrong, Err(EditError::Verify { .. })), "{wrong:?}");
        assert_eq!(d.text(), text);
    }

    #[test]
    fn list_append_remove_roundtrip() {
        for text in [
            "name: cfg\nversion: 0.0.1\nschema: v1\nmcpServers:\n  - name: mine # own\n    command: node\n    args:\n      - s.js\n\nmodels: []\n",
            "mcpServers:\n- name: mine\n  command: x\nrules: []\n",
        ] {
            let mut d = YamlDoc::parse(
                Path::new("c.yaml"),
                text,
                Kind::List { key: "mcpServers".into(), name_key: "name".into() },
            )
            .unwrap();
            d.set("x", &json!({"type": "stdio", "command": "dockside"})).unwrap();
            let added = d.text();
            assert_eq!(d.entries()["x"]["name"], "x", "{added}");
            d.remove("x").unwrap();
            assert_eq!(d.text(), text, "after adding:\n{added}");
        }
    }

    #[test]
    fn flow_container_refused_and_errors_located() {
        assert!(YamlDoc::parse(
            Path::new("c.yaml"),
            "extensions: {}\n",
            Kind::Map {
                key: "extensions".into()
            }
        )
        .is_err());
        let Err(EditError::Parse(p)) = YamlDoc::parse(
            Path::new("c.yaml"),
            "a: 1\nb: [\n",
            Kind::Map {
                key: "extensions".into(),
            },
        ) else {
            panic!()
        };
        assert_eq!(p.line, 3, "{p}");
    }
}
