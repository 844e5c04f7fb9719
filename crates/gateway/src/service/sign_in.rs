//! A remote server's OAuth sign-in ([`dockside_oauth::Session`]: tokens from the secret store,
//! refreshed before they expire and once on a 401) behind the upstream layer's [`RemoteAuth`]
//! seam. A server with no stored sign-in sends no `Authorization`; when it then answers 401 or
//! 403, it is `needs-sign-in` with a message naming `dockside auth login NAME` and the app's
//! Sign in button. The daemon never opens a browser: a step-up is the user's too.

use std::sync::Arc;

use dockside_core::catalog::Server;
use dockside_core::Home;
use dockside_oauth::flow::{self, LoginOptions, PendingLogin};
use dockside_oauth::{Challenge, OAuthConfig, Session, Target};
use futures::future::BoxFuture;

use crate::upstream::endpoint::{AuthOutcome, RemoteAuth};

struct OAuth(Session);

impl RemoteAuth for OAuth {
    fn authorization(&self) -> BoxFuture<'_, Result<Option<String>, String>> {
        Box::pin(async move { self.0.authorization().await.map_err(|e| e.to_string()) })
    }

    fn challenge(
        &self,
        status: u16,
        www_authenticate: Option<String>,
    ) -> BoxFuture<'_, AuthOutcome> {
        Box::pin(async move {
            match self.0.challenge(status, www_authenticate).await {
                Challenge::Retry => AuthOutcome::Retry,
                Challenge::NeedsSignIn { message } => AuthOutcome::NeedsSignIn { message },
                Challenge::Fail(e) => AuthOutcome::Fail(e),
            }
        })
    }
}

/// The sign-in of remote server `name` (at `url`), with its catalog's `oauth` block.
pub fn for_remote(
    home: &Home,
    name: &str,
    server: &Server,
    url: &str,
) -> anyhow::Result<Arc<dyn RemoteAuth>> {
    let config = OAuthConfig::of(name, server).map_err(|e| anyhow::anyhow!("{e}"))?;
    let session = Session::new(home.clone(), name, url, config)
        .map_err(|e| anyhow::anyhow!("server '{name}': {e}"))?;
    Ok(Arc::new(OAuth(session)))
}

/// Starts the sign-in of remote server `name` for the person at this machine (the app's and the
/// tray's Sign in): discovery and registration done, the authorization page opened in their
/// browser when one opens. Returns the pending sign-in (its `url()` to show, `finish` to await)
/// and whether a browser took the page.
pub async fn begin(
    home: &Home,
    name: &str,
    server: &Server,
) -> Result<(PendingLogin, bool), String> {
    let target = Target::of(name, server).map_err(|e| e.to_string())?;
    let pending = flow::start(home, &target, LoginOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    let opened = match dockside_oauth::browser::open(pending.url()) {
        Ok(()) => true,
        Err(e) => {
            tracing::info!(server = %name, "no browser opened the sign-in page: {e}");
            false
        }
    };
    Ok((pending, opened))
}
