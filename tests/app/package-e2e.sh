#!/usr/bin/env bash
# The Linux packages built by scripts/package, installed on this machine.
#
# - The .rpm holds /usr/bin/dockside-app, /usr/bin/dockside-tray and /usr/bin/dockside (`rpm -qlp`).
# - The .deb installs with apt (its dependencies resolve); `/usr/bin/dockside --version` works.
# - `dockside client connect claude-desktop` (a scratch HOME with a realistic Claude Desktop
#   config) writes /usr/bin/dockside into the client's file.
# - Under Xvfb + a D-Bus session (trayer, dunst), the installed app shows its tray icon and
#   brings the daemon up (a mode change through that daemon writes /usr/bin/dockside too);
#   with DOCKSIDE_UPDATE_URL pointing at a manifest whose signature does not match, the update
#   is refused with a clear message and nothing is installed; the tray's "Check for updates…"
#   then finds no newer version and says so.
# - Again with a correctly signed update (a throwaway keypair, a 127.0.0.1 HTTP server): the
#   app finds it, verifies it, says it is ready, installs nothing while it runs (the daemon keeps
#   running), and installs it when it quits: the package's version changes.
# - `dockside client disconnect --all` gives the user's file back byte for byte; `dpkg -r`
#   removes the app and leaves DOCKSIDE_HOME and the client's file in place.
# The package is removed on exit, even on failure.
#
# Needs: scripts/package (the debug .deb and .rpm); apt-get install -y rpm sudo xvfb xauth
#        dbus-x11 trayer dunst xdotool x11-utils. Runs as root (it installs a package).
# Usage: tests/app/package-e2e.sh   (~60 s)
set -euo pipefail
export APP=/usr/bin/dockside-app DOCKSIDE=/usr/bin/dockside
source "$(dirname "$0")/lib/common.sh"
need dpkg dpkg-deb apt-get rpm sudo xvfb-run dbus-run-session trayer dunst xdotool xwininfo dbus-monitor python3
[ "$(id -u)" = 0 ] || fail "run as root: this test installs and removes a package"

version="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["version"])' "$ROOT/src-tauri/tauri.conf.json")"
DEB="${DEB:-$(ls "$TARGET_DIR"/debug/bundle/deb/*_"$version"_*.deb 2>/dev/null | head -1)}"
RPM="${RPM:-$(ls "$TARGET_DIR"/debug/bundle/rpm/*-"$version"-*.rpm 2>/dev/null | head -1)}"
[ -f "$DEB" ] && [ -f "$RPM" ] || fail "no .deb/.rpm of version $version under $TARGET_DIR/debug/bundle: run scripts/package"
PACKAGE="$(dpkg-deb -f "$DEB" Package)"

log "the .rpm holds the app, the tray and the CLI"
rpm_files="$(rpm -qlp "$RPM" 2>/dev/null)"
for f in /usr/bin/dockside-app /usr/bin/dockside-tray /usr/bin/dockside; do
  grep -qx "$f" <<<"$rpm_files" || fail "$RPM lacks $f; it holds: $rpm_files"
done
log "ok: $(basename "$RPM") holds /usr/bin/dockside-app, /usr/bin/dockside-tray and /usr/bin/dockside"

if dpkg-query -W -f='${Status}' "$PACKAGE" 2>/dev/null | grep -q "install ok installed"; then
  fail "$PACKAGE is installed on this machine; this test installs and removes its own build: dpkg -r $PACKAGE first"
fi
uninstall() { dpkg -r "$PACKAGE" >/dev/null 2>&1 || true; }
trap uninstall EXIT
log "installing $(basename "$DEB")"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$DEB" >/dev/null
installed_version() { dpkg-query -W -f='${Version}' "$PACKAGE"; }
[ "$(installed_version)" = "$version" ] || fail "installed version $(installed_version), expected $version"
files="$(dpkg -L "$PACKAGE")"
for f in /usr/bin/dockside /usr/bin/dockside-app /usr/bin/dockside-tray /usr/share/applications/Dockside.desktop; do
  grep -qx "$f" <<<"$files" || fail "the package does not install $f"
done
grep -qx "Exec=dockside-app" /usr/share/applications/Dockside.desktop || fail "the desktop entry does not start dockside-app"
"$DOCKSIDE" --version | grep -q "$version" || fail "/usr/bin/dockside --version: $("$DOCKSIDE" --version 2>&1)"
log "ok: /usr/bin/dockside --version: $("$DOCKSIDE" --version)"

# The demo catalog runs dockside-demo-server (a test program, not in the package): on PATH.
demo_bin="$(mktemp -d)"
ln -s "$TARGET_DIR/debug/dockside-demo-server" "$demo_bin/"
export PATH="$demo_bin:$PATH"
trap 'rm -rf "$demo_bin"; uninstall' EXIT
setup_work
trap 'cleanup_work; rm -rf "$demo_bin"; uninstall' EXIT

log "client connect writes /usr/bin/dockside into Claude Desktop's file"
claude="$XDG_CONFIG_HOME/Claude/claude_desktop_config.json"
mkdir -p "$(dirname "$claude")"
cat >"$claude" <<'EOF'
{
  "globalShortcut": "Ctrl+Space",
  "mcpServers": {
    "filesystem": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/home/me/Documents"]
    }
  }
}
EOF
cp "$claude" "$WORK/claude.orig"
"$DOCKSIDE" server mode demo managed >/dev/null
"$DOCKSIDE" client connect claude-desktop >/dev/null
python3 - "$claude" <<'EOF' || fail "the demo entry does not run /usr/bin/dockside: $(cat "$claude")"
import json, sys
entry = json.load(open(sys.argv[1]))["mcpServers"]["demo"]
assert entry["command"] == "/usr/bin/dockside", entry
assert entry["args"][:1] == ["connect"], entry
EOF
log "ok: the demo entry runs /usr/bin/dockside"

log "an update server on 127.0.0.1: a throwaway keypair, version $version+1 signed with it"
next="$(next_version "$version")"
dpkg-deb -R "$DEB" "$WORK/repack"
sed -i "s/^Version: .*/Version: $next/" "$WORK/repack/DEBIAN/control"
next_deb="$WORK/${PACKAGE}_${next}_amd64.deb"
dpkg-deb -Znone -b "$WORK/repack" "$next_deb" >/dev/null
serve_updates "$next_deb" "$next" linux-x86_64-deb
trap 'kill $UPDATE_SERVER_PID 2>/dev/null || true; cleanup_work; rm -rf "$demo_bin"; uninstall' EXIT
port=$UPDATE_PORT
export PACKAGE version next CLAUDE_CONFIG="$claude"

for phase in bad good; do
  case $phase in
    bad) manifest=bad.json ;;
    good) manifest=latest.json ;;
  esac
  DOCKSIDE_UPDATE_URL="http://127.0.0.1:$port/$manifest" PHASE=$phase run_session package-inner.sh "-$phase"
done
[ "$(installed_version)" = "$next" ] || fail "after quitting, the installed version is $(installed_version), expected $next"
log "ok: the update was installed at quit ($version → $next)"

log "disconnect, then dpkg -r: the user's files stay"
"$DOCKSIDE" client disconnect --all >/dev/null
cmp -s "$claude" "$WORK/claude.orig" || fail "disconnect did not give Claude Desktop's file back: $(diff "$WORK/claude.orig" "$claude")"
"$DOCKSIDE" stop >/dev/null 2>&1 || true
dpkg -r "$PACKAGE" >/dev/null
for f in /usr/bin/dockside /usr/bin/dockside-app /usr/bin/dockside-tray; do
  [ ! -e "$f" ] || fail "dpkg -r left $f"
done
[ -f "$DOCKSIDE_HOME/state.yaml" ] && [ -f "$DOCKSIDE_HOME/clients.json" ] || fail "dpkg -r touched DOCKSIDE_HOME"
cmp -s "$claude" "$WORK/claude.orig" || fail "dpkg -r changed Claude Desktop's file"
log "ok: removed; DOCKSIDE_HOME and the client's file are as the user left them"
log "package e2e passed"
