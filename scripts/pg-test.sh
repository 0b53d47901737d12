#!/usr/bin/env bash
# Runs kakou-store's tests against PostgreSQL and S3 as well as SQLite and a folder: starts a
# throwaway PostgreSQL cluster in a temporary folder and points KAKOU_TEST_POSTGRES_URL at it;
# starts an S3 server (moto, from the venv scripts/setup.sh makes) with a bucket and points
# KAKOU_TEST_S3_BUCKET and object_store's AWS_* variables at it; runs `cargo test -p kakou-store
# --features s3` (extra arguments are passed on, e.g. a test name); then stops both and cleans up.
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

s3_pid=
stop() {
  "${as_db[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  [ -n "$s3_pid" ] && kill "$s3_pid" 2>/dev/null
  rm -rf "$dir"
}
trap stop EXIT

log "initdb + start on 127.0.0.1:$port ($bin)"
"${as_db[@]}" "$bin/initdb" -D "$dir/data" -U kakou --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
"${as_db[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null

export KAKOU_TEST_POSTGRES_URL="postgres://kakou@127.0.0.1:$port/postgres"

if [ -x "$KAKOU_S3_VENV/bin/moto_server" ]; then
  s3_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  log "S3 (moto) on 127.0.0.1:$s3_port"
  "$KAKOU_S3_VENV/bin/moto_server" -H 127.0.0.1 -p "$s3_port" >"$dir/s3.log" 2>&1 &
  s3_pid=$!
  # wait for it, then create the bucket
  python3 - "$s3_port" <<'PY'
import sys, time, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/kakou-test"
for _ in range(200):
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="PUT"), timeout=2)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("the S3 server did not start")
PY
  export KAKOU_TEST_S3_BUCKET=kakou-test AWS_ENDPOINT="http://127.0.0.1:$s3_port" AWS_ALLOW_HTTP=true \
    AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
else
  log "no S3 server (moto_server missing from $KAKOU_S3_VENV: run scripts/setup.sh); S3 not tested"
fi
if [ "${1:-}" = "--run" ]; then
  shift
  log "$* (with PostgreSQL)"
  "$@"
else
  log "cargo test -p kakou-store (SQLite, PostgreSQL, S3)"
  cargo test -p kakou-store --features s3 "$@"
fi
