#!/usr/bin/env bash
# Builds evrouter and runs the whole test suite against a throwaway Postgres
# cluster (mktemp dir, free port), removed on exit: first the Release build
# (build/), then the `asan` preset (build-asan/: ASan + UBSan, clang, with the
# libFuzzer targets, label fuzz) on the same cluster.
#   scripts/test.sh [extra ctest args, e.g. -L unit | -R BufCurl]
# With extra ctest args only the Release suite runs, unless
# EVROUTER_TEST_SUITES says otherwise.
# Env: EVROUTER_TEST_SUITES (release|asan|all; default all, or release when
#      ctest args are given), EVROUTER_BUILD_TYPE (default Release) and
#      EVROUTER_BUILD_DIR (default build) for the Release suite.
# Fails when ctest fails, and also when any test was skipped or not run, in
# either suite.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
pg=(bash "$repo_root/scripts/pg.sh")

suites="${EVROUTER_TEST_SUITES:-}"
if [[ -z "$suites" ]]; then
  if [[ $# -gt 0 ]]; then suites=release; else suites=all; fi
fi
case "$suites" in
  release) run_release=1; run_asan=0 ;;
  asan) run_release=0; run_asan=1 ;;
  all) run_release=1; run_asan=1 ;;
  *) echo "test.sh: EVROUTER_TEST_SUITES must be release, asan or all, not '$suites'" >&2; exit 2 ;;
esac

buf="$(bash scripts/deps.sh | tail -n 1)"
build_dir="${EVROUTER_BUILD_DIR:-$repo_root/build}"
asan_dir="$repo_root/build-asan"  # the preset's binaryDir
# timed WHAT COMMAND...: runs it and notes how long it took for the summary.
timings=()
timed() {
  local what="$1" start=$SECONDS
  shift
  "$@"
  timings+=("$what $((SECONDS - start)) s")
}

if ((run_release)); then
  timed "release build" env EVROUTER_BUILD_DIR="$build_dir" EVROUTER_BUILD_TESTS=ON \
    bash scripts/build.sh "${EVROUTER_BUILD_TYPE:-Release}"
fi

export EVROUTER_PG_BIN="${EVROUTER_PG_BIN:-/usr/lib/postgresql/15/bin}"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/evrouter-test.XXXXXX")"
cleanup() {
  "${pg[@]}" stop "$tmp/pg" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"${pg[@]}" init "$tmp/pg"
port="$("${pg[@]}" free-port)"
"${pg[@]}" start "$tmp/pg" "$port"

export EVROUTER_TEST_PG_DSN="postgresql://postgres@127.0.0.1:$port/postgres"
export EVROUTER_BUF="$buf"
echo "test.sh: Postgres on 127.0.0.1:$port (throwaway, $tmp/pg)"

# run_suite NAME BUILD_DIR [ctest args...]: runs ctest, then checks its log;
# appends "NAME: ..." to `summaries` and sets `failed` on any problem.
summaries=()
failed=0
run_suite() {
  local name="$1" dir="$2"
  shift 2
  local log="$tmp/ctest-$name.log" rc
  echo "test.sh: running the $name suite ($dir)"
  set +e
  ctest --test-dir "$dir" --output-on-failure -j2 "$@" </dev/null 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  set -e
  local summary problems=""
  summary="$(grep -E '^[0-9]+% tests passed' "$log" | tail -n 1 || true)"
  if grep -qE '\*\*\*Skipped|Not Run|[[:space:]]Skipped[[:space:]]|^\[  SKIPPED \]' "$log"; then
    problems="some tests were skipped or not run"
  fi
  if [[ -z "$summary" ]]; then
    problems="${problems:+$problems; }ctest ran no test"
  fi
  if [[ $rc -ne 0 ]]; then
    problems="ctest exit code $rc${problems:+; $problems}"
  fi
  if [[ -n "$problems" ]]; then
    failed=1
    summaries+=("$name: FAILED ($problems): ${summary:-no ctest summary}")
  else
    summaries+=("$name: OK: $summary")
  fi
}

if ((run_release)); then
  timed "release tests" run_suite release "$build_dir" "$@"
fi
if ((run_asan)); then
  # A build dir configured with another generator cannot be reused.
  if [[ -f "$asan_dir/CMakeCache.txt" ]] \
     && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$asan_dir/CMakeCache.txt"; then
    echo "test.sh: $asan_dir was configured with another generator; remove it first" >&2
    exit 1
  fi
  timed "asan configure" cmake --preset asan >/dev/null
  timed "asan build" cmake --build --preset asan
  timed "asan tests" run_suite asan "$asan_dir" "$@"
  # How much fuzzing the run did (ctest keeps passing tests' output here).
  grep -h '^fuzz: ' "$asan_dir/Testing/Temporary/LastTest.log" 2>/dev/null \
    | sed 's/^/test.sh: /' || true
fi

# The summary lines come last, so whoever reads the tail sees them.
echo
echo "test.sh: took $(IFS=,; echo "${timings[*]}" | sed 's/,/, /g')"
for line in "${summaries[@]}"; do echo "test.sh: $line"; done
if ((failed)); then
  echo "test.sh: FAILED" >&2
  exit 1
fi
echo "test.sh: OK" >&2
