#!/usr/bin/env bash
# The app starts under Xvfb as its tray (dockside-tray) with the daemon running: the daemon the app
# started answers `dockside status` with the demo server running; a second launch hands over to
# the running instance (single instance) and exits; SIGTERM (a logout) quits the app, which
# stops the daemon (the default, "keep gateway running" off).
#
# Needs: cargo build --workspace --bins; apt-get install -y xvfb xauth dbus-x11
#        libayatana-appindicator3-1. ~10 s.
# Usage: tests/app/start-e2e.sh
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
need xvfb-run dbus-run-session python3
setup_work

status=0
xvfb-run -a dbus-run-session --config-file="$ROOT/tests/app/lib/session-bus.conf" -- bash -c '
  set -euo pipefail
  source "'"$ROOT"'/tests/app/lib/common.sh"
  RUST_LOG=info "$APP" >"$WORK/app.log" 2>&1 &
  app=$!
  wait_until 30 "the daemon the app started answers status, demo running" is demo state running
  grep -q "started the daemon" "$WORK/app.log" || fail "the app did not start the daemon"
  "$DOCKSIDE" status >&2
  # Single instance: a second launch hands over to the first (which shows its dashboard) and exits.
  timeout 20 "$APP" >"$WORK/second.log" 2>&1 || fail "the second launch did not exit by itself ($?)"
  wait_until 10 "the first instance was asked to show its dashboard" grep -q "second launch" "$WORK/app.log"
  kill -0 $app || fail "the first instance died"
  kill -TERM $app
  wait_until 15 "the app quit on SIGTERM" bash -c "! kill -0 $app"
  wait_until 15 "the daemon stopped with it" bash -c "[[ \"\$($DOCKSIDE status)\" == *\"not running\"* ]]"
  log "start e2e passed"
' 2>"$WORK/session.log" || status=$?
grep -vE 'dbus-daemon|^$' "$WORK/session.log" >&2 || true
[ $status -eq 0 ] || tail -30 "$WORK/app.log" >&2
exit $status
