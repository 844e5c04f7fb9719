//! The sync planner: a pure function from (current file text, desired entries, ownership
//! record) to the new file text and the new record. No I/O, so every rule is unit-testable.
//!
//! Rules, per entry name:
//! * desired, absent from the file → added (and recorded as Dockside's);
//! * desired, present and Dockside's (hash matches the record) → rewritten if it differs;
//! * desired, present and the user's:
//!   - equal in meaning to what Dockside would write → left byte-for-byte, taken over (its
//!     original value and source text kept in the record, so disconnecting puts it back);
//!   - different → left alone and reported as a conflict, unless `adopt` is set: then it is
//!     replaced and its original value and source text kept in the record (restored on
//!     disconnect);
//! * a user's entry Dockside replaced is put back as the user wrote it (its recorded source
//!   text, else its value) when Dockside lets go of it, and when a sync wants an entry that
//!   means the same again (a mode switched back to `native`);
//! * recorded as Dockside's but no longer desired → removed (or the replaced user entry
//!   restored); if the user edited it since, it is theirs now and stays.
//! * a container Dockside created is removed when it empties; a file Dockside created is
//!   deleted when nothing else is in it;
//! * whatever Dockside writes over an entry keeps that entry's on/off flag (`disabled: true`,
//!   `enabled: false`: the client's own switch), so a server off in one client stays off there.

use std::path::Path;

use indexmap::IndexMap;
use serde_json::Value;

use super::ownership::{content_hash, OwnedEntry, OwnedFile};
use super::shape::{Entry, NativeCommand};
use super::spec::ClientSpec;
use crate::fsedit::{self, EditError, EntryDoc};

/// What one client entry should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DesiredEntry {
    /// The client runs the server itself.
    Native(NativeCommand),
    /// The client reaches one server through the gateway: `dockside connect --server NAME`.
    Gateway { server: String },
    /// The client reaches every server through one aggregate entry: `dockside connect`.
    Aggregate,
    /// A native server with declared secrets: the client runs `dockside exec NAME`, which
    /// replaces itself with the server's command, its secrets in the environment, so the
    /// client file holds no secret. `native` is that command without the secrets, and
    /// `secret_env` the variables they fill: a user's entry that runs the same command and
    /// differs only in those variables' values is the same server (replaced, not a conflict).
    Exec {
        server: String,
        native: NativeCommand,
        secret_env: Vec<String>,
    },
    /// A remote server the client reaches directly (`native` mode of a remote server). A
    /// client without remote entries in its file gets the gateway entry instead.
    Remote {
        server: String,
        url: String,
        headers: IndexMap<String, String>,
    },
}

/// Desired entries by entry name, in the order they should be added.
pub type Desired = IndexMap<String, DesiredEntry>;

/// The command that starts Dockside's stdio bridge (`dockside`, or an absolute path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launcher(pub String);

impl Launcher {
    /// `LAUNCHER exec SERVER`: a native server started with its secrets from the store.
    pub fn exec(&self, server: &str) -> NativeCommand {
        NativeCommand {
            command: self.0.clone(),
            args: vec!["exec".to_owned(), server.to_owned()],
            ..Default::default()
        }
    }

    pub fn command(&self, server: Option<&str>) -> NativeCommand {
        let mut args = vec!["connect".to_owned()];
        if let Some(s) = server {
            args.extend(["--server".to_owned(), s.to_owned()]);
        }
        NativeCommand {
            command: self.0.clone(),
            args,
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Added(String),
    Updated(String),
    Removed(String),
    /// A user's entry Dockside had replaced was put back.
    Restored(String),
    /// A user's entry was replaced (`adopt`).
    Adopted(String),
    /// A user's entry already says what Dockside would write; Dockside now tracks it.
    TookOver(String),
    /// A user's entry with this name differs; left alone.
    Conflict(String),
    /// An entry Dockside wrote was edited by the user; it is theirs now.
    Released(String),
}

pub struct PlanInput<'a> {
    pub spec: &'a ClientSpec,
    pub path: &'a Path,
    /// `None` when the file does not exist.
    pub text: Option<&'a str>,
    pub desired: &'a Desired,
    pub owned: &'a OwnedFile,
    pub launcher: &'a Launcher,
    pub adopt: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FilePlan {
    /// `None`: the file should not exist.
    pub new_text: Option<String>,
    pub owned: OwnedFile,
    pub changes: Vec<Change>,
}

/// The value Dockside writes for `entry` in this client's shape.
pub fn encode(spec: &ClientSpec, name: &str, entry: &DesiredEntry, launcher: &Launcher) -> Value {
    let cmd = match entry {
        DesiredEntry::Native(c) => c.clone(),
        DesiredEntry::Gateway { server } => launcher.command(Some(server)),
        DesiredEntry::Aggregate => launcher.command(None),
        DesiredEntry::Exec { server, .. } => launcher.exec(server),
        DesiredEntry::Remote {
            server,
            url,
            headers,
        } => match spec.shape.encode_remote(name, url, headers) {
            Some(v) => return v,
            None => launcher.command(Some(server)),
        },
    };
    spec.shape.encode_stdio(name, &cmd)
}

/// Whether two entry values mean the same server (same command line / URL), ignoring
/// spelling details such as `type` or key order.
fn same_meaning(spec: &ClientSpec, a: &Value, b: &Value) -> bool {
    match (spec.shape.decode(a), spec.shape.decode(b)) {
        (Some(x), Some(y)) => x == y,
        _ => content_hash(a) == content_hash(b),
    }
}

/// Whether the user's entry `cur` runs what `want` (an [`DesiredEntry::Exec`]) runs: the same
/// command, arguments and directory, and the same environment apart from the values of the
/// secret variables (which `dockside exec` fills from the store).
fn same_exec(spec: &ClientSpec, cur: &Value, want: &DesiredEntry) -> bool {
    let DesiredEntry::Exec {
        native, secret_env, ..
    } = want
    else {
        return false;
    };
    let Some(Entry::Stdio(c)) = spec.shape.decode(cur) else {
        return false;
    };
    let plain = |env: &IndexMap<String, String>| -> IndexMap<String, String> {
        env.iter()
            .filter(|(k, _)| !secret_env.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    c.command == native.command
        && c.args == native.args
        && c.cwd == native.cwd
        && plain(&c.env) == plain(&native.env)
        && secret_env.iter().all(|k| c.env.contains_key(k))
}

/// Puts back the user's entry `orig` that Dockside replaced under `name`: its source `text`
/// verbatim where it still fits, else its value. Whether anything changed.
fn restore(
    doc: &mut dyn EntryDoc,
    name: &str,
    orig: &Value,
    text: Option<&str>,
) -> Result<bool, EditError> {
    if let Some(text) = text {
        if doc.entry_text(name).as_deref() == Some(text) {
            return Ok(false);
        }
        match doc.set_text(name, text, orig) {
            Ok(()) => return Ok(true),
            // It no longer fits there (the file was re-indented…): the value instead.
            Err(EditError::Verify { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    if doc.entries().get(name).map(content_hash) == Some(content_hash(orig)) {
        return Ok(false);
    }
    doc.set(name, orig)?;
    Ok(true)
}

pub fn plan(input: &PlanInput) -> Result<FilePlan, EditError> {
    let spec = input.spec;
    let text = input.text.unwrap_or("");
    let mut doc = fsedit::open(spec.format, &spec.container(), input.path, text)?;
    let current = doc.entries();
    let mut owned = input.owned.clone();
    let mut changes = Vec::new();

    // 1. Entries Dockside wrote that are no longer wanted.
    for (name, rec) in &input.owned.entries {
        if input.desired.contains_key(name) {
            continue;
        }
        owned.entries.remove(name);
        match current.get(name) {
            None => {}
            Some(v) if rec.matches(&content_hash(v)) => match &rec.replaced {
                None => {
                    doc.remove(name)?;
                    changes.push(Change::Removed(name.clone()));
                }
                Some(orig) => {
                    let text = rec.replaced_text.as_deref();
                    if restore(doc.as_mut(), name, orig, text)? {
                        changes.push(Change::Restored(name.clone()));
                    }
                    // else: the user's entry, never changed by Dockside: just let go of it.
                }
            },
            Some(_) => changes.push(Change::Released(name.clone())),
        }
    }

    // 2. Entries wanted.
    for (name, want) in input.desired {
        let mut value = encode(spec, name, want, input.launcher);
        // An entry the user switched off in this client stays off, whatever Dockside writes.
        if let Some(cur) = current.get(name) {
            spec.shape.carry_enabled(cur, &mut value);
        }
        let hash = content_hash(&value);
        let rec = owned.entries.get(name).cloned();
        match (current.get(name), rec) {
            (None, _) => {
                if !doc.has_container() {
                    owned.created_container = true;
                }
                if input.text.is_none() {
                    owned.created_file = true;
                }
                doc.set(name, &value)?;
                owned
                    .entries
                    .insert(name.clone(), OwnedEntry::new(hash, None));
                changes.push(Change::Added(name.clone()));
            }
            (Some(cur), Some(mut rec)) if rec.matches(&content_hash(cur)) => {
                rec.alt = None;
                if content_hash(cur) != hash && !same_meaning(spec, cur, &value) {
                    // Wanted again as the user had it: their own entry comes back.
                    match rec.replaced.clone() {
                        Some(orig) if same_meaning(spec, &orig, &value) => {
                            restore(doc.as_mut(), name, &orig, rec.replaced_text.as_deref())?;
                            rec.hash = content_hash(&orig);
                        }
                        _ => {
                            doc.set(name, &value)?;
                            rec.hash = hash;
                        }
                    }
                    changes.push(Change::Updated(name.clone()));
                } else {
                    rec.hash = content_hash(cur);
                }
                owned.entries.insert(name.clone(), rec);
            }
            (Some(cur), rec) => {
                if rec.is_some() {
                    owned.entries.remove(name);
                    changes.push(Change::Released(name.clone()));
                }
                let ours = is_dockside_entry(spec, cur, input.launcher);
                // The user's entry, as written, to put back when Dockside lets go.
                let replacing = |hash: String| OwnedEntry {
                    replaced_text: (!ours).then(|| doc.entry_text(name)).flatten(),
                    ..OwnedEntry::new(hash, (!ours).then(|| cur.clone()))
                };
                if same_meaning(spec, cur, &value) {
                    owned
                        .entries
                        .insert(name.clone(), replacing(content_hash(cur)));
                    changes.push(Change::TookOver(name.clone()));
                } else if input.adopt || ours || same_exec(spec, cur, want) {
                    let rec = replacing(hash);
                    doc.set(name, &value)?;
                    owned.entries.insert(name.clone(), rec);
                    changes.push(Change::Adopted(name.clone()));
                } else {
                    changes.push(Change::Conflict(name.clone()));
                }
            }
        }
    }

    // 3. Undo what Dockside created, once nothing of Dockside's is left.
    let mut drop_file = input.text.is_none();
    if owned.entries.is_empty() {
        if owned.created_container {
            doc.remove_container_if_empty()?;
            owned.created_container = false;
        }
        if owned.created_file {
            owned.created_file = false;
            drop_file = true;
        }
    }
    let t = doc.text();
    let trivially_empty = matches!(t.trim(), "" | "{}");
    let new_text = if drop_file && trivially_empty {
        None
    } else {
        Some(t)
    };
    Ok(FilePlan {
        new_text,
        owned,
        changes,
    })
}

/// An entry that runs Dockside's own bridge (left behind e.g. by a crash before the record
/// was saved): never a user's server, so it may be overwritten.
fn is_dockside_entry(spec: &ClientSpec, v: &Value, launcher: &Launcher) -> bool {
    match spec.shape.decode(v) {
        Some(Entry::Stdio(c)) => {
            c.command == launcher.0
                && c.args
                    .first()
                    .is_some_and(|a| a == "connect" || a == "exec")
        }
        _ => false,
    }
}

/// A unified diff of a planned change (`similar`), with the file's path in the headers.
pub fn unified_diff(path: &Path, old: Option<&str>, new: Option<&str>) -> String {
    let (old, new) = (old.unwrap_or(""), new.unwrap_or(""));
    if old == new {
        return String::new();
    }
    let p = path.display().to_string();
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("a{}{p}", if p.starts_with('/') { "" } else { "/" }),
            &format!("b{}{p}", if p.starts_with('/') { "" } else { "/" }),
        )
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::by_id;

    const USER: &str = "{\n  \"mcpServers\": {\n    \"mine\": { \"command\": \"node\", \"args\": [\"m.js\"] }\n  }\n}\n";

    fn run(
        text: &str,
        desired: &[(&str, DesiredEntry)],
        owned: &OwnedFile,
        adopt: bool,
    ) -> FilePlan {
        let desired: Desired = desired
            .iter()
            .map(|(n, d)| ((*n).to_owned(), d.clone()))
            .collect();
        plan(&PlanInput {
            spec: by_id("cursor").unwrap(),
            path: Path::new("mcp.json"),
            text: Some(text),
            desired: &desired,
            owned,
            launcher: &Launcher("dockside".into()),
            adopt,
        })
        .unwrap()
    }

    fn gw(s: &str) -> DesiredEntry {
        DesiredEntry::Gateway { server: s.into() }
    }

    #[test]
    fn rules() {
        let none = OwnedFile::default();
        // A user's entry under a wanted name: conflict, untouched.
        let p = run(USER, &[("mine", gw("mine"))], &none, false);
        assert_eq!(p.changes, [Change::Conflict("mine".into())]);
        assert_eq!(p.new_text.as_deref(), Some(USER));
        assert!(p.owned.entries.is_empty());
        // Adopted on request, original kept; letting go puts it back.
        let p = run(USER, &[("mine", gw("mine"))], &none, true);
        assert_eq!(p.changes, [Change::Adopted("mine".into())]);
        assert!(p.owned.entries["mine"].replaced.is_some());
        let back = run(p.new_text.as_deref().unwrap(), &[], &p.owned, false);
        assert_eq!(back.changes, [Change::Restored("mine".into())]);
        assert!(back.owned.entries.is_empty());
        assert_eq!(back.new_text.as_deref(), Some(USER), "as the user wrote it");
        // Same meaning as what Dockside would write: taken over without a byte changing.
        let p = run(USER, &[("mine", node())], &none, false);
        assert_eq!(p.changes, [Change::TookOver("mine".into())]);
        assert_eq!(p.new_text.as_deref(), Some(USER));
        let back = run(USER, &[], &p.owned, false);
        assert!(back.changes.is_empty());
        assert_eq!(back.new_text.as_deref(), Some(USER));
        // Dockside's own entry edited by the user: released, never removed.
        let p = run(USER, &[("x", gw("x"))], &none, false);
        let edited = p
            .new_text
            .unwrap()
            .replace("\"x\"]", "\"x\", \"--verbose\"]");
        let back = run(&edited, &[], &p.owned, false);
        assert_eq!(back.changes, [Change::Released("x".into())]);
        assert_eq!(back.new_text.as_deref(), Some(edited.as_str()));
        // A leftover bridge entry (record lost) is Dockside's: overwritten without --adopt.
        let stray =
            "{\"mcpServers\": {\"x\": {\"command\": \"dockside\", \"args\": [\"connect\"]}}}";
        let p = run(stray, &[("x", gw("x"))], &none, false);
        assert_eq!(p.changes, [Change::Adopted("x".into())]);
        assert!(p.owned.entries["x"].replaced.is_none());
    }

    fn node() -> DesiredEntry {
        DesiredEntry::Native(NativeCommand {
            command: "node".into(),
            args: vec!["m.js".into()],
            ..Default::default()
        })
    }

    /// A user's one-line entry Dockside took over comes back as written when its server
    /// returns to `native`, not as Dockside would spell it.
    #[test]
    fn taken_over_entry_comes_back_verbatim_when_native_again() {
        let p = run(USER, &[("mine", node())], &OwnedFile::default(), false);
        assert_eq!(p.changes, [Change::TookOver("mine".into())]);
        let rec = &p.owned.entries["mine"];
        assert_eq!(
            rec.replaced_text.as_deref(),
            Some("{ \"command\": \"node\", \"args\": [\"m.js\"] }")
        );
        let gateway = run(USER, &[("mine", gw("mine"))], &p.owned, false);
        assert_eq!(gateway.changes, [Change::Updated("mine".into())]);
        let text = gateway.new_text.unwrap();
        assert!(text.contains("\"--server\""), "{text}");
        let native = run(&text, &[("mine", node())], &gateway.owned, false);
        assert_eq!(native.changes, [Change::Updated("mine".into())]);
        assert_eq!(native.new_text.as_deref(), Some(USER));
        let back = run(USER, &[], &native.owned, false);
        assert!(back.changes.is_empty(), "{:?}", back.changes);
        assert_eq!(back.new_text.as_deref(), Some(USER));
    }

    /// A record without the entry's text (written before it was kept), or with a text that
    /// no longer gives the recorded value, puts the value back instead.
    #[test]
    fn restore_falls_back_to_the_value() {
        let adopted = run(USER, &[("mine", gw("mine"))], &OwnedFile::default(), true);
        let text = adopted.new_text.unwrap();
        let orig = serde_json::json!({"command": "node", "args": ["m.js"]});
        for replaced_text in [None, Some("{\"command\": \"deno\"}".to_owned())] {
            let mut owned = adopted.owned.clone();
            owned.entries.get_mut("mine").unwrap().replaced_text = replaced_text;
            let back = run(&text, &[], &owned, false);
            assert_eq!(back.changes, [Change::Restored("mine".into())]);
            let back = back.new_text.unwrap();
            let entries = fsedit::open(
                fsedit::Format::Json,
                &fsedit::Container::JsonObject(vec!["mcpServers".into()]),
                Path::new("mcp.json"),
                &back,
            )
            .unwrap()
            .entries();
            assert_eq!(entries["mine"], orig, "{back}");
            assert_ne!(back, USER, "re-serialized, not the user's text");
        }
    }

    #[test]
    fn missing_file_with_nothing_wanted_stays_missing() {
        let p = plan(&PlanInput {
            spec: by_id("codex").unwrap(),
            path: Path::new("config.toml"),
            text: None,
            desired: &Desired::new(),
            owned: &OwnedFile::default(),
            launcher: &Launcher("dockside".into()),
            adopt: false,
        })
        .unwrap();
        assert_eq!(p.new_text, None);
    }
}
