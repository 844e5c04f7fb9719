//! The HTTP client rmcp's OAuth state machine runs its requests through.
//!
//! rmcp's own client is built on a reqwest without TLS in this workspace, so every OAuth request
//! (metadata, registration, token, refresh) goes through this one instead: the workspace's
//! reqwest with rustls, a timeout, and the redirect policy each request asks for.

use std::time::Duration;

use rmcp::transport::auth::{
    OAuthHttpClient, OAuthHttpClientFuture, OAuthHttpRedirectPolicy, OAuthHttpRequest,
};

const TIMEOUT: Duration = Duration::from_secs(30);
const MAX_REDIRECTS: usize = 5;
/// Metadata and token responses are small; a larger body is refused, not buffered.
const MAX_BODY: usize = 1 << 20;

pub(crate) struct Client {
    follow: reqwest::Client,
    stop: reqwest::Client,
}

impl Client {
    pub(crate) fn new() -> Client {
        let build = |policy| {
            reqwest::Client::builder()
                .timeout(TIMEOUT)
                .redirect(policy)
                .build()
                .expect("a reqwest client with a timeout and a redirect policy builds")
        };
        Client {
            follow: build(reqwest::redirect::Policy::limited(MAX_REDIRECTS)),
            stop: build(reqwest::redirect::Policy::none()),
        }
    }

    /// The plain client, for the requests Dockside makes itself (probe, revocation).
    pub(crate) fn plain(&self) -> &reqwest::Client {
        &self.stop
    }
}

impl OAuthHttpClient for Client {
    fn execute(&self, request: OAuthHttpRequest) -> OAuthHttpClientFuture<'_> {
        Box::pin(async move {
            let client = match request.redirect_policy {
                OAuthHttpRedirectPolicy::Stop => &self.stop,
                _ => &self.follow,
            };
            let request = reqwest::Request::try_from(request.request)?;
            let mut response = client.execute(request).await?;
            let mut builder = http::Response::builder()
                .status(response.status().as_u16())
                .version(response.version());
            for (name, value) in response.headers() {
                builder = builder.header(name.as_str(), value.as_bytes());
            }
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await? {
                if body.len() + chunk.len() > MAX_BODY {
                    return Err(format!("response body over {MAX_BODY} bytes").into());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(builder.body(body)?)
        })
    }
}
