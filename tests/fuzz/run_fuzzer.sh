#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded number of executions, starting from
# its checked-in seed corpus (read only: new inputs go to a temp dir), and
# prints how many executions it ran. Fails when the target finds a crash, a
# leak or a broken invariant; the input that did it is kept under
# ARTIFACT_DIR, with the command that reproduces it. No assertion on time.
#   run_fuzzer.sh FUZZER CORPUS_DIR RUNS ARTIFACT_DIR [libFuzzer flags...]
# Env: EVROUTER_FUZZ_RUNS overrides RUNS; EVROUTER_FUZZ_SEED fixes the
# random seed (default: a new one each run, printed by libFuzzer).
set -euo pipefail

[[ $# -ge 4 ]] || { echo "usage: $0 FUZZER CORPUS_DIR RUNS ARTIFACT_DIR [flags...]" >&2; exit 2; }
fuzzer="$1"
corpus="$2"
runs="${EVROUTER_FUZZ_RUNS:-$3}"
artifacts="$4"
shift 4
name="$(basename "$fuzzer")"
fail() { echo "FAIL: $name: $*" >&2; exit 1; }

[[ -x "$fuzzer" ]] || fail "not built: $fuzzer"
[[ -d "$corpus" ]] && compgen -G "$corpus/*" >/dev/null || fail "no seed corpus in $corpus"
mkdir -p "$artifacts"
work="$(mktemp -d "${TMPDIR:-/tmp}/evr-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir "$work/new"

flags=(-runs="$runs" -timeout=60 -print_final_stats=1 -artifact_prefix="$artifacts/$name-")
[[ -z "${EVROUTER_FUZZ_SEED:-}" ]] || flags+=(-seed="$EVROUTER_FUZZ_SEED")

set +e
"$fuzzer" "${flags[@]}" "$@" "$work/new" "$corpus" >"$work/log" 2>&1
rc=$?
set -e

# libFuzzer's last words: "Done N runs in S second(s)" and its final stats.
done_line="$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$work/log" | tail -n1 || true)"
executed="$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n1)"
if [[ $rc -ne 0 || -z "$done_line" ]]; then
  tail -n 80 "$work/log" >&2
  artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$work/log" | tail -n1)"
  [[ -z "$artifact" ]] || echo "reproduce: $fuzzer $artifact" >&2
  fail "libFuzzer exited $rc${done_line:+ after: $done_line}"
fi
grep -E '^(INFO: Seed|#[0-9]+[[:space:]]+(INITED|DONE))' "$work/log" || true
echo "fuzz: $name ran ${executed:-?} executions (${done_line})"
