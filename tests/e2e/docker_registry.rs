//! A tiny Docker registry (Registry HTTP API v2, read-only, plain HTTP on 127.0.0.1) serving one
//! image, so a real `docker pull` — and Dockside's pull progress — can be tested without any
//! registry on the network. Docker treats 127.0.0.0/8 registries as insecure, so plain HTTP is
//! fine. `#[path]`-included by `docker_mode.rs`.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;

use serde_json::json;
use sha2::{Digest, Sha256};

pub struct Registry {
    pub port: u16,
}

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// An uncompressed layer holding `files` (path in the image, host file, mode).
fn layer(files: &[(&str, &Path, u32)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.append_dir("tmp", ".").unwrap();
    // A layer Docker has never seen (it skips layers it already has, progress and all).
    let nonce = format!("{:?}", std::time::SystemTime::now());
    let mut header = tar::Header::new_gnu();
    header.set_size(nonce.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    builder
        .append_data(&mut header, "nonce", nonce.as_bytes())
        .unwrap();
    for (path, source, mode) in files {
        let data = std::fs::read(source).unwrap();
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(*mode);
        header.set_cksum();
        builder
            .append_data(&mut header, path.trim_start_matches('/'), data.as_slice())
            .unwrap();
    }
    builder.into_inner().unwrap()
}

impl Registry {
    /// Serves `name:tag`: one layer with `files`, run as `entrypoint` by nobody.
    pub fn start(
        name: &str,
        tag: &str,
        files: &[(&str, &Path, u32)],
        entrypoint: &[&str],
    ) -> Registry {
        let layer = layer(files);
        let layer_digest = digest(&layer);
        let config = serde_json::to_vec(&json!({
            "architecture": "amd64",
            "os": "linux",
            "config": {"Entrypoint": entrypoint, "User": "65534:65534"},
            "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
        }))
        .unwrap();
        let config_digest = digest(&config);
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": config.len(), "digest": config_digest},
            "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": layer.len(), "digest": layer_digest}],
        }))
        .unwrap();
        let manifest_digest = digest(&manifest);
        let mut routes: HashMap<String, (String, Vec<u8>, String)> = HashMap::new();
        let manifest_type = "application/vnd.docker.distribution.manifest.v2+json".to_owned();
        for reference in [tag.to_owned(), manifest_digest.clone()] {
            routes.insert(
                format!("/v2/{name}/manifests/{reference}"),
                (
                    manifest_type.clone(),
                    manifest.clone(),
                    manifest_digest.clone(),
                ),
            );
        }
        routes.insert(
            format!("/v2/{name}/blobs/{config_digest}"),
            (
                "application/octet-stream".into(),
                config,
                config_digest.clone(),
            ),
        );
        routes.insert(
            format!("/v2/{name}/blobs/{layer_digest}"),
            (
                "application/octet-stream".into(),
                layer,
                layer_digest.clone(),
            ),
        );
        routes.insert(
            "/v2/".into(),
            ("application/json".into(), b"{}".to_vec(), String::new()),
        );
        let routes = Arc::new(routes);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let routes = routes.clone();
                std::thread::spawn(move || serve(stream, &routes));
            }
        });
        Registry { port }
    }
}

fn serve(stream: TcpStream, routes: &HashMap<String, (String, Vec<u8>, String)>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(path)) = (parts.next(), parts.next()) else {
        return; // e.g. a TLS handshake: Docker then retries over plain HTTP
    };
    let method = method.to_owned();
    let path = path.split('?').next().unwrap_or_default().to_owned();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
    }
    let mut stream = stream;
    let response = match routes.get(&path) {
        Some((kind, body, digest)) => {
            let mut head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nDocker-Distribution-API-Version: registry/2.0\r\nConnection: close\r\n",
                body.len()
            );
            if !digest.is_empty() {
                head.push_str(&format!("Docker-Content-Digest: {digest}\r\n"));
            }
            head.push_str("\r\n");
            let mut bytes = head.into_bytes();
            if method != "HEAD" {
                bytes.extend_from_slice(body);
            }
            bytes
        }
        None => {
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
        }
    };
    let _ = stream.write_all(&response);
}
