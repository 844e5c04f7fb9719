//! Images: used when present, pulled when missing (progress on the event stream: bytes and
//! layers), built from a Dockerfile on request (`dockside server image NAME --build`).

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use bollard::models::ImageInspect;
use bollard::query_parameters::{BuildImageOptionsBuilder, CreateImageOptionsBuilder};
use bollard::Docker;
use dockside_api::Event;
use futures::StreamExt;

use super::DockerRuntime;

/// Pull progress, summed over layers.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PullProgress {
    pub layers_done: u32,
    pub layers_total: u32,
    pub bytes_done: u64,
    pub bytes_total: u64,
}

impl std::fmt::Display for PullProgress {
    /// `3/5 layers, 12.3/40.1 MB`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{} layers, {:.1}/{:.1} MB",
            self.layers_done,
            self.layers_total,
            self.bytes_done as f64 / 1e6,
            self.bytes_total as f64 / 1e6
        )
    }
}

#[derive(Default)]
struct Layers {
    /// layer id → (downloaded, total, done)
    layers: HashMap<String, (u64, u64, bool)>,
}

impl Layers {
    fn update(&mut self, info: &bollard::models::CreateImageInfo) {
        let Some(id) = info.id.clone() else { return };
        let status = info.status.as_deref().unwrap_or_default();
        // Only layer statuses: "Pulling from …" carries the tag as its id.
        const LAYER: &[&str] = &[
            "Pulling fs layer",
            "Waiting",
            "Downloading",
            "Verifying Checksum",
            "Download complete",
            "Extracting",
            "Pull complete",
            "Already exists",
        ];
        if !LAYER.contains(&status) {
            return;
        }
        let entry = self.layers.entry(id).or_default();
        if status == "Downloading" {
            if let Some(detail) = &info.progress_detail {
                entry.0 = detail.current.unwrap_or(0).max(0) as u64;
                entry.1 = detail.total.unwrap_or(0).max(0) as u64;
            }
        }
        if matches!(
            status,
            "Pull complete" | "Already exists" | "Download complete"
        ) {
            entry.0 = entry.1.max(entry.0);
        }
        if matches!(status, "Pull complete" | "Already exists") {
            entry.2 = true;
        }
    }

    fn progress(&self) -> PullProgress {
        PullProgress {
            layers_done: self.layers.values().filter(|l| l.2).count() as u32,
            layers_total: self.layers.len() as u32,
            bytes_done: self.layers.values().map(|l| l.0).sum(),
            bytes_total: self.layers.values().map(|l| l.1).sum(),
        }
    }
}

/// What to tell users when an image is missing and cannot be pulled.
pub fn pull_hint(server: &str) -> String {
    format!(
        "if no image registry is reachable from here, build or load the image locally \
         (`dockside server image {server} --build` with a Dockerfile in the server's directory, \
         `docker load`, or `docker import`), or point the server at a local image \
         (`dockside server edit {server} --runtime-image IMAGE`, or the catalog's `image`)"
    )
}

/// The image's details, pulling it first when it is missing.
pub async fn ensure(
    rt: &DockerRuntime,
    docker: &Docker,
    server: &str,
    image: &str,
) -> Result<ImageInspect, String> {
    match docker.inspect_image(image).await {
        Ok(found) => return Ok(found),
        Err(e) if super::engine::is_not_found(&e) => {}
        Err(e) => {
            let u = rt.lost(&e.to_string()).await;
            return Err(format!("cannot look up image `{image}`: {u}"));
        }
    }
    tracing::info!(server = %server, "pulling image {image}");
    pull(docker, image, |p, done| {
        rt.emit(Event::ImagePullProgress {
            server: server.to_owned(),
            image: image.to_owned(),
            layers_done: p.layers_done,
            layers_total: p.layers_total,
            bytes_done: p.bytes_done,
            bytes_total: p.bytes_total,
            done,
        })
    })
    .await
    .map_err(|e| {
        format!(
            "image `{image}` is not on this machine and pulling it failed: {e}; {}",
            pull_hint(server)
        )
    })?;
    docker
        .inspect_image(image)
        .await
        .map_err(|e| format!("image `{image}` was pulled but cannot be inspected: {e}"))
}

/// Pulls `image`, reporting progress at most every 200 ms (and once at the end, `done`).
pub async fn pull(
    docker: &Docker,
    image: &str,
    mut progress: impl FnMut(&PullProgress, bool),
) -> Result<PullProgress, String> {
    let options = CreateImageOptionsBuilder::default()
        .from_image(image)
        .build();
    let mut stream = docker.create_image(Some(options), None, None);
    let mut layers = Layers::default();
    let mut last = Instant::now() - Duration::from_secs(1);
    while let Some(item) = stream.next().await {
        let info = item.map_err(|e| e.to_string())?;
        tracing::debug!(image, "pull: {:?} {:?}", info.id, info.status);
        layers.update(&info);
        if last.elapsed() >= Duration::from_millis(200) {
            last = Instant::now();
            progress(&layers.progress(), false);
        }
    }
    let done = layers.progress();
    progress(&done, true);
    Ok(done)
}

/// Every `repo:tag` on this engine.
pub async fn local_tags(docker: &Docker) -> Vec<String> {
    docker
        .list_images(None::<bollard::query_parameters::ListImagesOptions>)
        .await
        .map(|list| list.into_iter().flat_map(|i| i.repo_tags).collect())
        .unwrap_or_default()
}

/// What a project's build context leaves out.
pub const SOURCE_SKIP: &[&str] = &[".git", "node_modules", "target"];

/// Builds `dir`'s Dockerfile as `tag` (the context leaves out the names in `skip`), passing each
/// output line to `line`.
pub async fn build(
    docker: &Docker,
    dir: &Path,
    tag: &str,
    skip: &'static [&'static str],
    mut line: impl FnMut(&str),
) -> Result<(), String> {
    let dockerfile = dir.join("Dockerfile");
    if !dockerfile.is_file() {
        return Err(format!(
            "no Dockerfile in {}: write one there (e.g. FROM node:22-slim, COPY . /app) or pick an image with `--runtime-image`",
            dir.display()
        ));
    }
    let dir_owned = dir.to_owned();
    let context = tokio::task::spawn_blocking(move || tar_dir(&dir_owned, skip))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot pack {} for the build: {e}", dir.display()))?;
    let options = BuildImageOptionsBuilder::default()
        .dockerfile("Dockerfile")
        .t(tag)
        .rm(true)
        .build();
    let mut stream = docker.build_image(options, None, Some(bollard::body_full(context.into())));
    while let Some(item) = stream.next().await {
        let info = item.map_err(|e| e.to_string())?;
        if let Some(error) = info.error_detail.and_then(|d| d.message) {
            return Err(error);
        }
        if let Some(text) = info.stream.or(info.status) {
            for l in text.lines().filter(|l| !l.trim().is_empty()) {
                line(l);
            }
        }
    }
    Ok(())
}

/// A tar of a build context, without the entries named in `skip`.
fn tar_dir(dir: &Path, skip: &[&str]) -> std::io::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    let mut stack = vec![dir.to_owned()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current)? {
            let entry = entry?;
            let path = entry.path();
            let name = entry.file_name();
            if name.to_str().is_some_and(|n| skip.contains(&n)) {
                continue;
            }
            let relative = path.strip_prefix(dir).expect("under the context");
            if entry.file_type()?.is_dir() {
                builder.append_dir(relative, &path)?;
                stack.push(path);
            } else {
                builder.append_path_with_name(&path, relative)?;
            }
        }
    }
    builder.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_reads_as_layers_and_megabytes() {
        let p = PullProgress {
            layers_done: 3,
            layers_total: 5,
            bytes_done: 12_340_000,
            bytes_total: 40_060_000,
        };
        assert_eq!(p.to_string(), "3/5 layers, 12.3/40.1 MB");
    }

    #[test]
    fn sums_layers() {
        let mut layers = Layers::default();
        let info =
            |id: &str, status: &str, current: i64, total: i64| bollard::models::CreateImageInfo {
                id: Some(id.into()),
                status: Some(status.into()),
                progress_detail: Some(bollard::models::ProgressDetail {
                    current: Some(current),
                    total: Some(total),
                }),
                ..Default::default()
            };
        layers.update(&info("a", "Downloading", 5, 10));
        layers.update(&info("b", "Already exists", 0, 0));
        layers.update(&info("1", "Pulling from x/y", 0, 0));
        assert_eq!(
            layers.progress(),
            PullProgress {
                layers_done: 1,
                layers_total: 2,
                bytes_done: 5,
                bytes_total: 10
            }
        );
        layers.update(&info("a", "Pull complete", 0, 0));
        assert_eq!(layers.progress().layers_done, 2);
        assert_eq!(layers.progress().bytes_done, 10);
    }
}
