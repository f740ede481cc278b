# Helpers for evrouter's shell tests. Source it: `. "$(dirname "$0")/lib.sh"`.
#
#   evr_fail MSG               print MSG and exit 1 (cleanup runs)
#   evr_require_env            fail (never skip) without EVROUTER_TEST_PG_DSN / EVROUTER_BUF
#   evr_new_database           create a fresh database on the EVROUTER_TEST_PG_DSN cluster;
#                              sets EVR_DB_NAME and EVR_DB_DSN
#   evr_start_server EVROUTERD start evrouterd on a free port against EVR_DB_DSN; sets EVR_ADDR,
#                              EVR_HTTP_ADDR (its HTTP listener, also on a free port), EVR_PID,
#                              EVR_SERVER_LOG; waits (<= 30 s) for Health SERVING
#   evr_stop_server            stop EVR_PID (and only it)
#   evr_buf ARGS...            buf curl --protocol grpc --http2-prior-knowledge, with the
#                              admin's bearer token (EVR_ADMIN_TOKEN), ARGS...
#   evr_buf_anonymous ARGS...  the same without a token
#   evr_json EXPR              run python EXPR on the JSON on stdin (bound to `d`), print result
#   evr_sanitizer_report FILE  print the first sanitizer report in FILE; false when it has none
#
# An EXIT trap stops the server, fails the test if the server's log holds a
# sanitizer report (a sanitized build's evrouterd), and drops the database.

set -euo pipefail

EVR_PID=""
EVR_ADDR=""
EVR_HTTP_ADDR=""
EVR_DB_NAME=""
EVR_DB_DSN=""
EVR_SERVER_LOG=""
EVR_TMP="$(mktemp -d "${TMPDIR:-/tmp}/evr-shell.XXXXXX")"
# evr_start_server gives evrouterd this admin token (EVROUTER_ADMIN_TOKEN).
EVR_ADMIN_TOKEN="evr-shell-admin-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"

evr_fail() {
  echo "FAIL: $*" >&2
  if [[ -n "$EVR_SERVER_LOG" && -s "$EVR_SERVER_LOG" ]]; then
    echo "---- evrouterd log (last 40 lines) ----" >&2
    tail -n 40 "$EVR_SERVER_LOG" >&2 || true
  fi
  exit 1
}

evr_require_env() {
  [[ -n "${EVROUTER_TEST_PG_DSN:-}" ]] \
    || evr_fail "EVROUTER_TEST_PG_DSN is not set (run the tests through scripts/test.sh)"
  [[ -n "${EVROUTER_BUF:-}" ]] \
    || evr_fail "EVROUTER_BUF is not set (run the tests through scripts/test.sh)"
  [[ -x "$EVROUTER_BUF" ]] || evr_fail "EVROUTER_BUF=$EVROUTER_BUF is not executable"
  command -v psql >/dev/null || evr_fail "psql is not installed (scripts/deps.sh)"
  command -v python3 >/dev/null || evr_fail "python3 is not installed (scripts/deps.sh)"
}

evr_psql() {
  psql "$EVROUTER_TEST_PG_DSN" -X -v ON_ERROR_STOP=1 -Atq "$@"
}

evr_new_database() {
  EVR_DB_NAME="evr_shell_$(date +%s)_$$_${RANDOM}"
  evr_psql -c "CREATE DATABASE \"$EVR_DB_NAME\"" || evr_fail "could not create database $EVR_DB_NAME"
  [[ "$EVROUTER_TEST_PG_DSN" == */postgres ]] \
    || evr_fail "EVROUTER_TEST_PG_DSN must end in /postgres: $EVROUTER_TEST_PG_DSN"
  EVR_DB_DSN="${EVROUTER_TEST_PG_DSN%/postgres}/$EVR_DB_NAME"
}

evr_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

evr_buf() {
  "$EVROUTER_BUF" curl --protocol grpc --http2-prior-knowledge --timeout 30s \
    -H "authorization: Bearer $EVR_ADMIN_TOKEN" --reflect-header '*' "$@"
}

evr_buf_anonymous() {
  "$EVROUTER_BUF" curl --protocol grpc --http2-prior-knowledge --timeout 30s "$@"
}

evr_json() {
  python3 -c "import json,sys; d=json.load(sys.stdin); r=($1); print(r if not isinstance(r,(dict,list)) else json.dumps(r))"
}

evr_start_server() {
  local evrouterd="$1"
  shift
  [[ -x "$evrouterd" ]] || evr_fail "no evrouterd at $evrouterd"
  [[ -n "$EVR_DB_DSN" ]] || evr_fail "evr_start_server needs evr_new_database first"
  local port
  port="$(evr_free_port)"
  EVR_ADDR="127.0.0.1:$port"
  EVR_SERVER_LOG="$EVR_TMP/evrouterd.log"
  EVROUTER_ADMIN_TOKEN="$EVR_ADMIN_TOKEN" "$evrouterd" --listen "$EVR_ADDR" \
    --http-listen 127.0.0.1:0 --pg-dsn "$EVR_DB_DSN" "$@" >"$EVR_SERVER_LOG" 2>&1 &
  EVR_PID=$!
  local deadline=$((SECONDS + 30)) out
  while true; do
    if ! kill -0 "$EVR_PID" 2>/dev/null; then
      local rc=0
      wait "$EVR_PID" || rc=$?
      EVR_PID=""
      evr_fail "evrouterd exited (code $rc) before it was serving"
    fi
    out="$(evr_buf --connect-timeout 2 --timeout 5s -d '{}' \
      "http://$EVR_ADDR/grpc.health.v1.Health/Check" 2>"$EVR_TMP/health.err" || true)"
    if [[ "$(printf '%s' "$out" | python3 -c 'import json,sys
try: print(json.load(sys.stdin).get("status",""))
except Exception: print("")' 2>/dev/null)" == "SERVING" ]]; then
      # "http listening on HOST:PORT (...)" names the HTTP port it bound.
      EVR_HTTP_ADDR="$(sed -n 's/.*http listening on \([^ ]*\) .*/\1/p' "$EVR_SERVER_LOG" | tail -n 1)"
      return 0
    fi
    ((SECONDS < deadline)) \
      || evr_fail "evrouterd at $EVR_ADDR not SERVING within 30 s (last Health/Check: ${out:-} $(cat "$EVR_TMP/health.err"))"
    sleep 0.2
  done
}

evr_stop_server() {
  if [[ -n "$EVR_PID" ]]; then
    if kill -0 "$EVR_PID" 2>/dev/null; then
      kill -TERM "$EVR_PID" 2>/dev/null || true
      local i
      for i in $(seq 1 100); do
        kill -0 "$EVR_PID" 2>/dev/null || break
        sleep 0.1
      done
      kill -0 "$EVR_PID" 2>/dev/null && kill -KILL "$EVR_PID" 2>/dev/null || true
    fi
    wait "$EVR_PID" 2>/dev/null || true
    EVR_PID=""
  fi
}

evr_sanitizer_report() {
  [[ -f "$1" ]] || return 1
  local line
  line="$(grep -n -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' "$1" | cut -d: -f1)"
  [[ -n "$line" ]] || return 1
  tail -n "+$line" "$1" | head -n 80
}

evr_cleanup() {
  local rc=$?
  trap - EXIT
  evr_stop_server
  if [[ -n "$EVR_SERVER_LOG" ]] && evr_sanitizer_report "$EVR_SERVER_LOG" >"$EVR_TMP/sanitizer" 2>&1; then
    echo "FAIL: evrouterd reported a sanitizer error:" >&2
    cat "$EVR_TMP/sanitizer" >&2
    rc=1
  fi
  if [[ -n "$EVR_DB_NAME" ]]; then
    psql "$EVROUTER_TEST_PG_DSN" -X -Atq \
      -c "DROP DATABASE IF EXISTS \"$EVR_DB_NAME\" WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$EVR_TMP"
  exit "$rc"
}
trap evr_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
