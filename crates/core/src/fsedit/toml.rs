//! TOML entries edited with `toml_edit`, which keeps comments, whitespace, table order and
//! value formatting of everything it is not asked to change.
//!
//! An entry is a table (`[mcp_servers.NAME]`); a new one is placed right after the container's
//! last table. Replacing an entry updates it key by key, so unchanged keys keep their
//! formatting and trailing comments.
//!
//! `toml_edit` prints every line break as `\n` and ends the last line with one, so [`TomlDoc`]
//! keeps the text it parsed: lines it prints unchanged get their own line break back (matched
//! by a line diff), new lines get the file's, and a file without a final line break stays so.
//! An entry's source text ([`EntryDoc::entry_text`]) is found through the spans of a second,
//! read-only parse ([`toml_edit::Document`]) of the printed document.

use std::ops::Range;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::Value;
use toml_edit::{DocumentMut, InlineTable, Item, Table, TableLike};

use super::{line_break, line_col, with_entry, EditError, EntryDoc, ParseError};

fn parse_doc(path: &Path, text: &str) -> Result<DocumentMut, ParseError> {
    text.parse::<DocumentMut>().map_err(|e| {
        let (line, column) = line_col(text, e.span().map_or(0, |s| s.start));
        ParseError {
            path: path.to_owned(),
            line,
            column,
            message: e.message().trim().to_owned(),
        }
    })
}

/// Parses a TOML document into the JSON data model.
pub fn parse_value(path: &Path, text: &str) -> Result<Value, ParseError> {
    Ok(table_to_json(parse_doc(path, text)?.as_table()))
}

fn table_to_json(t: &dyn TableLike) -> Value {
    Value::Object(
        t.iter()
            .map(|(k, v)| (k.to_owned(), item_to_json(v)))
            .collect(),
    )
}

fn item_to_json(item: &Item) -> Value {
    match item {
        Item::None => Value::Null,
        Item::Value(v) => value_to_json(v),
        Item::Table(t) => table_to_json(t),
        Item::ArrayOfTables(a) => Value::Array(a.iter().map(|t| table_to_json(t)).collect()),
    }
}

fn value_to_json(v: &toml_edit::Value) -> Value {
    use toml_edit::Value as V;
    match v {
        V::String(s) => Value::String(s.value().clone()),
        V::Integer(i) => Value::from(*i.value()),
        V::Float(f) => serde_json::Number::from_f64(*f.value()).map_or(Value::Null, Value::Number),
        V::Boolean(b) => Value::Bool(*b.value()),
        V::Datetime(d) => Value::String(d.value().to_string()),
        V::Array(a) => Value::Array(a.iter().map(value_to_json).collect()),
        V::InlineTable(t) => table_to_json(t),
    }
}

fn has_null(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.iter().any(has_null),
        Value::Object(o) => o.values().any(has_null),
        _ => false,
    }
}

/// A JSON value as a TOML value (objects become inline tables). `set` refuses `null`, which
/// TOML cannot express.
fn json_to_value(v: &Value) -> toml_edit::Value {
    match v {
        Value::Null => toml_edit::Value::from(""),
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.into(),
            None => n.as_f64().unwrap_or_default().into(),
        },
        Value::String(s) => s.as_str().into(),
        Value::Array(a) => toml_edit::Value::Array(a.iter().map(json_to_value).collect()),
        Value::Object(o) => {
            let mut t = InlineTable::new();
            for (k, v) in o {
                t.insert(k, json_to_value(v));
            }
            toml_edit::Value::InlineTable(t)
        }
    }
}

/// Puts the line breaks of `source` back into `printed` (what `toml_edit` printed after
/// parsing `source` and editing it): a line found unchanged keeps its own line break, a new
/// line gets the file's, and the text ends without a line break when `source` did.
fn keep_line_breaks(source: &str, printed: &str) -> String {
    fn content(line: &str) -> &str {
        let line = line.strip_suffix('\n').unwrap_or(line);
        line.strip_suffix('\r').unwrap_or(line)
    }
    let mut out = if source.contains('\r') {
        let nl = line_break(source);
        let old: Vec<&str> = source.split_inclusive('\n').collect();
        let new: Vec<&str> = printed.split_inclusive('\n').collect();
        let old_content: Vec<&str> = old.iter().map(|l| content(l)).collect();
        let new_content: Vec<&str> = new.iter().map(|l| content(l)).collect();
        let mut out = String::with_capacity(printed.len() + new.len());
        let ops =
            similar::capture_diff_slices(similar::Algorithm::Myers, &old_content, &new_content);
        for op in ops {
            let (tag, old_range, new_range) = op.as_tag_tuple();
            for (k, j) in new_range.enumerate() {
                out.push_str(new_content[j]);
                if new[j].ends_with('\n') {
                    let kept = (tag == similar::DiffTag::Equal)
                        .then(|| old[old_range.start + k])
                        .filter(|l| l.ends_with('\n'));
                    out.push_str(kept.map_or(nl, |l| &l[content(l).len()..]));
                }
            }
        }
        out
    } else {
        printed.to_owned()
    };
    if !source.is_empty() && !source.ends_with('\n') && out.ends_with('\n') {
        out.truncate(content(&out).len());
    }
    out
}

/// Where entry `name` of the container at `keys` is written in `text`: from its first byte
/// (the `[` of its header, or its key) to its last, and on to the end of that line when only
/// a comment or blanks follow. `None` when `text` holds no such entry.
fn entry_span(text: &str, keys: &[String], name: &str) -> Option<Range<usize>> {
    fn spans(item: &Item, out: &mut Vec<Range<usize>>) {
        out.extend(item.span());
        if let Some(t) = item.as_table_like() {
            for (k, v) in t.iter() {
                out.extend(t.key(k).and_then(|k| k.span()));
                spans(v, out);
            }
        }
    }
    let doc = toml_edit::Document::parse(text).ok()?;
    let mut container: &dyn TableLike = doc.as_table();
    for key in keys {
        container = container.get(key)?.as_table_like()?;
    }
    let (key, item) = container.get_key_value(name)?;
    let mut all: Vec<Range<usize>> = key.span().into_iter().collect();
    spans(item, &mut all);
    let start = all.iter().map(|r| r.start).min()?;
    let end = all.iter().map(|r| r.end).max()?;
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
    let rest = text[end..line_end].trim();
    let end = if rest.is_empty() || rest.starts_with('#') {
        line_end
    } else {
        end
    };
    Some(start..end)
}

pub struct TomlDoc {
    path: PathBuf,
    /// The text parsed, for its line breaks.
    source: String,
    doc: DocumentMut,
    keys: Vec<String>,
}

impl TomlDoc {
    pub fn parse(path: &Path, text: &str, keys: Vec<String>) -> Result<Self, EditError> {
        let doc = TomlDoc {
            path: path.to_owned(),
            source: text.to_owned(),
            doc: parse_doc(path, text)?,
            keys,
        };
        doc.container()?;
        Ok(doc)
    }

    fn verify_err(&self, entry: &str, message: String) -> EditError {
        EditError::Verify {
            path: self.path.clone(),
            entry: entry.to_owned(),
            message,
        }
    }

    fn container(&self) -> Result<Option<&dyn TableLike>, EditError> {
        let mut t: &dyn TableLike = self.doc.as_table();
        for key in &self.keys {
            match t.get(key) {
                None => return Ok(None),
                Some(item) => match item.as_table_like() {
                    Some(inner) => t = inner,
                    None => {
                        return Err(EditError::Shape {
                            path: self.path.clone(),
                            key: key.clone(),
                            expected: "a TOML table",
                            found: item_to_json(item).to_string(),
                        })
                    }
                },
            }
        }
        Ok(Some(t))
    }

    /// Whether the container is an inline table (`x = { … }`) or inside one: entries must be
    /// inline values then.
    fn container_is_inline(&self) -> bool {
        let mut t: &dyn TableLike = self.doc.as_table();
        for key in &self.keys {
            match t.get(key) {
                Some(item) if item.is_inline_table() => return true,
                Some(item) => match item.as_table_like() {
                    Some(inner) => t = inner,
                    None => return false,
                },
                None => return false,
            }
        }
        false
    }

    fn container_mut(&mut self) -> Option<&mut dyn TableLike> {
        let mut t: &mut dyn TableLike = self.doc.as_table_mut();
        for key in &self.keys {
            t = t.get_mut(key)?.as_table_like_mut()?;
        }
        Some(t)
    }

    fn container_or_create(&mut self) -> Result<&mut dyn TableLike, EditError> {
        let mut t: &mut dyn TableLike = self.doc.as_table_mut();
        for key in &self.keys {
            if t.get(key).is_none() {
                let mut new = Table::new();
                new.set_implicit(true);
                t.insert(key, Item::Table(new));
            }
            t = t
                .get_mut(key)
                .and_then(|i| i.as_table_like_mut())
                .ok_or_else(|| EditError::Unsupported {
                    path: self.path.clone(),
                    message: format!("`{key}` is not a table"),
                })?;
        }
        Ok(t)
    }
}

impl EntryDoc for TomlDoc {
    fn entries(&self) -> IndexMap<String, Value> {
        let Ok(Some(t)) = self.container() else {
            return IndexMap::new();
        };
        t.iter()
            .map(|(k, v)| (k.to_owned(), item_to_json(v)))
            .collect()
    }

    fn has_container(&self) -> bool {
        matches!(self.container(), Ok(Some(_)))
    }

    fn set(&mut self, name: &str, value: &Value) -> Result<(), EditError> {
        let path = self.path.clone();
        if has_null(value) {
            return Err(EditError::Unsupported {
                path,
                message: format!("entry `{name}` holds a null, which TOML cannot express"),
            });
        }
        let Value::Object(fields) = value else {
            return Err(EditError::Unsupported {
                path,
                message: format!("entry `{name}` must be a table"),
            });
        };
        let inline = self.container_is_inline();
        let container = self.container_or_create()?;
        match container.get_mut(name) {
            Some(Item::Table(t)) => {
                // Key-by-key update keeps formatting of unchanged keys.
                let stale: Vec<String> = t
                    .iter()
                    .map(|(k, _)| k.to_owned())
                    .filter(|k| !fields.contains_key(k))
                    .collect();
                for k in stale {
                    t.remove(&k);
                }
                for (k, v) in fields {
                    if t.get(k).map(item_to_json).as_ref() != Some(v) {
                        match t.get_mut(k).and_then(|i| i.as_value_mut()) {
                            Some(old) => {
                                let decor = old.decor().clone();
                                *old = json_to_value(v);
                                *old.decor_mut() = decor;
                            }
                            None => {
                                t.insert(k, Item::Value(json_to_value(v)));
                            }
                        }
                    }
                }
            }
            Some(other) => *other = Item::Value(json_to_value(value)),
            None => {
                // A standard table when the container is a standard table, else inline.
                if inline {
                    container.insert(name, Item::Value(json_to_value(value)));
                } else {
                    let mut t = Table::new();
                    for (k, v) in fields {
                        t.insert(k, Item::Value(json_to_value(v)));
                    }
                    container.insert(name, Item::Table(t));
                }
            }
        }
        Ok(())
    }

    fn remove(&mut self, name: &str) -> Result<(), EditError> {
        if let Some(t) = self.container_mut() {
            t.remove(name);
        }
        Ok(())
    }

    fn remove_container_if_empty(&mut self) -> Result<(), EditError> {
        for depth in (1..=self.keys.len()).rev() {
            let mut t: &mut dyn TableLike = self.doc.as_table_mut();
            for key in &self.keys[..depth - 1] {
                match t.get_mut(key).and_then(|i| i.as_table_like_mut()) {
                    Some(inner) => t = inner,
                    None => return Ok(()),
                }
            }
            let last = &self.keys[depth - 1];
            if t.get(last)
                .and_then(|i| i.as_table_like())
                .is_some_and(|c| c.is_empty())
            {
                t.remove(last);
            } else {
                return Ok(());
            }
        }
        Ok(())
    }

    fn entry_text(&self, name: &str) -> Option<String> {
        let printed = self.doc.to_string();
        let span = entry_span(&printed, &self.keys, name)?;
        // Only an entry written in one piece: cut out, the rest is the document without it.
        let mut without = self.doc.clone();
        let mut t: &mut dyn TableLike = without.as_table_mut();
        for key in &self.keys {
            t = t.get_mut(key)?.as_table_like_mut()?;
        }
        t.remove(name);
        let cut = format!("{}{}", &printed[..span.start], &printed[span.end..]);
        let rest = parse_value(&self.path, &cut).ok()?;
        let want = parse_value(&self.path, &without.to_string()).ok()?;
        (rest == want).then(|| printed[span].to_owned())
    }

    fn set_text(&mut self, name: &str, text: &str, value: &Value) -> Result<(), EditError> {
        let printed = self.doc.to_string();
        let (span, want) = entry_span(&printed, &self.keys, name)
            .zip(with_entry(
                &table_to_json(self.doc.as_table()),
                &self.keys,
                name,
                value,
            ))
            .ok_or_else(|| self.verify_err(name, "no such entry".into()))?;
        let new_text = format!("{}{text}{}", &printed[..span.start], &printed[span.end..]);
        let doc = parse_doc(&self.path, &new_text)
            .map_err(|e| self.verify_err(name, format!("result does not parse: {e}")))?;
        if table_to_json(doc.as_table()) != want {
            return Err(self.verify_err(
                name,
                "re-parsed document differs from the intended change".into(),
            ));
        }
        self.doc = doc;
        Ok(())
    }

    fn text(&self) -> String {
        keep_line_breaks(&self.source, &self.doc.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TEXT: &str = "# Codex config\nmodel = \"o3\" # inline comment\n\n[mcp_servers.mine]\ncommand = \"node\" # keep\nargs = [\"server.js\"]\n\n# profiles below\n[profiles.fast]\nmodel = \"o4-mini\"\n";

    #[test]
    fn append_then_remove_is_identity() {
        let mut d = TomlDoc::parse(Path::new("c.toml"), TEXT, vec!["mcp_servers".into()]).unwrap();
        d.set("dockside x", &json!({"command": "dockside", "args": ["connect", "--server", "x"], "env": {"A B": "ü \"q\""}}))
            .unwrap();
        let added = d.text();
        let parsed = parse_value(Path::new("c.toml"), &added).unwrap();
        assert_eq!(parsed["mcp_servers"]["dockside x"]["env"]["A B"], "ü \"q\"");
        assert!(added.starts_with("# Codex config\nmodel = \"o3\" # inline comment\n\n[mcp_servers.mine]\ncommand = \"node\" # keep\n"), "{added}");
        let mut d =
            TomlDoc::parse(Path::new("c.toml"), &added, vec!["mcp_servers".into()]).unwrap();
        assert_eq!(d.entries().len(), 2);
        d.remove("dockside x").unwrap();
        assert_eq!(d.text(), TEXT, "after adding:\n{added}");
    }

    fn doc(text: &str) -> TomlDoc {
        TomlDoc::parse(Path::new("c.toml"), text, vec!["mcp_servers".into()]).unwrap()
    }

    /// `toml_edit` prints `\n` only and always ends with one: the file's own line breaks come
    /// back (mixed ones too), new lines take the file's, and a missing final one stays missing.
    #[test]
    fn line_breaks_are_kept() {
        for text in [
            "# c\r\nmodel = \"o3\"\r\n\r\n[mcp_servers.mine]\r\ncommand = \"x\"\r\nargs = [\r\n  \"a\",\r\n]\r\n",
            "model = \"o3\"\r\n[mcp_servers.mine]\ncommand = \"x\"\r\n\n[p]\r\na = 1",
            "model = \"o3\"",
        ] {
            let mut d = doc(text);
            assert_eq!(d.text(), text);
            d.set("new", &json!({"command": "y", "args": ["z"]})).unwrap();
            let added = d.text();
            assert_eq!(added.ends_with('\n'), text.ends_with('\n'), "{added:?}");
            if text.contains('\r') {
                for line in ["[mcp_servers.new]", "command = \"y\""] {
                    assert!(added.contains(&format!("{line}\r\n")), "{added:?}");
                }
            }
            let mut d = doc(&added);
            d.remove("new").unwrap();
            assert_eq!(d.text(), text, "after adding:\n{added:?}");
        }
    }

    /// An entry's exact text (a table, or one `key = value` with its comment) goes back in
    /// place of what Dockside wrote there; text that does not give the value is refused.
    #[test]
    fn entry_text_is_put_back_verbatim() {
        let text = "[mcp_servers]\n\tinline = {command='x'}  # one line\nother = 1\n\n# mine\n[mcp_servers.mine]\ncommand = \"node\" # keep\nenv = { A = \"b\" }\n\n[p]\na = 1\n";
        for (name, want) in [
            ("inline", "inline = {command='x'}  # one line"),
            (
                "mine",
                "[mcp_servers.mine]\ncommand = \"node\" # keep\nenv = { A = \"b\" }",
            ),
        ] {
            let mut d = doc(text);
            let entry = d.entry_text(name);
            assert_eq!(entry.as_deref(), Some(want));
            let orig = d.entries()[name].clone();
            d.set(name, &json!({"command": "dockside", "args": ["connect"]}))
                .unwrap();
            assert_ne!(d.text(), text);
            let wrong = d.set_text(name, want, &json!({"command": "other"}));
            assert!(matches!(wrong, Err(EditError::Verify { .. })), "{wrong:?}");
            d.set_text(name, want, &orig).unwrap();
            assert_eq!(d.text(), text, "{name}");
        }
        // Not in one piece (its sub-table comes after another table): no text.
        let split =
            "[mcp_servers.mine]\ncommand = \"x\"\n[p]\na = 1\n[mcp_servers.mine.env]\nA = \"b\"\n";
        assert_eq!(doc(split).entry_text("mine"), None);
    }

    #[test]
    fn created_container_is_removed() {
        let text = "model = \"o3\"\n";
        let mut d = TomlDoc::parse(Path::new("c.toml"), text, vec!["mcp_servers".into()]).unwrap();
        d.set("a", &json!({"command": "x"})).unwrap();
        let added = d.text();
        let mut d =
            TomlDoc::parse(Path::new("c.toml"), &added, vec!["mcp_servers".into()]).unwrap();
        d.remove("a").unwrap();
        d.remove_container_if_empty().unwrap();
        assert_eq!(d.text(), text, "after adding:\n{added}");
    }
}
