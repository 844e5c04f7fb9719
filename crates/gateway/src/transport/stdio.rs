//! The stdio transport: one client session over this process's stdin/stdout.

use tokio::io::{AsyncRead, AsyncWrite};

use crate::engine::gateway::Gateway;
use crate::protocol::peer;

/// Serves one session (aggregated or scoped) over the given streams until the input ends.
pub async fn serve<R, W>(gw: &Gateway, scope: Option<String>, input: R, output: W)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (session, out_rx) = gw.open_session(scope);
    let writer = tokio::spawn(peer::write_lines(output, out_rx));
    let end = peer::read_lines(
        input,
        "client",
        peer::NonJson::Skip,
        peer::MAX_LINE,
        |msg| session.handle(msg),
    )
    .await;
    if let Err(why) = end {
        tracing::warn!("the client {why}; closing its session");
    }
    session.close();
    drop(session);
    // Let the last replies drain; the writer ends when every sender is gone.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), writer).await;
}

/// Serves one session over stdin/stdout.
pub async fn serve_stdio(gw: &Gateway, scope: Option<String>) {
    serve(gw, scope, tokio::io::stdin(), tokio::io::stdout()).await
}
