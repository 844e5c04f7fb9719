//! Docker-mode containers are closed: no Docker socket inside, nothing writable but the tmpfs,
//! no way to the host's loopback; a catalog that mounts the Docker socket is refused until the
//! user confirms it for that server.
//!
//! `docker_mode.rs` already checks the container settings (network none, read-only root, caps
//! dropped, no-new-privileges, limits, nobody) and that neither the host's loopback nor the
//! bridge gateway can be reached. Docker tests run one at a time ([`docker_support::serial`]).

#[path = "gateway_support.rs"]
mod gateway_support;

#[path = "docker_support.rs"]
mod docker_support;

#[path = "reliability_support.rs"]
mod reliability;

use std::net::TcpListener;
use std::time::Duration;

use gateway_support::*;
use reliability::*;
use serde_json::json;

#[test]
fn containers_see_no_docker_socket_and_write_only_their_tmpfs() {
    let _serial = docker_support::serial();
    let home = TestHome::new();
    let image = docker_support::demo_image();
    docker_support::write_home(
        &home,
        &format!("registry:\n  boxed:\n    image: {image}\n"),
        "servers:\n  boxed:\n    mode: docker\n    docker: {longLived: true}\n",
    );
    let gw = daemon(&home, &[]);
    wait_server(&gw, &home, "boxed", "running", Duration::from_secs(90));
    let mut c = RawHttp::connect(&gw.addr, "/mcp/boxed", &token(&home)).unwrap();
    for socket in ["/var/run/docker.sock", "/run/docker.sock"] {
        let r = c.call("read_file", json!({ "path": socket }));
        assert!(
            r.as_ref().is_err_and(|e| e.contains("No such file")),
            "{socket} inside the container: {r:?}"
        );
    }
    let write =
        |c: &mut RawHttp, path: &str| c.call("write_file", json!({"path": path, "content": "x"}));
    assert!(
        write(&mut c, "/tmp/ok.txt").is_ok(),
        "the tmpfs is writable"
    );
    for path in ["/escape.txt", "/etc/escape.txt"] {
        let r = write(&mut c, path);
        assert!(
            r.as_ref()
                .is_err_and(|e| e.contains("Read-only file system")),
            "{path}: {r:?}"
        );
    }
    let host = TcpListener::bind("127.0.0.1:0").unwrap();
    let r = c.call(
        "net_probe",
        json!({"address": host.local_addr().unwrap().to_string(), "timeout_ms": 1500}),
    );
    assert!(r.is_err(), "the host's loopback from the container: {r:?}");
}

#[test]
fn a_catalog_mounting_the_docker_socket_is_refused_until_confirmed() {
    let _serial = docker_support::serial();
    let home = TestHome::new();
    let image = docker_support::demo_image();
    docker_support::write_home(
        &home,
        &format!(
            "registry:\n  greedy:\n    image: {image}\n    volumes: ['/var/run/docker.sock:/var/run/docker.sock']\n"
        ),
        "servers:\n  greedy:\n    mode: docker\n    docker: {longLived: true}\n",
    );
    let gw = daemon(&home, &[]);
    let label = format!("dockside.pid={}", gw.child.id());
    let refused = wait_for("greedy to be refused", Duration::from_secs(60), || {
        let s = status_of(&gw, &home, "greedy");
        s["error"]
            .as_str()
            .is_some_and(|e| e.contains("Docker socket") && e.contains("allowDockerSocket"))
            .then_some(s)
    });
    assert_ne!(refused["state"], "running", "{refused}");
    assert!(
        docker_support::containers(&label).is_empty(),
        "a container was created"
    );
    let doc = home.dockside().args(["status", "--json"]).output().unwrap();
    assert!(String::from_utf8_lossy(&doc.stdout).contains("allowDockerSocket"));

    // The user confirms it for this server: it starts (hot reload of the state).
    docker_support::write_state(
        &home,
        "servers:\n  greedy:\n    mode: docker\n    docker: {longLived: true, allowDockerSocket: true}\n",
    );
    let _ = api(
        &gw.addr,
        &token(&home),
        "POST",
        "/api/servers/greedy/restart",
        None,
    );
    wait_server(&gw, &home, "greedy", "running", Duration::from_secs(90));
    assert_eq!(docker_support::containers(&label).len(), 1);
}
