//! JSON / JSONC entries edited through `jsonc-parser`'s concrete syntax tree.
//!
//! The CST keeps every token of the file — comments, whitespace, newlines, commas — so setting
//! or removing one property rewrites only that property (plus the comma that separates it from
//! its neighbour). New properties take the indentation and newline style of their siblings.
//! [`EntryDoc::set_text`] puts a property's old value text back verbatim: it goes into the tree
//! as the raw text of a placeholder string, and the whole document is parsed again to check it.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use jsonc_parser::cst::{CstInputValue, CstObject, CstRootNode};
use jsonc_parser::ParseOptions;
use serde_json::Value;

use super::{with_entry, EditError, EntryDoc, ParseError};

fn options(jsonc: bool) -> ParseOptions {
    ParseOptions {
        allow_comments: jsonc,
        allow_loose_object_property_names: false,
        allow_trailing_commas: jsonc,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

fn parse_root(path: &Path, text: &str, jsonc: bool) -> Result<CstRootNode, ParseError> {
    CstRootNode::parse(text, &options(jsonc)).map_err(|e| ParseError {
        path: path.to_owned(),
        line: e.line_display(),
        column: e.column_display(),
        message: e.kind().to_string(),
    })
}

/// Parses a JSON/JSONC document into a value (`null` for an empty file).
pub fn parse_value(path: &Path, text: &str, jsonc: bool) -> Result<Value, ParseError> {
    let root = parse_root(path, text, jsonc)?;
    Ok(root.to_serde_value().unwrap_or(Value::Null))
}

/// Converts a JSON value to the CST's input type.
pub fn to_input(v: &Value) -> CstInputValue {
    match v {
        Value::Null => CstInputValue::Null,
        Value::Bool(b) => CstInputValue::Bool(*b),
        Value::Number(n) => CstInputValue::Number(n.to_string()),
        Value::String(s) => CstInputValue::String(s.clone()),
        Value::Array(a) => CstInputValue::Array(a.iter().map(to_input).collect()),
        Value::Object(o) => {
            CstInputValue::Object(o.iter().map(|(k, v)| (k.clone(), to_input(v))).collect())
        }
    }
}

/// A JSON(C) document with the entries' object at `keys`.
pub struct JsonDoc {
    path: PathBuf,
    root: CstRootNode,
    jsonc: bool,
    keys: Vec<String>,
}

impl JsonDoc {
    pub fn parse(
        path: &Path,
        text: &str,
        jsonc: bool,
        keys: Vec<String>,
    ) -> Result<Self, EditError> {
        let root = parse_root(path, text, jsonc)?;
        let doc = JsonDoc {
            path: path.to_owned(),
            root,
            jsonc,
            keys,
        };
        // Refuse early when the root or a container on the path is not an object.
        if let Some(v) = doc.root.value() {
            if v.as_object().is_none() {
                return Err(doc.shape_err("(root)", &v.to_serde_value()));
            }
        }
        doc.container()?;
        Ok(doc)
    }

    fn shape_err(&self, key: &str, found: &Option<Value>) -> EditError {
        EditError::Shape {
            path: self.path.clone(),
            key: key.to_owned(),
            expected: "a JSON object",
            found: found
                .as_ref()
                .map_or("nothing".into(), |v| short(&v.to_string())),
        }
    }

    /// The container object, if it exists; an error if something else is in its place.
    fn container(&self) -> Result<Option<CstObject>, EditError> {
        let Some(mut obj) = self.root.object_value() else {
            return Ok(None);
        };
        for key in &self.keys {
            let Some(prop) = obj.get(key) else {
                return Ok(None);
            };
            match prop.object_value() {
                Some(o) => obj = o,
                None => {
                    return Err(self.shape_err(key, &prop.value().and_then(|v| v.to_serde_value())))
                }
            }
        }
        Ok(Some(obj))
    }

    fn container_or_create(&self) -> CstObject {
        let mut obj = self.root.object_value_or_set();
        for key in &self.keys {
            obj = obj.object_value_or_set(key);
        }
        obj
    }
}

impl EntryDoc for JsonDoc {
    fn entries(&self) -> IndexMap<String, Value> {
        let Ok(Some(obj)) = self.container() else {
            return IndexMap::new();
        };
        obj.properties()
            .into_iter()
            .filter_map(|p| {
                let name = p.name()?.decoded_value().ok()?;
                let value = p.value()?.to_serde_value()?;
                Some((name, value))
            })
            .collect()
    }

    fn has_container(&self) -> bool {
        matches!(self.container(), Ok(Some(_)))
    }

    fn set(&mut self, name: &str, value: &Value) -> Result<(), EditError> {
        let obj = self.container_or_create();
        match obj.get(name) {
            Some(prop) => prop.set_value(to_input(value)),
            None => {
                obj.append(name, to_input(value));
            }
        }
        Ok(())
    }

    fn remove(&mut self, name: &str) -> Result<(), EditError> {
        if let Some(obj) = self.container()? {
            if let Some(prop) = obj.get(name) {
                prop.remove();
            }
        }
        Ok(())
    }

    fn remove_container_if_empty(&mut self) -> Result<(), EditError> {
        // Walk back up: remove the innermost empty object, then any parent it leaves empty.
        for depth in (1..=self.keys.len()).rev() {
            let Some(mut obj) = self.root.object_value() else {
                return Ok(());
            };
            for key in &self.keys[..depth - 1] {
                match obj.object_value(key) {
                    Some(o) => obj = o,
                    None => return Ok(()),
                }
            }
            let last = &self.keys[depth - 1];
            match obj.get(last) {
                Some(prop)
                    if prop
                        .object_value()
                        .is_some_and(|o| o.properties().is_empty()) =>
                {
                    prop.remove()
                }
                _ => return Ok(()),
            }
        }
        Ok(())
    }

    fn entry_text(&self, name: &str) -> Option<String> {
        let value = self.container().ok()??.get(name)?.value()?;
        Some(value.to_string())
    }

    fn set_text(&mut self, name: &str, text: &str, value: &Value) -> Result<(), EditError> {
        let verify_err = |message: &str| EditError::Verify {
            path: self.path.clone(),
            entry: name.to_owned(),
            message: message.to_owned(),
        };
        let want = self
            .root
            .to_serde_value()
            .and_then(|doc| with_entry(&doc, &self.keys, name, value))
            .ok_or_else(|| verify_err("no such entry"))?;
        // Edit a copy: the placeholder leaves the tree inconsistent until it is parsed again.
        let copy = JsonDoc::parse(&self.path, &self.text(), self.jsonc, self.keys.clone())?;
        let prop = copy
            .container()?
            .and_then(|o| o.get(name))
            .ok_or_else(|| verify_err("no such entry"))?;
        prop.set_value(CstInputValue::String(String::new()));
        let placeholder = prop
            .value()
            .and_then(|v| v.as_string_lit())
            .ok_or_else(|| verify_err("could not place the text"))?;
        placeholder.set_raw_value(text.to_owned());
        let edited = JsonDoc::parse(&self.path, &copy.text(), self.jsonc, self.keys.clone())
            .map_err(|e| verify_err(&format!("result does not parse: {e}")))?;
        if edited.root.to_serde_value().as_ref() != Some(&want) {
            return Err(verify_err(
                "re-parsed document differs from the intended change",
            ));
        }
        *self = edited;
        Ok(())
    }

    fn text(&self) -> String {
        self.root.to_string()
    }
}

fn short(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(text: &str) -> JsonDoc {
        JsonDoc::parse(Path::new("t.json"), text, true, vec!["mcpServers".into()]).unwrap()
    }

    #[test]
    fn append_then_remove_is_identity() {
        for text in [
            "{\n  // servers\n  \"mcpServers\": {\n    \"mine\": { \"command\": \"x\" } // mine\n  },\n  \"other\": 1\n}\n",
            "{\n\t\"mcpServers\": {\n\t\t\"mine\": {\"command\": \"x\"},\n\t},\n}",
            "{\r\n    \"mcpServers\": {\r\n        \"a\": {}\r\n    }\r\n}\r\n",
        ] {
            let mut d = doc(text);
            d.set("dockside-one", &json!({"command": "dockside", "args": ["connect"], "env": {"A": "b"}}))
                .unwrap();
            d.set("two", &json!({"command": "y"})).unwrap();
            let added = d.text();
            assert!(added.contains("dockside-one"), "{added}");
            let mut d2 = doc(&added);
            assert_eq!(d2.entries().len(), 3);
            d2.remove("dockside-one").unwrap();
            d2.remove("two").unwrap();
            assert_eq!(d2.text(), text, "after adding:\n{added}");
        }
    }

    /// A minified container is expanded to one property per line when an entry is added (the
    /// CST lays new objects out on multiple lines); removing restores the data, not the bytes.
    #[test]
    fn minified_container_keeps_data() {
        let text = "{\"mcpServers\":{\"a\":{\"command\":\"x\"}},\"z\":[1]}";
        let mut d = doc(text);
        d.set("b", &json!({"command": "y"})).unwrap();
        let mut d = doc(&d.text());
        d.remove("b").unwrap();
        assert_eq!(
            parse_value(Path::new("t"), &d.text(), false).unwrap(),
            parse_value(Path::new("t"), text, false).unwrap()
        );
    }

    /// A property's exact value text goes back in place of what Dockside wrote there; text
    /// that does not give the value is refused and changes nothing.
    #[test]
    fn entry_text_is_put_back_verbatim() {
        let text = "{\r\n\t\"mcpServers\": {\r\n\t\t\"mine\": {\"command\": \"x\", /* c */ \"args\": [],}, // mine\r\n\t},\r\n}";
        let mut d = doc(text);
        let mine = d.entry_text("mine").unwrap();
        assert_eq!(mine, "{\"command\": \"x\", /* c */ \"args\": [],}");
        let orig = d.entries()["mine"].clone();
        d.set("mine", &json!({"command": "dockside", "args": ["connect"]}))
            .unwrap();
        let replaced = d.text();
        let wrong = d.set_text("mine", &mine, &json!({"command": "y"}));
        assert!(matches!(wrong, Err(EditError::Verify { .. })), "{wrong:?}");
        assert_eq!(d.text(), replaced);
        d.set_text("mine", &mine, &orig).unwrap();
        assert_eq!(d.text(), text);
    }

    #[test]
    fn syntax_error_has_position() {
        let err = JsonDoc::parse(
            Path::new("c.json"),
            "{\n  \"a\": 1,\n  \"b\" 2\n}",
            false,
            vec![],
        )
        .err()
        .unwrap();
        let EditError::Parse(p) = err else { panic!() };
        assert_eq!((p.line, p.column), (3, 7), "{p}");
    }
}
