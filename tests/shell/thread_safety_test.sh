#!/usr/bin/env bash
# Static check: clang's -Wthread-safety over every source that uses
# ABSL_GUARDED_BY / ABSL_EXCLUSIVE_LOCKS_REQUIRED (style.md rule 6). The
# Release build uses g++, which ignores the annotations; this makes them count.
#   thread_safety_test.sh SOURCE_DIR GENERATED_PROTO_DIR
set -euo pipefail
src="$1"
gen="$2"
clangxx="$(command -v clang++ || true)"
[[ -n "$clangxx" ]] || { echo "FAIL: clang++ not found (scripts/deps.sh installs clang)"; exit 1; }

mapfile -t files < <(cd "$src" && grep -rlE 'ABSL_(GUARDED_BY|EXCLUSIVE_LOCKS_REQUIRED)' \
  --include='*.cc' --include='*.h' server storage client | sed 's/\.h$/.cc/' | sort -u)
# cpp-httplib's header must see the features its library was built with.
read -ra extra_flags <<<"$(pkg-config --cflags cpp-httplib 2>/dev/null || true)"
checked=0
failed=0
for file in "${files[@]}"; do
  [[ -f "$src/$file" ]] || continue
  if ! "$clangxx" -std=c++20 -fsyntax-only -Wthread-safety -Werror=thread-safety \
      "${extra_flags[@]}" -I"$src" -I"$gen" "$src/$file"; then
    echo "FAIL: $file"
    failed=$((failed + 1))
  fi
  checked=$((checked + 1))
done
[[ $checked -gt 0 ]] || { echo "FAIL: no annotated sources found under $src"; exit 1; }
echo "thread-safety analysis: $checked files checked, $failed failed"
[[ $failed -eq 0 ]]
