//! The link between the tray and the dashboard (two processes: the tray runs all the time and
//! holds no web view; the dashboard is started when the user opens it and exits when closed).
//!
//! The tray listens on a loopback port written to `<home>/tray.json` (`{pid, port}`); each
//! connection carries one request line and gets one answer line, both JSON. Requests carry the
//! home's daemon token (`<home>/token`, mode 0600): only the user who owns the home can ask.
//! A second launch of the tray finds the first through this file and asks it to show the
//! dashboard instead of starting another tray.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use dockside_api::files;
use dockside_core::Home;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::model::{DaemonState, LogLine};

/// What the dashboard (or a second launch) asks the tray.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "kebab-case")]
pub enum Request {
    /// Open the dashboard, on `screen` when given.
    Show { screen: Option<String> },
    /// The gateway as the tray sees it, and the servers' recent output.
    State,
    /// Pause or resume the gateway.
    Pause { paused: bool },
    /// Preferences, catalogs or clients changed elsewhere: read them again and redraw.
    Changed,
}

/// The answer to [`Request::State`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrayState {
    pub daemon: DaemonState,
    pub logs: Vec<LogLine>,
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    token: String,
    request: Request,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Answer {
    Ok(Value),
    Error(String),
}

/// `tray.json`: where the tray listens.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Address {
    pid: u32,
    port: u16,
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("the Dockside tray is not running")]
    NoTray,
    #[error("the Dockside tray did not answer: {0}")]
    Io(#[from] std::io::Error),
    #[error("the Dockside tray answered something unexpected: {0}")]
    Protocol(String),
    #[error("the Dockside tray refused: {0}")]
    Refused(String),
}

pub fn path(home: &Home) -> PathBuf {
    home.root().join("tray.json")
}

/// How long a request may take (a second launch must not hang on a wedged tray).
const TIMEOUT: Duration = Duration::from_secs(5);

/// Asks the tray of `home`. [`LinkError::NoTray`] when none runs.
pub async fn call(home: &Home, request: Request) -> Result<Value, LinkError> {
    let address = read_address(home).ok_or(LinkError::NoTray)?;
    let token = files::read_token(home).ok_or(LinkError::NoTray)?;
    let exchange = async {
        let stream = TcpStream::connect(("127.0.0.1", address.port)).await?;
        let (read, mut write) = stream.into_split();
        let mut line = serde_json::to_string(&Envelope { token, request })
            .map_err(|e| LinkError::Protocol(e.to_string()))?;
        line.push('\n');
        write.write_all(line.as_bytes()).await?;
        let mut answer = String::new();
        BufReader::new(read).read_line(&mut answer).await?;
        match serde_json::from_str(&answer) {
            Ok(Answer::Ok(value)) => Ok(value),
            Ok(Answer::Error(message)) => Err(LinkError::Refused(message)),
            Err(err) => Err(LinkError::Protocol(format!("{err}: `{}`", answer.trim()))),
        }
    };
    match tokio::time::timeout(TIMEOUT, exchange).await {
        Ok(Err(LinkError::Io(err))) if err.kind() == std::io::ErrorKind::ConnectionRefused => {
            Err(LinkError::NoTray)
        }
        Ok(result) => result,
        Err(_) => Err(LinkError::Io(std::io::ErrorKind::TimedOut.into())),
    }
}

/// The tray's state ([`Request::State`]).
pub async fn tray_state(home: &Home) -> Result<TrayState, LinkError> {
    let value = call(home, Request::State).await?;
    serde_json::from_value(value).map_err(|e| LinkError::Protocol(e.to_string()))
}

fn read_address(home: &Home) -> Option<Address> {
    let text = std::fs::read_to_string(path(home)).ok()?;
    let address: Address = serde_json::from_str(&text).ok()?;
    files::pid_alive(address.pid).then_some(address)
}

/// What the tray does with a request (the answer is sent back as JSON).
pub trait Handler: Send + Sync + 'static {
    fn handle(&self, request: Request) -> impl std::future::Future<Output = Value> + Send;
}

/// The tray's end: listening, with `tray.json` written. Dropping it removes the file.
pub struct Listener {
    home: Home,
    token: Arc<str>,
    listener: Option<TcpListener>,
}

impl Listener {
    /// Listens on a free loopback port and publishes it in `tray.json`.
    pub async fn bind(home: &Home) -> std::io::Result<Listener> {
        let token = files::load_or_create_token(home).map_err(std::io::Error::other)?;
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = Address {
            pid: std::process::id(),
            port: listener.local_addr()?.port(),
        };
        std::fs::create_dir_all(home.root())?;
        let tmp = home.root().join(".tray.json.tmp");
        std::fs::write(&tmp, serde_json::to_vec(&address)?)?;
        std::fs::rename(&tmp, path(home))?;
        Ok(Listener {
            home: home.clone(),
            token: token.into(),
            listener: Some(listener),
        })
    }

    /// Answers requests until the process ends.
    pub async fn serve<H: Handler>(mut self, handler: Arc<H>) {
        let Some(listener) = self.listener.take() else {
            return;
        };
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (handler, token) = (Arc::clone(&handler), Arc::clone(&self.token));
            tokio::spawn(async move {
                if let Err(err) = answer(stream, &token, handler.as_ref()).await {
                    tracing::debug!("tray link: {err}");
                }
            });
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        close(&self.home);
    }
}

/// Removes `tray.json` if it names this process (a newer tray's file stays).
pub fn close(home: &Home) {
    if read_address(home).is_some_and(|a| a.pid == std::process::id()) {
        let _ = std::fs::remove_file(path(home));
    }
}

async fn answer<H: Handler>(stream: TcpStream, token: &str, handler: &H) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    tokio::time::timeout(TIMEOUT, BufReader::new(read).read_line(&mut line))
        .await
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
    let answer = match serde_json::from_str::<Envelope>(&line) {
        Ok(envelope) if envelope.token == token => {
            Answer::Ok(handler.handle(envelope.request).await)
        }
        Ok(_) => Answer::Error("wrong token".into()),
        Err(err) => Answer::Error(format!("not a request: {err}")),
    };
    let mut text = serde_json::to_string(&answer)?;
    text.push('\n');
    write.write_all(text.as_bytes()).await
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    struct Recorder(Mutex<Vec<Request>>);

    impl Handler for Recorder {
        async fn handle(&self, request: Request) -> Value {
            self.0.lock().unwrap().push(request.clone());
            match request {
                Request::State => serde_json::to_value(TrayState {
                    daemon: DaemonState {
                        paused: true,
                        ..DaemonState::default()
                    },
                    logs: Vec::new(),
                })
                .unwrap(),
                _ => Value::Null,
            }
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn requests_reach_the_tray_with_the_token_and_nothing_without_it() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path());
        assert!(matches!(
            call(&home, Request::Changed).await,
            Err(LinkError::NoTray)
        ));
        let recorder = Arc::new(Recorder(Mutex::new(Vec::new())));
        let listener = Listener::bind(&home).await.unwrap();
        tokio::spawn(listener.serve(Arc::clone(&recorder)));

        let show = Request::Show {
            screen: Some("production".into()),
        };
        call(&home, show.clone()).await.unwrap();
        assert!(tray_state(&home).await.unwrap().daemon.paused);
        assert_eq!(*recorder.0.lock().unwrap(), [show, Request::State]);

        // A request without the token the tray started with is refused, and does nothing.
        std::fs::write(files::token_path(&home), "another-token").unwrap();
        let refused = call(&home, Request::Changed).await;
        assert!(
            matches!(&refused, Err(LinkError::Refused(m)) if m == "wrong token"),
            "{refused:?}"
        );
        assert_eq!(recorder.0.lock().unwrap().len(), 2);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn dropping_the_listener_removes_its_address() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path());
        let listener = Listener::bind(&home).await.unwrap();
        assert!(path(&home).is_file());
        drop(listener);
        assert!(!path(&home).exists());
        assert!(matches!(
            call(&home, Request::State).await,
            Err(LinkError::NoTray)
        ));
    }
}
