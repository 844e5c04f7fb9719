//! `docker` mode end to end: a real dockerd, images built locally (no registry), the daemon
//! reached by the official TypeScript SDK client. The tests run one at a time (one of them stops
//! and restarts dockerd): each takes [`serial`] first.

#[path = "gateway_support.rs"]
mod gateway_support;

#[path = "docker_support.rs"]
mod docker_support;

#[path = "docker_registry.rs"]
mod docker_registry;

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use docker_support::*;
use gateway_support::wait_for;
use serde_json::{json, Value};

fn call(name: &str, arguments: Value) -> Value {
    json!({"op": "callTool", "name": name, "arguments": arguments})
}

fn assert_ok(doc: &Value) {
    assert_eq!(doc["ok"], true, "{doc:#}");
}

#[test]
fn demo_image_in_docker_mode_is_hardened_and_answers() {
    let _serial = serial();
    let image = demo_image();
    let f = fixture(&format!(
            "registry:\n  demo:\n    image: {image}\n    secrets: [{{name: demo.token, env: DEMO_TOKEN}}]\n"
        ),
        "servers:\n  demo:\n    mode: docker\n    docker: {idleTimeout: 4}\n",
    );
    let home = &f.home;
    let mut set = home
        .dockside()
        .args(["secret", "set", "demo.token"])
        .env("DOCKSIDE_SECRET_STORE", "file")
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    set.stdin
        .take()
        .unwrap()
        .write_all(b"s3cret-value-123\n")
        .unwrap();
    assert!(set.wait().unwrap().success());
    let state_text = std::fs::read_to_string(home.path().join("state.yaml")).unwrap();
    assert!(!state_text.contains("s3cret"), "{state_text}");
    let secret = |args: &[&str]| {
        home.dockside()
            .arg("secret")
            .args(args)
            .env("DOCKSIDE_SECRET_STORE", "file")
            .output()
            .unwrap()
    };
    let listed = secret(&["ls"]);
    assert_eq!(String::from_utf8_lossy(&listed.stdout), "demo.token\n");
    assert!(secret(&["rm", "nope"]).status.code() == Some(1));

    let gw = f.daemon();
    let daemon_label = gw.label();
    wait_state(home, "demo", "running", Duration::from_secs(60));
    let doc = client(
        &gw,
        home,
        "demo",
        json!([
            {"op": "listTools"},
            call("echo", json!({"message": "hi from docker"})),
            call("env", json!({})),
        ]),
    );
    assert_ok(&doc);
    let tools: Vec<&str> = doc["results"][0]["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(
        tools.contains(&"echo") && tools.contains(&"net_probe"),
        "{tools:?}"
    );
    assert!(text(&doc["results"][1]).contains("hi from docker"), "{doc}");
    assert!(
        text(&doc["results"][2]).lines().any(|l| l == "DEMO_TOKEN"),
        "{doc}"
    );

    let ids = containers(&daemon_label);
    assert_eq!(ids.len(), 1, "one container for demo: {ids:?}");
    let c = inspect(&ids[0]);
    let host = &c["HostConfig"];
    assert_eq!(host["NetworkMode"], "none", "{host:#}");
    assert_eq!(host["ReadonlyRootfs"], true);
    assert_eq!(host["CapDrop"], json!(["ALL"]));
    assert!(
        host["SecurityOpt"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o.as_str().unwrap().starts_with("no-new-privileges")),
        "{host:#}"
    );
    assert_eq!(host["Memory"], 512u64 << 20);
    assert_eq!(host["NanoCpus"], 1_000_000_000u64);
    assert_eq!(host["PidsLimit"], 256);
    assert!(host["Tmpfs"]["/tmp"].is_string(), "{host:#}");
    let labels = &c["Config"]["Labels"];
    assert_eq!(labels["dockside.managed"], "true");
    assert_eq!(labels["dockside.server"], "demo");
    assert!(labels["dockside.home"].as_str().unwrap().len() >= 8);
    assert_eq!(c["Config"]["User"], "65534:65534");
    // The secret reaches the container as env, never its command line.
    let cmdline = c["Config"]["Cmd"].to_string() + &c["Args"].to_string();
    assert!(!cmdline.contains("s3cret"), "{cmdline}");

    // On demand: idle for 4 s, the container goes; the next call brings one back and waits.
    wait_for(
        "the idle container to stop",
        Duration::from_secs(30),
        || containers(&daemon_label).is_empty().then_some(()),
    );
    let doc = client(
        &gw,
        home,
        "demo",
        json!([call("echo", json!({"message": "again"}))]),
    );
    assert_ok(&doc);
    assert!(text(&doc["results"][0]).contains("again"), "{doc}");

    // `dockside stop` leaves no container behind.
    let status = home.dockside().arg("stop").status().unwrap();
    assert!(status.success());
    let mut gw = gw;
    wait_for("the daemon to exit", Duration::from_secs(20), || {
        gw.child.try_wait().ok().flatten().map(drop)
    });
    assert!(
        containers(&daemon_label).is_empty(),
        "containers left after `dockside stop`"
    );
}

#[test]
fn network_and_mounts_are_closed_in_docker_and_open_in_managed() {
    let _serial = serial();
    let project = shared_dir();
    // World-writable, so that only the read-only mount can refuse the container's write (on
    // some filesystems a permission check would answer first, with EACCES instead of EROFS).
    set_mode(project.path(), 0o777);
    let binary = project.path().join("dockside-demo-server");
    std::fs::copy(static_demo_binary(), &binary).unwrap();
    set_mode(&binary, 0o755);
    let image = empty_image();
    let loopback = TcpListener::bind("127.0.0.1:0").unwrap();
    let bridge_ip = bridge_gateway();
    let bridge = TcpListener::bind(format!("{bridge_ip}:0")).unwrap();
    let targets = [
        loopback.local_addr().unwrap().to_string(),
        bridge.local_addr().unwrap().to_string(),
    ];
    let catalog = format!("registry:\n  probe:\n    command: [{}]\n", binary.display());
    let state = |mode: &str| {
        format!("servers:\n  probe:\n    mode: {mode}\n    runtimeImage: {image}\n    docker: {{longLived: true}}\n")
    };
    let written = project.path().join("written.txt");
    let steps = json!([
        call(
            "net_probe",
            json!({"address": targets[0], "timeout_ms": 2000})
        ),
        call(
            "net_probe",
            json!({"address": targets[1], "timeout_ms": 2000})
        ),
        call(
            "write_file",
            json!({"path": written.display().to_string(), "content": "x"})
        ),
    ]);

    let f = fixture(&catalog, &state("docker"));
    let home = &f.home;
    let gw = f.daemon();
    wait_state(home, "probe", "running", Duration::from_secs(60));
    let doc = client(&gw, home, "probe", steps.clone());
    for (i, r) in doc["results"].as_array().unwrap().iter().enumerate() {
        assert_eq!(
            r["result"]["isError"], true,
            "step {i} should fail in docker mode: {r}"
        );
    }
    assert!(
        text(&doc["results"][2]).contains("Read-only file system"),
        "{doc}"
    );
    assert!(!written.exists());
    drop(gw);

    write_state(home, &state("managed"));
    let gw = f.daemon();
    wait_state(home, "probe", "running", Duration::from_secs(60));
    let doc = client(&gw, home, "probe", steps);
    assert_ok(&doc);
    for (i, r) in doc["results"].as_array().unwrap().iter().enumerate() {
        assert_ne!(
            r["result"]["isError"], true,
            "step {i} should work in managed mode: {r}"
        );
    }
    assert!(written.exists());
}

#[test]
fn node_command_runs_in_a_locally_built_runtime_image() {
    let _serial = serial();
    let image = node_image();
    let dir = dockside_e2e::workspace_root().join("tests/fixtures/node-server");
    let script = dir.join("server.js");
    let f = fixture(
        &format!(
            "registry:\n  nodefix:\n    command: [node, {}]\n",
            script.display()
        ),
        &format!("servers:\n  nodefix:\n    mode: docker\n    runtimeImage: {image}\n"),
    );
    let home = &f.home;
    let gw = f.daemon();
    wait_state(home, "nodefix", "running", Duration::from_secs(60));
    let target = dir.join("should-not-exist.txt");
    let doc = client(
        &gw,
        home,
        "nodefix",
        json!([
            {"op": "listTools"},
            call("echo", json!({"text": "in a container"})),
            call("write_file", json!({"path": target.display().to_string(), "content": "x"})),
        ]),
    );
    assert_ok(&doc);
    assert_eq!(
        text(&doc["results"][1]),
        "node echo: in a container",
        "{doc}"
    );
    assert!(text(&doc["results"][2]).contains("EROFS"), "{doc}");
    assert!(!target.exists());
    let ids = containers(&gw.label());
    let c = inspect(&ids[0]);
    assert_eq!(c["Config"]["Image"], image);
    assert_eq!(c["Config"]["WorkingDir"], dir.display().to_string());
    let mounts = c["Mounts"].as_array().unwrap();
    assert!(
        mounts
            .iter()
            .any(|m| m["Destination"] == dir.display().to_string() && m["RW"] == false),
        "{mounts:#?}"
    );
}

#[test]
fn containers_left_by_a_killed_daemon_are_reaped_at_its_next_start() {
    let _serial = serial();
    let image = demo_image();
    let f = fixture(
        &format!("registry:\n  demo:\n    image: {image}\n"),
        "servers:\n  demo:\n    mode: docker\n    docker: {longLived: true}\n",
    );
    let home = &f.home;
    let mut gw = f.daemon();
    wait_state(home, "demo", "running", Duration::from_secs(60));
    let first = containers(&gw.label());
    assert_eq!(first.len(), 1);
    gw.child.kill().unwrap();
    gw.child.wait().unwrap();
    drop(gw);
    let gw = f.daemon();
    wait_state(home, "demo", "running", Duration::from_secs(60));
    wait_for(
        "the leftover container to go",
        Duration::from_secs(20),
        || (!docker_ok(&["inspect", &first[0]])).then_some(()),
    );
    let home_label = inspect(&containers(&gw.label())[0])["Config"]["Labels"]["dockside.home"]
        .as_str()
        .unwrap()
        .to_owned();
    drop(gw);
    wait_for(
        "no container of this home after shutdown",
        Duration::from_secs(20),
        || {
            containers(&format!("dockside.home={home_label}"))
                .is_empty()
                .then_some(())
        },
    );
}

/// Stops dockerd, checks the daemon reports it and keeps managed servers answering, then
/// starts dockerd again (as scripts/lib.sh `ensure_docker` does) and waits for the docker
/// server to come back.
#[test]
fn docker_outage_is_reported_and_recovered_without_restarting_the_daemon() {
    let _serial = serial();
    let image = demo_image();
    let demo = dockside_e2e::bin("dockside-demo-server");
    let f = fixture(&format!(
            "registry:\n  boxed:\n    image: {image}\n  host:\n    command: [{}]\n",
            demo.display()
        ),
        "servers:\n  boxed:\n    mode: docker\n    docker: {longLived: true}\n  host:\n    mode: managed\n",
    );
    let home = &f.home;
    let gw = f.daemon();
    wait_state(home, "boxed", "running", Duration::from_secs(60));
    wait_state(home, "host", "running", Duration::from_secs(60));

    let outage = DockerdOutage::start();
    let stopped = Instant::now();
    let s = wait_state(home, "boxed", "docker-unavailable", Duration::from_secs(5));
    eprintln!(
        "docker-unavailable after {:?}: {}",
        stopped.elapsed(),
        s["error"]
    );
    assert!(
        s["error"].as_str().unwrap_or_default().contains("Docker"),
        "{s}"
    );
    let doc = client(
        &gw,
        home,
        "host",
        json!([call("echo", json!({"message": "still here"}))]),
    );
    assert_ok(&doc);

    drop(outage);
    wait_state(home, "boxed", "running", Duration::from_secs(90));
    let doc = client(
        &gw,
        home,
        "boxed",
        json!([call("echo", json!({"message": "back"}))]),
    );
    assert_ok(&doc);
    assert!(text(&doc["results"][0]).contains("back"), "{doc}");
}

/// dockerd stopped for the lifetime of this value (by the pid in its pid file); started again
/// on drop, even on panic, once the old process is gone.
struct DockerdOutage {
    pid: String,
}

impl DockerdOutage {
    fn start() -> DockerdOutage {
        let pid = std::fs::read_to_string("/var/run/docker.pid")
            .expect("dockerd's pid file /var/run/docker.pid")
            .trim()
            .to_owned();
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!("kill {pid} || exit 1; for i in $(seq 1 300); do docker info >/dev/null 2>&1 || exit 0; sleep 0.1; done; exit 1"))
            .status()
            .unwrap();
        assert!(status.success(), "dockerd (pid {pid}) did not stop");
        DockerdOutage { pid }
    }
}

impl Drop for DockerdOutage {
    fn drop(&mut self) {
        let script = format!(
            "for i in $(seq 1 600); do [ -e /proc/{pid} ] || break; sleep 0.1; done; \
             nohup dockerd >/tmp/dockside-dockerd.log 2>&1 & \
             for i in $(seq 1 120); do docker info >/dev/null 2>&1 && exit 0; sleep 0.5; done; exit 1",
            pid = self.pid
        );
        let _ = Command::new("sh").arg("-c").arg(script).status();
        require_docker();
    }
}

/// managed → docker → managed with `dockside server mode` while one TypeScript SDK client stays
/// connected: it is told the tools changed (list_changed) and its calls keep working.
#[test]
fn switching_modes_keeps_a_connected_client_working() {
    let _serial = serial();
    let image = demo_image();
    let demo = dockside_e2e::bin("dockside-demo-server");
    let f = fixture(
        &format!(
            "registry:\n  demo:\n    image: {image}\n    x-dockside: {{hostCommand: [{}]}}\n",
            demo.display()
        ),
        "servers:\n  demo:\n    mode: managed\n",
    );
    let home = &f.home;
    let gw = f.daemon();
    wait_state(home, "demo", "running", Duration::from_secs(60));
    let daemon_label = gw.label();
    let listed = |count: u32| json!({"op": "waitForNotification", "method": "notifications/tools/list_changed", "count": count, "timeoutMs": 120000});
    let echo = |m: &str| call("echo", json!({"message": m}));
    let steps = json!([
        echo("managed"),
        listed(1),
        {"op": "wait", "ms": 1500},
        {"op": "listTools"},
        echo("docker 1"),
        {"op": "wait", "ms": 500},
        echo("docker 2"),
        listed(2),
        {"op": "wait", "ms": 1500},
        echo("managed again"),
    ]);
    let client = {
        let token = gateway_support::token(home);
        let url = gw.url("/mcp/demo");
        std::thread::spawn(move || {
            dockside_e2e::mcp_client(&json!({
                "connect": {"url": url, "headers": {"Authorization": format!("Bearer {token}")}},
                "timeoutMs": 90000,
                "steps": steps,
            }))
        })
    };
    let sessions = || -> u64 {
        let out = home.dockside().args(["status", "--json"]).output().unwrap();
        serde_json::from_slice::<Value>(&out.stdout).unwrap_or_default()["status"]["sessions"]
            .as_u64()
            .unwrap_or(0)
    };
    wait_for("the client to connect", Duration::from_secs(30), || {
        (sessions() > 0).then_some(())
    });
    // Tool calls the daemon has answered (kept across mode changes): the client's progress.
    let calls = || -> u64 {
        let (_, m) = gateway_support::api(&gw.addr, &gw.token, "GET", "/api/metrics", None);
        m["servers"][0]["calls"].as_u64().unwrap_or(0)
    };
    wait_for("the call in managed mode", Duration::from_secs(30), || {
        (calls() >= 1).then_some(())
    });
    let mode = |m: &str| {
        let out = home
            .dockside()
            .args(["server", "mode", "demo", m])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    mode("docker");
    wait_for("the demo container", Duration::from_secs(60), || {
        (!containers(&daemon_label).is_empty()).then_some(())
    });
    wait_state(home, "demo", "running", Duration::from_secs(60));
    wait_for("both calls in docker mode", Duration::from_secs(60), || {
        (calls() >= 3).then_some(())
    });
    mode("managed");
    wait_for("the container to go", Duration::from_secs(60), || {
        containers(&daemon_label).is_empty().then_some(())
    });
    let doc = client.join().unwrap();
    assert_ok(&doc);
    let results = doc["results"].as_array().unwrap();
    for (i, label) in [
        (0, "managed"),
        (4, "docker 1"),
        (6, "docker 2"),
        (9, "managed again"),
    ] {
        assert_eq!(text(&results[i]), label, "step {i}: {doc:#}");
    }
}

/// `dockside server image NAME --build` builds the Dockerfile in the server's directory and makes
/// it the runtime image; a missing image that cannot be pulled fails with what to do.
#[test]
fn images_are_built_locally_and_missing_ones_explain_the_fix() {
    let _serial = serial();
    let base = empty_image();
    let project = shared_dir();
    let binary = project.path().join("dockside-demo-server");
    std::fs::copy(static_demo_binary(), &binary).unwrap();
    set_mode(&binary, 0o755);
    std::fs::write(
        project.path().join("Dockerfile"),
        format!("FROM {base}\nLABEL dockside.test=built\n"),
    )
    .unwrap();
    let missing = "127.0.0.1:9/dockside-test/missing:nope";
    let f = fixture(
        &format!(
            "registry:\n  built:\n    command: [{}]\n  missing:\n    image: {missing}\n",
            binary.display()
        ),
        "servers:\n  built:\n    mode: docker\n  missing:\n    mode: docker\n",
    );
    let home = &f.home;
    let out = home
        .dockside()
        .args(["server", "image", "built", "--build"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "dockside/built:local"
    );
    let label = docker(&[
        "image",
        "inspect",
        "dockside/built:local",
        "--format",
        "{{index .Config.Labels \"dockside.test\"}}",
    ]);
    assert_eq!(label, "built");
    let state = std::fs::read_to_string(home.path().join("state.yaml")).unwrap();
    assert!(
        state.contains("runtimeImage: dockside/built:local"),
        "{state}"
    );

    let out = home
        .dockside()
        .args(["server", "image", "missing", "--pull"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("no image registry") && stderr.contains("--build"),
        "{stderr}"
    );

    let gw = f.daemon();
    wait_state(home, "built", "running", Duration::from_secs(60));
    let doc = client(
        &gw,
        home,
        "built",
        json!([call("echo", json!({"message": "built here"}))]),
    );
    assert_ok(&doc);
    let failed = wait_state(home, "missing", "failed", Duration::from_secs(60));
    let error = failed["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("pulling it failed")
            && error.contains("dockside server image missing --build"),
        "{failed}"
    );
}

/// `dockside doctor --json` with Docker reachable and with DOCKER_HOST pointing nowhere.
#[test]
fn doctor_reports_docker_and_each_server() {
    let _serial = serial();
    let image = demo_image();
    let demo = dockside_e2e::bin("dockside-demo-server");
    let f = fixture(&format!(
            "registry:\n  boxed:\n    image: {image}\n    x-dockside: {{hostCommand: [{}]}}\n  nohost:\n    command: [dockside-no-such-program]\n",
            demo.display()
        ),
        "servers:\n  boxed:\n    mode: docker\n  nohost:\n    mode: managed\n",
    );
    let home = &f.home;
    let doctor = |docker_host: Option<&str>| -> Value {
        let mut cmd = home.dockside();
        cmd.args(["doctor", "--json"]);
        if let Some(h) = docker_host {
            cmd.env("DOCKER_HOST", h);
        }
        let out = cmd.output().unwrap();
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "doctor printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
    };
    let server = |doc: &Value, name: &str| -> Value {
        doc["servers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .cloned()
            .unwrap()
    };
    let doc = doctor(None);
    assert_eq!(doc["checks"][0]["ok"], true, "{doc:#}");
    assert!(
        doc["checks"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("API 1."),
        "{doc:#}"
    );
    assert_eq!(server(&doc, "boxed")["ok"], true, "{doc:#}");
    let nohost = server(&doc, "nohost");
    assert_eq!(nohost["ok"], false);
    assert!(
        nohost["detail"].as_str().unwrap().contains("not on PATH"),
        "{nohost}"
    );
    assert_eq!(doc["ok"], false);

    let doc = doctor(Some("unix:///nonexistent/docker.sock"));
    let engine = &doc["checks"][0];
    assert_eq!(engine["ok"], false, "{doc:#}");
    assert!(
        engine["detail"]
            .as_str()
            .unwrap()
            .contains("no socket at /nonexistent/docker.sock"),
        "{engine}"
    );
    let boxed = server(&doc, "boxed");
    assert_eq!(boxed["ok"], false);

    // As a user outside the `docker` group (nobody), the socket refuses: permission denied.
    let readable = shared_dir();
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(dockside_e2e::bin("dockside"))
        .args(["doctor", "--json"])
        .env("DOCKSIDE_HOME", readable.path())
        .env_remove("DOCKER_HOST")
        .output()
        .expect("run setpriv (util-linux); this test runs as root, as scripts/test does");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor as nobody printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let engine = &doc["checks"][0];
    assert!(
        engine["detail"]
            .as_str()
            .unwrap()
            .starts_with("permission denied on")
            && engine["detail"].as_str().unwrap().contains("docker` group"),
        "{engine}"
    );
    assert!(
        boxed["fix"]
            .as_str()
            .unwrap()
            .contains("dockside server mode boxed managed"),
        "{boxed}"
    );
}

/// `allowHosts`: the container sits on an internal network and reaches the listed host:port
/// only through the gateway's proxy; the proxy refuses anything else.
#[test]
fn allow_hosts_go_through_the_egress_proxy_only() {
    let _serial = serial();
    let image = node_image();
    let script = dockside_e2e::workspace_root().join("tests/fixtures/node-server/server.js");
    let allowed = TcpListener::bind("127.0.0.1:0").unwrap();
    let refused = TcpListener::bind("127.0.0.1:0").unwrap();
    let allowed = allowed.local_addr().unwrap().to_string();
    let refused = refused.local_addr().unwrap().to_string();
    let f = fixture(
        &format!(
            "registry:\n  egress:\n    command: [node, {}]\n    allowHosts: ['{allowed}']\n",
            script.display()
        ),
        &format!("servers:\n  egress:\n    mode: docker\n    runtimeImage: {image}\n"),
    );
    let home = &f.home;
    let gw = f.daemon();
    wait_state(home, "egress", "running", Duration::from_secs(60));
    let doc = client(
        &gw,
        home,
        "egress",
        json!([
            call("proxy_connect", json!({"target": allowed})),
            call("proxy_connect", json!({"target": refused})),
        ]),
    );
    assert_ok(&doc);
    assert!(
        text(&doc["results"][0]).starts_with("HTTP/1.1 200"),
        "{doc:#}"
    );
    assert!(
        text(&doc["results"][1]).starts_with("HTTP/1.1 403"),
        "{doc:#}"
    );
    let ids = containers(&gw.label());
    let network = inspect(&ids[0])["HostConfig"]["NetworkMode"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(network.starts_with("dockside-egress-"), "{network}");
    let internal = docker(&["network", "inspect", &network, "--format", "{{.Internal}}"]);
    assert_eq!(internal, "true");
}

/// A missing image is pulled (here from a registry the test serves on 127.0.0.1), with progress
/// events on the daemon's event stream.
#[test]
fn missing_images_are_pulled_with_progress_events() {
    let _serial = serial();
    let binary = static_demo_binary();
    let registry = docker_registry::Registry::start(
        "dockside-test/pulled",
        "1",
        &[("/dockside-demo-server", &binary, 0o755)],
        &["/dockside-demo-server"],
    );
    let image = format!("127.0.0.1:{}/dockside-test/pulled:1", registry.port);
    let _ = docker_ok(&["rmi", "-f", &image]);
    let f = fixture(
        &format!("registry:\n  pulled:\n    image: {image}\n"),
        "servers:\n  pulled:\n    mode: off\n",
    );
    let home = &f.home;
    let gw = f.daemon();
    let mark = gw.events.mark();
    let out = home
        .dockside()
        .args(["server", "mode", "pulled", "docker"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let done = gw
        .events
        .wait_from(mark, "the pull to finish", Duration::from_secs(120), |e| {
            e["type"] == "image-pull-progress" && e["done"] == true
        });
    assert_eq!(done["server"], "pulled", "{done}");
    assert_eq!(done["image"], image.as_str());
    assert_eq!(done["layers_total"], 1, "{done}");
    assert_eq!(done["layers_done"], 1, "{done}");
    assert!(done["bytes_total"].as_u64().unwrap() > 1_000_000, "{done}");
    wait_state(home, "pulled", "running", Duration::from_secs(60));
    let doc = client(
        &gw,
        home,
        "pulled",
        json!([call("echo", json!({"message": "pulled"}))]),
    );
    assert_ok(&doc);
    drop(gw);
    let _ = docker_ok(&["rmi", "-f", &image]);
}
