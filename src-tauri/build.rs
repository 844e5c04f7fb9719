use std::path::Path;

/// Commands the UI may call; each gets an `allow-<command>` permission that
/// `capabilities/default.json` grants to the main window (nothing else is reachable).
const COMMANDS: &[&str] = &[
    "list_servers",
    "set_mode",
    "restart_server",
    "gateway_state",
    "set_paused",
    "get_prefs",
    "set_prefs",
    "recent_logs",
    "latency",
    "catalog_view",
    "validate_server",
    "save_server",
    "remove_server",
    "server_yaml",
    "parse_server_yaml",
    "import_catalog",
    "list_clients",
    "connect_client",
    "disconnect_client",
    "client_diff",
    "import_client",
    "production_plan",
    "switch_production",
    "switch_development",
    "list_secrets",
    "set_secret",
    "remove_secret",
    "ui_ready",
];

fn main() {
    // Tauri embeds the built web UI (`build.frontendDist` in tauri.conf.json) at compile
    // time. `ui/dist` is not committed, so say plainly how to make it instead of letting
    // tauri's macro fail with an obscure error.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let repo = Path::new(&manifest_dir)
        .parent()
        .expect("src-tauri lives inside the repository");
    let index = repo.join("ui/dist/index.html");
    println!("cargo:rerun-if-changed=../ui/dist/index.html");
    if !index.is_file() {
        eprintln!(
            "\nerror: the Dockside web UI is not built ({} is missing).\n\
             Build it first, from the repository root:\n\n    \
             npm --prefix ui ci && npm --prefix ui run build\n",
            index.display()
        );
        std::process::exit(1);
    }

    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
