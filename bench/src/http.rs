//! A deliberately small, blocking HTTP/1.1 client for loopback benchmarks.
//!
//! Why not reqwest or hyper: the harness measures what a *gateway* adds per call, so the client
//! must cost next to nothing and cost the same on every path. One blocking socket per client,
//! `TCP_NODELAY`, keep-alive, one `write` per request, and the response read straight out of one
//! buffer keeps the client's own share of a loopback round trip to a few microseconds. It speaks
//! exactly what MCP's HTTP transports need: `Content-Length` and `chunked` bodies, bodies that end
//! with the connection, and long-lived Server-Sent-Event streams read line by line.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use anyhow::{anyhow, bail, Context};

/// A parsed `http://host:port/path` URL (loopback only: no TLS, no proxies).
#[derive(Debug, Clone)]
pub struct Url {
    pub addr: SocketAddr,
    /// `host:port` as written, for the `Host` header.
    pub authority: String,
    pub path: String,
}

impl Url {
    pub fn parse(url: &str) -> anyhow::Result<Url> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| anyhow!("only http:// URLs are supported: {url}"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let addr = authority
            .to_socket_addrs()
            .with_context(|| format!("resolving {authority}"))?
            .find(|a| a.ip().is_loopback())
            .ok_or_else(|| anyhow!("{authority} is not a loopback address"))?;
        Ok(Url {
            addr,
            authority: authority.to_string(),
            path: path.to_string(),
        })
    }

    /// The same server, another path (an absolute path or a full URL of the same server).
    pub fn join(&self, target: &str) -> anyhow::Result<Url> {
        if target.starts_with("http://") {
            return Url::parse(target);
        }
        let path = if target.starts_with('/') {
            target.to_string()
        } else {
            let dir = self.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
            format!("{dir}/{target}")
        };
        Ok(Url {
            path,
            ..self.clone()
        })
    }
}

/// How a response body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Length(u64),
    /// `left` bytes remain in the current chunk; `done` after the last (empty) chunk.
    Chunked {
        left: u64,
        done: bool,
    },
    UntilClose,
}

/// A response's status, headers and the state of its body on the connection.
#[derive(Debug)]
pub struct Head {
    pub status: u16,
    /// Lower-cased names.
    pub headers: Vec<(String, String)>,
    framing: Framing,
    close: bool,
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn is_event_stream(&self) -> bool {
        self.header("content-type")
            .is_some_and(|v| v.starts_with("text/event-stream"))
    }
}

/// One keep-alive connection to one server.
pub struct Conn {
    addr: SocketAddr,
    reader: Option<BufReader<TcpStream>>,
    timeout: Duration,
    /// Requests sent on the current socket.
    used: u64,
}

impl Conn {
    pub fn new(addr: SocketAddr, timeout: Duration) -> Conn {
        Conn {
            addr,
            reader: None,
            timeout,
            used: 0,
        }
    }

    fn socket(&mut self) -> anyhow::Result<&mut BufReader<TcpStream>> {
        if self.reader.is_none() {
            let s = TcpStream::connect_timeout(&self.addr, self.timeout)
                .with_context(|| format!("connecting to {}", self.addr))?;
            s.set_nodelay(true)?;
            s.set_read_timeout(Some(self.timeout))?;
            s.set_write_timeout(Some(self.timeout))?;
            self.reader = Some(BufReader::with_capacity(128 * 1024, s));
            self.used = 0;
        }
        Ok(self.reader.as_mut().expect("connected above"))
    }

    /// Sends a request and reads the response head; the body is then read with
    /// [`Conn::read_body`], [`Conn::read_line`] or skipped with [`Conn::finish`]. A keep-alive
    /// connection the server closed while idle is reopened once.
    pub fn send(
        &mut self,
        method: &str,
        url: &Url,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> anyhow::Result<Head> {
        let mut req = Vec::with_capacity(body.len() + 512);
        write!(
            req,
            "{method} {} HTTP/1.1\r\nHost: {}\r\n",
            url.path, url.authority
        )?;
        for (k, v) in headers {
            write!(req, "{k}: {v}\r\n")?;
        }
        if !body.is_empty() || method == "POST" || method == "PUT" {
            write!(req, "Content-Length: {}\r\n", body.len())?;
        }
        req.extend_from_slice(b"\r\n");
        req.extend_from_slice(body);
        for attempt in 0..2 {
            let reused = self.reader.is_some() && self.used > 0;
            let result = self.try_send(&req);
            match result {
                Ok(head) => return Ok(head),
                Err(e) if reused && attempt == 0 && is_stale(&e) => {
                    self.reader = None;
                    continue;
                }
                Err(e) => {
                    self.reader = None;
                    return Err(e);
                }
            }
        }
        bail!("unreachable: retried once")
    }

    fn try_send(&mut self, req: &[u8]) -> anyhow::Result<Head> {
        self.socket()?.get_mut().write_all(req)?;
        self.used += 1;
        read_head(self.reader.as_mut().expect("connected above"))
    }

    /// Reads the whole body.
    pub fn read_body(&mut self, head: &mut Head) -> anyhow::Result<Vec<u8>> {
        let mut out = Vec::new();
        if let Framing::Length(n) = head.framing {
            out.reserve(n as usize);
        }
        loop {
            let r = self
                .reader
                .as_mut()
                .ok_or_else(|| anyhow!("not connected"))?;
            let got = next_piece(r, &mut head.framing, |piece| {
                out.extend_from_slice(piece);
            })?;
            if !got {
                break;
            }
        }
        self.after_body(head);
        Ok(out)
    }

    /// Reads one line of the body (without `\n` or `\r\n`) into `line`; false at the body's end.
    pub fn read_line(&mut self, head: &mut Head, line: &mut Vec<u8>) -> anyhow::Result<bool> {
        line.clear();
        loop {
            let r = self
                .reader
                .as_mut()
                .ok_or_else(|| anyhow!("not connected"))?;
            let mut complete = false;
            let got = next_piece_until(r, &mut head.framing, b'\n', |piece| {
                line.extend_from_slice(piece);
                complete = piece.last() == Some(&b'\n');
            })?;
            if !got {
                self.after_body(head);
                return Ok(!line.is_empty());
            }
            if complete {
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(true);
            }
        }
    }

    /// Discards the rest of the body.
    pub fn finish(&mut self, head: &mut Head) -> anyhow::Result<()> {
        loop {
            let r = self
                .reader
                .as_mut()
                .ok_or_else(|| anyhow!("not connected"))?;
            if !next_piece(r, &mut head.framing, |_| {})? {
                break;
            }
        }
        self.after_body(head);
        Ok(())
    }

    fn after_body(&mut self, head: &Head) {
        if head.close || head.framing == Framing::UntilClose {
            self.reader = None;
        }
    }

    /// Drops the socket (e.g. to abandon a stream).
    pub fn reset(&mut self) {
        self.reader = None;
    }
}

fn is_stale(e: &anyhow::Error) -> bool {
    e.downcast_ref::<io::Error>().is_some_and(|io| {
        matches!(
            io.kind(),
            io::ErrorKind::UnexpectedEof
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::BrokenPipe
                | io::ErrorKind::ConnectionAborted
        )
    })
}

fn read_crlf_line(r: &mut BufReader<TcpStream>, line: &mut String) -> anyhow::Result<()> {
    line.clear();
    let n = r.read_line(line)?;
    if n == 0 {
        return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
    }
    while line.ends_with('\n') || line.ends_with('\r') {
        line.pop();
    }
    Ok(())
}

fn read_head(r: &mut BufReader<TcpStream>) -> anyhow::Result<Head> {
    let mut line = String::new();
    loop {
        read_crlf_line(r, &mut line)?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| anyhow!("bad status line {line:?}"))?;
        let mut headers = Vec::new();
        loop {
            read_crlf_line(r, &mut line)?;
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        if (100..200).contains(&status) {
            continue; // 100 Continue and friends carry no body.
        }
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let chunked = get("transfer-encoding").is_some_and(|v| v.contains("chunked"));
        let framing = if status == 204 || status == 304 {
            Framing::Length(0)
        } else if chunked {
            Framing::Chunked {
                left: 0,
                done: false,
            }
        } else if let Some(n) = get("content-length") {
            Framing::Length(n.parse().context("bad content-length")?)
        } else {
            Framing::UntilClose
        };
        let close = get("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
        return Ok(Head {
            status,
            headers,
            framing,
            close,
        });
    }
}

/// Makes sure the current chunk has bytes left (reading chunk headers as needed); false when the
/// body has ended.
fn ensure_chunk(r: &mut BufReader<TcpStream>, framing: &mut Framing) -> anyhow::Result<bool> {
    if let Framing::Chunked { left, done } = framing {
        if *done {
            return Ok(false);
        }
        if *left == 0 {
            let mut line = String::new();
            read_crlf_line(r, &mut line)?;
            if line.is_empty() {
                // The CRLF after the previous chunk's data.
                read_crlf_line(r, &mut line)?;
            }
            let size = line.split(';').next().unwrap_or("").trim();
            let size = u64::from_str_radix(size, 16)
                .with_context(|| format!("bad chunk size {line:?}"))?;
            if size == 0 {
                // Trailers, then the empty line.
                loop {
                    read_crlf_line(r, &mut line)?;
                    if line.is_empty() {
                        break;
                    }
                }
                *done = true;
                return Ok(false);
            }
            *left = size;
        }
    }
    Ok(true)
}

fn remaining(framing: &Framing) -> u64 {
    match framing {
        Framing::Length(n) => *n,
        Framing::Chunked { left, .. } => *left,
        Framing::UntilClose => u64::MAX,
    }
}

fn consume(framing: &mut Framing, n: u64) {
    match framing {
        Framing::Length(left) | Framing::Chunked { left, .. } => *left -= n,
        Framing::UntilClose => {}
    }
}

/// Hands the next buffered piece of the body to `f`; false at the body's end.
fn next_piece(
    r: &mut BufReader<TcpStream>,
    framing: &mut Framing,
    f: impl FnOnce(&[u8]),
) -> anyhow::Result<bool> {
    if !ensure_chunk(r, framing)? || remaining(framing) == 0 {
        return Ok(false);
    }
    let buf = r.fill_buf()?;
    if buf.is_empty() {
        if *framing == Framing::UntilClose {
            return Ok(false);
        }
        return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
    }
    let n = (buf.len() as u64).min(remaining(framing)) as usize;
    f(&buf[..n]);
    r.consume(n);
    consume(framing, n as u64);
    Ok(true)
}

/// Like [`next_piece`], but stops after the first `delim`.
fn next_piece_until(
    r: &mut BufReader<TcpStream>,
    framing: &mut Framing,
    delim: u8,
    f: impl FnOnce(&[u8]),
) -> anyhow::Result<bool> {
    if !ensure_chunk(r, framing)? || remaining(framing) == 0 {
        return Ok(false);
    }
    let buf = r.fill_buf()?;
    if buf.is_empty() {
        if *framing == Framing::UntilClose {
            return Ok(false);
        }
        return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
    }
    let mut n = (buf.len() as u64).min(remaining(framing)) as usize;
    if let Some(i) = buf[..n].iter().position(|b| *b == delim) {
        n = i + 1;
    }
    f(&buf[..n]);
    r.consume(n);
    consume(framing, n as u64);
    Ok(true)
}

/// One Server-Sent Event.
#[derive(Debug, Default)]
pub struct SseEvent {
    pub event: String,
    pub data: Vec<u8>,
}

/// Reads the next event of an SSE body; `None` at the body's end.
pub fn next_event(conn: &mut Conn, head: &mut Head) -> anyhow::Result<Option<SseEvent>> {
    let mut ev = SseEvent::default();
    let mut has_data = false;
    let mut line = Vec::new();
    loop {
        if !conn.read_line(head, &mut line)? {
            return Ok(has_data.then_some(ev));
        }
        if line.is_empty() {
            if has_data {
                return Ok(Some(ev));
            }
            ev.event.clear();
            continue;
        }
        if let Some(rest) = line.strip_prefix(b"data:") {
            let rest = rest.strip_prefix(b" ").unwrap_or(rest);
            if has_data {
                ev.data.push(b'\n');
            }
            ev.data.extend_from_slice(rest);
            has_data = true;
        } else if let Some(rest) = line.strip_prefix(b"event:") {
            ev.event = String::from_utf8_lossy(rest).trim().to_string();
        }
        // id:, retry: and comments (keep-alives) are ignored.
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpListener;

    fn serve_once(responses: Vec<&'static [u8]>) -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            for resp in responses {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).unwrap();
                s.write_all(resp).unwrap();
            }
        });
        addr
    }

    #[test]
    fn reads_length_chunked_and_sse_bodies_on_one_connection() {
        let addr = serve_once(vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/event-stream\r\n\r\n\
              7\r\nevent: \r\n12\r\nmessage\ndata: {\"a\"\r\n5\r\n:1}\n\n\r\n0\r\n\r\n",
            b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n",
        ]);
        let url = Url::parse(&format!("http://{addr}/mcp")).unwrap();
        let mut c = Conn::new(addr, Duration::from_secs(5));
        let mut h = c.send("POST", &url, &[], b"x").unwrap();
        assert_eq!(c.read_body(&mut h).unwrap(), b"hello");
        let mut h = c.send("POST", &url, &[], b"x").unwrap();
        assert!(h.is_event_stream());
        let ev = next_event(&mut c, &mut h).unwrap().unwrap();
        assert_eq!(ev.event, "message");
        assert_eq!(ev.data, br#"{"a":1}"#);
        assert!(next_event(&mut c, &mut h).unwrap().is_none());
        let mut h = c.send("POST", &url, &[], b"x").unwrap();
        assert_eq!(h.status, 202);
        c.finish(&mut h).unwrap();
    }

    #[test]
    fn joins_paths() {
        let u = Url::parse("http://127.0.0.1:9/a/mcp").unwrap();
        assert_eq!(u.join("/messages?s=1").unwrap().path, "/messages?s=1");
        assert_eq!(u.join("messages").unwrap().path, "/a/messages");
    }
}
