//! Desktop notifications: which daemon events become one, and how often.
//!
//! [`Notifier`] is pure policy (events in, [`Note`]s out) so it is tested without a desktop;
//! [`show`] hands a note to the OS (freedesktop notifications over D-Bus on Linux — dunst,
//! GNOME, KDE —, Notification Center on macOS, toasts on Windows) through `notify-rust`.
//!
//! Flood control, so a flapping server cannot flood the desktop:
//! - a crash and its automatic restart are told once per server per [`QUIET`] window; later
//!   crashes in the window are folded into the next note ("3 crashes since …");
//! - a crash loop is told once (with a **Restart** action where the desktop supports actions),
//!   and silences that server's crash/restart notes until it starts cleanly again;
//! - at most [`GLOBAL_LIMIT`] notes per minute in all;
//! - each kind can be turned off in the preferences ([`Kind`]).

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How long after a crash note further crash/restart notes of the same server are held back.
pub const QUIET: Duration = Duration::from_secs(60);
/// Notes per minute, all servers together.
pub const GLOBAL_LIMIT: usize = 8;

/// A kind of notification; each can be turned off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Crashed,
    Restarted,
    CrashLoop,
    ImagePull,
    Production,
    /// The daemon itself died and was restarted by the app.
    Gateway,
    /// A remote server wants the user to sign in.
    SignIn,
    /// An update is downloaded and ready to install (or an update check failed).
    Update,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Crashed,
        Kind::Restarted,
        Kind::CrashLoop,
        Kind::ImagePull,
        Kind::Production,
        Kind::Gateway,
        Kind::SignIn,
        Kind::Update,
    ];
}

/// A notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub kind: Kind,
    pub server: Option<String>,
    pub title: String,
    pub body: String,
    /// `(action id, label)` where the desktop supports actions.
    pub action: Option<(String, String)>,
}

#[derive(Debug, Default)]
struct ServerMemory {
    last_line: Option<String>,
    /// When the last crash/restart note of this server was shown.
    last_note: Option<Instant>,
    /// Crashes not told yet (held back by the quiet window).
    untold_crashes: u32,
}

/// Turns daemon events into notes, applying preferences and flood control.
#[derive(Debug, Default)]
pub struct Notifier {
    disabled: HashSet<Kind>,
    servers: HashMap<String, ServerMemory>,
    in_crash_loop: HashSet<String>,
    /// Servers told to need a sign-in, until they start again.
    told_sign_in: HashSet<String>,
    recent: VecDeque<Instant>,
}

impl Notifier {
    pub fn new(disabled: impl IntoIterator<Item = Kind>) -> Self {
        Notifier {
            disabled: disabled.into_iter().collect(),
            ..Notifier::default()
        }
    }

    pub fn set_disabled(&mut self, disabled: impl IntoIterator<Item = Kind>) {
        self.disabled = disabled.into_iter().collect();
    }

    /// The note (if any) a daemon event (its JSON, see `core::api::Event`) calls for, at `now`.
    pub fn on_event(&mut self, event: &Value, now: Instant) -> Option<Note> {
        let kind = event.get("type")?.as_str()?;
        let server = event
            .get("server")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let text = |key: &str| event.get(key).and_then(Value::as_str).map(str::to_owned);
        let number = |key: &str| event.get(key).and_then(Value::as_u64).unwrap_or(0);
        // Newer daemons send the server's last stderr lines with a crash.
        let sent_line = event
            .get("stderr")
            .and_then(Value::as_array)
            .and_then(|lines| {
                lines
                    .iter()
                    .rev()
                    .filter_map(Value::as_str)
                    .find(|l| !l.trim().is_empty())
            })
            .map(|l| l.trim().to_owned());
        if let Some(line) = &sent_line {
            self.memory(&server).last_line = Some(line.clone());
        }
        let note = match kind {
            "log" => {
                if let Some(line) = text("line").filter(|l| !l.trim().is_empty()) {
                    self.memory(&server).last_line = Some(line.trim().to_owned());
                }
                return None;
            }
            "server-started" => {
                // A clean start ends a crash loop, and a sign-in episode.
                self.in_crash_loop.remove(&server);
                self.told_sign_in.remove(&server);
                return None;
            }
            "server-unavailable" if text("state").as_deref() == Some("needs-sign-in") => {
                if !self.told_sign_in.insert(server.clone()) {
                    return None;
                }
                Note {
                    kind: Kind::SignIn,
                    server: Some(server.clone()),
                    title: format!("{server} needs you to sign in"),
                    body:
                        "Sign in to use its tools; Dockside keeps the tokens in its secret store."
                            .into(),
                    action: Some((format!("sign-in:{server}"), "Sign in".into())),
                }
            }
            "server-recovered" => {
                // Stable again: the next crash is news.
                self.in_crash_loop.remove(&server);
                let memory = self.memory(&server);
                memory.last_note = None;
                memory.untold_crashes = 0;
                return None;
            }
            "server-crashed" => {
                if self.in_crash_loop.contains(&server) {
                    return None;
                }
                let memory = self.memory(&server);
                memory.untold_crashes += 1;
                if memory
                    .last_note
                    .is_some_and(|at| now.duration_since(at) < QUIET)
                {
                    return None;
                }
                memory.last_note = Some(now);
                let crashes = std::mem::take(&mut memory.untold_crashes);
                let how = text("how").unwrap_or_else(|| "exited".into());
                let mut body = if crashes > 1 {
                    format!("{how} ({crashes} crashes in the last minutes)")
                } else {
                    how
                };
                if let Some(line) = &memory.last_line {
                    body.push_str(&format!("\nLast output: {line}"));
                }
                let title = match text("phase").as_deref() {
                    Some("startup") => format!("{server} failed to start"),
                    Some("hung") => format!("{server} hung and was stopped"),
                    _ => format!("{server} crashed"),
                };
                Note {
                    kind: Kind::Crashed,
                    server: Some(server.clone()),
                    title,
                    body,
                    action: None,
                }
            }
            "server-restarted" => {
                if self.in_crash_loop.contains(&server) {
                    return None;
                }
                let attempt = number("attempt");
                let memory = self.memory(&server);
                // Told together with its crash: only the restart right after a told crash.
                let told_crash_now = memory
                    .last_note
                    .is_some_and(|at| now.duration_since(at) < Duration::from_secs(15))
                    && memory.untold_crashes == 0;
                if !told_crash_now && memory.last_note.is_some() {
                    return None;
                }
                Note {
                    kind: Kind::Restarted,
                    server: Some(server.clone()),
                    title: format!("{server} restarted"),
                    body: format!("Dockside restarted it automatically (attempt {attempt})."),
                    action: None,
                }
            }
            "crash-loop" => {
                if !self.in_crash_loop.insert(server.clone()) {
                    return None;
                }
                let crashes = number("crashes");
                let mut body = format!(
                    "It crashed {crashes} times in a short time; Dockside stopped restarting it."
                );
                if let Some(cause) = text("cause").filter(|c| !c.is_empty()) {
                    body.push_str(&format!("\nLast failure: {cause}"));
                }
                if let Some(line) = &self.memory(&server).last_line {
                    body.push_str(&format!("\nLast output: {line}"));
                }
                Note {
                    kind: Kind::CrashLoop,
                    server: Some(server.clone()),
                    title: format!("{server} is in a crash loop"),
                    body,
                    action: Some((format!("restart:{server}"), "Restart".into())),
                }
            }
            "image-pull-progress" if event.get("done").and_then(Value::as_bool) == Some(true) => {
                Note {
                    kind: Kind::ImagePull,
                    server: Some(server.clone()),
                    title: "Image pulled".into(),
                    body: format!(
                        "{} is ready{}",
                        text("image").unwrap_or_default(),
                        for_server(&server)
                    ),
                    action: None,
                }
            }
            "start-failed" if text("error").is_some_and(|e| e.contains("pull")) => Note {
                kind: Kind::ImagePull,
                server: Some(server.clone()),
                title: "Image pull failed".into(),
                body: format!("{server}: {}", text("error").unwrap_or_default()),
                action: None,
            },
            "image-pull-finished" | "image-pulled" => Note {
                kind: Kind::ImagePull,
                server: Some(server.clone()),
                title: "Image pulled".into(),
                body: format!(
                    "{} is ready{}",
                    text("image").unwrap_or_default(),
                    for_server(&server)
                ),
                action: None,
            },
            "image-pull-failed" => Note {
                kind: Kind::ImagePull,
                server: Some(server.clone()),
                title: "Image pull failed".into(),
                body: format!(
                    "{}{}: {}",
                    text("image").unwrap_or_default(),
                    for_server(&server),
                    text("error").unwrap_or_default()
                ),
                action: None,
            },
            "production-applied" => Note {
                kind: Kind::Production,
                server: None,
                title: "Production switch applied".into(),
                body: text("summary")
                    .unwrap_or_else(|| "Every enabled server now runs behind the gateway.".into()),
                action: None,
            },
            "production-rolled-back" => Note {
                kind: Kind::Production,
                server: None,
                title: "Production switch rolled back".into(),
                body: text("reason").unwrap_or_else(|| {
                    "Client files were restored to their previous state.".into()
                }),
                action: None,
            },
            _ => return None,
        };
        self.admit(note, now)
    }

    /// The daemon died and the app started a new one.
    pub fn gateway_restarted(&mut self, why: &str, now: Instant) -> Option<Note> {
        self.admit(
            Note {
                kind: Kind::Gateway,
                server: None,
                title: "Dockside gateway restarted".into(),
                body: format!(
                    "The gateway stopped unexpectedly ({why}); Dockside started it again."
                ),
                action: None,
            },
            now,
        )
    }

    fn memory(&mut self, server: &str) -> &mut ServerMemory {
        self.servers.entry(server.to_owned()).or_default()
    }

    /// Applies the preferences and the global rate limit.
    fn admit(&mut self, note: Note, now: Instant) -> Option<Note> {
        if self.disabled.contains(&note.kind) {
            return None;
        }
        while self
            .recent
            .front()
            .is_some_and(|at| now.duration_since(*at) >= Duration::from_secs(60))
        {
            self.recent.pop_front();
        }
        if self.recent.len() >= GLOBAL_LIMIT {
            tracing::info!(title = %note.title, "notification dropped (rate limit)");
            return None;
        }
        self.recent.push_back(now);
        Some(note)
    }
}

fn for_server(server: &str) -> String {
    if server.is_empty() {
        String::new()
    } else {
        format!(" for {server}")
    }
}

/// Shows `note`; `on_action` gets the action id if the user picks the note's action (Linux
/// desktops only; elsewhere the note has no button). Never blocks the caller.
pub fn show(note: Note, on_action: impl FnOnce(String) + Send + 'static) {
    std::thread::spawn(move || {
        let mut n = notify_rust::Notification::new();
        n.appname("Dockside").summary(&note.title).body(&note.body);
        #[cfg(all(unix, not(target_os = "macos")))]
        {
            n.icon("dialog-warning");
            if let Some((id, label)) = &note.action {
                n.action(id, label);
            }
        }
        match n.show() {
            #[cfg(all(unix, not(target_os = "macos")))]
            Ok(handle) => {
                if note.action.is_some() {
                    handle.wait_for_action(|action| {
                        if action != "__closed" && !action.is_empty() {
                            on_action(action.to_owned());
                        }
                    });
                }
            }
            #[cfg(not(all(unix, not(target_os = "macos"))))]
            Ok(_) => drop(on_action),
            Err(err) => tracing::warn!(title = %note.title, "could not show a notification: {err}"),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(start: Instant, secs: u64) -> Instant {
        start + Duration::from_secs(secs)
    }

    fn titles(notes: &[Note]) -> Vec<&str> {
        notes.iter().map(|n| n.title.as_str()).collect()
    }

    #[test]
    fn a_crash_is_told_with_its_last_output_and_restart() {
        let t = Instant::now();
        let mut n = Notifier::default();
        let mut notes = Vec::new();
        for (s, e) in [
            (
                0,
                json!({"type": "log", "server": "demo", "line": "panic: boom"}),
            ),
            (
                1,
                json!({"type": "server-crashed", "server": "demo", "how": "exit status 101"}),
            ),
            (
                2,
                json!({"type": "server-restarted", "server": "demo", "pid": 9, "attempt": 1}),
            ),
        ] {
            notes.extend(n.on_event(&e, at(t, s)));
        }
        assert_eq!(titles(&notes), ["demo crashed", "demo restarted"]);
        assert_eq!(notes[0].body, "exit status 101\nLast output: panic: boom");
        assert!(notes[1].body.contains("attempt 1"), "{}", notes[1].body);
    }

    #[test]
    fn a_crash_loop_gives_one_note_not_one_per_attempt() {
        let t = Instant::now();
        let mut n = Notifier::default();
        let mut notes = Vec::new();
        for attempt in 1..=6u64 {
            let s = attempt * 2;
            notes.extend(n.on_event(
                &json!({"type": "server-crashed", "server": "demo", "how": "killed"}),
                at(t, s),
            ));
            notes.extend(n.on_event(
                &json!({"type": "server-restarted", "server": "demo", "attempt": attempt}),
                at(t, s + 1),
            ));
        }
        for _ in 0..3 {
            notes.extend(n.on_event(
                &json!({"type": "crash-loop", "server": "demo", "crashes": 6}),
                at(t, 14),
            ));
        }
        notes.extend(n.on_event(
            &json!({"type": "server-crashed", "server": "demo", "how": "killed"}),
            at(t, 200),
        ));
        assert_eq!(
            titles(&notes),
            ["demo crashed", "demo restarted", "demo is in a crash loop"]
        );
        assert_eq!(
            notes[2].action,
            Some(("restart:demo".into(), "Restart".into()))
        );
        // A remote server that needs a sign-in: told once per episode, with the button.
        let locked = json!({"type": "server-unavailable", "server": "gh", "state": "needs-sign-in", "error": "x"});
        let told = n.on_event(&locked, at(t, 210)).unwrap();
        assert_eq!(told.title, "gh needs you to sign in");
        assert_eq!(told.action, Some(("sign-in:gh".into(), "Sign in".into())));
        assert!(n.on_event(&locked, at(t, 211)).is_none());
        let unreachable = json!({"type": "server-unavailable", "server": "gh", "state": "unreachable", "error": "x"});
        assert!(n.on_event(&unreachable, at(t, 212)).is_none());
        // A clean start ends the loop; a later crash is news again (and folds the held ones).
        n.on_event(
            &json!({"type": "server-started", "server": "demo"}),
            at(t, 300),
        );
        let later = n
            .on_event(
                &json!({"type": "server-crashed", "server": "demo", "how": "killed"}),
                at(t, 400),
            )
            .unwrap();
        assert!(later.body.contains("crashes"), "{}", later.body);
    }

    #[test]
    fn newer_daemons_send_the_last_stderr_lines_and_the_phase() {
        let t = Instant::now();
        let mut n = Notifier::default();
        let note = n
            .on_event(
                &json!({"type": "server-crashed", "server": "a", "how": "exited with code 1",
                    "phase": "startup", "stderr": ["loading", "Error: cannot find module x", ""]}),
                t,
            )
            .unwrap();
        assert_eq!(note.title, "a failed to start");
        assert_eq!(
            note.body,
            "exited with code 1\nLast output: Error: cannot find module x"
        );
        let lp = n
            .on_event(
                &json!({"type": "crash-loop", "server": "a", "crashes": 5, "cause": "exit 1"}),
                at(t, 5),
            )
            .unwrap();
        assert!(lp.body.contains("Last failure: exit 1"), "{}", lp.body);
        // Recovered: the loop is over and the next crash is told at once.
        n.on_event(
            &json!({"type": "server-recovered", "server": "a", "crashes": 5}),
            at(t, 9),
        );
        assert!(n
            .on_event(
                &json!({"type": "server-crashed", "server": "a", "how": "x"}),
                at(t, 10)
            )
            .is_some());
    }

    #[test]
    fn kinds_can_be_turned_off_and_the_desktop_is_never_flooded() {
        let t = Instant::now();
        let mut n = Notifier::new([Kind::Crashed]);
        assert!(n
            .on_event(
                &json!({"type": "server-crashed", "server": "a", "how": "x"}),
                t
            )
            .is_none());
        n.set_disabled([]);
        let mut shown = 0;
        for i in 0..50 {
            let e = json!({"type": "server-crashed", "server": format!("s{i}"), "how": "x"});
            shown += n.on_event(&e, t).is_some() as usize;
        }
        assert_eq!(shown, GLOBAL_LIMIT);
        assert!(n
            .on_event(
                &json!({"type": "server-crashed", "server": "z", "how": "x"}),
                at(t, 61)
            )
            .is_some());
    }

    #[test]
    fn pulls_and_production_switches() {
        let t = Instant::now();
        let mut n = Notifier::default();
        let pulled = n
            .on_event(
                &json!({"type": "image-pull-progress", "server": "web", "image": "mcp/web:1",
                    "layers_done": 3, "layers_total": 3, "bytes_done": 9, "bytes_total": 9, "done": true}),
                t,
            )
            .unwrap();
        assert_eq!(pulled.body, "mcp/web:1 is ready for web");
        let failed = n
            .on_event(
                &json!({"type": "image-pull-failed", "server": "web", "image": "x", "error": "denied"}),
                t,
            )
            .unwrap();
        assert_eq!(failed.title, "Image pull failed");
        assert!(n
            .on_event(&json!({"type": "production-rolled-back"}), t)
            .is_some());
        assert!(n.on_event(&json!({"type": "tools-changed"}), t).is_none());
        assert!(n
            .on_event(
                &json!({"type": "image-pull-progress", "server": "web", "done": false}),
                t
            )
            .is_none());
    }
}
