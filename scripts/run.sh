#!/usr/bin/env bash
# Builds evrouter and runs evrouterd in the foreground against a private
# Postgres cluster under .data/postgres in the repo (created the first time).
#   scripts/run.sh [extra evrouterd args...]
# Ctrl-C stops the server, then the cluster.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
pg=(bash "$repo_root/scripts/pg.sh")

bash scripts/deps.sh >/dev/null
# The server and CLI only; scripts/test.sh builds the tests and the bench.
EVROUTER_BUILD_TESTS=OFF EVROUTER_BUILD_BENCH=OFF bash scripts/build.sh Release

data_dir="$repo_root/.data/postgres"
mkdir -p "$repo_root/.data"
server_pid=""
cleanup() {
  trap - EXIT INT TERM
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  "${pg[@]}" stop "$data_dir" || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [[ ! -f "$data_dir/PG_VERSION" ]]; then
  echo "run.sh: creating a Postgres cluster in $data_dir" >&2
  "${pg[@]}" init "$data_dir"
fi
# The port is kept in .data/postgres/port, next to the cluster files.
port_file="$data_dir/port"
if [[ -f "$port_file" ]]; then
  port="$(cat "$port_file")"
else
  if python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1",55432))' 2>/dev/null; then
    port=55432
  else
    port="$("${pg[@]}" free-port)"
  fi
  echo "$port" >"$port_file"
fi

"${pg[@]}" start "$data_dir" "$port"

if [[ "$(psql "postgresql://postgres@127.0.0.1:$port/postgres" -Atqc \
      "SELECT 1 FROM pg_database WHERE datname = 'evrouter'")" != "1" ]]; then
  psql "postgresql://postgres@127.0.0.1:$port/postgres" -qc 'CREATE DATABASE evrouter'
fi

dsn="postgresql://postgres@127.0.0.1:$port/evrouter"

# The local admin's bearer token: made once, kept next to the cluster, readable
# only by you. evrouterd installs it for user "admin"; the CLI reads it through
# EVROUTER_TOKEN_FILE.
token_file="$repo_root/.data/admin-token"
if [[ ! -s "$token_file" ]]; then
  (umask 077 && printf 'evr-local-%s\n' "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" >"$token_file")
fi
echo "run.sh: Postgres on 127.0.0.1:$port; evrouterd on 127.0.0.1:50051 (Ctrl-C stops both)" >&2
echo "run.sh: the admin token is in $token_file; in another shell:" >&2
echo "          export EVROUTER_TOKEN_FILE=$token_file   # for build/client/evrouter" >&2
echo "          -H \"authorization: Bearer \$(cat $token_file)\"   # for buf curl / grpcurl" >&2
# Run in the background and wait, so the trap runs as soon as Ctrl-C arrives.
# In a session of its own, so that Ctrl-C reaches only this script, which then
# sends one SIGTERM (evrouterd takes a second signal as "exit now").
setsid build/server/evrouterd --listen 127.0.0.1:50051 --pg-dsn "$dsn" \
  --admin-token-file "$token_file" "$@" &
server_pid=$!
set +e
wait "$server_pid"
rc=$?
set -e
server_pid=""
exit "$rc"
