#!/bin/sh
# A `$BROWSER` for the sign-in tests: follows the redirects of the sign-in address in $1 with
# curl (tests/node/oauth_server.mjs approves login and consent at once), ending at Dockside's
# loopback listener. Each run has its own cookie jar: cookies ignore ports, and tests run
# several servers side by side.
jar=$(mktemp)
curl -sS -L --max-redirs 20 -c "$jar" -b "$jar" -o /dev/null "$1"
code=$?
rm -f "$jar"
exit $code
