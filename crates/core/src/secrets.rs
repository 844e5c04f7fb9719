//! The secret store: values for the `secrets: [{name, env}]` a server declares.
//!
//! Values live in the OS keychain (`keyring`: macOS Keychain, Windows Credential Manager, the
//! Secret Service on Linux desktops), under the service `dockside` and an account that includes
//! a hash of the Dockside home, so two homes never share values. Where no keychain service runs
//! (a headless Linux box has no D-Bus session) they go to `<home>/secrets.json`, created `0600`,
//! and [`SecretStore::warning`] says so. `DOCKSIDE_SECRET_STORE=file|keychain` forces a backend.
//!
//! A keychain cannot list its entries, so the store keeps the *names* (never values) in
//! `<home>/secrets.names`. A Docker-style `.env` file (`--secrets FILE`: `name=value` lines keyed
//! by the dotted secret name, `#` comments) is read by [`read_env_file`] and wins over the store.
//!
//! Values are never logged, never written to the state file and never put on a command line:
//! the gateway passes them to servers as environment variables.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use sha2::{Digest, Sha256};

use crate::catalog::Secret;
use crate::home::Home;

const SERVICE: &str = "dockside";
const FILE: &str = "secrets.json";
const NAMES: &str = "secrets.names";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("invalid secret name `{0}`: use letters, digits, `.`, `_` and `-` (e.g. github.personal_access_token)")]
    BadName(String),
    #[error("cannot {action} {}: {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a valid secret file ({detail}); fix or delete it", .0.display(), detail = .1)]
    Corrupt(PathBuf, String),
    #[error("the OS keychain refused: {0}; set DOCKSIDE_SECRET_STORE=file to use a 0600 file under the Dockside home instead")]
    Keychain(String),
    #[error("{}:{line}: expected `name=value`", .path.display())]
    EnvSyntax { path: PathBuf, line: usize },
}

fn io(action: &'static str, path: &Path, source: std::io::Error) -> SecretError {
    SecretError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Keychain,
    File,
}

/// Where this home's secret values live.
#[derive(Debug, Clone)]
pub struct SecretStore {
    backend: Backend,
    root: PathBuf,
    account_prefix: String,
    warning: Option<String>,
}

impl SecretStore {
    /// Picks the backend: `DOCKSIDE_SECRET_STORE`, else the keychain when one answers, else the
    /// file (with a warning). Blocking (the keychain may be asked over D-Bus): call it from a
    /// blocking context.
    pub fn open(home: &Home) -> SecretStore {
        let root = home.root().to_owned();
        let hash = hex::encode(&Sha256::digest(root.to_string_lossy().as_bytes())[..6]);
        let mut store = SecretStore {
            backend: Backend::File,
            root,
            account_prefix: format!("{hash}/"),
            warning: None,
        };
        let forced = std::env::var("DOCKSIDE_SECRET_STORE").ok();
        match forced.as_deref() {
            Some("file") => return store,
            Some("keychain") => {
                store.backend = Backend::Keychain;
                return store;
            }
            _ => {}
        }
        match keychain_answers() {
            Ok(()) => store.backend = Backend::Keychain,
            Err(why) => {
                store.warning = Some(format!(
                    "no OS keychain service is available ({why}); secrets are kept in {} (mode 0600)",
                    store.file_path().display()
                ));
            }
        }
        store
    }

    /// A file store in `home`, whatever the environment (tests, `--secrets` conversions).
    pub fn file(home: &Home) -> SecretStore {
        SecretStore {
            backend: Backend::File,
            root: home.root().to_owned(),
            account_prefix: String::new(),
            warning: None,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A human description of where values live.
    pub fn describe(&self) -> String {
        match self.backend {
            Backend::Keychain => "the OS keychain".into(),
            Backend::File => format!("{} (mode 0600)", self.file_path().display()),
        }
    }

    /// Why the file backend was chosen when the keychain was wanted.
    pub fn warning(&self) -> Option<&str> {
        self.warning.as_deref()
    }

    fn file_path(&self) -> PathBuf {
        self.root.join(FILE)
    }

    fn names_path(&self) -> PathBuf {
        self.root.join(NAMES)
    }

    fn entry(&self, name: &str) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(SERVICE, &format!("{}{name}", self.account_prefix))
            .map_err(|e| SecretError::Keychain(e.to_string()))
    }

    pub fn set(&self, name: &str, value: &str) -> Result<(), SecretError> {
        check_name(name)?;
        match self.backend {
            Backend::Keychain => {
                self.entry(name)?
                    .set_password(value)
                    .map_err(|e| SecretError::Keychain(e.to_string()))?;
                let mut names = self.names()?;
                names.insert(name.to_owned());
                self.write_names(&names)
            }
            Backend::File => {
                let mut values = self.read_file()?;
                values.insert(name.to_owned(), value.to_owned());
                self.write_file(&values)
            }
        }
    }

    pub fn get(&self, name: &str) -> Result<Option<String>, SecretError> {
        check_name(name)?;
        match self.backend {
            Backend::Keychain => match self.entry(name)?.get_password() {
                Ok(v) => Ok(Some(v)),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(SecretError::Keychain(e.to_string())),
            },
            Backend::File => Ok(self.read_file()?.shift_remove(name)),
        }
    }

    /// Removes a value; `false` when there was none.
    pub fn remove(&self, name: &str) -> Result<bool, SecretError> {
        check_name(name)?;
        match self.backend {
            Backend::Keychain => {
                let existed = match self.entry(name)?.delete_credential() {
                    Ok(()) => true,
                    Err(keyring::Error::NoEntry) => false,
                    Err(e) => return Err(SecretError::Keychain(e.to_string())),
                };
                let mut names = self.names()?;
                let listed = names.remove(name);
                self.write_names(&names)?;
                Ok(existed || listed)
            }
            Backend::File => {
                let mut values = self.read_file()?;
                let existed = values.shift_remove(name).is_some();
                if existed {
                    self.write_file(&values)?;
                }
                Ok(existed)
            }
        }
    }

    /// The names of the stored secrets, sorted.
    pub fn names(&self) -> Result<BTreeSet<String>, SecretError> {
        match self.backend {
            Backend::Keychain => {
                let path = self.names_path();
                match std::fs::read_to_string(&path) {
                    Ok(text) => Ok(text
                        .lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_owned)
                        .collect()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeSet::new()),
                    Err(e) => Err(io("read", &path, e)),
                }
            }
            Backend::File => Ok(self.read_file()?.into_keys().collect()),
        }
    }

    fn write_names(&self, names: &BTreeSet<String>) -> Result<(), SecretError> {
        let text: String = names.iter().map(|n| format!("{n}\n")).collect();
        write_private(&self.names_path(), text.as_bytes())
    }

    fn read_file(&self) -> Result<IndexMap<String, String>, SecretError> {
        let path = self.file_path();
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| SecretError::Corrupt(path.clone(), e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(IndexMap::new()),
            Err(e) => Err(io("read", &path, e)),
        }
    }

    fn write_file(&self, values: &IndexMap<String, String>) -> Result<(), SecretError> {
        let bytes = serde_json::to_vec_pretty(values).expect("a map of strings serializes");
        write_private(&self.file_path(), &bytes)
    }
}

/// Whether the platform keychain works, asked once per process.
fn keychain_answers() -> Result<(), String> {
    static ANSWER: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    ANSWER.get_or_init(probe_keychain).clone()
}

/// Asks the platform keychain for a value that does not exist: "no entry" means it works.
fn probe_keychain() -> Result<(), String> {
    #[cfg(all(unix, not(target_os = "macos")))]
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        return Err("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)".into());
    }
    let entry = keyring::Entry::new(SERVICE, "dockside-probe").map_err(|e| e.to_string())?;
    match entry.get_password() {
        Ok(_) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

/// Writes a file only its owner can read, atomically (temp file created 0600, then renamed).
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), SecretError> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| io("create directory", dir, e))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = options
        .open(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        })
        .and_then(|()| std::fs::rename(&tmp, path));
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io("write", path, e)
    })
}

fn check_name(name: &str) -> Result<(), SecretError> {
    let ok = !name.is_empty()
        && !name.starts_with(['.', '-'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(SecretError::BadName(name.to_owned()))
    }
}

/// Reads a Docker-style `.env` secrets file: `name=value` per line (the dotted secret name, as
/// `docker mcp gateway run --secrets` expects), `#` comments, optional `export `, quotes removed.
pub fn read_env_file(path: &Path) -> Result<IndexMap<String, String>, SecretError> {
    let text = std::fs::read_to_string(path).map_err(|e| io("read", path, e))?;
    let mut values = IndexMap::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((name, value)) = line.split_once('=') else {
            return Err(SecretError::EnvSyntax {
                path: path.to_owned(),
                line: index + 1,
            });
        };
        let value = value.trim();
        let value = [('"', '"'), ('\'', '\'')]
            .iter()
            .find_map(|(a, b)| value.strip_prefix(*a)?.strip_suffix(*b))
            .unwrap_or(value);
        values.insert(name.trim().to_owned(), value.to_owned());
    }
    Ok(values)
}

/// Secret values for a server's declared secrets, as `(env var, value)`, plus the names of the
/// secrets nobody set. Order: the `.env` file, the store, then the gateway's own environment
/// under the variable name (for CI and containers that inject them).
pub struct Resolved {
    pub env: Vec<(String, String)>,
    pub missing: Vec<String>,
}

pub fn resolve(
    secrets: &[Secret],
    env_file: Option<&IndexMap<String, String>>,
    store: Option<&SecretStore>,
) -> Result<Resolved, SecretError> {
    let mut out = Resolved {
        env: Vec::new(),
        missing: Vec::new(),
    };
    for secret in secrets {
        let mut value = env_file.and_then(|f| f.get(&secret.name).cloned());
        if value.is_none() {
            if let Some(store) = store {
                value = store.get(&secret.name)?;
            }
        }
        if value.is_none() {
            value = std::env::var(&secret.env).ok();
        }
        match value {
            Some(v) => out.env.push((secret.env.clone(), v)),
            None => out.missing.push(secret.name.clone()),
        }
    }
    Ok(out)
}

/// A reference in a remote server's header value: `${secret:NAME}` (a stored secret by name)
/// or Docker's `${VAR}` (the value of the server's secret whose `env` is `VAR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference<'a> {
    Secret(&'a str),
    Var(&'a str),
}

/// `value` with every reference replaced by what `lookup` gives; `Err` names the first
/// reference it has no value for. Text that is not a well-formed reference stays as it is.
pub fn fill_references<'a>(
    value: &'a str,
    mut lookup: impl FnMut(Reference<'a>) -> Option<String>,
) -> Result<String, Reference<'a>> {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let inner = &rest[start + 2..start + len];
        let reference = match inner.strip_prefix("secret:") {
            Some(name) if !name.is_empty() => Some(Reference::Secret(name)),
            Some(_) => None,
            None => {
                let var = !inner.is_empty()
                    && !inner.starts_with(|c: char| c.is_ascii_digit())
                    && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                var.then_some(Reference::Var(inner))
            }
        };
        out.push_str(&rest[..start]);
        match reference {
            Some(r) => out.push_str(&lookup(r).ok_or(r)?),
            None => out.push_str(&rest[start..start + len + 1]),
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Moves the secret values out of a remote server's headers (the server is named `server`):
/// a header whose name or value says it holds a secret ([`is_secret_env`]: `Authorization`,
/// `X-API-Key`, a token-shaped value) and names no reference yet gets
/// `${secret:<server>.<header>}` instead. Returns each `(secret name, header, value)` to store.
pub fn move_header_secrets(
    server: &str,
    headers: &mut IndexMap<String, String>,
) -> Vec<(String, String, String)> {
    let mut moved = Vec::new();
    for (header, value) in headers.iter_mut() {
        if has_references(value) || !is_secret_env(header, value) {
            continue;
        }
        let name = secret_name_for(server, header);
        let secret = std::mem::replace(value, format!("${{secret:{name}}}"));
        moved.push((name, header.clone(), secret));
    }
    moved
}

/// Whether `value` holds a reference only Dockside can fill (so no client file may hold it).
pub fn has_references(value: &str) -> bool {
    fill_references(value, |_| None).is_err()
}

/// The text that stands for stored secret `NAME` where Dockside keeps a copy of a user's own
/// text (a client entry it replaced, in `clients.json`; a client file's backup):
/// `${dockside-secret:NAME}`.
pub fn placeholder(name: &str) -> String {
    format!("${{dockside-secret:{name}}}")
}

/// Replaces stored secret values by [`placeholder`]s in text Dockside writes for itself, and
/// back. Only values of 8 characters or more made of `[A-Za-z0-9_.+/=-]` are replaced (they
/// appear verbatim in JSON, TOML and YAML source); its `Debug` shows names only.
#[derive(Clone, Default)]
pub struct Redactor {
    /// (name, value), longest value first.
    pairs: Vec<(String, String)>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.pairs.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Redactor").field("names", &names).finish()
    }
}

impl Redactor {
    /// Every value of `store` (none when the store cannot be read).
    pub fn from_store(store: &SecretStore) -> Redactor {
        let mut pairs = Vec::new();
        for name in store.names().unwrap_or_default() {
            if let Ok(Some(value)) = store.get(&name) {
                pairs.push((name, value));
            }
        }
        Redactor::new(pairs)
    }

    /// The home's store ([`SecretStore::open`]).
    pub fn for_home(home: &Path) -> Redactor {
        Redactor::from_store(&SecretStore::open(&Home::new(home)))
    }

    pub fn new(pairs: Vec<(String, String)>) -> Redactor {
        let mut pairs: Vec<(String, String)> = pairs
            .into_iter()
            .filter(|(_, v)| {
                v.len() >= 8
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_.+/=-".contains(c))
            })
            .collect();
        pairs.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
        Redactor { pairs }
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// `text` with every known value replaced by its placeholder.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (name, value) in &self.pairs {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), &placeholder(name));
            }
        }
        out
    }

    /// `text` with every placeholder of a known secret replaced by its value.
    pub fn unredact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (name, value) in &self.pairs {
            let p = placeholder(name);
            if out.contains(&p) {
                out = out.replace(&p, value);
            }
        }
        out
    }

    /// [`Redactor::redact`] on every string (keys too) of a JSON value.
    pub fn redact_value(&self, v: &serde_json::Value) -> serde_json::Value {
        self.map_value(v, &|s| self.redact(s))
    }

    /// [`Redactor::unredact`] on every string (keys too) of a JSON value.
    pub fn unredact_value(&self, v: &serde_json::Value) -> serde_json::Value {
        self.map_value(v, &|s| self.unredact(s))
    }

    fn map_value(&self, v: &serde_json::Value, f: &dyn Fn(&str) -> String) -> serde_json::Value {
        use serde_json::Value;
        match v {
            Value::String(s) => Value::String(f(s)),
            Value::Array(items) => {
                Value::Array(items.iter().map(|i| self.map_value(i, f)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (f(k), self.map_value(v, f)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// Whether an environment variable holds a secret: its name says so ([`secret_name_hint`]) or
/// its value looks like a known token ([`looks_like_token`]). Empty values and references to
/// other variables (`${VAR}`, `$VAR`, `${input:id}`, `{{x}}`, `%VAR%`) are not values to move.
pub fn is_secret_env(name: &str, value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() || is_reference(v) {
        return false;
    }
    looks_like_token(v) || (secret_name_hint(name) && !matches!(v, "true" | "false"))
}

/// A value that names another variable or a prompt rather than holding a value.
fn is_reference(v: &str) -> bool {
    let var = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '-' | '.'))
    };
    (v.starts_with("${") && v.ends_with('}') && var(&v[2..v.len() - 1]))
        || (v.starts_with("{{") && v.ends_with("}}"))
        || (v.len() > 2 && v.starts_with('%') && v.ends_with('%') && var(&v[1..v.len() - 1]))
        || v.strip_prefix('$').is_some_and(var)
}

/// The words of an environment variable name, upper-cased: split on `_`, `-`, `.`, spaces and
/// camelCase humps (`githubApiKey` → `GITHUB`, `API`, `KEY`).
fn name_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        word.extend(c.to_uppercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Whether a variable's NAME says it holds a secret: one of its words is TOKEN, KEY, SECRET,
/// PASSWORD/PASSWD/PASS, PAT, AUTH, CREDENTIAL(S), CREDS, PRIVATE, APIKEY… (whole words, so
/// `KEYBOARD_LAYOUT`, `MONKEY`, `PATH`, `AUTHOR` are not), or a word ending in TOKEN, SECRET or
/// PASSWORD (`GHTOKEN`). A name whose last word says it is *about* a secret rather than the
/// secret (`TOKEN_FILE`, `AUTH_URL`, `KEY_ID`, `PASSWORD_ENABLED`…) is not one by name.
pub fn secret_name_hint(name: &str) -> bool {
    const WORDS: &[&str] = &[
        "TOKEN",
        "TOKENS",
        "KEY",
        "KEYS",
        "SECRET",
        "SECRETS",
        "PASSWORD",
        "PASSWORDS",
        "PASSWD",
        "PASS",
        "PASSPHRASE",
        "PAT",
        "AUTH",
        "AUTHORIZATION",
        "CREDENTIAL",
        "CREDENTIALS",
        "CREDS",
        "PRIVATE",
        "APIKEY",
        "ACCESSKEY",
        "SECRETKEY",
        "PRIVATEKEY",
        "BEARER",
        "COOKIE",
        "SESSIONID",
    ];
    const ENDINGS: &[&str] = &["TOKEN", "SECRET", "PASSWORD", "PASSWD", "APIKEY"];
    const ABOUT: &[&str] = &[
        "FILE", "PATH", "DIR", "URL", "URI", "ENDPOINT", "HOST", "PORT", "TYPE", "MODE", "METHOD",
        "ID", "NAME", "USER", "USERNAME", "ENABLED", "DISABLED", "TIMEOUT", "TTL", "EXPIRY",
        "EXPIRES", "HEADER", "PREFIX", "PROVIDER", "LENGTH",
    ];
    let words = name_words(name);
    if words.last().is_some_and(|w| ABOUT.contains(&w.as_str())) {
        return false;
    }
    words.iter().any(|w| {
        WORDS.contains(&w.as_str()) || ENDINGS.iter().any(|e| w.len() > e.len() && w.ends_with(e))
    })
}

/// Whether a value looks like a known credential: GitHub (`ghp_`, `gho_`, `ghu_`, `ghs_`,
/// `ghr_`, `github_pat_`), GitLab (`glpat-`), OpenAI/Anthropic (`sk-`, `sk-ant-`), Slack
/// (`xoxb-`, `xoxp-`…), Stripe (`sk_live_`, `rk_live_`), npm (`npm_`), Hugging Face (`hf_`),
/// PyPI (`pypi-`), AWS access key ids (`AKIA…`), Google API keys (`AIza…`), JWTs (`eyJ…` in
/// three dotted parts) and PEM private keys. Any whitespace-separated word of the value counts
/// (`Bearer ghp_…`).
pub fn looks_like_token(value: &str) -> bool {
    if value.contains("PRIVATE KEY-----") {
        return true;
    }
    value.split_whitespace().any(token_word)
}

fn token_word(w: &str) -> bool {
    let body = |rest: &str, min: usize| {
        rest.len() >= min
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
    };
    const PREFIXES: &[(&str, usize)] = &[
        ("ghp_", 20),
        ("gho_", 20),
        ("ghu_", 20),
        ("ghs_", 20),
        ("ghr_", 20),
        ("github_pat_", 20),
        ("glpat-", 16),
        ("sk-ant-", 16),
        ("sk-", 16),
        ("sk_live_", 16),
        ("rk_live_", 16),
        ("sk_test_", 16),
        ("xoxb-", 10),
        ("xoxp-", 10),
        ("xoxa-", 10),
        ("xoxr-", 10),
        ("xoxs-", 10),
        ("xapp-", 10),
        ("npm_", 30),
        ("hf_", 30),
        ("pypi-", 30),
    ];
    if PREFIXES
        .iter()
        .any(|(p, min)| w.strip_prefix(p).is_some_and(|rest| body(rest, *min)))
    {
        return true;
    }
    let upper_digits = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    };
    if ["AKIA", "ASIA"].iter().any(|p| {
        w.strip_prefix(p)
            .is_some_and(|r| r.len() == 16 && upper_digits(r))
    }) {
        return true;
    }
    if w.strip_prefix("AIza").is_some_and(|r| body(r, 30)) {
        return true;
    }
    if w.starts_with("eyJ") {
        let parts: Vec<&str> = w.split('.').collect();
        return parts.len() == 3 && parts.iter().all(|p| body(p, 4));
    }
    false
}

/// The store name for env var `env` of server `server`: `<server>.<env lower-cased>`, with any
/// character a secret name cannot hold turned into `_` (`github.github_personal_access_token`).
pub fn secret_name_for(server: &str, env: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect()
    };
    let name = format!("{}.{}", clean(server), clean(env));
    name.trim_start_matches(['.', '-']).to_owned()
}

#[cfg(test)]
mod reference_tests {
    use super::*;

    #[test]
    fn references_are_filled_and_others_kept() {
        let got = fill_references("Bearer ${secret:gh.token} ${API_KEY} ${1x} $${} ${", |r| {
            Some(match r {
                Reference::Secret(n) => format!("<{n}>"),
                Reference::Var(v) => format!("[{v}]"),
            })
        });
        assert_eq!(got.unwrap(), "Bearer <gh.token> [API_KEY] ${1x} $${} ${");
        assert_eq!(
            fill_references("x ${secret:a}", |_| None),
            Err(Reference::Secret("a"))
        );
        assert!(has_references("Bearer ${TOKEN}"));
        assert!(!has_references("Bearer abc"));
    }

    #[test]
    fn secret_headers_move_and_references_stay() {
        let mut headers: IndexMap<String, String> = [
            ("Authorization", "Bearer abc123"),
            ("X-API-Key", "k-1"),
            ("X-Trace", "on"),
            ("X-Token", "${secret:mine}"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let moved = move_header_secrets("linear", &mut headers);
        assert_eq!(
            moved,
            [
                (
                    "linear.authorization".to_owned(),
                    "Authorization".to_owned(),
                    "Bearer abc123".to_owned()
                ),
                (
                    "linear.x-api-key".to_owned(),
                    "X-API-Key".to_owned(),
                    "k-1".to_owned()
                )
            ]
        );
        assert_eq!(headers["Authorization"], "${secret:linear.authorization}");
        assert_eq!(headers["X-API-Key"], "${secret:linear.x-api-key}");
        assert_eq!(headers["X-Trace"], "on");
        assert_eq!(headers["X-Token"], "${secret:mine}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_store_round_trip_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let store = SecretStore::file(&Home::new(dir.path()));
        store.set("github.token", "s3cret=with=equals").unwrap();
        store.set("b", "2").unwrap();
        assert_eq!(
            store.get("github.token").unwrap().as_deref(),
            Some("s3cret=with=equals")
        );
        assert_eq!(
            store.names().unwrap().into_iter().collect::<Vec<_>>(),
            ["b", "github.token"]
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(store.remove("b").unwrap());
        assert!(!store.remove("b").unwrap());
        assert_eq!(store.get("b").unwrap(), None);
        assert!(matches!(
            store.set("../x", "v"),
            Err(SecretError::BadName(_))
        ));
    }

    #[test]
    fn env_file_and_resolution_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, "# c\nexport a.b=\"one\"\nc = two\n").unwrap();
        let file = read_env_file(&path).unwrap();
        assert_eq!(file["a.b"], "one");
        assert_eq!(file["c"], "two");
        let store = SecretStore::file(&Home::new(dir.path()));
        store.set("a.b", "from-store").unwrap();
        store.set("d", "four").unwrap();
        let secret = |name: &str, env: &str| -> Secret {
            yaml_serde::from_str(&format!("{{name: {name}, env: {env}}}")).unwrap()
        };
        let wanted = [
            secret("a.b", "A"),
            secret("d", "D"),
            secret("nope", "DOCKSIDE_TEST_UNSET_VAR"),
        ];
        let r = resolve(&wanted, Some(&file), Some(&store)).unwrap();
        assert_eq!(
            r.env,
            [("A".into(), "one".into()), ("D".into(), "four".into())]
        );
        assert_eq!(r.missing, ["nope"]);
        std::fs::write(&path, "novalue\n").unwrap();
        let err = read_env_file(&path).unwrap_err().to_string();
        assert!(err.ends_with(":1: expected `name=value`"), "{err}");
    }

    #[test]
    fn redactor_round_trip_keeps_values_out() {
        let token = format!("ghp_{}", "Zz9".repeat(12));
        let r = Redactor::new(vec![
            ("github.token".into(), token.clone()),
            ("short".into(), "abc".into()),
        ]);
        let text = format!("{{\"env\": {{\"T\": \"{token}\"}}, \"x\": \"abc\"}}");
        let red = r.redact(&text);
        assert!(!red.contains(&token), "{red}");
        assert!(red.contains("${dockside-secret:github.token}"));
        assert!(red.contains("\"abc\""), "short values are left: {red}");
        assert_eq!(r.unredact(&red), text);
        let v = serde_json::json!({"env": {"T": token}});
        assert_eq!(r.unredact_value(&r.redact_value(&v)), v);
        assert!(!format!("{r:?}").contains(&token));
    }

    #[test]
    fn secret_names_are_whole_words() {
        for yes in [
            "GITHUB_PERSONAL_ACCESS_TOKEN",
            "GITHUB_TOKEN",
            "API_KEY",
            "BRAVE_API_KEY",
            "OPENAI_APIKEY",
            "apiKey",
            "githubToken",
            "CLIENT_SECRET",
            "PGPASSWORD",
            "DB_PASSWORD",
            "DB_PASSWD",
            "DB_PASS",
            "GITLAB_PAT",
            "AUTH",
            "BASIC_AUTH",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "AWS_CREDS",
            "PRIVATE_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "SLACK_BOT_TOKEN",
            "GHTOKEN",
            "x-api-key",
        ] {
            assert!(secret_name_hint(yes), "{yes} should be a secret name");
        }
        for no in [
            "KEYBOARD_LAYOUT",
            "MONKEY",
            "PATH",
            "PWD",
            "AUTHOR",
            "AUTHOR_NAME",
            "PATTERN",
            "PASSTHROUGH",
            "TOKENIZER",
            "KEYS_DIR",
            "TOKEN_FILE",
            "AUTH_URL",
            "AWS_ACCESS_KEY_ID",
            "PASSWORD_ENABLED",
            "NODE_ENV",
            "FASTMCP_LOG_LEVEL",
            "DATABASE_URL",
            "PRIVATEER",
            "SPATIAL",
            "",
        ] {
            assert!(!secret_name_hint(no), "{no} should not be a secret name");
        }
    }

    #[test]
    fn known_token_shapes() {
        let a = |n: usize| "a1B2".repeat(n);
        for yes in [
            format!("ghp_{}", a(9)),
            format!("gho_{}", a(9)),
            format!("github_pat_{}", a(10)),
            format!("glpat-{}", a(5)),
            format!("sk-{}", a(10)),
            format!("sk-ant-api03-{}", a(10)),
            format!("xoxb-{}", a(4)),
            format!("xoxp-{}", a(4)),
            "AKIAIOSFODNN7EXAMPLE".to_owned(),
            format!("AIza{}", a(9)),
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLXBhcnQ".to_owned(),
            format!("Bearer ghp_{}", a(9)),
            "-----BEGIN RSA PRIVATE KEY-----\nMIIE".to_owned(),
        ] {
            assert!(looks_like_token(&yes), "{yes} should look like a token");
        }
        for no in [
            "ghp_short",
            "sk-1",
            "production",
            "/usr/local/bin",
            "https://example.com/sk-path",
            "AKIAlowercase0000000",
            "eyJ.only",
            "skeleton-key-of-the-house",
            "Überschall",
        ] {
            assert!(!looks_like_token(no), "{no} should not look like a token");
        }
    }

    #[test]
    fn secret_env_by_name_or_value_but_not_references() {
        assert!(is_secret_env("GITHUB_PERSONAL_ACCESS_TOKEN", "ghp_example"));
        assert!(is_secret_env("PGPASSWORD", "hunter2"));
        assert!(is_secret_env(
            "SOMETHING",
            &format!("ghp_{}", "x".repeat(36))
        ));
        assert!(!is_secret_env("NODE_ENV", "production"));
        assert!(!is_secret_env("API_KEY", "${EXTERNAL_API_KEY}"));
        assert!(!is_secret_env(
            "PERPLEXITY_API_KEY",
            "${input:perplexity-key}"
        ));
        assert!(!is_secret_env("API_KEY", "$EXTERNAL_API_KEY"));
        assert!(!is_secret_env("API_KEY", ""));
        assert!(!is_secret_env("API_KEY", "{{github.token}}"));
        assert_eq!(
            secret_name_for("github", "GITHUB_PERSONAL_ACCESS_TOKEN"),
            "github.github_personal_access_token"
        );
        assert_eq!(secret_name_for("my srv", "Api Key"), "my_srv.api_key");
        assert!(check_name(&secret_name_for("-x", "É")).is_ok());
    }
}
