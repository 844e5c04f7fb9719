# Runs inside xvfb-run + dbus-run-session (see ../tray-e2e.sh).
# shellcheck shell=bash
set -euo pipefail
source "$(dirname "$0")/common.sh"

tray_host

RUST_LOG=info "$APP" >"$WORK/app.log" 2>&1 &
app=$!
pids+=($app)

wait_until 30 "the app started the daemon and the demo server runs" is demo state running
first_daemon=$(daemon_pid)
# A light tray: dockside-app became dockside-tray, which holds no web view: no WebKit process,
# not even WebKit's library, until the user opens the dashboard (another process).
[ "$(readlink "/proc/$app/exe")" = "$(readlink -f "$TRAY")" ] || fail "the app runs $(readlink "/proc/$app/exe"), not $TRAY"
! pgrep -f WebKitWebProcess >/dev/null || fail "a web view runs although nobody opened the dashboard"
! grep -q libwebkit2gtk "/proc/$app/maps" || fail "the tray loaded WebKit"
log "ok: tray only ($TRAY), no web view, no WebKit library"
# Nor a GL driver: GTK would load one (and, with Mesa, LLVM: ~50 MiB) to pick its visuals.
gl="$(grep -oE '/[^ ]*/(libGLX_mesa\.so[^ ]*|[a-z0-9_]+_dri\.so|libLLVM[^ ]*)$' "/proc/$app/maps" | sort -u || true)"
[ -z "$gl" ] || fail "the tray-only app loaded a GL driver: $gl"
log "ok: no GL driver loaded"

wait_until 10 "the tray icon is embedded in trayer" has_icon
read -r ICON_X ICON_Y <<<"$(icon_center)"

# The menu: one submenu per server (demo is the only one), whose items are
# Native / Managed / Docker / Off. Down selects the first entry, Right opens the submenu.

mode_keys() { # the keys that pick mode INDEX (0 native, 1 managed, 2 docker, 3 off) for demo
  local keys=(Down Right) i
  for ((i = 0; i < $1; i++)); do keys+=(Down); done
  echo "${keys[@]}" Return
}

log "tray: demo → Docker"
# shellcheck disable=SC2046
menu_until "the daemon reports demo in docker mode" 15 "is demo mode docker" $(mode_keys 2)
grep -q 'SetMode("demo", Docker)' "$WORK/app.log" || fail "the app did not log the menu pick"
log "demo in docker mode: state $(server_field demo state)"

log "tray: demo → Managed"
# shellcheck disable=SC2046
menu_until "the daemon reports demo in managed mode" 15 "is demo mode managed" $(mode_keys 1)
wait_until 30 "the daemon reports demo managed and running" bash -c "$(declare -f server_field is); DOCKSIDE=$DOCKSIDE; is demo mode managed && is demo state running"

notes() { # notes SUMMARY: how many notifications with this summary reached the bus
  python3 - "$WORK/notify.log" "$1" <<'PY'
import sys
text = open(sys.argv[1], errors="replace").read()
count = 0
for block in text.split("member=Notify")[1:]:
    strings = [l.strip()[len('string "'):] for l in block.splitlines() if l.strip().startswith('string "')]
    # app_name, icon, summary, body…
    if len(strings) >= 3 and strings[2].rstrip('"') == sys.argv[2]:
        count += 1
print(count)
PY
}
# A notification reached dunst: its Notify call went over the bus (dunst's history lists a
# notification only once it is closed, see the end).
got() { [ "$(notes "$1")" -ge 1 ]; }

log "killing the demo server"
pid=$(server_field demo pid)
[ -n "$pid" ] || fail "demo has no pid"
kill -9 "$pid"
wait_until 20 "dunst got \"demo crashed\"" got "demo crashed"
wait_until 20 "dunst got \"demo restarted\"" got "demo restarted"
wait_until 20 "demo runs again under a new pid" bash -c "$(declare -f server_field); DOCKSIDE=$DOCKSIDE; p=\$(server_field demo pid); [ -n \"\$p\" ] && [ \"\$p\" != $pid ]"

log "crash loop: killing demo each time it comes back"
for attempt in $(seq 1 10); do
  state=$(server_field demo state)
  [ "$state" = crash-loop ] && break
  pid=$(server_field demo pid)
  if [ -n "$pid" ]; then
    kill -9 "$pid" 2>/dev/null || true
    wait_until 20 "demo restarted or gave up (attempt $attempt)" bash -c "$(declare -f server_field); DOCKSIDE=$DOCKSIDE; s=\$(server_field demo state); p=\$(server_field demo pid); [ \"\$s\" = crash-loop ] || { [ -n \"\$p\" ] && [ \"\$p\" != $pid ]; }"
  else
    sleep 0.3
  fi
done
wait_until 10 "the daemon reports a crash loop" is demo state crash-loop
wait_until 10 "dunst got the crash-loop notification" got "demo is in a crash loop"
sleep 2
loop=$(notes "demo is in a crash loop")
crashed=$(notes "demo crashed")
restarted=$(notes "demo restarted")
log "notifications: crash loop $loop, crashed $crashed, restarted $restarted"
[ "$loop" -eq 1 ] || fail "expected one crash-loop notification, got $loop"
[ "$crashed" -eq 1 ] || fail "expected one 'crashed' notification for the whole episode, got $crashed"
[ "$restarted" -eq 1 ] || fail "expected one 'restarted' notification for the whole episode, got $restarted"

log "killing the daemon: the app starts it again"
kill -9 "$first_daemon"
wait_until 40 "a new daemon runs" bash -c "$(declare -f daemon_pid); DOCKSIDE=$DOCKSIDE; p=\$(daemon_pid); [ -n \"\$p\" ] && [ \"\$p\" != $first_daemon ]"
wait_until 20 "dunst got \"Dockside gateway restarted\"" got "Dockside gateway restarted"
wait_until 30 "demo runs in the new daemon" is demo state running

log "dockside stop: the app respects it (paused), and \"Pause gateway\" in the tray resumes"
"$DOCKSIDE" stop >/dev/null
sleep 4
[[ "$("$DOCKSIDE" status)" == *"daemon: not running"* ]] || fail "the app restarted a daemon stopped on purpose"
# demo ▸, Switch to production…, Open Dashboard, Pause gateway
menu_until "the tray resumed the gateway" 20 "[[ \"\$(\"$DOCKSIDE\" status)\" == *'daemon: running'* ]]" Down Down Down Down Return
wait_until 30 "the gateway runs again with demo" is demo state running

log "tray: Open Dashboard starts the dashboard (and its web view) on demand"
# demo ▸, Switch to production…, Open Dashboard
menu_until "the dashboard's web view runs" 30 "pgrep -f WebKitWebProcess" Down Down Down Return
dashboard=$(pgrep -f -- "$APP --dashboard" | head -1)
[ -n "$dashboard" ] || fail "no dashboard process ($APP --dashboard)"
wait_until 20 "the dashboard shows its window" xdotool search --sync --onlyvisible --pid "$dashboard" --name '^Dockside$'
log "tray: Switch to production… while the dashboard is open: that dashboard shows the screen"
# demo ▸, Switch to production…
menu_until "the open dashboard was asked for the production screen" 15 \
  "grep -q 'the tray asks to show the dashboard (production)' '$WORK/app.log'" Down Down Return
grep -q "showed the open dashboard (pid $dashboard)" "$WORK/app.log" || fail "the tray did not hand the screen to dashboard $dashboard"
[ "$(pgrep -fc -- "$APP --dashboard")" = 1 ] || fail "a second dashboard started: $(pgrep -fa -- "$APP --dashboard")"
log "ok: one dashboard process (pid $dashboard), no second web view"
log "closing the dashboard's window: its process ends, the tray stays"
window=$(xdotool search --onlyvisible --pid "$dashboard" --name '^Dockside$' | head -1)
python3 "$ROOT/tests/app/lib/close_window.py" "$window"
wait_until 20 "the dashboard's process ended" bash -c "! kill -0 $dashboard 2>/dev/null"
! pgrep -f WebKitWebProcess >/dev/null || fail "a web process outlived the dashboard"
kill -0 "$app" || fail "the tray died with the dashboard"
is demo state running || fail "demo stopped with the dashboard"
log "ok: the tray and demo keep running"
log "tray: Open Dashboard again, then Quit closes it with the tray"
menu_until "the dashboard's web view runs again" 30 "pgrep -f WebKitWebProcess" Down Down Down Return
dashboard=$(pgrep -f -- "$APP --dashboard" | head -1)
[ -n "$dashboard" ] || fail "no dashboard process ($APP --dashboard)"

log "tray: Quit stops the app and (by default) the daemon"
menu_until "Quit from the tray: the app exited" 10 "! kill -0 $app" Up Return
wait_until 15 "the daemon stopped" bash -c "! $DOCKSIDE status | grep -q 'daemon: running'"
wait_until 15 "the dashboard closed with the tray" bash -c "! kill -0 $dashboard 2>/dev/null"
[ "$(notes "Dockside gateway restarted")" -eq 1 ] || fail "the gateway restart was told more than once"
dunstctl close-all
for summary in "demo crashed" "demo restarted" "demo is in a crash loop" "Dockside gateway restarted"; do
  dunstctl history | grep -q "$summary" || fail "dunst's history lacks \"$summary\""
done
log "tray e2e passed"
