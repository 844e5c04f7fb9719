#!/usr/bin/env bash
# End-to-end test of the real app through WebDriver: the tray (`dockside-tray`) runs the daemon;
# tauri-driver + WebKitWebDriver under Xvfb open the dashboard (`dockside-app --dashboard`); one
# mode change made four ways (CLI, control API, dashboard, tray menu in
# `trayer`) has the same effect on the state, the connected clients' files and the daemon; the
# production switch and its Undo (tests/app/driver/run.mjs).
#
# Needs: cargo build --workspace --bins; apt-get install -y xvfb xauth
#        dbus-x11 webkit2gtk-driver trayer xdotool x11-utils; cargo install tauri-driver
#        --version "^2" --locked. ~90 s.
# Usage: tests/app/driver-e2e.sh   (KEEP_WORK=1 keeps logs and WebDriver screenshots)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
need xvfb-run dbus-run-session tauri-driver WebKitWebDriver node trayer xdotool xwininfo
setup_work
# WebDriver's screenshot is WebKit's snapshot, which never returns when WebKit runs without
# hardware acceleration, as it does in a dashboard the tray starts (the tray turns GDK's GL off
# and the dashboard inherits it: crates/tray/src/main.rs, `without_gdk_gl`; the dashboard loads
# and renders so: the smoke test). Set but empty, GDK_GL leaves GDK's GL on for this test.
export GDK_GL=

status=0
xvfb-run -a -s "-screen 0 1280x800x24" \
  dbus-run-session --config-file="$ROOT/tests/app/lib/session-bus.conf" -- \
  bash -c '
    set -euo pipefail
    source "'"$ROOT"'/tests/app/lib/common.sh"
    trayer --edge top --align right --widthtype request --height 32 --SetDockType true >"$WORK/trayer.log" 2>&1 &
    trayer=$!
    RUST_LOG=info "$TRAY" >"$WORK/tray.log" 2>&1 &
    tray=$!
    tauri-driver --port 4444 --native-port 4445 --native-driver "$(command -v WebKitWebDriver)" >"$WORK/driver.log" 2>&1 &
    driver=$!
    trap "kill $driver $tray $trayer 2>/dev/null || true" EXIT
    wait_until 30 "the tray started the daemon and demo runs" is demo state running
    for _ in $(seq 1 40); do
      curl -fsS http://127.0.0.1:4444/status >/dev/null 2>&1 && break
      sleep 0.25
    done
    node "'"$ROOT"'/tests/app/driver/run.mjs"
  ' 2>"$WORK/session.log" || status=$?
grep -E '^\[[0-9:]+\] ' "$WORK/session.log" >&2 || true
if [ $status -ne 0 ]; then
  log "---- session/driver log (last 40 lines)"
  grep -vE '^\[[0-9:]+\] ' "$WORK/session.log" | tail -40 >&2 || true
  tail -20 "$WORK/driver.log" "$WORK/tray.log" >&2 || true
fi
exit $status
