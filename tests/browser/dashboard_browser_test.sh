#!/usr/bin/env bash
# Browser test of the dashboard served by evrouterd's HTTP listener: headless
# Chromium (Debian's chromium, driven by playwright-core from npm) logs in,
# sees an exchange created over gRPC, creates a queue through the form, sees a
# consumer go from ACTIVE to SLEEPING when its subscriber ends, and saves
# screenshots. The steps are in dashboard.mjs; this script starts the server
# on a fresh database and makes the exchange.
#
# Usage: dashboard_browser_test.sh EVROUTERD EVROUTER NODE_MODULES SCREENSHOT_DIR
# Needs EVROUTER_TEST_PG_DSN and EVROUTER_BUF (scripts/test.sh sets them),
# node, /usr/bin/chromium and NODE_MODULES/playwright-core (scripts/deps.sh
# installs them). Anything missing fails the test; nothing is skipped.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../shell/lib.sh
. "$here/../shell/lib.sh"

if [[ $# -ne 4 ]]; then
  evr_fail "usage: $0 EVROUTERD EVROUTER NODE_MODULES SCREENSHOT_DIR"
fi
EVROUTERD=$1
EVROUTER=$2
NODE_MODULES=$3
SCREENSHOT_DIR=$4
CHROMIUM=/usr/bin/chromium

evr_require_env
[[ -x "$EVROUTER" ]] || evr_fail "no evrouter CLI at $EVROUTER"
command -v node >/dev/null || evr_fail "node is not installed (scripts/deps.sh)"
[[ -x "$CHROMIUM" ]] || evr_fail "$CHROMIUM is missing (scripts/deps.sh installs the Debian package chromium)"
[[ -f "$NODE_MODULES/playwright-core/package.json" ]] \
  || evr_fail "playwright-core is not installed in $NODE_MODULES (scripts/deps.sh)"

# Only the credentials given here: none from the caller's environment or
# config directory.
unset EVROUTER_SERVER EVROUTER_TOKEN EVROUTER_TOKEN_FILE \
  EVROUTER_TLS_CA EVROUTER_TLS_CERT EVROUTER_TLS_KEY
export XDG_CONFIG_HOME="$EVR_TMP/config"

evr_new_database
# lib.sh's evr_start_server passes --http-listen and sets EVR_HTTP_ADDR once
# it knows about the HTTP listener; until then this script does both.
if declare -f evr_start_server | grep -q -- '--http-listen'; then
  evr_start_server "$EVROUTERD"
else
  evr_start_server "$EVROUTERD" --http-listen 127.0.0.1:0
fi
if [[ -z "${EVR_HTTP_ADDR:-}" ]]; then
  deadline=$((SECONDS + 15))
  until EVR_HTTP_ADDR="$(sed -n 's/.*http listening on \(127\.0\.0\.1:[0-9][0-9]*\).*/\1/p' "$EVR_SERVER_LOG" | tail -n 1)" \
    && [[ -n "$EVR_HTTP_ADDR" ]]; do
    ((SECONDS < deadline)) || evr_fail "no 'http listening on 127.0.0.1:PORT' line in the server log within 15 s"
    sleep 0.1
  done
fi
echo "evrouterd: gRPC $EVR_ADDR, HTTP $EVR_HTTP_ADDR"

exchange=orders
EVROUTER_TOKEN="$EVR_ADMIN_TOKEN" timeout 30 "$EVROUTER" --server "$EVR_ADDR" \
  exchange create "$exchange" --kind topic >"$EVR_TMP/create.out" 2>&1 \
  || evr_fail "creating exchange $exchange over gRPC: $(cat "$EVR_TMP/create.out")"

mkdir -p "$SCREENSHOT_DIR"
rc=0
EVR_DASH_URL="http://$EVR_HTTP_ADDR/" \
  EVR_ADMIN_TOKEN="$EVR_ADMIN_TOKEN" \
  EVR_CLI="$EVROUTER" \
  EVR_GRPC_ADDR="$EVR_ADDR" \
  EVR_EXCHANGE="$exchange" \
  EVR_NODE_MODULES="$NODE_MODULES" \
  EVR_SCREENSHOT_DIR="$SCREENSHOT_DIR" \
  EVR_CHROMIUM="$CHROMIUM" \
  timeout 200 node "$here/dashboard.mjs" || rc=$?
((rc == 0)) || evr_fail "the browser test failed (exit $rc)"
echo "PASS: dashboard browser test"
