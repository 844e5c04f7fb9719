# Shared helpers of the app end-to-end tests (sourced).
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
# Cargo's target folder (`CARGO_TARGET_DIR`, else `target/`): the built app, CLI and bundles.
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
APP="${APP:-$TARGET_DIR/debug/dockside-app}"
TRAY="${TRAY:-$TARGET_DIR/debug/dockside-tray}"
DOCKSIDE="${DOCKSIDE:-$TARGET_DIR/debug/dockside}"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
fail() {
  log "FAILED: $*"
  exit 1
}

need() {
  local missing=()
  for tool in "$@"; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  [ ${#missing[@]} -eq 0 ] || fail "missing tools: ${missing[*]}"
}

# A fresh world for one test: the built app and CLI, a temporary WORK folder holding
# DOCKSIDE_HOME and HOME (exported), the demo catalog installed, and on exit the daemon stopped
# and WORK removed (kept with KEEP_WORK=1).
setup_work() {
  [ -x "$APP" ] && [ -x "$TRAY" ] && [ -x "$DOCKSIDE" ] || fail "build first: cargo build --workspace --bins"
  WORK="$(mktemp -d)"
  export WORK APP TRAY DOCKSIDE DOCKSIDE_HOME="$WORK/home" HOME="$WORK/user" XDG_CONFIG_HOME="$WORK/user/.config" NO_AT_BRIDGE=1
  mkdir -p "$DOCKSIDE_HOME" "$HOME"
  trap cleanup_work EXIT
  "$DOCKSIDE" catalog demo >/dev/null
}

cleanup_work() {
  "$DOCKSIDE" stop >/dev/null 2>&1 || true
  if [ "${KEEP_WORK:-}" = "" ]; then rm -rf "$WORK"; else log "logs kept in $WORK"; fi
}

# `dockside status --json` field of a server: server_field NAME FIELD (empty if absent).
server_field() {
  "$DOCKSIDE" status --json 2>/dev/null | python3 -c '
import json, sys
name, field = sys.argv[1], sys.argv[2]
doc = json.load(sys.stdin)
for s in ((doc.get("status") or {}).get("servers") or []):
    if s["name"] == name:
        v = s.get(field)
        print("" if v is None else v)
' "$1" "$2"
}

daemon_pid() {
  "$DOCKSIDE" status --json 2>/dev/null | python3 -c '
import json, sys
doc = json.load(sys.stdin)
print((doc.get("status") or {}).get("pid") or "")
'
}

# wait_until SECONDS DESCRIPTION COMMAND...: retries COMMAND every 0.25 s.
wait_until() {
  local secs=$1 what=$2
  shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || fail "timed out after ${secs}s waiting for: $what"
    sleep 0.25
  done
  log "ok: $what"
}

is() { [ "$(server_field "$1" "$2")" = "$3" ]; }

# Where trayer embedded the app's icon: the window whose class names the tray icon.
icon_center() {
  xwininfo -root -tree | python3 -c '
import re, sys
for line in sys.stdin:
    if "tray-icon tray app dockside" in line:
        m = re.search(r"(\d+)x(\d+)\+-?\d+\+-?\d+\s+\+(-?\d+)\+(-?\d+)", line)
        if m:
            w, h, x, y = map(int, m.groups())
            print(x + w // 2, y + h // 2)
            break
'
}
has_icon() { [ -n "$(icon_center)" ]; }

# Opens the tray menu (its icon at ICON_X ICON_Y: see icon_center), then types KEYS (xdotool key
# names) one by one. The app rebuilds the menu when the daemon reports changes, which closes an
# open menu: let those settle first.
menu() {
  sleep 2
  xdotool mousemove "$ICON_X" "$ICON_Y" click 1
  sleep 0.8
  local key
  for key in "$@"; do
    xdotool key "$key"
    sleep 0.3
  done
}

# menu_until WHAT SECONDS CHECK KEYS...: opens the menu and types KEYS until CHECK (a shell
# command) succeeds; a busy machine can swallow a key press while the menu is still opening,
# so it retries with a fresh menu.
menu_until() {
  local what=$1 secs=$2 check=$3 attempt
  shift 3
  for attempt in 1 2 3; do
    menu "$@"
    local deadline=$((SECONDS + secs))
    while [ $SECONDS -lt $deadline ]; do
      if eval "$check" >/dev/null 2>&1; then
        log "ok: $what"
        return 0
      fi
      sleep 0.25
    done
    log "not yet: $what (attempt $attempt); closing menus and retrying"
    xdotool key Escape Escape Escape
  done
  fail "$what"
}

# run_session INNER [SUFFIX]: runs tests/app/lib/INNER under Xvfb and a private session bus
# (tests/app/lib/session-bus.conf), shows its progress lines, and on failure the tail of its
# logs ($WORK/appSUFFIX.log, $WORK/dunstSUFFIX.log), then exits with its status.
run_session() {
  local inner=$1 suffix=${2:-} status=0 f
  xvfb-run -a -s "-screen 0 1280x800x24" \
    dbus-run-session --config-file="$ROOT/tests/app/lib/session-bus.conf" -- \
    bash "$ROOT/tests/app/lib/$inner" 2>"$WORK/session$suffix.log" || status=$?
  grep -E '^\[[0-9:]+\] ' "$WORK/session$suffix.log" >&2 || true
  if [ $status -ne 0 ]; then
    for f in "app$suffix.log" "dunst$suffix.log"; do
      log "---- $f (last 40 lines)"
      tail -40 "$WORK/$f" >&2 || true
    done
    exit $status
  fi
}

# tray_host [SUFFIX]: inside run_session, starts a notification daemon (dunst), a tray (trayer)
# and a watch on notifications ($WORK/notifySUFFIX.log); they, and every pid added to `pids`,
# are stopped when the script exits. The app's log is expected at $WORK/appSUFFIX.log.
tray_host() {
  local suffix=${1:-}
  LOG_SUFFIX=$suffix
  pids=()
  trap stop_all EXIT
  dunst >"$WORK/dunst$suffix.log" 2>&1 &
  pids+=($!)
  trayer --edge top --align right --widthtype request --height 32 --SetDockType true >"$WORK/trayer$suffix.log" 2>&1 &
  pids+=($!)
  dbus-monitor "interface='org.freedesktop.Notifications',member='Notify'" >"$WORK/notify$suffix.log" 2>&1 &
  pids+=($!)
}

# in_app_log TEXT / notified TEXT: whether the app's log ($WORK/appSUFFIX.log) has TEXT, or a
# desktop notification did (seen by tray_host's watch).
in_app_log() { grep -q "$1" "$WORK/app${LOG_SUFFIX:-}.log"; }
notified() { grep -q "$1" "$WORK/notify${LOG_SUFFIX:-}.log"; }

stop_all() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
}

# next_version 0.1.0 → 0.1.1
next_version() { python3 -c 'import sys; a, b, c = sys.argv[1].split("."); print(f"{a}.{b}.{int(c) + 1}")' "$1"; }

# serve_updates FILE NEXT PLATFORM: an update server on 127.0.0.1 offering FILE as version NEXT
# for the updater target PLATFORM (linux-x86_64-deb, linux-x86_64-appimage…), signed with a
# throwaway keypair whose public half is exported as DOCKSIDE_UPDATE_PUBKEY. Manifests in
# $UPDATES ($WORK/updates): latest.json (FILE, signed right), bad.json (NEXT with a valid
# signature of another file), current.json ($version: nothing newer). Sets UPDATE_PORT and
# UPDATE_SERVER_PID (the caller stops it).
serve_updates() {
  local file=$1 next=$2 platform=$3 tauri="$ROOT/ui/node_modules/.bin/tauri"
  [ -x "$tauri" ] || fail "the Tauri CLI is missing: npm ci in ui"
  UPDATES="$WORK/updates"
  mkdir -p "$UPDATES"
  "$tauri" signer generate --ci -p "" -w "$WORK/update.key" >/dev/null
  sign() { "$tauri" signer sign -f "$WORK/update.key" -p "" --app-version "$next" "$1" >/dev/null && cat "$1.sig"; }
  local good_sig bad_sig
  good_sig="$(sign "$file")"
  echo "not the update" >"$WORK/other-file"
  bad_sig="$(sign "$WORK/other-file")" # a valid signature, of another file
  cp "$file" "$UPDATES/"
  python3 - "$UPDATES" "$next" "$(basename "$file")" "$good_sig" "$bad_sig" "$version" "$platform" <<'PY'
import json, sys
out, next_version, name, good, bad, current, platform = sys.argv[1:]
for file, sig, version in (("latest.json", good, next_version), ("bad.json", bad, next_version),
                           ("current.json", good, current)):
    entry = {"signature": sig, "url": f"http://127.0.0.1:PORT/{name}"}
    doc = {"version": version, "notes": "test update", "pub_date": "2026-01-01T00:00:00Z",
           "platforms": {platform: entry}}
    json.dump(doc, open(f"{out}/{file}.in", "w"))
PY
  python3 - "$UPDATES" "$WORK/update.port" <<'PY' >"$WORK/http.log" 2>&1 &
import functools, http.server, os, sys
root, port_file = sys.argv[1:]
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(http.server.SimpleHTTPRequestHandler, directory=root))
port = server.server_address[1]
for name in os.listdir(root):
    if name.endswith(".json.in"):
        text = open(os.path.join(root, name)).read().replace("PORT", str(port))
        open(os.path.join(root, name[:-3]), "w").write(text)
open(port_file + ".tmp", "w").write(str(port))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
PY
  UPDATE_SERVER_PID=$!
  wait_until 10 "the update server listens" test -s "$WORK/update.port"
  UPDATE_PORT="$(cat "$WORK/update.port")"
  DOCKSIDE_UPDATE_PUBKEY="$(cat "$WORK/update.key.pub")"
  export UPDATES DOCKSIDE_UPDATE_PUBKEY
}
