//! `--block-secrets`: finds configured secret values and well-known credential shapes in tool
//! arguments and results. It says *what kind* of secret it found, never the secret itself.

use std::sync::OnceLock;

use regex::RegexSet;
use serde_json::Value;

// Credential shapes are ASCII: ASCII word boundaries (`(?-u:\b)`) keep the regex engine on its
// fast path, where Unicode `\b` made a large non-ASCII result cost ~0.4 s of CPU per call (debug).
const PATTERNS: &[(&str, &str)] = &[
    (
        "an AWS access key",
        r"(?-u:\b)(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}(?-u:\b)",
    ),
    (
        "a GitHub token",
        r"(?-u:\b)gh[pousr]_[A-Za-z0-9]{36,255}(?-u:\b)",
    ),
    (
        "a GitHub token",
        r"(?-u:\b)github_pat_[A-Za-z0-9_]{22,255}(?-u:\b)",
    ),
    (
        "a Slack token",
        r"(?-u:\b)xox[baprs]-[A-Za-z0-9-]{10,}(?-u:\b)",
    ),
    (
        "a Slack webhook",
        r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]{20,}",
    ),
    (
        "an OpenAI API key",
        r"(?-u:\b)sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}(?-u:\b)",
    ),
    (
        "an Anthropic API key",
        r"(?-u:\b)sk-ant-[A-Za-z0-9_-]{20,}(?-u:\b)",
    ),
    ("a Google API key", r"(?-u:\b)AIza[0-9A-Za-z_-]{35}(?-u:\b)"),
    (
        "a Stripe key",
        r"(?-u:\b)(?:sk|rk)_live_[0-9A-Za-z]{20,}(?-u:\b)",
    ),
    ("a private key", r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----"),
];

fn rules() -> &'static RegexSet {
    static SET: OnceLock<RegexSet> = OnceLock::new();
    SET.get_or_init(|| {
        RegexSet::new(PATTERNS.iter().map(|(_, p)| *p)).expect("valid secret patterns")
    })
}

/// Scans text for configured secret values and credential patterns.
#[derive(Debug, Clone, Default)]
pub struct SecretScanner {
    values: Vec<String>,
}

impl SecretScanner {
    /// Sets the exact values to look for (values shorter than 6 characters are ignored: they
    /// would match ordinary text).
    pub fn set_values(&mut self, values: Vec<String>) {
        self.values = values.into_iter().filter(|v| v.len() >= 6).collect();
        self.values.sort();
        self.values.dedup();
    }

    /// What kind of secret `text` holds, if any.
    pub fn scan_text(&self, text: &str) -> Option<&'static str> {
        if self.values.iter().any(|v| text.contains(v.as_str())) {
            return Some("a configured secret value");
        }
        rules().matches(text).iter().next().map(|i| PATTERNS[i].0)
    }

    /// Scans every string (keys included) inside a JSON value.
    pub fn scan_value(&self, v: &Value) -> Option<&'static str> {
        match v {
            Value::String(s) => self.scan_text(s),
            Value::Array(items) => items.iter().find_map(|i| self.scan_value(i)),
            Value::Object(map) => map
                .iter()
                .find_map(|(k, v)| self.scan_text(k).or_else(|| self.scan_value(v))),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_patterns_and_values() {
        let mut s = SecretScanner::default();
        assert_eq!(s.scan_text("hello world"), None);
        assert_eq!(
            s.scan_text("key AKIAIOSFODNN7EXAMPLE here"),
            Some("an AWS access key")
        );
        let gh = format!("ghp_{}", "a".repeat(36));
        assert_eq!(
            s.scan_value(&json!({"a": [1, {"b": gh}]})),
            Some("a GitHub token")
        );
        assert_eq!(
            s.scan_text("-----BEGIN RSA PRIVATE KEY-----\nabc"),
            Some("a private key")
        );
        assert_eq!(s.scan_text("xoxb-1234567890-abcdef"), Some("a Slack token"));
        assert_eq!(
            s.scan_text("sk-proj-abcdefghijklmnopqrstuvwxyz"),
            Some("an OpenAI API key")
        );
        s.set_values(vec!["hunter2-very-secret".into(), "abc".into()]);
        assert_eq!(
            s.scan_text("pw=hunter2-very-secret"),
            Some("a configured secret value")
        );
        assert_eq!(s.scan_text("abc"), None);
    }
}
