//! Docker's `{{server.key|filter}}` templates, filled from the server's config values.
//!
//! Catalog `env`, `command` and `volumes` refer to user settings as `{{clickhouse.host}}`; the values
//! come from the server's `config` in the state (Docker's `config.yaml`). A whole-item template whose value
//! is a list expands into one item per element (Docker's `into`); the `volume` filter turns a path into
//! `path:path`, `volume-target` keeps it as the target path. A missing value renders as empty, as in Docker.

use indexmap::IndexMap;
use yaml_serde::Value;

/// Renders one string; lists are joined with commas.
pub fn render(text: &str, server: &str, config: &IndexMap<String, Value>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        out.push_str(&expand(&rest[start + 2..start + len], server, config).join(","));
        rest = &rest[start + len + 2..];
    }
    out + rest
}

/// Renders a list of arguments or volumes, expanding list values into several items.
pub fn render_all(items: &[String], server: &str, config: &IndexMap<String, Value>) -> Vec<String> {
    items
        .iter()
        .flat_map(|item| match whole_template(item) {
            Some(expr) => expand(expr, server, config),
            None => vec![render(item, server, config)],
        })
        .collect()
}

fn whole_template(item: &str) -> Option<&str> {
    let inner = item.strip_prefix("{{")?.strip_suffix("}}")?;
    (!inner.contains("{{")).then_some(inner)
}

fn expand(expr: &str, server: &str, config: &IndexMap<String, Value>) -> Vec<String> {
    let mut parts = expr.split('|').map(str::trim);
    let path = parts.next().unwrap_or_default();
    let mut keys = path.split('.');
    let value = if keys.next() == Some(server) {
        keys.next()
            .and_then(|first| config.get(first))
            .and_then(|value| keys.try_fold(value, |value, key| value.get(key)))
    } else {
        None
    };
    let mut items: Vec<String> = match value {
        Some(Value::Sequence(seq)) => seq.iter().map(scalar).collect(),
        Some(value) => vec![scalar(value)],
        None => vec![String::new()],
    };
    for filter in parts {
        if filter == "volume" {
            items = items.into_iter().map(|p| format!("{p}:{p}")).collect();
        }
    }
    items
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => yaml_serde::to_string(other)
            .unwrap_or_default()
            .trim_end()
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> IndexMap<String, Value> {
        yaml_serde::from_str("host: db\nport: 5432\npaths: [/a, /b]\nnested: {k: v}").unwrap()
    }

    #[test]
    fn renders_scalars_lists_and_filters() {
        let c = config();
        assert_eq!(render("{{s.host}}:{{s.port}}", "s", &c), "db:5432");
        assert_eq!(
            render("{{s.nested.k}} {{s.missing}} {{other.host}}", "s", &c),
            "v  "
        );
        let items = vec![
            "--x".to_owned(),
            "{{s.paths|volume|into}}".to_owned(),
            "{{s.paths|volume-target|into}}".to_owned(),
        ];
        assert_eq!(
            render_all(&items, "s", &c),
            ["--x", "/a:/a", "/b:/b", "/a", "/b"]
        );
    }
}
