#!/usr/bin/env bash
# Static check of the Dockerfile (no Docker engine here): every shared library
# the built binaries load must come from a Debian package that the runtime
# stage installs, directly or as a dependency, or from the base image.
#   dockerfile_runtime_test.sh SOURCE_DIR BINARY...
set -euo pipefail
src="$1"
shift
fail() { echo "FAIL: $*"; exit 1; }

# The package names on the runtime stage's apt-get install line(s).
runtime_packages=$(awk '/^FROM .* AS runtime/{on=1} on' "$src/Dockerfile" \
  | sed -n '/apt-get install/,/&&.*rm -rf/p' \
  | tr ' \\' '\n\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' \
  | grep -vE '^(apt-get|install|rm|useradd|ca-certificates)$' | sort -u)
[[ -n "$runtime_packages" ]] || fail "no runtime stage apt-get install found in Dockerfile"
for package in $runtime_packages; do
  apt-cache show "$package" >/dev/null 2>&1 || fail "runtime package '$package' does not exist"
done
provided=$( (echo "$runtime_packages"; apt-cache depends --recurse --no-recommends \
  --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances $runtime_packages \
  | grep -E '^[a-z0-9]' ) | sed 's/:.*//' | sort -u)
# What debian:12-slim has already.
base="libc6 libgcc-s1 libstdc++6 zlib1g"

# Every library the binaries load, once; then one dpkg query for all of them.
# With merged /usr a file may be registered under /lib or /usr/lib.
for binary in "$@"; do [[ -x "$binary" ]] || fail "$binary is not built"; done
# Sanitizer runtimes (an ASan/UBSan build of the same sources) never ship.
mapfile -t libraries < <(for binary in "$@"; do ldd "$binary" | awk '/=> \//{print $3}'; done \
  | grep -vE '/lib(asan|ubsan|lsan|tsan)\.so' | sort -u)
[[ ${#libraries[@]} -gt 0 ]] || fail "ldd found no libraries"
candidates=()
for library in "${libraries[@]}"; do
  candidates+=("$library" "$(readlink -f "$library")" "${library/#\/lib\//\/usr\/lib\/}")
done
owners=$(dpkg -S "${candidates[@]}" 2>/dev/null || true)

for library in "${libraries[@]}"; do
  package=""
  for path in "$library" "$(readlink -f "$library")" "${library/#\/lib\//\/usr\/lib\/}"; do
    package=$(grep -F ": $path" <<<"$owners" | awk -F': ' -v p="$path" '$2 == p {print $1}' \
      | head -n1 | cut -d: -f1 || true)
    [[ -z "$package" ]] || break
  done
  [[ -n "$package" ]] || fail "$library is loaded but no package owns it"
  if grep -qx "$package" <<<"$provided" || grep -qw "$package" <<<"$base"; then continue; fi
  fail "$library comes from $package, which the runtime stage lacks"
done
echo "dockerfile runtime stage provides all ${#libraries[@]} libraries of: $*"
