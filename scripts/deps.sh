#!/usr/bin/env bash
# Installs what evrouter needs to build and test, and only what is missing.
# Idempotent and quiet when everything is present. Prints the path of buf
# (installed from npm into the git-ignored .tools/ folder) on its last line.
# playwright-core (for the dashboard's browser test, with Debian's chromium)
# goes into the same folder, at a pinned version.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

packages=(
  build-essential clang clang-format cmake ninja-build pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libpqxx-dev libspdlog-dev libabsl-dev libgtest-dev libgmock-dev
  postgresql-15 postgresql-client-15
  python3 openssl docker-compose
  libcpp-httplib-dev prometheus curl
  chromium
)
# A newer Node (not from Debian) may already be there: keep it.
if ! { command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
       && npm --version >/dev/null 2>&1; }; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)"
  if [[ "$status" != "installed" ]]; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} > 0)); then
  sudo=()
  if [[ "$(id -u)" -ne 0 ]]; then
    sudo=(sudo)
  fi
  echo "deps.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

buf="$repo_root/.tools/node_modules/.bin/buf"
if [[ ! -x "$buf" ]] || ! "$buf" --version >/dev/null 2>&1; then
  echo "deps.sh: installing buf from npm into $repo_root/.tools" >&2
  mkdir -p "$repo_root/.tools"
  npm install --prefix "$repo_root/.tools" --no-audit --no-fund --loglevel=error \
    @bufbuild/buf >/dev/null
  if ! "$buf" --version >/dev/null 2>&1; then
    echo "deps.sh: buf is not runnable at $buf" >&2
    exit 1
  fi
fi
playwright_version=1.65.1
playwright_pkg="$repo_root/.tools/node_modules/playwright-core/package.json"
installed_playwright="$(node -e 'try { console.log(require(process.argv[1]).version) } catch (e) {}' \
  "$playwright_pkg" 2>/dev/null || true)"
if [[ "$installed_playwright" != "$playwright_version" ]]; then
  echo "deps.sh: installing playwright-core $playwright_version from npm into $repo_root/.tools" >&2
  mkdir -p "$repo_root/.tools"
  npm install --prefix "$repo_root/.tools" --no-audit --no-fund --loglevel=error --save-exact \
    "playwright-core@$playwright_version" >/dev/null
  if [[ ! -f "$playwright_pkg" ]]; then
    echo "deps.sh: playwright-core is not installed at $playwright_pkg" >&2
    exit 1
  fi
fi

echo "$buf"
