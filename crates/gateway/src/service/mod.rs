//! Layer 5, service: Dockside's gateway as a program — its options ([`options`]: the one place a
//! gateway is assembled), the catalog selection ([`config`]), `gateway run` ([`run`]) and the
//! long-lived `daemon` with its control API ([`daemon`]); a pinned package server made ready to
//! run in a mode ([`packages`]); remote servers' OAuth sign-in behind the upstream's auth seam
//! ([`sign_in`]).

pub mod config;
pub mod daemon;
pub mod options;
pub mod packages;
pub mod run;
pub mod sign_in;

/// What a broadcast receiver gets, as a stream; messages it fell behind on are skipped.
pub(crate) fn received<T: Clone + Send + 'static>(
    rx: tokio::sync::broadcast::Receiver<T>,
) -> impl futures::Stream<Item = T> {
    futures::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(item) => return Some((item, rx)),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => return None,
            }
        }
    })
}
