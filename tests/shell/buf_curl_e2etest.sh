#!/usr/bin/env bash
# End-to-end: every RPC of the real evrouterd through `buf curl` and server
# reflection (no .proto files given to buf), asserting on the JSON output.
#   buf_curl_e2etest.sh EVROUTERD_PATH
# Needs EVROUTER_TEST_PG_DSN and EVROUTER_BUF (scripts/test.sh sets both).
# buf curl's JSON uses lowerCamelCase names, prints uint64 as strings and
# leaves out fields that hold their default value.
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

[[ $# -ge 1 ]] || evr_fail "usage: $0 EVROUTERD_PATH"
evr_require_env
evr_new_database
evr_start_server "$1"
url="http://$EVR_ADDR"
out="$EVR_TMP/out"
err="$EVR_TMP/err"

# call METHOD JSON: runs the RPC; its exit code is buf curl's.
call() {
  evr_buf -d "$2" "$url/$1" >"$out" 2>"$err"
}

# ok METHOD JSON: the RPC must succeed with nothing on stderr.
ok() {
  call "$1" "$2" || evr_fail "$1 $2 failed: $(cat "$err" "$out")"
  [[ ! -s "$err" ]] || evr_fail "$1 wrote to stderr: $(cat "$err")"
}

# check WHAT PYTHON_CONDITION: the condition (over the JSON reply `d`) must hold.
check() {
  python3 - "$out" "$2" <<'PY' || evr_fail "$1: condition '$2' does not hold for: $(cat "$out")"
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}

# expect_error METHOD JSON CODE [TEXT]: the RPC must fail with CODE (e.g.
# not_found) and, if given, TEXT in the message. buf curl prints the error
# as JSON ({"code": ..., "message": ...}) on stderr and exits non-zero.
expect_error() {
  if call "$1" "$2"; then
    evr_fail "$1 $2 succeeded, expected $3: $(cat "$out")"
  fi
  python3 - "$err" "$out" "$3" "${4:-}" <<'PY' || evr_fail "$1 $2: expected error $3${4:+ mentioning '$4'}, got: $(cat "$err" "$out")"
import json, sys
text = open(sys.argv[1]).read() + open(sys.argv[2]).read()
dec = json.JSONDecoder()
i, found = 0, None
while i < len(text):
    j = text.find("{", i)
    if j < 0:
        break
    try:
        obj, end = dec.raw_decode(text, j)
    except ValueError:
        i = j + 1
        continue
    if isinstance(obj, dict) and "code" in obj:
        found = obj
        break
    i = end
if found is None:
    sys.exit(1)
ok = found["code"] == sys.argv[3] and sys.argv[4] in found.get("message", "")
sys.exit(0 if ok else 1)
PY
}

# --- reflection: every method is listed -------------------------------------
evr_buf --list-methods "$url" >"$out" 2>"$err" \
  || evr_fail "buf curl --list-methods failed: $(cat "$err")"
[[ ! -s "$err" ]] || evr_fail "buf curl --list-methods wrote to stderr: $(cat "$err")"
for m in \
    evrouter.v1.Publisher/Publish evrouter.v1.Publisher/PublishStream \
    evrouter.v1.Admin/CreateExchange evrouter.v1.Admin/GetExchange \
    evrouter.v1.Admin/ListExchanges evrouter.v1.Admin/DeleteExchange \
    evrouter.v1.Admin/CreateQueue evrouter.v1.Admin/GetQueue \
    evrouter.v1.Admin/ListQueues evrouter.v1.Admin/DeleteQueue \
    evrouter.v1.Admin/CreateConsumer evrouter.v1.Admin/ListConsumers \
    evrouter.v1.Admin/SeekConsumer evrouter.v1.Admin/DeleteConsumer \
    evrouter.v1.Admin/GetStats evrouter.v1.Subscriber/Subscribe \
    evrouter.v1.Subscriber/Fetch evrouter.v1.Subscriber/Ack \
    grpc.health.v1.Health/Check grpc.health.v1.Health/Watch \
    evrouter.v1.Admin/CreateUser evrouter.v1.Admin/ListUsers \
    evrouter.v1.Admin/DeleteUser evrouter.v1.Admin/GrantPermission \
    evrouter.v1.Admin/RevokePermission evrouter.v1.Admin/IssueToken \
    evrouter.v1.Admin/RevokeToken; do
  grep -qxF "$m" "$out" || evr_fail "method $m not listed by reflection: $(cat "$out")"
done
# The same tool through the older protocol grpcurl speaks (v1alpha).
evr_buf --reflect-protocol grpc-v1alpha --list-methods "$url" >"$out" 2>"$err" \
  || evr_fail "v1alpha reflection failed: $(cat "$err")"
grep -qxF evrouter.v1.Publisher/Publish "$out" || evr_fail "v1alpha lists no Publish"

# --- authentication: reflection and calls need a token; health does not -----
if evr_buf_anonymous --list-methods "$url" >"$out" 2>"$err"; then
  evr_fail "reflection without a token succeeded"
fi
grep -qiE "unauthenticated|not authenticated" "$err" || evr_fail "reflection without a token: $(cat "$err")"
# (The schema comes through reflection with the token; the call has none.)
if evr_buf_anonymous --reflect-header "authorization: Bearer $EVR_ADMIN_TOKEN" \
    -d '{}' "$url/evrouter.v1.Admin/ListExchanges" >"$out" 2>"$err"; then
  evr_fail "ListExchanges without a token succeeded"
fi
grep -qiE "unauthenticated|not authenticated" "$err" || evr_fail "ListExchanges without a token: $(cat "$err")"

# --- health -----------------------------------------------------------------
ok grpc.health.v1.Health/Check '{}'
check "Health/Check" 'd.get("status") == "SERVING"'

# --- admin ------------------------------------------------------------------
ok evrouter.v1.Admin/CreateExchange '{"name": "orders", "kind": "EXCHANGE_KIND_TOPIC"}'
check "CreateExchange orders" \
  'd["name"] == "orders" and d["kind"] == "EXCHANGE_KIND_TOPIC" and d.get("headOffset", "0") == "0" and "createdAt" in d'

# Same spec again: a no-op returning the existing exchange.
ok evrouter.v1.Admin/CreateExchange '{"name": "orders", "kind": "EXCHANGE_KIND_TOPIC"}'
check "CreateExchange orders again" 'd["name"] == "orders" and d["kind"] == "EXCHANGE_KIND_TOPIC"'

ok evrouter.v1.Admin/CreateExchange '{"name": "audit", "kind": "EXCHANGE_KIND_FANOUT"}'
check "CreateExchange audit" 'd["name"] == "audit" and d["kind"] == "EXCHANGE_KIND_FANOUT"'

ok evrouter.v1.Admin/GetExchange '{"name": "orders"}'
check "GetExchange orders" 'd["name"] == "orders" and d["kind"] == "EXCHANGE_KIND_TOPIC" and d.get("headOffset", "0") == "0"'

ok evrouter.v1.Admin/ListExchanges '{}'
check "ListExchanges" '[e["name"] for e in d["exchanges"]] == ["audit", "orders"]'

# --- publish ----------------------------------------------------------------
payload1="$(printf '{"id":1}' | base64 -w0)"
payload2="$(printf '{"id":2}' | base64 -w0)"
event_id="0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
ok evrouter.v1.Publisher/Publish "{
  \"exchange\": \"orders\",
  \"events\": [
    {\"type\": \"order.created\", \"source\": \"buf-curl-test\", \"payload\": \"$payload1\",
     \"contentType\": \"application/json\", \"headers\": {\"trace\": \"abc\"}},
    {\"id\": \"$event_id\", \"type\": \"order.paid\", \"source\": \"buf-curl-test\",
     \"payload\": \"$payload2\", \"contentType\": \"application/json\",
     \"time\": \"2024-01-02T03:04:05Z\"}
  ]
}"
check "Publish" 'len(d["results"]) == 2 and [r["offset"] for r in d["results"]] == ["1", "2"]'
check "Publish ids" 'd["results"][0].get("id", "") != "" and d["results"][1]["id"] == "'"$event_id"'"'
check "Publish not duplicate" 'not any(r.get("duplicate", False) for r in d["results"])'

ok evrouter.v1.Admin/GetExchange '{"name": "orders"}'
check "GetExchange after Publish" 'd["headOffset"] == "2"'

# Bad input is rejected whole, with a message naming the field.
expect_error evrouter.v1.Publisher/Publish \
  "{\"exchange\": \"orders\", \"events\": [{\"type\": \"ok.type\", \"payload\": \"$payload1\"}, {\"type\": \"\"}]}" \
  invalid_argument type
expect_error evrouter.v1.Publisher/Publish \
  "{\"exchange\": \"no-such-exchange\", \"events\": [{\"type\": \"a.b\"}]}" \
  not_found
ok evrouter.v1.Admin/GetExchange '{"name": "orders"}'
check "GetExchange after rejected Publish" 'd["headOffset"] == "2"'

# --- publish stream: two batches, two acks in order --------------------------
printf '%s\n' \
  "{\"batchId\": \"1\", \"exchange\": \"orders\", \"events\": [{\"type\": \"order.shipped\", \"payload\": \"$payload1\"}]}" \
  "{\"batchId\": \"2\", \"exchange\": \"orders\", \"events\": [{\"type\": \"order.shipped\", \"payload\": \"$payload2\"}, {\"type\": \"order.closed\"}]}" \
  | evr_buf -d @- "$url/evrouter.v1.Publisher/PublishStream" >"$out" 2>"$err" \
  || evr_fail "PublishStream failed: $(cat "$err" "$out")"
[[ ! -s "$err" ]] || evr_fail "PublishStream wrote to stderr: $(cat "$err")"
python3 - "$out" <<'PY' || evr_fail "PublishStream acks are wrong: $(cat "$out")"
import json, sys
text = open(sys.argv[1]).read()
dec, i, acks = json.JSONDecoder(), 0, []
while True:
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        break
    obj, i = dec.raw_decode(text, i)
    acks.append(obj)
assert [a["batchId"] for a in acks] == ["1", "2"], acks
for a in acks:
    assert a.get("errorCode", 0) == 0, a
assert [r["offset"] for r in acks[0]["results"]] == ["3"], acks
assert [r["offset"] for r in acks[1]["results"]] == ["4", "5"], acks
PY

ok evrouter.v1.Admin/GetExchange '{"name": "orders"}'
check "GetExchange after PublishStream" 'd["headOffset"] == "5"'

# --- queues and consumers ---------------------------------------------------
ok evrouter.v1.Admin/CreateQueue \
  '{"name": "shipping", "exchange": "orders", "bindings": ["order.shipped", "order.closed"], "fromEarliest": true}'
check "CreateQueue" 'd["name"] == "shipping" and d["exchange"] == "orders" and d["bindings"] == ["order.closed", "order.shipped"] and d["limitSize"] == 10000'
ok evrouter.v1.Admin/CreateQueue '{"name": "late", "exchange": "orders", "bindings": ["#"]}'
check "CreateQueue at head" 'd["startOffset"] == "5"'
expect_error evrouter.v1.Admin/CreateQueue \
  '{"name": "shipping", "exchange": "orders", "bindings": ["order.*"]}' already_exists
expect_error evrouter.v1.Admin/CreateQueue '{"name": "q", "exchange": "nope", "bindings": ["a"]}' not_found
expect_error evrouter.v1.Admin/CreateQueue '{"name": "q", "exchange": "orders", "bindings": ["a.b*"]}' \
  invalid_argument 'bindings[0]'
ok evrouter.v1.Admin/GetQueue '{"name": "shipping"}'
check "GetQueue" 'd["name"] == "shipping" and d.get("startOffset", "0") == "0"'
ok evrouter.v1.Admin/ListQueues '{"exchange": "orders"}'
check "ListQueues" '[q["name"] for q in d["queues"]] == ["late", "shipping"]'

# Pull: Fetch does not commit, Ack does.
ok evrouter.v1.Subscriber/Fetch '{"queue": "shipping", "consumer": "puller", "maxEvents": 2}'
check "Fetch" '[e["offset"] for e in d["events"]] == ["3", "4"] and d["events"][0]["exchange"] == "orders"'
ok evrouter.v1.Subscriber/Fetch '{"queue": "shipping", "consumer": "puller", "maxEvents": 2}'
check "Fetch again" '[e["offset"] for e in d["events"]] == ["3", "4"]'
ok evrouter.v1.Subscriber/Ack '{"queue": "shipping", "consumer": "puller", "offset": "4"}'
check "Ack" 'd["committedOffset"] == "4"'
ok evrouter.v1.Subscriber/Fetch '{"queue": "shipping", "consumer": "puller", "wait": "0.1s"}'
check "Fetch after Ack" '[e["offset"] for e in d["events"]] == ["5"]'

# Tail a queue: autoAck makes the server commit what it wrote. The stream
# runs until cancelled, so it runs in the background until the events came.
evr_buf -d '{"start": {"queue": "shipping", "consumer": "tail", "autoAck": true}}' \
  "$url/evrouter.v1.Subscriber/Subscribe" >"$EVR_TMP/tail" 2>&1 &
tail_pid=$!
for _ in $(seq 300); do
  grep -q '"caughtUp": true' "$EVR_TMP/tail" && break
  sleep 0.1
done
grep -q '"caughtUp": true' "$EVR_TMP/tail" || evr_fail "Subscribe did not catch up: $(cat "$EVR_TMP/tail")"
ok evrouter.v1.Admin/ListConsumers '{"queue": "shipping"}'
check "ListConsumers while tailing" \
  '{c["name"]: c["state"] for c in d["consumers"]} == {"puller": "CONSUMER_STATE_SLEEPING", "tail": "CONSUMER_STATE_ACTIVE"}'
kill "$tail_pid" 2>/dev/null || true
wait "$tail_pid" 2>/dev/null || true
python3 - "$EVR_TMP/tail" <<'PY' || evr_fail "Subscribe delivered the wrong events: $(cat "$EVR_TMP/tail")"
import json, sys
text = open(sys.argv[1]).read()
dec, i, offsets = json.JSONDecoder(), 0, []
while True:
    j = text.find("{", i)
    if j < 0:
        break
    obj, i = dec.raw_decode(text, j)
    offsets += [e["offset"] for e in obj.get("events", [])]
assert offsets == ["3", "4", "5"], offsets
PY
for _ in $(seq 300); do
  call evrouter.v1.Admin/ListConsumers '{"queue": "shipping"}'
  grep -q ACTIVE "$out" || break
  sleep 0.1
done
check "tail consumer sleeps with its offset" \
  '[(c["name"], c["state"], c.get("committedOffset")) for c in d["consumers"]] == [("puller", "CONSUMER_STATE_SLEEPING", "4"), ("tail", "CONSUMER_STATE_SLEEPING", "5")]'

ok evrouter.v1.Admin/SeekConsumer '{"queue": "shipping", "name": "tail", "offset": "4"}'
check "SeekConsumer" 'd["committedOffset"] == "3" and d["lag"] == "2"'
ok evrouter.v1.Admin/CreateConsumer '{"queue": "late", "name": "admin-made"}'
check "CreateConsumer" 'd["state"] == "CONSUMER_STATE_SLEEPING" and d["committedOffset"] == "5"'
ok evrouter.v1.Admin/GetStats '{}'
check "GetStats" '[e["name"] for e in d["exchanges"]] == ["audit", "orders"] and d["exchanges"][1]["headOffset"] == "5" and [q["name"] for q in d["queues"]] == ["late", "shipping"] and "eventsIn" in d["exchanges"][1]'
ok evrouter.v1.Admin/DeleteConsumer '{"queue": "shipping", "name": "tail"}'
expect_error evrouter.v1.Admin/DeleteConsumer '{"queue": "shipping", "name": "tail"}' not_found
ok evrouter.v1.Admin/DeleteQueue '{"name": "late"}'
expect_error evrouter.v1.Admin/GetQueue '{"name": "late"}' not_found

# --- delete -----------------------------------------------------------------
ok evrouter.v1.Admin/DeleteExchange '{"name": "orders"}'
check "DeleteExchange" 'd == {}'
expect_error evrouter.v1.Admin/GetExchange '{"name": "orders"}' not_found
ok evrouter.v1.Admin/ListExchanges '{}'
check "ListExchanges after delete" '[e["name"] for e in d["exchanges"]] == ["audit"]'
ok evrouter.v1.Admin/ListQueues '{}'
check "queues went with their exchange" 'd.get("queues", []) == []'

echo "buf curl e2e: every RPC OK"
