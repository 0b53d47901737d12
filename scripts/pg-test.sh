#!/usr/bin/env bash
# Runs kakou-store's tests against PostgreSQL as well as SQLite: starts a throwaway cluster in a
# temporary folder, points KAKOU_TEST_POSTGRES_URL at it, runs `cargo test -p kakou-store` (extra
# arguments are passed on, e.g. a test name), then stops the cluster and deletes the folder.
#
#   scripts/pg-test.sh [cargo test args]   kakou-store's tests
#   scripts/pg-test.sh --run CMD ARGS...   any command with the cluster up (scripts/test.sh runs
#                                          the whole native suite this way)
#
# Installs Debian's postgresql package when missing (idempotent, as scripts/setup.sh does).
# initdb refuses to run as root, so as root the cluster runs as the `postgres` system user.
# The cluster trusts local connections and skips fsync: it is for tests only.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
# shellcheck source=scripts/env.sh
source scripts/env.sh

log() { printf '\033[1m[pg-test +%ss]\033[0m %s\n' "$SECONDS" "$*" >&2; }

if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  log "apt: installing postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
bin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -1)

dir=$(mktemp -d /tmp/kakou-pg.XXXXXX)
as_db=()
if [ "$(id -u)" = 0 ]; then
  chown postgres "$dir"
  as_db=(runuser -u postgres --)
fi
# a free port: ask the kernel for one
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

stop() {
  "${as_db[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

log "initdb + start on 127.0.0.1:$port ($bin)"
"${as_db[@]}" "$bin/initdb" -D "$dir/data" -U kakou --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
"${as_db[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null

export KAKOU_TEST_POSTGRES_URL="postgres://kakou@127.0.0.1:$port/postgres"
if [ "${1:-}" = "--run" ]; then
  shift
  log "$* (with PostgreSQL)"
  "$@"
else
  log "cargo test -p kakou-store (SQLite and PostgreSQL)"
  cargo test -p kakou-store "$@"
fi
