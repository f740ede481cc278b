#!/usr/bin/env bash
# The whole benchmark suite in one command: builds Release (no tests), starts
# a throwaway Postgres cluster (default settings, synchronous_commit on) and
# evrouterd on free ports, runs evrouter-bench W1..W6 and keeps the results.
#   bench/run_suite.sh [extra evrouter-bench args...]
# Extra args come after the suite's own, so they win: e.g. `--w1-events 200000`
# or `--workload W1,W3`. Env: EVROUTER_BUILD_DIR (default build),
# EVROUTER_JOBS (build parallelism, default 2), EVROUTER_BENCH_OUT (results
# file, default $EVROUTER_BUILD_DIR/bench-results/suite-<time>.jsonl),
# EVROUTER_PG_BIN (Postgres binaries, see scripts/pg.sh).
# The server, the cluster and the temp dir are removed on exit, also on Ctrl-C.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
pg=(bash "$repo_root/scripts/pg.sh")
build_dir="${EVROUTER_BUILD_DIR:-$repo_root/build}"
export EVROUTER_BUILD_DIR="$build_dir"

bash scripts/deps.sh >/dev/null
EVROUTER_BUILD_TESTS=OFF EVROUTER_BUILD_BENCH=ON bash scripts/build.sh Release
evrouterd="$build_dir/server/evrouterd"
bench="$build_dir/bench/evrouter-bench"
[[ -x "$evrouterd" ]] || { echo "run_suite.sh: no $evrouterd after the build" >&2; exit 1; }
[[ -x "$bench" ]] || {
  echo "run_suite.sh: no $bench after the build (configured with -DEVROUTER_BUILD_BENCH=OFF?)" >&2
  exit 1
}

out="${EVROUTER_BENCH_OUT:-$build_dir/bench-results/suite-$(date +%Y%m%d-%H%M%S).jsonl}"
mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/evrouter-suite.XXXXXX")"
server_pid=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  "${pg[@]}" stop "$tmp/pg" || true
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_port="$("${pg[@]}" free-port)"
"${pg[@]}" init "$tmp/pg"
"${pg[@]}" start "$tmp/pg" "$pg_port"
psql "postgresql://postgres@127.0.0.1:$pg_port/postgres" -X -qc 'CREATE DATABASE evrouter'
dsn="postgresql://postgres@127.0.0.1:$pg_port/evrouter"

server_port="$("${pg[@]}" free-port)"
server_log="$tmp/evrouterd.log"
# The bench needs an admin (it creates and deletes exchanges and queues).
token="bench-admin-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
EVROUTER_ADMIN_TOKEN="$token" "$evrouterd" --listen "127.0.0.1:$server_port" \
  --pg-dsn "$dsn" >"$server_log" 2>&1 &
server_pid=$!
deadline=$((SECONDS + 60))
until grep -q "serving on" "$server_log"; do
  if ! kill -0 "$server_pid" 2>/dev/null || ((SECONDS >= deadline)); then
    echo "run_suite.sh: evrouterd did not start:" >&2
    tail -n 20 "$server_log" >&2
    exit 1
  fi
  sleep 0.1
done

echo "run_suite.sh: Postgres on 127.0.0.1:$pg_port, evrouterd (pid $server_pid) on 127.0.0.1:$server_port" >&2
start=$SECONDS
set +e
EVROUTER_TOKEN="$token" "$bench" --server "127.0.0.1:$server_port" --pg-dsn "$dsn" --server-pid "$server_pid" \
  --evrouterd "$evrouterd" --workload W1,W2,W3,W4,W5,W6 --json --out "$out" "$@"
rc=$?
set -e
echo "run_suite.sh: bench finished in $((SECONDS - start)) s with exit code $rc" >&2
if grep -qE "Z (warn|error|critical) " "$server_log"; then
  echo "run_suite.sh: evrouterd logged warnings or errors (last 20):" >&2
  grep -E "Z (warn|error|critical) " "$server_log" | tail -n 20 >&2
fi
echo "run_suite.sh: results (one JSON object per line): $out" >&2
exit "$rc"
