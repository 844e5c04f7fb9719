//! Getting a pinned package server ready to run in a mode: installed in the store (`managed`,
//! and the source of its image), and for `docker` its image built `FROM` the runtime image with
//! the install copied in. Used by the production switch's pre-flight and by `dockside server
//! mode|install|update`; the daemon never downloads anything when it starts a server.

use dockside_core::catalog::Server;
use dockside_core::launch;
use dockside_core::packages::{Package, Store};
use dockside_core::state::ServerState;
use dockside_core::{Mode, Workspace};
use dockside_docker::image;

/// What [`ensure`] did for the image, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageOutcome {
    Present,
    Built,
}

/// Makes `server` (in `state`) ready to run in `mode` when it is a pinned package server: its
/// package installed in `store`, and in `docker` mode its image built; `say` hears each step.
/// Returns the image outcome in `docker` mode, `None` otherwise.
pub async fn ensure(
    store: &Store,
    server: &Server,
    state: &ServerState,
    mode: Mode,
    docker: Option<&bollard::Docker>,
    say: &(dyn Fn(&str) + Send + Sync),
) -> Result<Option<ImageOutcome>, String> {
    let Some(package) = server
        .package()
        .filter(|_| launch::runs_install(server, state, mode))
    else {
        return Ok(None);
    };
    install(store, package, say).await?;
    if mode != Mode::Docker {
        return Ok(None);
    }
    let docker = docker.ok_or("Docker is not usable")?;
    let base = launch::runtime_image(server, state).unwrap_or_default();
    build_image(docker, store, package, &base, say)
        .await
        .map(Some)
}

/// [`ensure`] for server `name` of `ws`.
pub async fn ensure_named(
    ws: &Workspace,
    name: &str,
    mode: Mode,
    docker: Option<&bollard::Docker>,
    say: &(dyn Fn(&str) + Send + Sync),
) -> Result<Option<ImageOutcome>, String> {
    let entry = ws
        .server(name)
        .ok_or_else(|| format!("no server named `{name}`"))?;
    ensure(
        &ws.packages(),
        entry.server,
        &entry.state,
        mode,
        docker,
        say,
    )
    .await
}

async fn install(
    store: &Store,
    package: &Package,
    say: &(dyn Fn(&str) + Send + Sync),
) -> Result<(), String> {
    if store.is_installed(package) {
        return Ok(());
    }
    let (store, package) = (store.clone(), package.clone());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let job = tokio::task::spawn_blocking(move || {
        store.install(&package, &mut |line| {
            let _ = tx.send(line.to_owned());
        })
    });
    while let Some(line) = rx.recv().await {
        say(&line);
    }
    job.await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

/// The package's image from `base`, built unless present.
async fn build_image(
    docker: &bollard::Docker,
    store: &Store,
    package: &Package,
    base: &str,
    say: &(dyn Fn(&str) + Send + Sync),
) -> Result<ImageOutcome, String> {
    let tag = package.image_tag(base);
    if docker.inspect_image(&tag).await.is_ok() {
        say(&format!("image {tag} is present"));
        return Ok(ImageOutcome::Present);
    }
    if docker.inspect_image(base).await.is_err() {
        say(&format!("pulling {base}"));
        image::pull(docker, base, |p, done| {
            say(&format!(
                "pulling {base}: {p}{}",
                if done { " (done)" } else { "" }
            ))
        })
        .await
        .map_err(|e| {
            format!(
                "the runtime image {base} is not on this machine and pulling it failed: {e}; \
                 load it (`docker load`) or pick another one with \
                 `dockside server edit NAME --runtime-image IMAGE`"
            )
        })?;
    }
    let context = store.image_context(package);
    let dockerfile = context.join("Dockerfile");
    tokio::fs::write(&dockerfile, Store::dockerfile(package, base))
        .await
        .map_err(|e| format!("cannot write {}: {e}", dockerfile.display()))?;
    say(&format!(
        "building {tag} from {base} with {}",
        package.label()
    ));
    // Docker's own lines, step by step; pip's and npm's detail only in an error.
    image::build(docker, &context, &tag, &[], |line| {
        if line.starts_with("Step ") {
            say(line)
        }
    })
    .await
    .map_err(|e| format!("building the image of {} failed: {e}", package.label()))?;
    Ok(ImageOutcome::Built)
}
