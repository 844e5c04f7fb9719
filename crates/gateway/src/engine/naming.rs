//! Exposed names: prefixing, shortening, tool allow-lists and collision detection.
//!
//! In the aggregated view every tool and prompt is exposed as `<prefix>__<name>` (the prefix is
//! the server name unless the server sets its own or none). Many clients reject names longer
//! than 60 characters, so longer names are shortened deterministically and readably: the prefix
//! is cut to 16 characters, the name's head is kept and an 8-hex-digit hash of the full name
//! ends it. Two servers claiming the same exposed name is a collision: the first (in server
//! order) keeps it and the other is dropped with a warning that names both — never silently.

use indexmap::IndexMap;
use serde_json::Value;

use crate::upstream::UpstreamSpec;

pub const MAX_NAME_LEN: usize = 60;
pub const SEPARATOR: &str = "__";
/// Clients such as OpenAI's stop working past this many tools.
pub const MANY_TOOLS: usize = 128;

fn fnv1a(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

fn head(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Whether `c` may be in a tool name (MCP 2025-11-25, SEP-986: `[A-Za-z0-9_.-]`).
fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// `s` with every character a tool name may not hold replaced by `_`.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if allowed(c) { c } else { '_' })
        .collect()
}

/// The name a client sees for `name` of a server with prefix `prefix`; the bool says whether
/// it had to be changed. A name is changed when it is longer than [`MAX_NAME_LEN`] or holds a
/// character outside MCP's tool-name rule (1–128 of `[A-Za-z0-9_.-]`): such characters become
/// `_` and a hash of the whole original name keeps changed names apart.
pub fn exposed_name(prefix: Option<&str>, name: &str) -> (String, bool) {
    let full = match prefix {
        Some(p) if !p.is_empty() => format!("{p}{SEPARATOR}{name}"),
        _ => name.to_string(),
    };
    if !full.is_empty() && full.len() <= MAX_NAME_LEN && full.chars().all(allowed) {
        return (full, false);
    }
    let hash = format!("_{:08x}", fnv1a(&full));
    let prefix_part = match prefix {
        Some(p) if !p.is_empty() => format!("{}{SEPARATOR}", head(&clean(p), 16)),
        _ => String::new(),
    };
    let room = MAX_NAME_LEN - prefix_part.len() - hash.len();
    (
        format!("{prefix_part}{}{hash}", head(&clean(name), room)),
        true,
    )
}

/// Whether `exposed` may be a name [`exposed_name`] made with `prefix` (whole, or changed).
pub fn has_prefix(prefix: Option<&str>, exposed: &str) -> bool {
    match prefix {
        Some(p) if !p.is_empty() => [p.to_owned(), head(&clean(p), 16).to_owned()]
            .iter()
            .any(|p| exposed.starts_with(&format!("{p}{SEPARATOR}"))),
        _ => false,
    }
}

/// One `--tools` entry: `tool`, `server:tool`, `server:*` or `*` (case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolPattern {
    server: Option<String>,
    tool: String,
}

impl ToolPattern {
    pub fn parse(s: &str) -> ToolPattern {
        match s.split_once(':') {
            Some((server, tool)) => ToolPattern {
                server: Some(server.to_lowercase()),
                tool: tool.to_lowercase(),
            },
            None => ToolPattern {
                server: None,
                tool: s.to_lowercase(),
            },
        }
    }

    fn matches(&self, server: &str, tool: &str) -> bool {
        self.server
            .as_deref()
            .is_none_or(|s| s == "*" || s == server.to_lowercase())
            && (self.tool == "*" || self.tool == tool.to_lowercase())
    }
}

/// Whether a tool is enabled: by the server's own allow-list and by the `--tools` patterns.
pub fn tool_enabled(spec: &UpstreamSpec, patterns: &[ToolPattern], tool: &str) -> bool {
    let by_server = spec
        .tools
        .as_ref()
        .is_none_or(|allowed| allowed.iter().any(|t| t == tool));
    let by_flags = patterns.is_empty() || patterns.iter().any(|p| p.matches(&spec.name, tool));
    by_server && by_flags
}

/// One exposed tool or prompt in the aggregated view.
#[derive(Debug, Clone)]
pub struct Exposed {
    pub server: String,
    pub original: String,
    /// The item as the server described it, with `name` replaced by the exposed name.
    pub item: Value,
}

/// Builds the exposed-name table for one kind of item over every server, in server order.
/// Appends human-readable warnings for shortened names and collisions.
pub fn expose<'a>(
    servers: impl Iterator<Item = (&'a UpstreamSpec, &'a [Value])>,
    kind: &str,
    warnings: &mut Vec<String>,
) -> IndexMap<String, Exposed> {
    let mut out: IndexMap<String, Exposed> = IndexMap::new();
    for (spec, items) in servers {
        for item in items {
            let Some(original) = item.get("name").and_then(Value::as_str) else {
                continue;
            };
            let (name, shortened) = exposed_name(spec.prefix_str(), original);
            if shortened {
                warnings.push(format!(
                    "{kind} '{original}' of server '{}' is exposed as '{name}' (names are limited to {MAX_NAME_LEN} characters from A-Z a-z 0-9 _ . -)",
                    spec.name
                ));
            }
            if let Some(first) = out.get(&name) {
                warnings.push(format!(
                    "{kind} name collision: '{name}' is offered by server '{}' ('{}') and by server '{}' ('{original}'); \
                     the one of '{}' is hidden — give one of the servers its own prefix (--prefix or `prefix:` in the catalog)",
                    first.server, first.original, spec.name, spec.name
                ));
                continue;
            }
            let mut item = item.clone();
            item["name"] = Value::String(name.clone());
            out.insert(
                name,
                Exposed {
                    server: spec.name.clone(),
                    original: original.to_string(),
                    item,
                },
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstream::Prefix;
    use serde_json::json;

    fn spec(name: &str, prefix: Prefix) -> UpstreamSpec {
        UpstreamSpec {
            name: name.into(),
            prefix,
            ..Default::default()
        }
    }

    #[test]
    fn prefixes_and_shortens_deterministically() {
        assert_eq!(
            exposed_name(Some("demo"), "echo"),
            ("demo__echo".into(), false)
        );
        assert_eq!(exposed_name(None, "echo"), ("echo".into(), false));
        let long = "a_really_long_tool_name_that_goes_on_and_on_and_on_forever";
        let (a, short) = exposed_name(Some("my-very-long-server-name-here"), long);
        assert!(short);
        assert_eq!(a.len(), MAX_NAME_LEN);
        assert!(a.starts_with("my-very-long-ser__a_really_long"));
        assert_eq!(
            a,
            exposed_name(Some("my-very-long-server-name-here"), long).0
        );
        let (b, _) = exposed_name(Some("my-very-long-server-name-here"), &format!("{long}2"));
        assert_ne!(a, b);
    }

    #[test]
    fn exposed_names_meet_the_tool_name_rule() {
        let rule = |n: &str| {
            (1..=128).contains(&n.len())
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        };
        for (prefix, name) in [
            (Some("demo"), "echo"),
            (Some("my server"), "echo"),
            (Some("demo"), "search files"),
            (Some("demo"), "github/search"),
            (Some("démo"), "ünïcode✓"),
            (None, "a b"),
            (None, ""),
            (Some("x"), &"é".repeat(100)),
        ] {
            let (exposed, changed) = exposed_name(prefix, name);
            assert!(rule(&exposed), "{prefix:?} {name:?} → {exposed:?}");
            assert_eq!(
                changed,
                exposed
                    != format!(
                        "{}{name}",
                        prefix.map(|p| format!("{p}__")).unwrap_or_default()
                    )
            );
            assert!(
                has_prefix(prefix, &exposed) || prefix.is_none(),
                "{exposed}"
            );
        }
        // Names that differ only in characters that become `_` stay apart.
        assert_ne!(
            exposed_name(Some("demo"), "a/b").0,
            exposed_name(Some("demo"), "a b").0
        );
        assert_eq!(
            exposed_name(Some("demo"), "a/b"),
            exposed_name(Some("demo"), "a/b")
        );
        assert!(exposed_name(Some("demo"), "a/b")
            .0
            .starts_with("demo__a_b_"));
    }

    #[test]
    fn tool_patterns_follow_docker() {
        let s = spec("github", Prefix::ServerName);
        let p = |v: &[&str]| v.iter().map(|s| ToolPattern::parse(s)).collect::<Vec<_>>();
        assert!(tool_enabled(&s, &[], "x"));
        assert!(tool_enabled(&s, &p(&["GitHub:X"]), "x"));
        assert!(!tool_enabled(&s, &p(&["other:x"]), "x"));
        assert!(tool_enabled(&s, &p(&["github:*"]), "y"));
        assert!(tool_enabled(&s, &p(&["*"]), "y"));
        assert!(tool_enabled(&s, &p(&["y"]), "y"));
        let mut limited = s.clone();
        limited.tools = Some(vec!["a".into()]);
        assert!(tool_enabled(&limited, &[], "a"));
        assert!(!tool_enabled(&limited, &[], "b"));
        limited.tools = Some(vec![]);
        assert!(!tool_enabled(&limited, &[], "a"));
    }

    #[test]
    fn collisions_are_reported_not_shadowed() {
        let a = spec("a", Prefix::None);
        let b = spec("b", Prefix::None);
        let items_a = vec![json!({"name": "echo", "x": 1})];
        let items_b = vec![json!({"name": "echo", "x": 2}), json!({"name": "add"})];
        let mut warnings = vec![];
        let out = expose(
            [(&a, items_a.as_slice()), (&b, items_b.as_slice())].into_iter(),
            "tool",
            &mut warnings,
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out["echo"].server, "a");
        assert_eq!(out["echo"].item["x"], 1);
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains("'a'") && warnings[0].contains("'b'"),
            "{}",
            warnings[0]
        );
    }
}
