#!/usr/bin/env bash
# docker-compose.yml is valid and names the environment variables evrouterd
# reads (EVROUTER_LISTEN, EVROUTER_PG_DSN), and its non-loopback listen
# address comes with TLS or EVROUTER_ALLOW_PLAINTEXT. No Docker engine needed.
#   compose_config_test.sh [REPO_ROOT]
set -euo pipefail

root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
compose="$root/docker-compose.yml"
fail() { echo "FAIL: $*" >&2; exit 1; }

[[ -f "$compose" ]] || fail "no $compose"
command -v docker-compose >/dev/null || fail "docker-compose is not installed (scripts/deps.sh)"

cd "$root"
docker-compose -f "$compose" config -q || fail "docker-compose config -q rejected $compose"

config="$(mktemp)"
trap 'rm -f "$config"' EXIT
docker-compose -f "$compose" config >"$config" 2>/dev/null || fail "docker-compose config failed"

python3 - "$config" "$root" <<'PY' || fail "docker-compose.yml does not match evrouterd (see above)"
import re, sys
text = open(sys.argv[1]).read()
root = sys.argv[2]
errors = []

def need(cond, msg):
    if not cond:
        errors.append(msg)

# Services.
services = re.findall(r"^  ([A-Za-z0-9_.-]+):\s*$", text.split("services:", 1)[1], re.M) if "services:" in text else []
need("postgres" in services, "no service 'postgres'")
need("evrouterd" in services, "no service 'evrouterd'")

# The environment evrouterd reads; the names must be exactly the server's.
for name in ("EVROUTER_LISTEN", "EVROUTER_PG_DSN"):
    need(re.search(r"\b%s\b" % name, text), "evrouterd environment lacks " + name)
# Known names: those the server sources use in string literals (when the
# sources are there), else the documented ones.
import os, glob
known = {
    "EVROUTER_LISTEN", "EVROUTER_PG_DSN", "EVROUTER_PG_POOL_SIZE",
    "EVROUTER_MAX_PAYLOAD_BYTES", "EVROUTER_MAX_HEADERS", "EVROUTER_MAX_HEADER_BYTES",
    "EVROUTER_MAX_BATCH_EVENTS", "EVROUTER_MAX_MESSAGE_BYTES", "EVROUTER_MAX_PENDING_BYTES",
    "EVROUTER_DEDUP_WINDOW", "EVROUTER_STARTUP_TIMEOUT", "EVROUTER_LOG_LEVEL",
}
srcs = [p for ext in ("*.cc", "*.h")
        for p in glob.glob(os.path.join(root, "server", "**", ext), recursive=True)]
if srcs:
    body = "".join(open(p, errors="replace").read() for p in srcs)
    in_sources = set(re.findall(r'"(EVROUTER_[A-Z0-9_]+)"', body))
    for name in ("EVROUTER_LISTEN", "EVROUTER_PG_DSN"):
        need(name in in_sources, "the server sources never read " + name)
    if in_sources:
        known = in_sources
for name in sorted(set(re.findall(r"\b(EVROUTER_[A-Z0-9_]+)\b", text))):
    need(name in known, "evrouterd reads no variable " + name)
need(re.search(r"EVROUTER_LISTEN:\s*['\"]?0\.0\.0\.0:50051", text), "EVROUTER_LISTEN is not 0.0.0.0:50051")
# 0.0.0.0 is not loopback: evrouterd refuses to start there in plaintext
# unless it is allowed, so either TLS (certificate and key) or the allowance.
tls = all(re.search(r"\b%s:" % n, text) for n in ("EVROUTER_TLS_CERT", "EVROUTER_TLS_KEY"))
plaintext_allowed = re.search(r"EVROUTER_ALLOW_PLAINTEXT:\s*['\"]?(true|1|yes|on)\b", text, re.I)
need(tls or plaintext_allowed,
     "EVROUTER_LISTEN is not loopback: set EVROUTER_TLS_CERT and EVROUTER_TLS_KEY, or EVROUTER_ALLOW_PLAINTEXT")
need(re.search(r"EVROUTER_PG_DSN:\s*['\"]?postgres(ql)?://[^@\s]+@postgres:5432/", text),
     "EVROUTER_PG_DSN does not point at the postgres service")
need("service_healthy" in text, "evrouterd does not wait for a healthy postgres")
need(re.search(r"image:\s*['\"]?postgres:15", text), "postgres is not the postgres:15 image")
need("healthcheck" in text, "postgres has no healthcheck")
need(re.search(r"\b50051\b", text), "port 50051 is not published")

for e in errors:
    print("compose: " + e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
echo "compose config OK"
