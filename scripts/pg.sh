#!/usr/bin/env bash
# Private PostgreSQL clusters for evrouter: the one mechanism used by run.sh,
# test.sh and the tests.
#
#   pg.sh init DIR          initdb a new cluster in DIR (user postgres, trust auth)
#   pg.sh start DIR PORT    start it on 127.0.0.1:PORT (and a unix socket in DIR), wait until ready
#   pg.sh stop DIR          stop it (fast shutdown), wait until stopped; no-op if not running
#   pg.sh free-port         print a free TCP port on 127.0.0.1
#
# Postgres refuses to run as root: when run as root, DIR is chown'd to postgres
# and initdb/pg_ctl run through `runuser -u postgres --`.
# The binaries come from /usr/lib/postgresql/15/bin unless EVROUTER_PG_BIN says otherwise.
set -euo pipefail

PG_BIN="${EVROUTER_PG_BIN:-/usr/lib/postgresql/15/bin}"

die() { echo "pg.sh: $*" >&2; exit 1; }

usage() {
  sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

as_pg() {
  if [[ "$(id -u)" -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

abs_dir() {
  mkdir -p "$1"
  (cd "$1" && pwd)
}

free_port() {
  python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

cmd_init() {
  local dir
  dir="$(abs_dir "$1")"
  [[ -x "$PG_BIN/initdb" ]] || die "no initdb in $PG_BIN (set EVROUTER_PG_BIN)"
  [[ -f "$dir/PG_VERSION" ]] && die "$dir already holds a cluster"
  if [[ "$(id -u)" -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "user postgres does not exist (install postgresql-15)"
    chown postgres:postgres "$dir"
    # postgres must be able to reach DIR: make every parent traversable.
    local p="$dir"
    while [[ "$p" != "/" ]]; do
      p="$(dirname "$p")"
      if ! runuser -u postgres -- test -x "$p"; then
        chmod o+x "$p"
      fi
    done
  fi
  chmod 700 "$dir"
  local log
  log="$(mktemp)"
  if ! as_pg "$PG_BIN/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
      >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    die "initdb failed for $dir"
  fi
  rm -f "$log"
}

cmd_start() {
  local dir port
  dir="$(abs_dir "$1")"
  port="$2"
  [[ "$port" =~ ^[0-9]+$ ]] || die "bad port: $port"
  [[ -f "$dir/PG_VERSION" ]] || die "$dir holds no cluster (run: pg.sh init $dir)"
  if as_pg "$PG_BIN/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    return 0
  fi
  as_pg "$PG_BIN/pg_ctl" -D "$dir" -w -t 60 -l "$dir/postgres.log" \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir" start >/dev/null \
    || { tail -n 20 "$dir/postgres.log" >&2 || true; die "could not start the cluster in $dir on port $port"; }
}

cmd_stop() {
  local dir
  [[ -d "$1" ]] || return 0
  dir="$(cd "$1" && pwd)"
  [[ -f "$dir/PG_VERSION" ]] || return 0
  if as_pg "$PG_BIN/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    as_pg "$PG_BIN/pg_ctl" -D "$dir" -w -t 60 -m fast stop >/dev/null
  fi
}

case "${1:-}" in
  init) [[ $# -eq 2 ]] || usage; cmd_init "$2" ;;
  start) [[ $# -eq 3 ]] || usage; cmd_start "$2" "$3" ;;
  stop) [[ $# -eq 2 ]] || usage; cmd_stop "$2" ;;
  free-port) [[ $# -eq 1 ]] || usage; free_port ;;
  *) usage ;;
esac
