//! YAML in and out, with errors a user can act on.
//!
//! Parsing goes straight from text to the typed model (never through an untyped tree first), so that
//! both syntax errors and type errors (`longLived: "maybe"`, `registry: 5`) carry the parser's
//! line and column. Writing goes through a [`Value`] whose mapping keys are put back in the order the
//! file had when it was read, so a load → save round trip changes formatting only.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;
use yaml_serde::Value;

use crate::{Error, Issue};

/// Parses `text` (the content of `path`) into `T`; an empty document is `T::default()`.
pub(crate) fn parse<T: DeserializeOwned + Default>(text: &str, path: &Path) -> Result<T, Issue> {
    if text.trim().is_empty() {
        return Ok(T::default());
    }
    yaml_serde::from_str(text).map_err(|err| issue(&err, text, path))
}

/// Like [`parse`], but records the problem in `issues` and returns the default, so that every
/// file of a set gets checked.
pub(crate) fn parse_or_collect<T: DeserializeOwned + Default>(
    text: &str,
    path: &Path,
    issues: &mut Vec<Issue>,
) -> T {
    parse(text, path).unwrap_or_else(|issue| {
        issues.push(issue);
        T::default()
    })
}

/// The content of `path`, or `None` if it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<String>, Error> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("read", path, e)),
    }
}

/// Parses `text` as an untyped tree (to remember its key order).
pub(crate) fn parse_value(text: &str, path: &Path) -> Result<Value, Issue> {
    yaml_serde::from_str(text).map_err(|err| issue(&err, text, path))
}

/// Serializes `value`, ordering mapping keys like `original` where it has them.
pub(crate) fn to_string<T: Serialize>(
    value: &T,
    original: Option<&Value>,
    path: &Path,
) -> Result<String, Error> {
    let encode = |err: yaml_serde::Error| Error::Invalid(vec![Issue::new(path, err.to_string())]);
    let mut tree = yaml_serde::to_value(value).map_err(encode)?;
    if let Some(original) = original {
        order_like(&mut tree, original);
    }
    yaml_serde::to_string(&tree).map_err(encode)
}

fn issue(err: &yaml_serde::Error, text: &str, path: &Path) -> Issue {
    let mut message = err.to_string();
    let mut location = err.location().map(|at| (at.line(), at.column()));
    if let Some((line, column)) = location {
        message = message.replace(&format!(" at line {line} column {column}"), "");
    }
    // An unclosed quote is found at the end of the file; point at the quote itself.
    const UNCLOSED: &str = "while scanning a quoted scalar at line ";
    if let Some(at) = message.find(UNCLOSED) {
        let numbers: Vec<usize> = message[at + UNCLOSED.len()..]
            .split(" column ")
            .filter_map(|n| n.trim().parse().ok())
            .collect();
        if let [line, column] = numbers[..] {
            location = Some((line, column));
            message = "unclosed quote: the string starting here never ends".to_owned();
        }
    }
    let line_text = location.and_then(|(line, _)| text.lines().nth(line - 1));
    Issue {
        path: path.to_owned(),
        location,
        fix: fix_for(&message, line_text.unwrap_or_default()),
        message,
    }
}

/// A suggestion for the common mistakes, from the parser's message and the offending line.
fn fix_for(message: &str, line: &str) -> Option<String> {
    let fix = if line.trim_start_matches(' ').starts_with('\t') {
        "YAML does not allow tabs for indentation: indent with spaces".to_owned()
    } else if message.starts_with("unclosed quote") {
        "end the string with the same quote it starts with".to_owned()
    } else if let Some(expected) = message.split(", expected ").nth(1) {
        let field = message.split(": ").next().unwrap_or("this value");
        format!("`{field}` must be {expected}")
    } else if message.contains("unknown field") || message.contains("unknown variant") {
        "use one of the expected names".to_owned()
    } else if message.contains("duplicate entry") {
        "every key may appear only once in a mapping: remove or rename one of them".to_owned()
    } else {
        return None;
    };
    Some(fix)
}

/// Reorders the keys of every mapping in `value` to follow `original` (keys it lacks go last).
fn order_like(value: &mut Value, original: &Value) {
    match (value, original) {
        (Value::Mapping(map), Value::Mapping(orig)) => {
            let mut rest = std::mem::take(map);
            for key in orig.keys() {
                if let Some(mut entry) = rest.shift_remove(key) {
                    order_like(&mut entry, &orig[key]);
                    map.insert(key.clone(), entry);
                }
            }
            map.extend(rest);
        }
        (Value::Sequence(items), Value::Sequence(orig)) => {
            for (item, orig) in items.iter_mut().zip(orig) {
                order_like(item, orig);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, serde::Deserialize)]
    struct Doc {
        flag: Option<bool>,
    }

    fn err(text: &str) -> Issue {
        parse::<Doc>(text, Path::new("f.yaml")).unwrap_err()
    }

    #[test]
    fn empty_text_is_the_default_and_values_parse() {
        let path = Path::new("f.yaml");
        assert_eq!(parse::<Doc>(" \n", path).unwrap().flag, None);
        assert_eq!(parse::<Doc>("flag: true", path).unwrap().flag, Some(true));
    }

    #[test]
    fn tab_indentation_is_located_and_explained() {
        let issue = err("flag:\n\ttrue\n");
        assert_eq!(issue.location, Some((2, 1)));
        assert!(issue.fix.unwrap().contains("tabs"));
    }

    #[test]
    fn wrong_type_names_the_field_and_the_expected_type() {
        let issue = err("flag: \"maybe\"\n");
        assert_eq!(issue.location, Some((1, 7)));
        assert!(!issue.message.contains("at line"), "{}", issue.message);
        assert_eq!(issue.fix.as_deref(), Some("`flag` must be a boolean"));
        assert_eq!(
            issue.to_string(),
            "f.yaml:1:7: flag: invalid type: string \"maybe\", expected a boolean\n  fix: `flag` must be a boolean"
        );
    }

    #[test]
    fn unclosed_quote_points_at_the_quote() {
        let issue = err("flag: \"true\n\n");
        assert_eq!(issue.location, Some((1, 7)));
        assert_eq!(
            issue.message,
            "unclosed quote: the string starting here never ends"
        );
    }

    #[test]
    fn keys_follow_the_original_order() {
        let original: Value = yaml_serde::from_str("b: 1\na: {y: 1, x: 2}\n").unwrap();
        let mut value: Value = yaml_serde::from_str("a: {x: 2, y: 1, z: 3}\nc: 0\nb: 1\n").unwrap();
        order_like(&mut value, &original);
        assert_eq!(
            yaml_serde::to_string(&value).unwrap(),
            "b: 1\na:\n  y: 1\n  x: 2\n  z: 3\nc: 0\n"
        );
    }
}
