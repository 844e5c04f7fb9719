#!/usr/bin/env bash
# The AppImage built by scripts/package (scripts/appimage), run as a user would.
#
# - It is a type-2 AppImage (magic bytes, the runtime reports the payload's offset).
# - Under Xvfb + a D-Bus session (trayer, dunst), mounted with FUSE: the app becomes the tray
#   (`dockside-tray`, no WebKit), shows its icon, runs on the AppImage's own GTK (from its mount,
#   not the system's), and makes ~/.local/bin/dockside, a link to the AppImage that runs the CLI.
# - The daemon it starts runs through that link, from a mount of its own (it may outlive the
#   app's); `dockside client connect` run through the link writes the link into Claude Desktop's
#   file, and once the app has quit that entry, run as the client runs it, serves MCP.
# - "Open Dashboard" starts the dashboard (`dockside-app --dashboard`) on the AppImage's
#   WebKitGTK and GTK, and WebKit's web process from the AppImage (the helper path rewritten by
#   scripts/appimage), not from the system's WebKitGTK.
# - An update served on 127.0.0.1 for the `linux-x86_64-appimage` target (the app must know it is
#   an AppImage: scripts/appimage marks the binary) is found, verified, told, and replaces the
#   AppImage file when the app quits; the client's entry then runs the updated AppImage.
#
# Needs: scripts/package (the debug AppImage); npm ci in tests/node; /dev/fuse (the AppImage runtime mounts its
#        payload; without it the test says SKIPPED and passes); apt-get install -y libfuse2
#        xvfb xauth dbus-x11 trayer dunst xdotool x11-utils.
# Usage: tests/app/appimage-e2e.sh   (~40 s)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
need xvfb-run dbus-run-session trayer dunst xdotool xwininfo dbus-monitor python3 node

version="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["version"])' "$ROOT/src-tauri/tauri.conf.json")"
IMAGE="${IMAGE:-$TARGET_DIR/debug/bundle/appimage/Dockside_${version}_amd64.AppImage}"
[ -x "$IMAGE" ] || fail "no AppImage at $IMAGE: run scripts/package"
# Without FUSE the runtime extracts the whole image on every run (and again over running
# processes' files for each call through the link): that path is not what this test checks.
if [ ! -e /dev/fuse ]; then
  log "SKIPPED: /dev/fuse is missing here; the AppImage runtime mounts its payload with FUSE"
  exit 0
fi

log "a type-2 AppImage"
[ "$(od -An -tx1 -j8 -N3 "$IMAGE" | tr -d ' ')" = 414902 ] || fail "$IMAGE lacks the AppImage type-2 magic bytes"
offset="$("$IMAGE" --appimage-offset)"
[ "$offset" -gt 0 ] && [ "$(od -An -c -j"$offset" -N4 "$IMAGE" | tr -d ' ')" = hsqs ] ||
  fail "the runtime's payload offset ($offset) does not start a squashfs image"
log "ok: runtime + squashfs payload at byte $offset"

# The demo catalog (set up with the build's CLI) runs dockside-demo-server, a test program:
# on PATH. Everything after runs the AppImage.
demo_bin="$(mktemp -d)"
ln -s "$TARGET_DIR/debug/dockside-demo-server" "$demo_bin/"
export PATH="$demo_bin:$PATH"
setup_work
trap 'cleanup_work; rm -rf "$demo_bin"' EXIT
# The user's copy, somewhere of their choosing.
mkdir -p "$HOME/Applications"
cp "$IMAGE" "$HOME/Applications/Dockside.AppImage"
export APP="$HOME/Applications/Dockside.AppImage" LINK="$HOME/.local/bin/dockside"
export CLAUDE_CONFIG="$XDG_CONFIG_HOME/Claude/claude_desktop_config.json"

log "an update on 127.0.0.1: this AppImage as version $version+1 (bytes appended), signed"
next="$(next_version "$version")"
next_image="$WORK/Dockside_${next}_amd64.AppImage"
cp "$IMAGE" "$next_image"
printf 'dockside update %s\n' "$next" >>"$next_image"
serve_updates "$next_image" "$next" linux-x86_64-appimage
trap 'kill $UPDATE_SERVER_PID 2>/dev/null || true; cleanup_work; rm -rf "$demo_bin"' EXIT
export DOCKSIDE_UPDATE_URL="http://127.0.0.1:$UPDATE_PORT/latest.json" next

run_session appimage-inner.sh
cmp -s "$APP" "$next_image" || fail "after quitting, $APP is not the update"
[ -x "$APP" ] || fail "the updated $APP is not executable"
log "ok: the update replaced $APP when the app quit"

log "after the app quit and the update: Claude Desktop's entry, run as the client runs it, serves MCP"
"$LINK" --version | grep -q "$version" || fail "$LINK --version: $("$LINK" --version 2>&1)"
# The official TypeScript SDK's client (tests/node/mcp_client.mjs) starts the entry's command.
text="AppImage ✓ — données 数据"
python3 - "$CLAUDE_CONFIG" "$text" >"$WORK/client-spec.json" <<'PY'
import json, sys
entry = json.load(open(sys.argv[1]))["mcpServers"]["demo"]
print(json.dumps({"connect": {"command": entry["command"], "args": entry["args"]},
                  "steps": [{"op": "callTool", "name": "echo", "arguments": {"message": sys.argv[2]}}]}))
PY
node "$ROOT/tests/node/mcp_client.mjs" "@$WORK/client-spec.json" >"$WORK/client.json" ||
  fail "the demo entry does not serve MCP once the app is gone: $(cat "$WORK/client.json")"
python3 - "$WORK/client.json" "$text" <<'PY' || fail "the echo through the entry came back wrong: $(cat "$WORK/client.json")"
import json, sys
doc, text = json.load(open(sys.argv[1])), sys.argv[2]
assert doc["ok"] is True, doc
assert doc["results"][0]["result"]["content"][0]["text"] == text, doc
PY
log "ok: initialize and a non-ASCII echo through $LINK connect"
log "appimage e2e passed"
