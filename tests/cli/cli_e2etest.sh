#!/usr/bin/env bash
# End-to-end test of the `evrouter` CLI against a real evrouterd on a fresh
# database. Usage: cli_e2etest.sh PATH/TO/evrouterd PATH/TO/evrouter
# Needs EVROUTER_TEST_PG_DSN (a URI ending in /postgres); fails without it.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 EVROUTERD EVROUTER" >&2
  exit 1
fi
EVROUTERD=$1
EVROUTER=$2
if [[ -z "${EVROUTER_TEST_PG_DSN:-}" ]]; then
  echo "FAIL: EVROUTER_TEST_PG_DSN is not set" >&2
  exit 1
fi
if [[ "$EVROUTER_TEST_PG_DSN" != */postgres ]]; then
  echo "FAIL: EVROUTER_TEST_PG_DSN must end in /postgres" >&2
  exit 1
fi
for binary in "$EVROUTERD" "$EVROUTER"; do
  if [[ ! -x "$binary" ]]; then
    echo "FAIL: $binary is not an executable" >&2
    exit 1
  fi
done

DB="evrouter_cli_e2e_$$_$RANDOM"
DSN="${EVROUTER_TEST_PG_DSN%/postgres}/$DB"
WORK=$(mktemp -d)
SERVER_PID=""

cleanup() {
  if [[ -n "$SERVER_PID" ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  timeout 30 psql "$EVROUTER_TEST_PG_DSN" -q -v ON_ERROR_STOP=1 \
    -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  if [[ -s "$WORK/server.log" ]]; then
    echo "--- evrouterd log (tail) ---" >&2
    tail -n 30 "$WORK/server.log" >&2
  fi
  exit 1
}

# Runs the CLI with a bound runtime; stdout to $WORK/out, stderr to
# $WORK/err, exit code in $RC.
cli() {
  set +e
  timeout 60 "$EVROUTER" --server "$ADDR" "$@" >"$WORK/out" 2>"$WORK/err"
  RC=$?
  set -e
}

expect_rc() {
  local want=$1
  shift
  [[ "$RC" == "$want" ]] ||
    fail "$* exited $RC, want $want; stdout: $(head -c 500 "$WORK/out"); stderr: $(head -c 500 "$WORK/err")"
}

expect_out_has() {
  grep -qF -- "$1" "$WORK/out" ||
    fail "stdout lacks '$1': $(head -c 500 "$WORK/out")"
}

expect_err_has() {
  grep -qF -- "$1" "$WORK/err" ||
    fail "stderr lacks '$1': $(head -c 500 "$WORK/err")"
}

timeout 30 psql "$EVROUTER_TEST_PG_DSN" -q -v ON_ERROR_STOP=1 \
  -c "CREATE DATABASE \"$DB\"" >/dev/null || fail "cannot create database $DB"

PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
ADDR="127.0.0.1:$PORT"
"$EVROUTERD" --listen "$ADDR" --pg-dsn "$DSN" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

# Wait for SERVING, polling for up to 30 s.
deadline=$((SECONDS + 30))
until timeout 5 "$EVROUTER" --server "$ADDR" --timeout 1s health \
  >/dev/null 2>&1; do
  kill -0 "$SERVER_PID" 2>/dev/null || fail "evrouterd exited during startup"
  ((SECONDS < deadline)) || fail "evrouterd not SERVING within 30 s"
  sleep 0.1
done

cli health
expect_rc 0 health
expect_out_has SERVING

# --- exchange create / get / list / delete -----------------------------------
cli exchange create orders
expect_rc 0 exchange create orders
expect_out_has "name:        orders"
expect_out_has "kind:        fanout"
expect_out_has "head_offset: 0"

cli --json exchange create audit --kind topic
expect_rc 0 exchange create audit --kind topic
expect_out_has '"name":"audit"'
expect_out_has '"kind":"EXCHANGE_KIND_TOPIC"'
expect_out_has '"head_offset":"0"'

cli exchange create orders
expect_rc 0 "exchange create orders (same spec again)"
expect_out_has "name:        orders"

cli exchange create orders --kind direct
expect_rc 1 "exchange create orders --kind direct"
expect_err_has "evrouter: ALREADY_EXISTS: "

cli exchange get orders
expect_rc 0 exchange get orders
expect_out_has "name:        orders"
expect_out_has "kind:        fanout"

cli exchange get missing
expect_rc 1 exchange get missing
expect_err_has "evrouter: NOT_FOUND: "

cli exchange list
expect_rc 0 exchange list
head -n 1 "$WORK/out" | grep -q '^NAME  *KIND  *HEAD_OFFSET  *CREATED_AT$' ||
  fail "exchange list header: $(head -n 1 "$WORK/out")"
[[ $(sed -n 2p "$WORK/out" | awk '{print $1, $2}') == "audit topic" ]] ||
  fail "exchange list row 1: $(sed -n 2p "$WORK/out")"
[[ $(sed -n 3p "$WORK/out" | awk '{print $1, $2}') == "orders fanout" ]] ||
  fail "exchange list row 2: $(sed -n 3p "$WORK/out")"

cli --json exchange list
expect_rc 0 exchange list --json
[[ $(wc -l <"$WORK/out") -eq 2 ]] || fail "exchange list --json: $(cat "$WORK/out")"
sed -n 1p "$WORK/out" | grep -qF '"name":"audit"' || fail "json list order"
sed -n 2p "$WORK/out" | grep -qF '"name":"orders"' || fail "json list order"

cli exchange delete audit
expect_rc 0 exchange delete audit
expect_out_has "deleted exchange audit"
cli exchange get audit
expect_rc 1 exchange get audit after delete
expect_err_has "evrouter: NOT_FOUND: "
cli --json exchange list
[[ $(wc -l <"$WORK/out") -eq 1 ]] || fail "list after delete: $(cat "$WORK/out")"

# --- publish from arguments ---------------------------------------------------
N=5
cli publish orders --type order.created --source e2e --header k=v p1 p2 p3 p4 p5
expect_rc 0 publish from args
[[ $(wc -l <"$WORK/out") -eq $N ]] || fail "publish printed: $(cat "$WORK/out")"
for i in $(seq 1 $N); do
  sed -n "${i}p" "$WORK/out" | grep -q "^published offset=$i id=[0-9a-f-]\{36\}$" ||
    fail "publish line $i: $(sed -n "${i}p" "$WORK/out")"
done

# --- publish from stdin ---------------------------------------------------------
PAYLOAD=$(printf 'order line' | base64)
for ((i = 1; i <= 1000; i++)); do
  printf '{"type":"order.line","headers":{"n":"%d"},"payload":"%s"}\n' \
    "$i" "$PAYLOAD"
  if ((i % 250 == 0)); then echo; fi  # blank lines are skipped
done >"$WORK/events.jsonl"
set +e
timeout 60 "$EVROUTER" --server "$ADDR" --json publish orders --source e2e \
  <"$WORK/events.jsonl" >"$WORK/out" 2>"$WORK/err"
RC=$?
set -e
expect_rc 0 publish from stdin
[[ $(wc -l <"$WORK/out") -eq 1000 ]] || fail "stdin publish printed $(wc -l <"$WORK/out") lines"
sed -n 1p "$WORK/out" | grep -qF "\"offset\":\"$((N + 1))\"" ||
  fail "first stdin offset: $(sed -n 1p "$WORK/out")"
sed -n 1000p "$WORK/out" | grep -qF "\"offset\":\"$((N + 1000))\"" ||
  fail "last stdin offset: $(sed -n 1000p "$WORK/out")"

cli --json exchange get orders
expect_rc 0 exchange get orders --json
expect_out_has "\"head_offset\":\"$((N + 1000))\""

# A malformed line: earlier lines are stored, the error names the line, and
# nothing after it is sent.
printf '{"type":"ok.one"}\n{"type":\n{"type":"never.sent"}\n' >"$WORK/bad.jsonl"
set +e
timeout 60 "$EVROUTER" --server "$ADDR" publish orders \
  <"$WORK/bad.jsonl" >"$WORK/out" 2>"$WORK/err"
RC=$?
set -e
expect_rc 1 publish malformed stdin
expect_err_has "evrouter: INVALID_ARGUMENT: line 2: "
expect_out_has "published offset=$((N + 1001)) "
cli --json exchange get orders
expect_out_has "\"head_offset\":\"$((N + 1001))\""

# --- duplicate ids --------------------------------------------------------------
ID=0190a4b2-5e6f-7000-8000-00000000c11e
cli publish orders --type order.created --id "$ID" first
expect_rc 0 publish with id
expect_out_has "published offset=$((N + 1002)) id=$ID"
cli publish orders --type order.created --id "$ID" again
expect_rc 0 publish duplicate id
expect_out_has "published offset=$((N + 1002)) id=$ID duplicate"
cli --json publish orders --type order.created --id "$ID" again
expect_out_has "\"offset\":\"$((N + 1002))\",\"duplicate\":true,\"id\":\"$ID\""

# An id names one event: with several payloads or stdin it is a usage error,
# and nothing is published.
cli publish orders --type order.created --id "$ID" a b
expect_rc 2 publish with id and two payloads
expect_err_has "evrouter: --id names one event"
cli publish orders --id "$ID" </dev/null
expect_rc 2 publish with id from stdin
expect_err_has "evrouter: --id names one event"
cli --json exchange get orders
expect_out_has "\"head_offset\":\"$((N + 1002))\""

# --- errors ---------------------------------------------------------------------
cli exchange create 'bad name!'
expect_rc 1 exchange create with bad name
expect_err_has "evrouter: INVALID_ARGUMENT: "

cli publish 'bad name!' --type t x
expect_rc 1 publish to bad exchange name
expect_err_has "evrouter: INVALID_ARGUMENT: "

cli publish missing --type t x
expect_rc 1 publish to missing exchange
expect_err_has "evrouter: NOT_FOUND: "

cli exchange frobnicate
expect_rc 2 usage error
expect_err_has "usage: evrouter"

echo "PASS: CliE2E.ExchangeAndPublish"
