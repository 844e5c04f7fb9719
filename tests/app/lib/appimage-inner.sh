# Runs inside xvfb-run + dbus-run-session (see ../appimage-e2e.sh).
# shellcheck shell=bash
set -euo pipefail
source "$(dirname "$0")/common.sh"

tray_host

RUST_LOG=info "$APP" >"$WORK/app.log" 2>&1 &
pids+=($!)
# The runtime serves the mount and starts AppRun, which execs the app, which becomes the tray.
app_pid() { pgrep -f '^/tmp/\.mount_[^/]+/usr/bin/dockside-tray' | head -1; }
wait_until 30 "the AppImage's tray runs from its mount" app_pid
app="$(app_pid)"
mount="$(readlink "/proc/$app/exe")"
mount="${mount%/usr/bin/dockside-tray}"
log "ok: the tray runs from $mount"

wait_until 30 "the app made $LINK, a link to the AppImage" test -L "$LINK"
[ "$(readlink "$LINK")" = "$APP" ] || fail "$LINK points at $(readlink "$LINK"), not $APP"
export DOCKSIDE="$LINK"
wait_until 60 "the app started the daemon and the demo server runs" is demo state running
daemon_exe="$(readlink "/proc/$(daemon_pid)/exe")"
[[ "$daemon_exe" == /tmp/.mount_*/usr/bin/dockside && "$daemon_exe" != "$mount/"* ]] ||
  fail "the daemon runs $daemon_exe, not the CLI from a mount of its own"
log "ok: the daemon runs $daemon_exe (through the link, its own mount)"

# uses_image_libs PID LIB…: the process maps each LIB from the AppImage's usr/lib.
uses_image_libs() {
  local pid=$1 lib
  shift
  for lib in "$@"; do
    grep -q " $mount/usr/lib/$lib\$" "/proc/$pid/maps" ||
      fail "$(cat "/proc/$pid/comm") does not use the AppImage's $lib: $(grep -o "/[^ ]*${lib%%.so*}[^ ]*" "/proc/$pid/maps" | sort -u)"
  done
}
uses_image_libs "$app" libgtk-3.so.0
! grep -q libwebkit2gtk "/proc/$app/maps" || fail "the tray loaded WebKit"
log "ok: the tray runs on the AppImage's GTK, without WebKit"

wait_until 20 "the tray icon is embedded in trayer" has_icon
read -r ICON_X ICON_Y <<<"$(icon_center)"

log "client connect through the link writes the link into Claude Desktop's file"
mkdir -p "$(dirname "$CLAUDE_CONFIG")"
printf '{\r\n  "mcpServers": {}\r\n}\r\n' >"$CLAUDE_CONFIG"
"$DOCKSIDE" client connect claude-desktop >/dev/null
runs="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["mcpServers"]["demo"]["command"])' "$CLAUDE_CONFIG")"
[ "$runs" = "$LINK" ] || fail "Claude Desktop's demo entry runs $runs, not $LINK"
log "ok: the demo entry runs $LINK"

log "Open Dashboard: the dashboard and WebKit's web process start from the AppImage"
web_from_image() {
  local p
  for p in $(pgrep -f WebKitWebProcess); do
    [[ "$(readlink "/proc/$p/exe")" == "$mount/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/WebKitWebProcess" ]] && return 0
  done
  return 1
}
# demo ▸, Switch to production…, Open Dashboard
menu_until "the dashboard's web process runs from $mount" 30 web_from_image Down Down Down Return
dashboard="$(pgrep -f "^$mount/usr/bin/dockside-app --dashboard" | head -1)"
[ -n "$dashboard" ] || fail "no dashboard runs from $mount"
uses_image_libs "$dashboard" libwebkit2gtk-4.1.so.0 libgtk-3.so.0
log "ok: the dashboard runs on the AppImage's WebKitGTK and GTK"
wait_until 60 "the update was found, downloaded and its signature verified" in_app_log "signature verified"
wait_until 10 "the user was told (\"Dockside $next is ready to install\")" notified "Dockside $next is ready to install"
cmp -s "$APP" "$WORK/Dockside_${next}_amd64.AppImage" && fail "the update was installed while the app runs"

log "quitting the app (SIGTERM): the update is installed"
kill -TERM "$app"
wait_until 90 "the app quit" bash -c "! kill -0 $app"
