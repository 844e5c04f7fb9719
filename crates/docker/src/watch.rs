//! Docker's availability over time. The watcher pings the engine every second; when it stops
//! answering, `docker` servers show `docker-unavailable` (their containers died with it) while
//! host servers keep running; when it answers again, leftovers are reaped and `on_back` runs
//! (the daemon reloads, which starts the `docker` servers again).

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use super::{Availability, DockerRuntime};

pub const INTERVAL: Duration = Duration::from_secs(1);

/// Watches until the returned handle is dropped.
pub fn spawn(
    rt: Arc<DockerRuntime>,
    on_back: impl Fn() -> BoxFuture<'static, ()> + Send + Sync + 'static,
) -> WatchHandle {
    let task = tokio::spawn(async move {
        loop {
            // Back after an outage that was seen (by this watcher or by a failed call). An
            // engine first seen here was never missed: whoever needed it connected itself, so
            // there is nothing to start again (and no reload right after the daemon's first).
            let missed = matches!(rt.availability(), Availability::Unavailable(_));
            let available = rt.check().await.is_ok();
            if available && missed {
                match rt.reap_leftovers().await {
                    Ok(0) | Err(_) => {}
                    Ok(n) => tracing::info!("removed {n} leftover container(s)"),
                }
                on_back().await;
            }
            tokio::time::sleep(INTERVAL).await;
        }
    });
    WatchHandle(task)
}

/// Stops the watcher when dropped.
pub struct WatchHandle(tokio::task::JoinHandle<()>);

impl Drop for WatchHandle {
    fn drop(&mut self) {
        self.0.abort();
    }
}
