#!/usr/bin/env bash
# Builds evrouter and runs the whole test suite against a throwaway Postgres
# cluster (mktemp dir, free port), removed on exit.
#   scripts/test.sh [extra ctest args, e.g. -L unit | -R BufCurl]
# Env: EVROUTER_BUILD_TYPE (default Release), EVROUTER_BUILD_DIR (default build).
# Fails when ctest fails, and also when any test was skipped or not run.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
pg=(bash "$repo_root/scripts/pg.sh")

buf="$(bash scripts/deps.sh | tail -n 1)"
build_dir="${EVROUTER_BUILD_DIR:-$repo_root/build}"
EVROUTER_BUILD_DIR="$build_dir" EVROUTER_BUILD_TESTS=ON \
  bash scripts/build.sh "${EVROUTER_BUILD_TYPE:-Release}"

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

log="$tmp/ctest.log"
set +e
ctest --test-dir "$build_dir" --output-on-failure -j2 "$@" </dev/null 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e

summary="$(grep -E '^[0-9]+% tests passed' "$log" | tail -n 1 || true)"
problems=""
if grep -qE '\*\*\*Skipped|Not Run|[[:space:]]Skipped[[:space:]]|^\[  SKIPPED \]' "$log"; then
  problems="some tests were skipped or not run"
fi
if ! grep -qE '^[0-9]+% tests passed' "$log"; then
  problems="${problems:+$problems; }ctest ran no test"
fi

# ctest's summary line comes last, so whoever reads the tail sees it.
if [[ $rc -ne 0 ]]; then
  echo "test.sh: FAILED (ctest exit code $rc)" >&2
elif [[ -n "$problems" ]]; then
  echo "test.sh: FAILED ($problems)" >&2
  rc=1
else
  echo "test.sh: OK" >&2
fi
echo
echo "${summary:-test.sh: no ctest summary}"
exit "$rc"
