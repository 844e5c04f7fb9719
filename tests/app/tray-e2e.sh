#!/usr/bin/env bash
# Real tray test under Xvfb: inside a D-Bus session with `trayer` (XEmbed tray host) and
# `dunst` (notification daemon) running, the app becomes the tray (`dockside-tray`: no WebKit)
# and starts the daemon; xdotool opens the
# tray menu and switches the demo server to Docker, then back to Managed, and the daemon's
# status follows; killing the demo server makes dunst receive "crashed" and "restarted"
# notifications, and a crash loop gives one notification, not one per attempt; killing the
# daemon makes the app start it again (told once); `dockside stop` is respected as a pause and
# the tray's "Pause gateway" resumes; "Open Dashboard" starts the dashboard process, closing
# its window ends it (the tray and servers stay); Quit stops the daemon and the dashboard.
#
# Needs: cargo build --workspace --bins (dockside-app, dockside-tray, dockside, dockside-demo-server);
#        apt-get install -y xvfb xauth dbus-x11 trayer dunst xdotool x11-utils libayatana-appindicator3-1
# Docker mode runs the demo image when dockerd and `dockside/demo-server:local` are there; without
# them the switch is still checked (the daemon reports the mode, with "docker unavailable").
# Usage: tests/app/tray-e2e.sh   (~40 s)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
need xvfb-run dbus-run-session trayer dunst dunstctl xdotool xwininfo dbus-monitor python3
setup_work

run_session tray-inner.sh
