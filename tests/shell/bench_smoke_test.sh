#!/usr/bin/env bash
# Smoke test of evrouter-bench: a tiny run of every workload (W1..W6) against
# an evrouterd this test starts on a database of its own. Asserts that every
# workload printed one JSON line with every required field and the event
# counts asked for, and that the bench cleaned up after itself. No assertion
# on rates or latencies.
#   bench_smoke_test.sh EVROUTERD_PATH EVROUTER_BENCH_PATH
# Needs EVROUTER_TEST_PG_DSN (scripts/test.sh sets it), psql and python3.
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

[[ $# -eq 2 ]] || evr_fail "usage: $0 EVROUTERD_PATH EVROUTER_BENCH_PATH"
evrouterd="$1"
bench="$2"
[[ -x "$evrouterd" ]] || evr_fail "no evrouterd at $evrouterd"
[[ -x "$bench" ]] || evr_fail "no evrouter-bench at $bench"
[[ -n "${EVROUTER_TEST_PG_DSN:-}" ]] \
  || evr_fail "EVROUTER_TEST_PG_DSN is not set (run the tests through scripts/test.sh)"
command -v psql >/dev/null || evr_fail "psql is not installed (scripts/deps.sh)"
command -v python3 >/dev/null || evr_fail "python3 is not installed (scripts/deps.sh)"

evr_new_database

# The server on port 0; its bound address comes from its "serving on" line
# (the bench itself waits for Health SERVING). EVR_PID and EVR_SERVER_LOG make
# lib.sh's cleanup stop it and evr_fail print its log.
EVR_SERVER_LOG="$EVR_TMP/evrouterd.log"
EVROUTER_ADMIN_TOKEN="$EVR_ADMIN_TOKEN" "$evrouterd" --listen 127.0.0.1:0 \
  --http-listen 127.0.0.1:0 --pg-dsn "$EVR_DB_DSN" >"$EVR_SERVER_LOG" 2>&1 &
EVR_PID=$!
deadline=$((SECONDS + 30))
until EVR_ADDR="$(sed -n 's/.*serving on \([0-9.]*:[0-9]*\).*/\1/p' "$EVR_SERVER_LOG" | head -n1)" \
      && [[ -n "$EVR_ADDR" ]]; do
  kill -0 "$EVR_PID" 2>/dev/null || evr_fail "evrouterd exited before serving"
  ((SECONDS < deadline)) || evr_fail "evrouterd not serving within 30 s"
  sleep 0.1
done

results="$EVR_TMP/results.jsonl"
stdout="$EVR_TMP/bench.out"
stderr="$EVR_TMP/bench.err"
if ! EVROUTER_TOKEN="$EVR_ADMIN_TOKEN" "$bench" --server "$EVR_ADDR" --pg-dsn "$EVR_DB_DSN" --evrouterd "$evrouterd" \
    --workload W1,W2,W3,W4,W5,W6 --json --out "$results" \
    --ceiling-events 2000 \
    --w1-events 500 --w1w1-events 50 \
    --w2-events 400 --w2-publishers 2 --w2-in-flight 8 \
    --w3-seconds 2 --w3-rate 200 \
    --w4-queues 3 --w4-rate 100 --w4-seconds 2 \
    --w5-events 500 --w5-rate 100 \
    --w6-queues 20 --w6-consumers 100 --w6-restarts 2 \
    >"$stdout" 2>"$stderr"; then
  evr_fail "evrouter-bench failed: $(cat "$stderr")"
fi

python3 - "$stdout" "$results" <<'PY' || evr_fail "bench output does not hold: $(cat "$stdout" "$stderr")"
import json, sys

stdout_lines = [l for l in open(sys.argv[1]).read().splitlines() if l.strip()]
out_lines = [l for l in open(sys.argv[2]).read().splitlines() if l.strip()]
assert stdout_lines == out_lines, "--out file differs from stdout"
results = [json.loads(l) for l in stdout_lines]
by_name = {}
for r in results:
    assert r["workload"] not in by_name, f"two results for {r['workload']}"
    by_name[r["workload"]] = r
expected = ["W1", "W1w1", "W2", "W3", "W4", "W5", "W6"]
assert sorted(by_name) == sorted(expected), f"workloads {sorted(by_name)}"

common = ["workload", "events_per_sec", "ceiling_events_per_sec", "ratio_to_ceiling",
          "p50_ms", "p99_ms", "p999_ms", "server_cpu_s_per_million",
          "server_peak_rss_mb", "postgres_peak_rss_mb", "events", "duration_s"]
extra = {
    "W1": ["publish_ack_p99_ms"], "W1w1": ["publish_ack_p99_ms"],
    "W2": ["publish_ack_p99_ms"], "W3": ["publish_ack_p99_ms"],
    "W4": ["deliveries_per_sec", "final_lag", "max_lag", "deliveries",
           "server_cpu_s_per_million_deliveries"],
    "W5": ["rss_growth_mb", "catchup_events", "background_events", "received_events"],
    "W6": ["serving_ms", "serving_ms_all", "queues", "consumers"],
}
for name, r in by_name.items():
    for field in common + extra[name]:
        assert field in r, f"{name}: no field {field}"
    if name != "W6":
        # Measured by the bench itself, so never null (the /proc-based fields
        # may be null where the processes cannot be read).
        for field in ["events_per_sec", "ceiling_events_per_sec", "ratio_to_ceiling",
                      "p50_ms", "p99_ms", "p999_ms"]:
            assert r[field] is not None, f"{name}: {field} is null"

counts = {"W1": 500, "W1w1": 50, "W2": 400, "W3": 400, "W4": 200, "W5": 500, "W6": 0}
for name, count in counts.items():
    assert by_name[name]["events"] == count, f"{name}: events {by_name[name]['events']} != {count}"
assert by_name["W1"]["batch"] == 100 and by_name["W1"]["window"] == 10
assert by_name["W1w1"]["batch"] == 1 and by_name["W1w1"]["window"] == 1
assert by_name["W4"]["deliveries"] == 3 * 200, by_name["W4"]["deliveries"]
w5 = by_name["W5"]
assert w5["received_events"] == 500 + w5["background_events"], w5
assert w5["catchup_events"] >= 500, w5
w6 = by_name["W6"]
assert w6["queues"] == 20 and w6["consumers"] == 100, w6
assert len(w6["serving_ms_all"]) == 2 and w6["serving_ms"] is not None, w6
PY

# The bench removed what it created: its exchanges (with their events and
# queues), the ceiling table and the W6 database.
left="$(psql "$EVR_DB_DSN" -X -Atq -c "SELECT count(*) FROM exchanges")"
[[ "$left" == "0" ]] || evr_fail "$left exchanges left behind"
left="$(psql "$EVR_DB_DSN" -X -Atq -c "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'bench_ceiling_%'")"
[[ "$left" == "0" ]] || evr_fail "ceiling table left behind"
left="$(psql "$EVROUTER_TEST_PG_DSN" -X -Atq -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'evrouter_bench_w6_%'")"
[[ "$left" == "0" ]] || evr_fail "W6 database left behind"

# A failing workload makes the bench exit non-zero with a message.
if "$bench" --server "$EVR_ADDR" --pg-dsn "$EVR_DB_DSN" --workload W6 --ceiling-events 0 \
    >"$stdout" 2>"$stderr"; then
  evr_fail "W6 without --evrouterd succeeded"
fi
grep -q "W6 failed" "$stderr" || evr_fail "no failure message: $(cat "$stderr")"

echo "bench smoke: every workload ran ($(wc -l <"$results") result lines)"
