//! The redirect target of a sign-in (RFC 8252 §7.3): a one-shot HTTP listener on
//! `127.0.0.1`, on a port the system picks (the authorization server must accept any port on a
//! loopback redirect URI). It answers the browser's `GET /callback?…` with a short page and
//! hands the query to the flow; other requests (a favicon, a preconnect that never sends) are
//! answered or dropped without ending the wait.

use std::collections::HashMap;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::error::AuthError;

const PATH: &str = "/callback";
/// How long one connection may take to send its request line.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) struct Listener {
    listener: TcpListener,
    redirect_uri: String,
}

/// The query of the redirect: `code`, `state`, `iss`, or `error` and `error_description`.
pub(crate) type Callback = HashMap<String, String>;

impl Listener {
    pub(crate) async fn bind() -> Result<Listener, AuthError> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| AuthError::Loopback(format!("cannot listen on 127.0.0.1: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| AuthError::Loopback(e.to_string()))?
            .port();
        Ok(Listener {
            listener,
            redirect_uri: format!("http://127.0.0.1:{port}{PATH}"),
        })
    }

    pub(crate) fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The first redirect that arrives at `/callback`.
    pub(crate) async fn wait(self) -> Callback {
        let (tx, mut rx) = mpsc::channel(1);
        let listener = self.listener;
        let accept = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let tx = tx.clone();
                tokio::spawn(async move {
                    if let Ok(Some(callback)) =
                        tokio::time::timeout(READ_TIMEOUT, serve(stream)).await
                    {
                        let _ = tx.send(callback).await;
                    }
                });
            }
        });
        let callback = rx.recv().await.unwrap_or_default();
        accept.abort();
        callback
    }
}

/// Reads one request; answers it; the query when it was the redirect.
async fn serve(mut stream: TcpStream) -> Option<Callback> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf);
    let target = head.lines().next()?.split(' ').nth(1)?.to_owned();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    if path != PATH {
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .await;
        return None;
    }
    let callback: Callback = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let body = if callback.contains_key("error") {
        "<!doctype html><title>Dockside</title><p>Sign-in was not completed. You can close this tab and return to Dockside.</p>"
    } else {
        "<!doctype html><title>Dockside</title><p>Signed in. You can close this tab and return to Dockside.</p>"
    };
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
    Some(callback)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_redirect_query_arrives_and_other_requests_do_not_end_the_wait() {
        let listener = Listener::bind().await.unwrap();
        let uri = listener.redirect_uri().to_owned();
        assert!(uri.starts_with("http://127.0.0.1:") && uri.ends_with("/callback"));
        let waiting = tokio::spawn(listener.wait());
        let origin = uri.trim_end_matches(PATH).to_owned();
        let client = reqwest::Client::new();
        let favicon = client
            .get(format!("{origin}/favicon.ico"))
            .send()
            .await
            .unwrap();
        assert_eq!(favicon.status(), 404);
        let page = client
            .get(format!("{uri}?code=a%2Bb&state=s1"))
            .send()
            .await
            .unwrap();
        assert!(page.text().await.unwrap().contains("Signed in"));
        let callback = waiting.await.unwrap();
        assert_eq!(callback["code"], "a+b");
        assert_eq!(callback["state"], "s1");
    }
}
