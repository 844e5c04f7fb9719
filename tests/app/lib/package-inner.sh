# Runs inside xvfb-run + dbus-run-session (see ../package-e2e.sh), once per PHASE:
# bad  — the installed app shows its tray, brings the daemon up, and refuses an update whose
#        signature does not match; then "Check for updates…" in the tray finds no newer version;
# good — it finds a correctly signed update, verifies it, says it is ready, installs nothing
#        while it runs (the daemon keeps running); quitting installs it (checked by the caller).
# shellcheck shell=bash
set -euo pipefail
source "$(dirname "$0")/common.sh"

tray_host "-$PHASE"

RUST_LOG=info "$APP" >"$WORK/app-$PHASE.log" 2>&1 &
app=$!
pids+=($app)

installed_version() { dpkg-query -W -f='${Version}' "$PACKAGE"; }

wait_until 40 "the installed app brought the daemon up and demo runs" is demo state running
[ "$(readlink "/proc/$app/exe")" = /usr/bin/dockside-tray ] || fail "the app runs $(readlink "/proc/$app/exe"), not the installed tray"
log "ok: dockside-app became the installed tray, /usr/bin/dockside-tray"
status="$("$DOCKSIDE" status 2>&1)"
[[ "$status" == *"daemon: running"* ]] || fail "dockside status: $status"
case $PHASE in
  bad)
    wait_until 15 "the tray icon is embedded in trayer" has_icon
    # A mode change goes through the app-started daemon, which rewrites the client's entry.
    "$DOCKSIDE" server mode demo native >/dev/null
    "$DOCKSIDE" server mode demo managed >/dev/null
    runs="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["mcpServers"]["demo"]["command"])' "$CLAUDE_CONFIG")"
    [ "$runs" = /usr/bin/dockside ] || fail "the daemon wrote $runs into Claude Desktop's file"
    log "ok: the app-started daemon writes /usr/bin/dockside too"
    wait_until 30 "demo runs again" is demo state running
    wait_until 30 "the update with a bad signature was refused" in_app_log "was refused: its signature does not match"
    wait_until 10 "the user was told (\"Update check failed\")" notified "Update check failed"
    # The endpoint now offers the version installed: the tray's "Check for updates…" (the item
    # above Quit, the last one) says so.
    cp "$UPDATES/current.json" "$UPDATES/bad.json"
    read -r ICON_X ICON_Y <<<"$(icon_center)"
    menu_until "the tray's \"Check for updates…\" says Dockside is up to date" 15 \
      'notified "Dockside is up to date"' Up Up Return
    ;;
  good)
    daemon=$(daemon_pid)
    wait_until 30 "the update was found, downloaded and its signature verified" in_app_log "signature verified"
    wait_until 10 "the user was told (\"Dockside $next is ready to install\")" notified "Dockside $next is ready to install"
    [ "$(installed_version)" = "$version" ] || fail "the update was installed while the app runs"
    [ "$(daemon_pid)" = "$daemon" ] && is demo state running || fail "the daemon or demo was interrupted"
    log "ok: nothing installed while running; the daemon (pid $daemon) and demo keep running"
    ;;
esac

log "quitting the app (SIGTERM)"
kill -TERM "$app"
wait_until 90 "the app quit" bash -c "! kill -0 $app"
