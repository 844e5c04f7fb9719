#!/usr/bin/env bash
# UI end-to-end tests: the built dashboard in headless Chromium with the Tauri IPC mocked
# (tests/app/ui/run.mjs). Saves screenshots of the screens to docs/screenshots/.
#
# Needs: apt-get install -y chromium; npm --prefix ui ci (brings playwright-core). ~20 s.
# Usage: tests/app/ui-e2e.sh    (CHROMIUM=/path/to/chromium to use another build)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"

[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || { echo "ui-e2e: chromium not found (apt-get install -y chromium)" >&2; exit 1; }
[ -d ui/node_modules/playwright-core ] || { echo "ui-e2e: run npm --prefix ui ci first" >&2; exit 1; }
(cd ui && npm run --silent build)
exec node --test --test-reporter=spec tests/app/ui/run.mjs
