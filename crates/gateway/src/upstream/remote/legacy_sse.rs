//! The 2024-11-05 HTTP+SSE transport: one GET stream carries every server message; its first
//! `endpoint` event gives the URL (relative to the stream's) to POST messages to, whose
//! answers come on the stream. A stream that breaks is resumed with `Last-Event-ID` when the
//! server gave event ids (a new `endpoint` event then replaces the URL); without ids the
//! session is over and the relay ends (the supervisor starts a new one).

use std::sync::Arc;

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::Value;
use tokio::sync::watch;

use super::link::{read_events, End, Failure, Link};
use super::Outage;

pub(super) struct LegacySse {
    link: Arc<Link>,
    endpoint: watch::Sender<Option<String>>,
}

impl LegacySse {
    /// Opens the stream (in the background: messages wait for its `endpoint`).
    pub(super) fn open(link: Arc<Link>, url: &str) -> Arc<LegacySse> {
        let me = Arc::new(LegacySse {
            link,
            endpoint: watch::channel(None).0,
        });
        let stream = me.clone();
        let url = url.to_owned();
        me.link.spawn(async move { stream.listen(url).await });
        me
    }

    async fn listen(&self, url: String) {
        let mut last_id: Option<String> = None;
        loop {
            let get = |c: &reqwest::Client| {
                let r = c.get(&url).header(ACCEPT, "text/event-stream");
                match &last_id {
                    Some(id) => r.header("last-event-id", id),
                    None => r,
                }
            };
            let resp = match self.link.execute(get).await {
                Ok(resp) => resp,
                Err(Failure::Outage(o)) => return self.link.end(End::Outage(o)),
                Err(Failure::Http { detail, .. }) => {
                    return self.link.end(End::Outage(Outage::Unreachable(detail)))
                }
            };
            let base = resp.url().clone();
            read_events(resp, |ev| {
                if ev.id.is_some() {
                    last_id = ev.id.clone();
                }
                if ev.kind == "endpoint" {
                    match base.join(ev.data.trim()) {
                        Ok(u) => {
                            self.endpoint.send_replace(Some(u.to_string()));
                        }
                        Err(e) => self.link.log(format!("{url}: a bad `endpoint` event: {e}")),
                    }
                    return;
                }
                if ev.data.trim().is_empty() {
                    return;
                }
                match serde_json::from_str::<Value>(&ev.data) {
                    Ok(msg) => self.link.deliver(msg),
                    Err(_) => self
                        .link
                        .log(format!("{url}: ignored an event that is not JSON")),
                }
            })
            .await;
            let Some(from) = &last_id else {
                return self
                    .link
                    .end(End::Gone(format!("{url} closed its SSE stream")));
            };
            self.link.log(format!(
                "{url}: the SSE stream closed; resuming after event {from}"
            ));
        }
    }

    /// POSTs one message to the endpoint; its answer comes on the stream.
    pub(super) async fn send(&self, msg: Value) {
        let mut endpoint = self.endpoint.subscribe();
        let waited = tokio::time::timeout(
            self.link.timeouts.request,
            endpoint.wait_for(Option::is_some),
        )
        .await;
        let Ok(Ok(url)) = waited.map(|r| r.map(|u| u.clone().unwrap_or_default())) else {
            return self.link.end(End::Outage(Outage::Unreachable(
                "its SSE stream sent no `endpoint` event".into(),
            )));
        };
        let body = msg.to_string();
        let post = |c: &reqwest::Client| {
            c.post(&url)
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone())
        };
        if let Err(f) = self.link.execute(post).await {
            self.link.failed(&msg, f);
        }
    }
}
