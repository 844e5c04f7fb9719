#!/usr/bin/env bash
# Every app end-to-end test, cheapest first (see README.md for what each needs). ~70 s.
set -euo pipefail
dir="$(dirname "$0")"
"$dir/ui-e2e.sh"
"$dir/start-e2e.sh"
"$dir/driver-e2e.sh"
"$dir/tray-e2e.sh"
