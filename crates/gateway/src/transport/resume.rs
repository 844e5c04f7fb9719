//! Resumable SSE for session-era clients of 2025-11-25: every event of a session gets an id, a
//! POST stream opens with a priming event (an id, no data, and the `retry` a client waits before
//! reconnecting), and a client that lost a stream — or whose stream the gateway closed because
//! the server closed the call's stream upstream — opens a GET with `Last-Event-ID` and receives
//! the rest of that stream: the events it missed, then whatever comes until the answer.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

/// How long a client waits before reconnecting to a stream the gateway closed.
pub(super) const RETRY: Duration = Duration::from_millis(500);
/// The stream key of a session's GET stream (POST streams are keyed by their request id).
pub(super) const GET_STREAM: &str = "get";
const MAX_EVENTS: usize = 1000;
const MAX_BYTES: usize = 16 << 20;

/// What goes down an SSE (or JSON) response: a message as it is, or an event of a resumable
/// session (its id and its text; a priming event has no text).
#[derive(Debug, Clone)]
pub(super) enum Item {
    Msg(serde_json::Value),
    Event { id: u64, data: Arc<str> },
}

struct Entry {
    id: u64,
    stream: String,
    data: Arc<str>,
}

/// The events a session sent lately, by stream, bounded by count and size.
#[derive(Default)]
pub(super) struct EventLog {
    next: u64,
    entries: VecDeque<Entry>,
    bytes: usize,
    /// POST streams that ended before their answer: what comes for them waits for a resume.
    awaiting: HashSet<String>,
}

impl EventLog {
    /// Records an event on `stream` and returns its id.
    pub(super) fn record(&mut self, stream: &str, data: Arc<str>) -> u64 {
        self.next += 1;
        self.bytes += data.len();
        self.entries.push_back(Entry {
            id: self.next,
            stream: stream.to_owned(),
            data,
        });
        while self.entries.len() > MAX_EVENTS || self.bytes > MAX_BYTES {
            match self.entries.pop_front() {
                Some(e) => self.bytes -= e.data.len(),
                None => break,
            }
        }
        self.next
    }

    /// The stream an event belongs to, while the log still holds it.
    pub(super) fn stream_of(&self, id: u64) -> Option<String> {
        self.entries
            .iter()
            .find(|e| e.id == id)
            .map(|e| e.stream.clone())
    }

    /// The events of `stream` after `id` (priming events left out).
    pub(super) fn after(&self, id: u64, stream: &str) -> Vec<Item> {
        self.entries
            .iter()
            .filter(|e| e.id > id && e.stream == stream && !e.data.is_empty())
            .map(|e| Item::Event {
                id: e.id,
                data: e.data.clone(),
            })
            .collect()
    }

    /// A POST stream ended before its answer.
    pub(super) fn await_resume(&mut self, stream: &str) {
        if self.awaiting.len() >= MAX_EVENTS {
            self.awaiting.clear();
        }
        self.awaiting.insert(stream.to_owned());
    }

    pub(super) fn is_awaiting(&self, stream: &str) -> bool {
        self.awaiting.contains(stream)
    }

    /// The stream is answered, or resumed: nothing waits for it any more.
    pub(super) fn settle(&mut self, stream: &str) {
        self.awaiting.remove(stream);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(items: &[Item]) -> Vec<String> {
        items
            .iter()
            .map(|i| match i {
                Item::Event { data, .. } => data.to_string(),
                Item::Msg(m) => m.to_string(),
            })
            .collect()
    }

    #[test]
    fn a_stream_resumes_after_the_last_event_seen() {
        let mut log = EventLog::default();
        let prime = log.record("n:1", "".into());
        let a = log.record("n:1", "a".into());
        log.record(GET_STREAM, "g".into());
        log.record("n:1", "b".into());
        log.record("n:2", "other".into());
        assert_eq!(log.stream_of(prime).as_deref(), Some("n:1"));
        assert_eq!(text(&log.after(prime, "n:1")), ["a", "b"]);
        assert_eq!(text(&log.after(a, "n:1")), ["b"]);
        assert_eq!(log.stream_of(999), None);
        log.await_resume("n:1");
        assert!(log.is_awaiting("n:1"));
        log.settle("n:1");
        assert!(!log.is_awaiting("n:1"));
    }

    #[test]
    fn the_log_is_bounded_by_count_and_size() {
        let mut log = EventLog::default();
        for _ in 0..MAX_EVENTS + 10 {
            log.record("s", "x".into());
        }
        assert_eq!(log.entries.len(), MAX_EVENTS);
        assert_eq!(log.stream_of(1), None);
        let big: Arc<str> = "y".repeat(MAX_BYTES / 2 + 1).into();
        log.record("s", big.clone());
        log.record("s", big);
        assert!(log.bytes <= MAX_BYTES);
    }
}
