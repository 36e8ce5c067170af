#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server for the tests: a fresh cluster in a temporary
# directory, listening only on 127.0.0.1 (port 5433, or the next free one), with
# fsync off. On stdout it prints two lines for eval:
#
#   export BERTH_TEST_DATABASE_URL='postgres://postgres@127.0.0.1:5433/postgres?sslmode=disable'
#   export BERTH_TEST_POSTGRES_DIR='/tmp/berth-pg.XXXXXX'
#
# Stop it and remove the directory with: stop-postgres.sh "$BERTH_TEST_POSTGRES_DIR".
# Run as root, the server runs as the user postgres (PostgreSQL refuses root).
set -euo pipefail

bindir=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
  if [ -x "$d/initdb" ]; then bindir=$d; break; fi
done
if [ -z "$bindir" ] && command -v pg_config >/dev/null; then bindir=$(pg_config --bindir); fi
if [ ! -x "$bindir/initdb" ]; then
  echo "start-postgres: no initdb found; install PostgreSQL (apt-get install postgresql)" >&2
  exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/berth-pg.XXXXXX")
as=()
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$dir"
  as=(runuser -u postgres --)
fi
fail() {
  echo "start-postgres: $1; log follows" >&2
  cat "$dir/initdb.log" "$dir/log" >&2 2>/dev/null || true
  "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  exit 1
}

# Locale C: byte order and no dependence on the locales the host has.
"${as[@]}" "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
  >"$dir/initdb.log" 2>&1 || fail "initdb failed"
cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
CONF

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Another server may take a port between the check and the start: try the next one.
port=5433
for _ in $(seq 20); do
  while port_taken "$port"; do port=$((port + 1)); done
  if "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -o "-p $port" -l "$dir/log" -w -t 60 start >/dev/null 2>&1; then
    echo "export BERTH_TEST_DATABASE_URL='postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable'"
    echo "export BERTH_TEST_POSTGRES_DIR='$dir'"
    exit 0
  fi
  port=$((port + 1))
done
fail "the server did not start"
