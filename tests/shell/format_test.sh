#!/usr/bin/env bash
# Every C++ source is clang-formatted with the repository's .clang-format
# (Google style), so formatting never shows up in review diffs.
#   format_test.sh SOURCE_DIR
set -euo pipefail
src="$1"
command -v clang-format >/dev/null || { echo "FAIL: clang-format not found (scripts/deps.sh)"; exit 1; }
cd "$src"
mapfile -t files < <(find bench client server storage tests \( -name '*.cc' -o -name '*.h' \) | sort)
[[ ${#files[@]} -gt 0 ]] || { echo "FAIL: no sources found under $src"; exit 1; }
bad=()
for file in "${files[@]}"; do
  clang-format --dry-run -Werror "$file" >/dev/null 2>&1 || bad+=("$file")
done
if [[ ${#bad[@]} -gt 0 ]]; then
  echo "FAIL: not clang-formatted (run: clang-format -i ${bad[*]})"
  exit 1
fi
echo "clang-format: ${#files[@]} files clean"
