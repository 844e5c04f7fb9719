//! The one Server-Sent Events parser: bytes in, each completed event out ([`SseParser::push`]
//! gives its `data`, [`SseParser::push_events`] also its `event` type and `id`).
//!
//! Used for the control API's `/api/events` and for MCP's Streamable HTTP streams (the
//! `dockside connect` bridge). Lines are split on bytes (`\n`, `\r\n` or `\r`, per the SSE
//! specification) and decoded only once whole, so a multi-byte UTF-8 character split across two
//! network chunks is never damaged. Work is linear in the input: a long event arriving in many
//! chunks is scanned once.

/// Incremental parser; feed it chunks with [`SseParser::push`].
#[derive(Debug, Default)]
pub struct SseParser {
    buffer: Vec<u8>,
    /// Bytes of `buffer` already known to hold no line end.
    scanned: usize,
    event: Event,
}

/// The event being read: its `data` lines so far, its `event` type, and the last `id` seen.
#[derive(Debug, Default)]
struct Event {
    data: Vec<String>,
    has_data: bool,
    kind: Option<String>,
    last_event_id: Option<String>,
}

/// One completed event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field; `message` when the event had none.
    pub kind: String,
    pub data: String,
    /// The last event id in effect when it completed (for `Last-Event-ID`).
    pub id: Option<String>,
}

impl SseParser {
    /// Feeds bytes; returns the data of every event completed by them.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.push_events(bytes)
            .into_iter()
            .map(|e| e.data)
            .collect()
    }

    /// Feeds bytes; returns every event completed by them.
    pub fn push_events(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        self.buffer.extend_from_slice(bytes);
        let mut out = Vec::new();
        let mut start = 0;
        let mut pos = self.scanned;
        while let Some(offset) = self.buffer[pos..]
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
        {
            let end = pos + offset;
            let terminator = match self.buffer[end] {
                b'\r' if end + 1 == self.buffer.len() => break, // `\r\n` may be split
                b'\r' if self.buffer[end + 1] == b'\n' => 2,
                _ => 1,
            };
            let line = &self.buffer[start..end];
            if let Some(data) = self.event.line(line) {
                out.push(data);
            }
            start = end + terminator;
            pos = start;
        }
        self.buffer.drain(..start);
        self.scanned = pos - start;
        out
    }

    /// The `id` of the latest event that set one (for `Last-Event-ID` on reconnect).
    pub fn last_event_id(&self) -> Option<&str> {
        self.event.last_event_id.as_deref()
    }
}

impl Event {
    /// Handles one whole line; returns the event when the line ends it.
    fn line(&mut self, line: &[u8]) -> Option<SseEvent> {
        if line.is_empty() {
            let kind = self.kind.take();
            if !self.has_data {
                return None;
            }
            self.has_data = false;
            let data = self.data.join("\n");
            self.data.clear();
            return Some(SseEvent {
                kind: kind.unwrap_or_else(|| "message".to_owned()),
                data,
                id: self.last_event_id.clone(),
            });
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(0) => return None, // a comment (keep-alive)
            Some(i) => {
                let value = &line[i + 1..];
                (&line[..i], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"data" => {
                self.data.push(decode(value));
                self.has_data = true;
            }
            b"id" if !value.contains(&0) => self.last_event_id = Some(decode(value)),
            b"event" => self.kind = Some(decode(value)),
            // `retry:` carries nothing a caller here uses.
            _ => {}
        }
        None
    }
}

/// Whole lines are valid UTF-8 unless the server sent invalid bytes; those become U+FFFD.
fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn events_split_across_chunks() {
        let mut p = SseParser::default();
        assert!(p.push(b": keep-alive\n\ndata: {\"type\":").is_empty());
        assert_eq!(
            p.push(b"\"log\"}\r\n\r\ndata: a\ndata: b\n\n"),
            ["{\"type\":\"log\"}", "a\nb"]
        );
        assert!(p.push(b"data: x").is_empty());
        assert_eq!(p.push(b"\n\n"), ["x"]);
    }

    #[test]
    fn cr_line_ends_and_a_split_crlf() {
        let mut p = SseParser::default();
        assert!(p.push(b"data: a\r").is_empty());
        assert_eq!(p.push(b"\n\r\ndata: b\r\r"), ["a"]);
        assert_eq!(p.push(b"\n"), ["b"]);
    }

    #[test]
    fn ids_and_empty_data() {
        let mut p = SseParser::default();
        assert_eq!(p.push(b"id: 7\nevent: message\ndata\n\n"), [""]);
        assert_eq!(p.last_event_id(), Some("7"));
    }

    #[test]
    fn event_types_and_ids() {
        let mut p = SseParser::default();
        let got = p.push_events(b"event: endpoint\ndata: /messages?s=1\n\nid: 4\ndata: {}\n\n");
        assert_eq!(
            got,
            [
                SseEvent {
                    kind: "endpoint".into(),
                    data: "/messages?s=1".into(),
                    id: None
                },
                SseEvent {
                    kind: "message".into(),
                    data: "{}".into(),
                    id: Some("4".into())
                }
            ]
        );
        // A type without data dispatches nothing and does not leak into the next event.
        assert!(p.push_events(b"event: ping\n\n").is_empty());
        assert_eq!(p.push_events(b"data: x\n\n")[0].kind, "message");
    }

    #[test]
    fn a_character_split_between_chunks_survives() {
        let text = "é€😀";
        let event = format!("data: {text}\n\n");
        let bytes = event.as_bytes();
        for cut in 0..bytes.len() {
            let mut p = SseParser::default();
            let mut got = p.push(&bytes[..cut]);
            got.extend(p.push(&bytes[cut..]));
            assert_eq!(got, [text], "cut at byte {cut}");
        }
    }

    proptest! {
        #[test]
        fn any_payload_split_anywhere_comes_back_whole(
            payloads in proptest::collection::vec("\\PC{0,200}", 1..5),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
            crlf in any::<bool>(),
        ) {
            let nl = if crlf { "\r\n" } else { "\n" };
            let wire: String = payloads
                .iter()
                .map(|p| format!("event: message{nl}data: {p}{nl}{nl}"))
                .collect();
            let bytes = wire.as_bytes();
            let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
            points.sort_unstable();
            let mut p = SseParser::default();
            let mut got = Vec::new();
            let mut from = 0;
            for at in points.into_iter().chain([bytes.len()]) {
                got.extend(p.push(&bytes[from..at]));
                from = at;
            }
            prop_assert_eq!(got, payloads);
        }
    }
}
