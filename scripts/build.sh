#!/usr/bin/env bash
# Configures evrouter with Ninja into build/ and builds it.
#   scripts/build.sh [Release|Debug]     (default Release; or env EVROUTER_BUILD_TYPE)
# Env: EVROUTER_BUILD_DIR (default build), EVROUTER_JOBS (default 2),
#      EVROUTER_BUILD_TESTS (ON|OFF, default ON), EVROUTER_BUILD_BENCH (ON|OFF,
#      default ON: evrouter-bench, see bench/README.md),
#      CMAKE_INSTALL_PREFIX for a later `cmake --install build`.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_type="${1:-${EVROUTER_BUILD_TYPE:-Release}}"
case "$build_type" in
  Release|Debug|RelWithDebInfo|MinSizeRel) ;;
  *) echo "build.sh: unknown build type '$build_type' (Release|Debug)" >&2; exit 2 ;;
esac
build_dir="${EVROUTER_BUILD_DIR:-$repo_root/build}"
jobs="${EVROUTER_JOBS:-2}"

configure_args=(-S "$repo_root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type"
  -DEVROUTER_BUILD_TESTS="${EVROUTER_BUILD_TESTS:-ON}"
  -DEVROUTER_BUILD_BENCH="${EVROUTER_BUILD_BENCH:-ON}")
if [[ -n "${CMAKE_INSTALL_PREFIX:-}" ]]; then
  configure_args+=(-DCMAKE_INSTALL_PREFIX="$CMAKE_INSTALL_PREFIX")
fi

# A build dir configured with another generator cannot be reused.
if [[ -f "$build_dir/CMakeCache.txt" ]] \
   && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$build_dir/CMakeCache.txt"; then
  echo "build.sh: $build_dir was configured with another generator; remove it first" >&2
  exit 1
fi

cmake "${configure_args[@]}" >/dev/null
cmake --build "$build_dir" --parallel "$jobs"
