#!/usr/bin/env bash
# End-to-end with a real Prometheus (Debian's `prometheus` package): the real
# evrouterd's /metrics passes `promtool check metrics` and holds every metric
# family evrouter documents; a Prometheus server on loopback scrapes it, and
# its HTTP API shows evrouter_events_published_total move after publishing.
#   prometheus_e2etest.sh EVROUTERD_PATH
# Needs EVROUTER_TEST_PG_DSN and EVROUTER_BUF (scripts/test.sh sets both).
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

[[ $# -ge 1 ]] || evr_fail "usage: $0 EVROUTERD_PATH"
evr_require_env
for tool in prometheus promtool curl; do
  command -v "$tool" >/dev/null || evr_fail "$tool is not installed (scripts/deps.sh)"
done

PROM_PID=""
stop_prometheus() {
  local rc=$?
  if [[ -n "$PROM_PID" ]]; then
    kill -TERM "$PROM_PID" 2>/dev/null || true
    wait "$PROM_PID" 2>/dev/null || true
    PROM_PID=""
  fi
  (exit "$rc")
  evr_cleanup
}
trap stop_prometheus EXIT

evr_new_database
evr_start_server "$1"
[[ -n "$EVR_HTTP_ADDR" ]] || evr_fail "evrouterd logged no 'http listening on' line"
grpc="http://$EVR_ADDR"
http="http://$EVR_HTTP_ADDR"
out="$EVR_TMP/out"

# api METHOD JSON: the JSON API with the admin's token; must answer 200.
api() {
  local code
  code="$(curl -sS -o "$out" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $EVR_ADMIN_TOKEN" -H 'Content-Type: application/json' \
    --data "$2" "$http/api/v1/$1")" || evr_fail "curl $1 failed"
  [[ "$code" == 200 ]] || evr_fail "$1 answered HTTP $code: $(cat "$out")"
}

# publish N: N events to exchange orders over gRPC (one unary Publish).
publish() {
  local events
  events="$(python3 -c 'import json,sys
print(json.dumps([{"type": "order.created", "payload": "e30="} for _ in range(int(sys.argv[1]))]))' "$1")"
  evr_buf -d "{\"exchange\": \"orders\", \"events\": $events}" \
    "$grpc/evrouter.v1.Publisher/Publish" >"$out" 2>&1 \
    || evr_fail "Publish failed: $(cat "$out")"
}

api CreateExchange '{"name": "orders", "kind": "EXCHANGE_KIND_TOPIC"}'
api CreateQueue '{"name": "orders.all", "exchange": "orders", "bindings": ["#"]}'
api CreateConsumer '{"queue": "orders.all", "name": "billing"}'
publish 25
evr_buf -d '{"queue": "orders.all", "consumer": "billing", "maxEvents": 10}' \
  "$grpc/evrouter.v1.Subscriber/Fetch" >"$out" 2>&1 || evr_fail "Fetch failed: $(cat "$out")"
# One call refused, so a non-OK code shows up by method.
evr_buf -d '{"name": "missing"}' "$grpc/evrouter.v1.Admin/GetExchange" >"$out" 2>&1 \
  && evr_fail "GetExchange of a missing exchange succeeded"

# --- the exposition ----------------------------------------------------------
metrics="$EVR_TMP/metrics.txt"
curl -sS -D "$EVR_TMP/headers" -o "$metrics" "$http/metrics" || evr_fail "GET /metrics failed"
grep -qi '^content-type: text/plain; version=0.0.4' "$EVR_TMP/headers" \
  || evr_fail "/metrics has the wrong content type: $(cat "$EVR_TMP/headers")"
promtool check metrics <"$metrics" >"$EVR_TMP/promtool" 2>&1 \
  || evr_fail "promtool check metrics: $(cat "$EVR_TMP/promtool")"
echo "promtool check metrics: OK ($(grep -c '^# TYPE' "$metrics") families, $(grep -vc '^#' "$metrics") samples)"

# Every family the README lists, with HELP and TYPE.
families=(
  evrouter_build_info evrouter_exchanges evrouter_queues
  evrouter_events_published_total evrouter_exchange_head_offset
  evrouter_publish_latency_seconds evrouter_publish_batch_events
  evrouter_storage_commit_duration_seconds evrouter_storage_commit_events
  evrouter_events_delivered_total evrouter_queue_buffered_events
  evrouter_queue_buffer_limit_events evrouter_queue_buffer_fill_ratio
  evrouter_consumers evrouter_consumer_active evrouter_consumer_lag_events
  evrouter_consumer_committed_offset evrouter_consumer_last_active_timestamp_seconds
  evrouter_storage_connections evrouter_storage_connections_max
  evrouter_storage_connection_waiters evrouter_grpc_server_handled_total
  evrouter_auth_failures_total evrouter_http_requests_total
  process_cpu_seconds_total process_resident_memory_bytes process_open_fds
  process_start_time_seconds
)
for family in "${families[@]}"; do
  grep -q "^# HELP $family " "$metrics" || evr_fail "no HELP for $family"
  grep -q "^# TYPE $family " "$metrics" || evr_fail "no TYPE for $family"
done
# sample NAME_AND_LABELS VALUE: that sample has that value.
sample() {
  local line
  line="$(grep -F "$1 " "$metrics" | head -n 1)"
  [[ "$line" == "$1 $2" ]] || evr_fail "expected '$1 $2', got '${line:-nothing}'"
}
sample 'evrouter_events_published_total{exchange="orders"}' 25
sample 'evrouter_exchange_head_offset{exchange="orders"}' 25
sample 'evrouter_events_delivered_total{queue="orders.all"}' 10
sample 'evrouter_consumer_lag_events{queue="orders.all",consumer="billing"}' 25
sample 'evrouter_consumers{queue="orders.all",state="sleeping"}' 1
sample 'evrouter_publish_batch_events_count' 1
sample 'evrouter_publish_batch_events_sum' 25
sample 'evrouter_grpc_server_handled_total{service="evrouter.v1.Admin",method="GetExchange",code="NOT_FOUND"}' 1
sample 'evrouter_grpc_server_handled_total{service="evrouter.v1.Publisher",method="Publish",code="OK"}' 1
# The JSON API's calls go through the same gRPC methods.
sample 'evrouter_grpc_server_handled_total{service="evrouter.v1.Admin",method="CreateQueue",code="OK"}' 1

# --- a Prometheus server scraping it -----------------------------------------
prom_port="$(evr_free_port)"
cat >"$EVR_TMP/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: evrouter
    static_configs:
      - targets: ["$EVR_HTTP_ADDR"]
YAML
promtool check config "$EVR_TMP/prometheus.yml" >"$EVR_TMP/promtool" 2>&1 \
  || evr_fail "promtool check config: $(cat "$EVR_TMP/promtool")"
prometheus --config.file="$EVR_TMP/prometheus.yml" \
  --storage.tsdb.path="$EVR_TMP/prometheus-data" \
  --web.listen-address="127.0.0.1:$prom_port" >"$EVR_TMP/prometheus.log" 2>&1 &
PROM_PID=$!

# query PROMQL: prints the first result's value ("" when none).
query() {
  curl -sS --max-time 5 -G "http://127.0.0.1:$prom_port/api/v1/query" \
    --data-urlencode "query=$1" 2>/dev/null | python3 -c 'import json,sys
try:
  r = json.load(sys.stdin)["data"]["result"]
  print(r[0]["value"][1] if r else "")
except Exception:
  print("")'
}

# wait_for PROMQL VALUE: polls Prometheus (<= 60 s) until PROMQL gives VALUE.
wait_for() {
  local deadline=$((SECONDS + 60)) got=""
  while ((SECONDS < deadline)); do
    kill -0 "$PROM_PID" 2>/dev/null \
      || evr_fail "prometheus exited: $(tail -n 20 "$EVR_TMP/prometheus.log")"
    got="$(query "$1" || true)"
    [[ "$got" == "$2" ]] && return 0
    sleep 0.5
  done
  evr_fail "Prometheus: $1 is '${got}', not $2, after 60 s ($(tail -n 5 "$EVR_TMP/prometheus.log"))"
}

wait_for 'up{job="evrouter"}' 1
wait_for 'evrouter_events_published_total{job="evrouter",exchange="orders"}' 25
publish 15
wait_for 'evrouter_events_published_total{job="evrouter",exchange="orders"}' 40
wait_for 'evrouter_consumer_lag_events{job="evrouter",queue="orders.all",consumer="billing"}' 40
wait_for 'sum(evrouter_publish_batch_events_count{job="evrouter"})' 2
echo "Prometheus at 127.0.0.1:$prom_port scraped $EVR_HTTP_ADDR: evrouter_events_published_total{exchange=\"orders\"} went 25 -> 40"
echo "PASS"
