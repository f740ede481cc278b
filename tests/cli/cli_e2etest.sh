#!/usr/bin/env bash
# End-to-end test of the `evrouter` CLI against a real evrouterd on a fresh
# database. Usage: cli_e2etest.sh PATH/TO/evrouterd PATH/TO/evrouter
# Needs EVROUTER_TEST_PG_DSN (a URI ending in /postgres); fails without it.
# The server starts with an admin token (EVROUTER_ADMIN_TOKEN) that every CLI
# call sends (EVROUTER_TOKEN) unless a step gives another one.
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
# Only the credentials this script gives: none from the caller's environment
# or config directory.
unset EVROUTER_SERVER EVROUTER_TOKEN EVROUTER_TOKEN_FILE \
  EVROUTER_TLS_CA EVROUTER_TLS_CERT EVROUTER_TLS_KEY
export XDG_CONFIG_HOME="$WORK/config"
# A token in the format the server issues: evr_<12 hex>_<43 base64url>.
ADMIN_TOKEN=$(python3 -c 'import secrets; print("evr_" + secrets.token_hex(6) + "_" + secrets.token_urlsafe(32))')
export EVROUTER_TOKEN="$ADMIN_TOKEN"
SERVER_PID=""
BG_PID=""  # a background `evrouter subscribe`

# Prints the first sanitizer report in file $1 (a sanitized build reports to
# stderr); false when it has none.
sanitizer_report() {
  local line
  line="$(grep -n -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' "$1" 2>/dev/null | cut -d: -f1)"
  [[ -n "$line" ]] || return 1
  tail -n "+$line" "$1" | head -n 80
}

cleanup() {
  local rc=$?
  if [[ -n "$BG_PID" ]]; then
    kill "$BG_PID" 2>/dev/null || true
    wait "$BG_PID" 2>/dev/null || true
  fi
  if [[ -n "$SERVER_PID" ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  # The server's exit (leak check included) is over: a report fails the test.
  if sanitizer_report "$WORK/server.log" >"$WORK/sanitizer"; then
    echo "FAIL: evrouterd reported a sanitizer error:" >&2
    cat "$WORK/sanitizer" >&2
    rc=1
  fi
  timeout 30 psql "$EVROUTER_TEST_PG_DSN" -q -v ON_ERROR_STOP=1 \
    -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
  exit "$rc"
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
  if sanitizer_report "$WORK/err" >"$WORK/sanitizer"; then
    fail "evrouter $* reported a sanitizer error: $(cat "$WORK/sanitizer")"
  fi
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

# Fails when stdout or stderr of the last call holds the secret part of the
# token $1 (only `token issue` may print a token).
expect_token_not_printed() {
  local secret=${1#evr_*_}
  if grep -qF -- "$secret" "$WORK/out" "$WORK/err"; then
    fail "a token was printed: stdout $(head -c 300 "$WORK/out"); stderr $(head -c 300 "$WORK/err")"
  fi
}

# The offsets of the event lines `evrouter subscribe` printed, space-separated;
# fails when stdout holds anything but event lines.
event_offsets() {
  if grep -qv '^offset=[0-9][0-9]* type=' "$WORK/out"; then
    fail "subscribe printed a non-event line: $(grep -v '^offset=' "$WORK/out" | head -n 3)"
  fi
  sed -n 's/^offset=\([0-9]*\) .*/\1/p' "$WORK/out" | tr '\n' ' ' | sed 's/ $//'
}

# The same for `--json subscribe`: every line must be a JSON object.
json_offsets() {
  python3 -c 'import json,sys; print(" ".join(str(int(json.loads(l)["offset"])) for l in sys.stdin))' \
    <"$WORK/out" || fail "subscribe --json printed a non-JSON line: $(head -c 500 "$WORK/out")"
}

expect_offsets() {
  local want=$1 got
  shift
  got=$(event_offsets)
  [[ "$got" == "$want" ]] || fail "$*: offsets '$got', want '$want'"
}

# Polls `consumer list --queue QUEUE` (up to 15 s) until consumer NAME shows
# "STATE COMMITTED" matching the glob WANT, e.g. "SLEEPING 5" or "ACTIVE *".
wait_consumer() {
  local queue=$1 name=$2 want=$3 got="" deadline=$((SECONDS + 15))
  while true; do
    got=$(timeout 10 "$EVROUTER" --server "$ADDR" consumer list --queue "$queue" 2>/dev/null |
      awk -v n="$name" '$2 == n {print $3, $4}' || true)
    # shellcheck disable=SC2053  # WANT is a glob
    [[ "$got" == $want ]] && return 0
    ((SECONDS < deadline)) || fail "consumer $queue/$name is '$got', want '$want'"
    sleep 0.1
  done
}

# Starts `evrouter ARGS...` in the background (stdout $WORK/bg.out, stderr
# $WORK/bg.err); its pid in BG_PID. A script's background job ignores
# SIGINT, so tests stop it with SIGTERM.
bg_cli() {
  timeout 120 "$EVROUTER" --server "$ADDR" "$@" >"$WORK/bg.out" 2>"$WORK/bg.err" &
  BG_PID=$!
}

# Waits for the background CLI to exit; its exit code in BG_RC.
bg_wait() {
  set +e
  wait "$BG_PID"
  BG_RC=$?
  set -e
  BG_PID=""
  if sanitizer_report "$WORK/bg.err" >"$WORK/sanitizer"; then
    fail "background evrouter reported a sanitizer error: $(cat "$WORK/sanitizer")"
  fi
}

timeout 30 psql "$EVROUTER_TEST_PG_DSN" -q -v ON_ERROR_STOP=1 \
  -c "CREATE DATABASE \"$DB\"" >/dev/null || fail "cannot create database $DB"

# Starts evrouterd with the admin token and the extra flags "$@" on a free
# port of the database; sets ADDR and SERVER_PID. Its log goes to
# $WORK/server.log.
start_server() {
  local port
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  ADDR="127.0.0.1:$port"
  EVROUTER_ADMIN_TOKEN="$ADMIN_TOKEN" "$EVROUTERD" --listen "$ADDR" --pg-dsn "$DSN" \
    --http-listen 127.0.0.1:0 "$@" \
    >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
}

# Waits for SERVING, polling `evrouter "$@" health` for up to 30 s.
wait_serving() {
  local deadline=$((SECONDS + 30))
  until timeout 5 "$EVROUTER" --server "$ADDR" --timeout 1s "$@" health \
    >/dev/null 2>&1; do
    kill -0 "$SERVER_PID" 2>/dev/null || fail "evrouterd exited during startup"
    ((SECONDS < deadline)) || fail "evrouterd not SERVING within 30 s"
    sleep 0.1
  done
}

# Stops evrouterd (SIGTERM) and waits for it.
stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

start_server
wait_serving

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

# --- queue create / get / list ------------------------------------------------
cli exchange create subs
expect_rc 0 exchange create subs

cli queue create subq --exchange subs
expect_rc 0 queue create subq
expect_out_has "name:         subq"
expect_out_has "exchange:     subs"
expect_out_has "bindings:     -"

cli queue create subq --exchange subs
expect_rc 0 "queue create subq (same spec again)"

cli queue create nowhere --exchange missing
expect_rc 1 queue create on a missing exchange
expect_err_has "evrouter: NOT_FOUND: "

cli queue create fanbound --exchange subs --binding a.b
expect_rc 1 queue create with a binding on a fanout exchange
expect_err_has "evrouter: INVALID_ARGUMENT: "

cli queue create nobinding --exchange orders --limit-size 0
expect_rc 2 "queue create --limit-size 0"
expect_err_has "usage: evrouter"

cli queue get subq
expect_rc 0 queue get subq
expect_out_has "name:         subq"

cli queue get missing
expect_rc 1 queue get missing
expect_err_has "evrouter: NOT_FOUND: "

cli --json queue list --exchange subs
expect_rc 0 queue list --exchange subs
[[ $(wc -l <"$WORK/out") -eq 1 ]] || fail "queue list --exchange subs: $(cat "$WORK/out")"
expect_out_has '"name":"subq"'

# --- subscribe: limit, resume, seek -------------------------------------------
cli publish subs --type sub.test s1 s2 s3 s4 s5
expect_rc 0 publish to subs
[[ $(wc -l <"$WORK/out") -eq 5 ]] || fail "publish to subs printed: $(cat "$WORK/out")"
sed -n 5p "$WORK/out" | grep -q '^published offset=5 ' ||
  fail "publish to subs: $(cat "$WORK/out")"

# Created after the events: `late` starts at the head, `early` holds them.
cli queue create late --exchange subs
expect_rc 0 queue create late
cli queue create early --exchange subs --from-earliest
expect_rc 0 queue create early --from-earliest

# A new consumer starts at the beginning of its queue; --limit acknowledges
# exactly up to the last printed event.
cli subscribe subq --consumer c1 --limit 3
expect_rc 0 subscribe --limit 3
expect_offsets "1 2 3" subscribe --limit 3
sed -n 1p "$WORK/out" | grep -q '^offset=1 type=sub.test id=[0-9a-f-]\{36\} payload=s1$' ||
  fail "subscribe line 1: $(sed -n 1p "$WORK/out")"
wait_consumer subq c1 "SLEEPING 3"

# Resume gets exactly the rest, then --wait ends it.
cli subscribe subq --consumer c1 --wait 2
expect_rc 0 subscribe --wait 2
expect_offsets "4 5" subscribe --wait 2 after --limit 3
wait_consumer subq c1 "SLEEPING 5"

cli consumer list
expect_rc 0 consumer list
head -n 1 "$WORK/out" | grep -q '^QUEUE  *NAME  *STATE  *COMMITTED  *LAG  *LAST_ACTIVE$' ||
  fail "consumer list header: $(head -n 1 "$WORK/out")"
[[ $(awk '$1 == "subq" && $2 == "c1" {print $3, $4}' "$WORK/out") == "SLEEPING 5" ]] ||
  fail "consumer list row subq/c1: $(cat "$WORK/out")"

cli consumer seek subq c1 --offset 2
expect_rc 0 consumer seek --offset 2
expect_out_has "name:             c1"

cli --json subscribe subq --consumer c1 --wait 2
expect_rc 0 subscribe --json after seek
[[ $(json_offsets) == "2 3 4 5" ]] || fail "subscribe --json after seek: $(cat "$WORK/out")"
sed -n 1p "$WORK/out" | python3 -c 'import base64,json,sys
d = json.load(sys.stdin)
assert base64.b64decode(d["payload"]) == b"s2", d
assert d["type"] == "sub.test" and d["exchange"] == "subs", d' ||
  fail "subscribe --json line 1: $(sed -n 1p "$WORK/out")"
[[ ! -s "$WORK/err" ]] || fail "subscribe --json wrote to stderr: $(cat "$WORK/err")"
wait_consumer subq c1 "SLEEPING 5"

cli consumer seek subq c1 --time 1970-01-01T00:00:00Z
expect_rc 0 consumer seek --time
cli subscribe subq --consumer c1 --limit 1
expect_rc 0 subscribe --limit 1 after seek --time
expect_offsets "1" subscribe after seek --time
wait_consumer subq c1 "SLEEPING 1"

# --from: an offset, latest, earliest.
cli subscribe subq --consumer c2 --from 4 --wait 1
expect_rc 0 subscribe --from 4
expect_offsets "4 5" subscribe --from 4
cli subscribe subq --consumer c3 --from latest --wait 1
expect_rc 0 subscribe --from latest
expect_offsets "" subscribe --from latest
wait_consumer subq c3 "SLEEPING *"
cli subscribe subq --consumer c3 --from earliest --limit 2
expect_rc 0 subscribe --from earliest
expect_offsets "1 2" subscribe --from earliest

cli subscribe late --consumer c1 --wait 1
expect_rc 0 subscribe late
expect_offsets "" subscribe to a queue created after the events
cli subscribe early --consumer c1 --limit 5
expect_rc 0 subscribe early
expect_offsets "1 2 3 4 5" subscribe to a --from-earliest queue

cli subscribe missing --consumer c1 --limit 1
expect_rc 1 subscribe to a missing queue
expect_err_has "evrouter: NOT_FOUND: "

cli subscribe subq --limit 1
expect_rc 2 subscribe without --consumer
expect_err_has "evrouter: subscribe needs --consumer NAME"
cli subscribe subq --consumer c1 --from yesterday
expect_rc 2 subscribe --from yesterday
cli subscribe subq --consumer c1 --limit 0
expect_rc 2 subscribe --limit 0
cli consumer seek subq c1 --offset 2 --time 1970-01-01T00:00:00Z
expect_rc 2 consumer seek with --offset and --time
cli consumer seek subq c1
expect_rc 2 consumer seek without a target

# --- an ACTIVE consumer: seek and a second stream are refused, --takeover ----
bg_cli subscribe subq --consumer hold --from latest
wait_consumer subq hold "ACTIVE *"
cli consumer seek subq hold --offset 1
expect_rc 1 consumer seek while ACTIVE
expect_err_has "evrouter: FAILED_PRECONDITION: "
cli subscribe subq --consumer hold --wait 1
expect_rc 1 second subscribe without --takeover
expect_err_has "evrouter: FAILED_PRECONDITION: "
cli subscribe subq --consumer hold --takeover --wait 1
expect_rc 0 subscribe --takeover
expect_offsets "" subscribe --takeover
bg_wait
[[ "$BG_RC" == 1 ]] || fail "taken-over subscribe exited $BG_RC: $(cat "$WORK/bg.err")"
grep -qF "evrouter: ABORTED: " "$WORK/bg.err" ||
  fail "taken-over subscribe stderr: $(cat "$WORK/bg.err")"

# SIGTERM ends a running subscribe with exit 0 once its ack is stored.
wait_consumer subq hold "SLEEPING 5"
bg_cli subscribe subq --consumer hold
wait_consumer subq hold "ACTIVE *"
cli publish subs --type sub.test s6
expect_rc 0 publish s6
deadline=$((SECONDS + 15))
until grep -q '^offset=6 ' "$WORK/bg.out"; do
  ((SECONDS < deadline)) || fail "background subscribe did not print offset 6: $(cat "$WORK/bg.out")"
  sleep 0.1
done
kill -TERM "$BG_PID"
bg_wait
[[ "$BG_RC" == 0 ]] || fail "subscribe after SIGTERM exited $BG_RC: $(cat "$WORK/bg.err")"
[[ $(cat "$WORK/bg.out") == "offset=6 type=sub.test id="*" payload=s6" ]] ||
  fail "background subscribe printed: $(cat "$WORK/bg.out")"
wait_consumer subq hold "SLEEPING 6"

# --- consumer create / delete, queue delete -------------------------------------
cli consumer create subq c9
expect_rc 0 consumer create
expect_out_has "state:            SLEEPING"
cli consumer delete subq c9
expect_rc 0 consumer delete
expect_out_has "deleted consumer subq/c9"
cli consumer delete subq c9
expect_rc 1 consumer delete again
expect_err_has "evrouter: NOT_FOUND: "

# --- stats ------------------------------------------------------------------------
cli --json stats
expect_rc 0 stats --json
[[ $(wc -l <"$WORK/out") -eq 1 ]] || fail "stats --json is not one line: $(head -c 500 "$WORK/out")"
python3 -c 'import json,sys
d = json.load(sys.stdin)
ex = {e["name"]: e for e in d["exchanges"]}
assert int(ex["subs"]["head_offset"]) == 6, ex
qs = {q["name"]: q for q in d["queues"]}
assert qs["subq"]["exchange"] == "subs", qs
cs = {c["name"]: c for c in qs["subq"]["consumers"]}
assert cs["c1"]["state"] == "CONSUMER_STATE_SLEEPING", cs
assert int(cs["hold"]["committed_offset"]) == 6, cs' <"$WORK/out" ||
  fail "stats --json: $(head -c 1000 "$WORK/out")"

cli stats
expect_rc 0 stats
grep -q '^EXCHANGE  *KIND  *HEAD_OFFSET  *IN/S(10s)  *IN/S(1m)$' "$WORK/out" ||
  fail "stats exchange header: $(cat "$WORK/out")"
grep -q '^QUEUE  *EXCHANGE  *OUT/S(10s)  *OUT/S(1m)  *BUFFERED  *FILL$' "$WORK/out" ||
  fail "stats queue header: $(cat "$WORK/out")"
grep -q '^CONSUMER  *STATE  *COMMITTED  *LAG  *LAST_ACTIVE$' "$WORK/out" ||
  fail "stats consumer header: $(cat "$WORK/out")"
[[ $(awk '$1 == "subq/hold" {print $2, $3}' "$WORK/out") == "SLEEPING 6" ]] ||
  fail "stats row subq/hold: $(cat "$WORK/out")"

cli queue delete late
expect_rc 0 queue delete late
expect_out_has "deleted queue late"
cli queue get late
expect_rc 1 queue get late after delete
expect_err_has "evrouter: NOT_FOUND: "

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

# --- users, permissions and tokens ----------------------------------------------
# Everything above ran with the admin token. svc may publish to "orders" and
# subscribe to "subq"; nobody starts without permissions.
cli user create svc --publish orders --subscribe subq
expect_rc 0 user create svc
expect_out_has "name:        svc"
expect_out_has "permissions: publish:orders subscribe:subq"
expect_out_has "tokens:      -"
cli user create svc
expect_rc 1 user create svc again
expect_err_has "evrouter: ALREADY_EXISTS: "
cli user create nobody
expect_rc 0 user create nobody
expect_out_has "permissions: -"

# token issue prints the token alone on stdout and a note with its id on stderr.
cli token issue svc --description e2e
expect_rc 0 token issue svc
if [[ $(wc -l <"$WORK/out") -ne 1 ]] ||
  ! grep -Eq '^evr_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$' "$WORK/out"; then
  fail "token issue printed: $(head -c 300 "$WORK/out")"
fi
SVC_TOKEN=$(cat "$WORK/out")
SVC_ID=$(cut -d_ -f2 <<<"$SVC_TOKEN")
expect_err_has "evrouter: token $SVC_ID for user svc is shown only this once"
if grep -qF -- "${SVC_TOKEN#evr_*_}" "$WORK/err"; then
  fail "token issue printed the token on stderr"
fi

cli --json token issue nobody --description e2e-json
expect_rc 0 token issue --json
NOBODY_TOKEN=$(python3 -c 'import json,sys
d = json.load(sys.stdin)
assert d["user"] == "nobody" and d["info"]["description"] == "e2e-json", d
assert d["token"].startswith("evr_" + d["info"]["id"] + "_"), d
print(d["token"])' <"$WORK/out") || fail "token issue --json: $(head -c 300 "$WORK/out")"
NOBODY_ID=$(cut -d_ -f2 <<<"$NOBODY_TOKEN")
[[ ! -s "$WORK/err" ]] || fail "token issue --json wrote to stderr: $(cat "$WORK/err")"

cli token issue missing
expect_rc 1 token issue for a missing user
expect_err_has "evrouter: NOT_FOUND: "

cli user list
expect_rc 0 user list
head -n 1 "$WORK/out" | grep -q '^NAME  *PERMISSIONS  *TOKENS  *CREATED_AT$' ||
  fail "user list header: $(head -n 1 "$WORK/out")"
[[ $(awk '$1 == "svc" {print $2, $3}' "$WORK/out") == "publish:orders,subscribe:subq $SVC_ID" ]] ||
  fail "user list row svc: $(cat "$WORK/out")"
[[ $(awk '$1 == "nobody" {print $2, $3}' "$WORK/out") == "- $NOBODY_ID" ]] ||
  fail "user list row nobody: $(cat "$WORK/out")"
expect_token_not_printed "$SVC_TOKEN"

cli --json user list
expect_rc 0 user list --json
python3 -c 'import json,sys
users = {u["name"]: u for u in map(json.loads, sys.stdin)}
svc = users["svc"]
assert [(p["action"], p["pattern"]) for p in svc["permissions"]] == [
    ("PERMISSION_ACTION_PUBLISH", "orders"),
    ("PERMISSION_ACTION_SUBSCRIBE", "subq")], svc
assert [(t["id"], t["description"]) for t in svc["tokens"]] == [(sys.argv[1], "e2e")], svc
assert users["nobody"]["permissions"] == [], users["nobody"]' "$SVC_ID" <"$WORK/out" ||
  fail "user list --json: $(head -c 1000 "$WORK/out")"
expect_token_not_printed "$SVC_TOKEN"

# svc's token: its permissions, nothing else.
EVROUTER_TOKEN=$SVC_TOKEN cli publish orders --type auth.test a1
expect_rc 0 publish with the svc token
expect_out_has "published offset="
EVROUTER_TOKEN=$SVC_TOKEN cli subscribe subq --consumer auth1 --limit 2
expect_rc 0 subscribe with the svc token
expect_offsets "1 2" subscribe with the svc token
EVROUTER_TOKEN=$SVC_TOKEN cli publish subs --type auth.test a2
expect_rc 1 publish outside the svc permissions
expect_err_has "evrouter: PERMISSION_DENIED: "
EVROUTER_TOKEN=$SVC_TOKEN cli subscribe early --consumer auth1 --limit 1
expect_rc 1 subscribe outside the svc permissions
expect_err_has "evrouter: PERMISSION_DENIED: "
EVROUTER_TOKEN=$SVC_TOKEN cli exchange create authx
expect_rc 1 admin call with the svc token
expect_err_has "evrouter: PERMISSION_DENIED: "
EVROUTER_TOKEN=$SVC_TOKEN cli user list
expect_rc 1 user list with the svc token
expect_err_has "evrouter: PERMISSION_DENIED: "
expect_token_not_printed "$SVC_TOKEN"

# nobody: denied until granted, denied again once revoked.
EVROUTER_TOKEN=$NOBODY_TOKEN cli publish orders --type auth.test n1
expect_rc 1 publish without permissions
expect_err_has "evrouter: PERMISSION_DENIED: "
cli user grant nobody publish '*'
expect_rc 0 user grant publish
expect_out_has "permissions: publish:*"
EVROUTER_TOKEN=$NOBODY_TOKEN cli publish orders --type auth.test n2
expect_rc 0 publish after grant
cli user revoke nobody publish '*'
expect_rc 0 user revoke publish
expect_out_has "permissions: -"
EVROUTER_TOKEN=$NOBODY_TOKEN cli publish orders --type auth.test n3
expect_rc 1 publish after revoke
expect_err_has "evrouter: PERMISSION_DENIED: "
cli user grant nobody admin
expect_rc 0 user grant admin
expect_out_has "permissions: admin"
EVROUTER_TOKEN=$NOBODY_TOKEN cli exchange list
expect_rc 0 admin call after grant admin
cli user revoke nobody admin
expect_rc 0 user revoke admin
EVROUTER_TOKEN=$NOBODY_TOKEN cli exchange list
expect_rc 1 admin call after revoke admin
expect_err_has "evrouter: PERMISSION_DENIED: "

# The other ways to give a token: --token beats EVROUTER_TOKEN; a token file
# (whitespace trimmed) by flag or env; the default file.
EVROUTER_TOKEN=$NOBODY_TOKEN cli --token "$SVC_TOKEN" publish orders --type auth.test t1
expect_rc 0 publish with --token
printf '\n  %s \n' "$SVC_TOKEN" >"$WORK/svc.token"
EVROUTER_TOKEN='' cli --token-file "$WORK/svc.token" publish orders --type auth.test t2
expect_rc 0 publish with --token-file
EVROUTER_TOKEN='' EVROUTER_TOKEN_FILE="$WORK/svc.token" cli publish orders --type auth.test t3
expect_rc 0 publish with EVROUTER_TOKEN_FILE
mkdir -p "$XDG_CONFIG_HOME/evrouter"
cp "$WORK/svc.token" "$XDG_CONFIG_HOME/evrouter/token"
EVROUTER_TOKEN='' cli publish orders --type auth.test t4
expect_rc 0 publish with the default token file
EVROUTER_TOKEN='' cli user list
expect_rc 1 admin call with the default token file of svc
expect_err_has "evrouter: PERMISSION_DENIED: "
rm "$XDG_CONFIG_HOME/evrouter/token"
EVROUTER_TOKEN='' cli --token-file "$WORK/missing.token" exchange list
expect_rc 1 missing token file
expect_err_has "evrouter: NOT_FOUND: cannot read the token file $WORK/missing.token"

# No token at all: UNAUTHENTICATED, and how to give one.
EVROUTER_TOKEN='' cli exchange list
expect_rc 1 exchange list without a token
expect_err_has "evrouter: UNAUTHENTICATED: "
expect_err_has "evrouter: no token was sent; give one with --token TOKEN"

# Revoking a token (here by the whole token) ends its open stream, and every
# later call with it is UNAUTHENTICATED.
EVROUTER_TOKEN=$SVC_TOKEN bg_cli subscribe subq --consumer auth2
wait_consumer subq auth2 "ACTIVE *"
cli token revoke "$SVC_TOKEN"
expect_rc 0 token revoke by the whole token
expect_out_has "revoked token $SVC_ID"
expect_token_not_printed "$SVC_TOKEN"
bg_wait
[[ "$BG_RC" == 1 ]] || fail "subscribe with a revoked token exited $BG_RC: $(cat "$WORK/bg.err")"
grep -qF "evrouter: UNAUTHENTICATED: " "$WORK/bg.err" ||
  fail "subscribe with a revoked token: $(cat "$WORK/bg.err")"
EVROUTER_TOKEN=$SVC_TOKEN cli publish orders --type auth.test r1
expect_rc 1 publish with a revoked token
expect_err_has "evrouter: UNAUTHENTICATED: "
expect_err_has "evrouter: the server refused the token from EVROUTER_TOKEN"
expect_token_not_printed "$SVC_TOKEN"
cli user list
[[ $(awk '$1 == "svc" {print $3}' "$WORK/out") == "-" ]] ||
  fail "svc still lists a token: $(cat "$WORK/out")"

cli token revoke "$NOBODY_ID"
expect_rc 0 token revoke by id
expect_out_has "revoked token $NOBODY_ID"
EVROUTER_TOKEN=$NOBODY_TOKEN cli exchange list
expect_rc 1 exchange list with a token revoked by id
expect_err_has "evrouter: UNAUTHENTICATED: "

# Deleting a user ends its tokens.
cli token issue svc
expect_rc 0 token issue svc again
SVC_TOKEN2=$(cat "$WORK/out")
cli user delete svc
expect_rc 0 user delete svc
expect_out_has "deleted user svc"
EVROUTER_TOKEN=$SVC_TOKEN2 cli publish orders --type auth.test d1
expect_rc 1 publish with a deleted user token
expect_err_has "evrouter: UNAUTHENTICATED: "
cli user delete svc
expect_rc 1 user delete svc again
expect_err_has "evrouter: NOT_FOUND: "
cli --json user delete nobody
expect_rc 0 user delete nobody --json
[[ $(cat "$WORK/out") == "{}" ]] || fail "user delete --json: $(cat "$WORK/out")"
cli user list
[[ -z $(awk '$1 == "svc" || $1 == "nobody"' "$WORK/out") ]] ||
  fail "deleted users listed: $(cat "$WORK/out")"

cli --json stats
expect_rc 0 stats --json after auth failures
python3 -c 'import json,sys
d = json.load(sys.stdin)
assert int(d["auth_failures"]) >= 4, d["auth_failures"]' <"$WORK/out" ||
  fail "stats auth_failures: $(head -c 300 "$WORK/out")"

# Usage errors: exit 2 before anything is sent.
cli user grant nobody read x
expect_rc 2 user grant with an unknown permission
expect_err_has "evrouter: user grant: unknown permission 'read'"
cli user revoke nobody publish
expect_rc 2 user revoke without a pattern
expect_err_has "evrouter: user revoke: publish needs one PATTERN"
cli token revoke not-an-id
expect_rc 2 token revoke with a bad id
expect_err_has "is neither a token id"
cli token
expect_rc 2 token without a command
expect_err_has "evrouter: missing token command (issue, revoke)"
cli --tls-cert "$WORK/svc.token" exchange list
expect_rc 2 tls-cert without tls-key
expect_err_has "a client certificate needs both --tls-cert FILE and --tls-key FILE"

# --- TLS and mTLS --------------------------------------------------------------
# The same database behind a TLS, then an mTLS server; certificates from the
# test CA (tests/support/make_test_certs.sh).
CERTS="$WORK/certs"
bash "$(dirname "${BASH_SOURCE[0]}")/../support/make_test_certs.sh" "$CERTS" >/dev/null 2>&1 ||
  fail "cannot make test certificates"
stop_server
start_server --tls-cert "$CERTS/server.pem" --tls-key "$CERTS/server.key"
wait_serving --tls-ca "$CERTS/ca.pem"
cli --tls-ca "$CERTS/ca.pem" exchange get orders
expect_rc 0 exchange get over TLS with --tls-ca
expect_out_has "name:        orders"
EVROUTER_TLS_CA="$CERTS/ca.pem" cli exchange get orders
expect_rc 0 exchange get over TLS with EVROUTER_TLS_CA
cli exchange get orders
expect_rc 1 plaintext call to a TLS server
expect_err_has "evrouter: UNAVAILABLE: "
cli --tls-ca "$CERTS/other-ca.pem" exchange get orders
expect_rc 1 TLS with the wrong CA
expect_err_has "evrouter: UNAVAILABLE: "
cli --tls exchange get orders
expect_rc 1 TLS with the system roots and a test CA server
expect_err_has "evrouter: UNAVAILABLE: "
cli --tls-ca "$WORK/missing.pem" exchange get orders
expect_rc 1 TLS with a missing CA file
expect_err_has "evrouter: NOT_FOUND: cannot read the CA certificate file $WORK/missing.pem"

stop_server
start_server --tls-cert "$CERTS/server.pem" --tls-key "$CERTS/server.key" \
  --tls-client-ca "$CERTS/ca.pem"
wait_serving --tls-ca "$CERTS/ca.pem" --tls-cert "$CERTS/client.pem" --tls-key "$CERTS/client.key"
cli --tls-ca "$CERTS/ca.pem" --tls-cert "$CERTS/client.pem" --tls-key "$CERTS/client.key" \
  exchange get orders
expect_rc 0 exchange get over mTLS with flags
expect_out_has "name:        orders"
EVROUTER_TLS_CA="$CERTS/ca.pem" EVROUTER_TLS_CERT="$CERTS/client.pem" \
  EVROUTER_TLS_KEY="$CERTS/client.key" cli exchange get orders
expect_rc 0 exchange get over mTLS with EVROUTER_TLS_*
cli --tls-ca "$CERTS/ca.pem" exchange get orders
expect_rc 1 mTLS server without a client certificate
expect_err_has "evrouter: UNAVAILABLE: "
cli --tls-ca "$CERTS/ca.pem" --tls-cert "$CERTS/other-client.pem" \
  --tls-key "$CERTS/other-client.key" exchange get orders
expect_rc 1 mTLS with a client certificate of another CA
expect_err_has "evrouter: UNAVAILABLE: "
# mTLS does not replace the token.
EVROUTER_TOKEN='' cli --tls-ca "$CERTS/ca.pem" --tls-cert "$CERTS/client.pem" \
  --tls-key "$CERTS/client.key" exchange get orders
expect_rc 1 mTLS without a token
expect_err_has "evrouter: UNAUTHENTICATED: "

echo "PASS: CliE2E.ExchangeAndPublish"
