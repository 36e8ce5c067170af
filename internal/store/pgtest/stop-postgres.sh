#!/usr/bin/env bash
# Stops a server start-postgres.sh started and removes its directory:
#   stop-postgres.sh DIR
set -euo pipefail
dir=${1:?usage: stop-postgres.sh DIR (the BERTH_TEST_POSTGRES_DIR start-postgres.sh printed)}
if [ ! -f "$dir/data/PG_VERSION" ]; then
  echo "stop-postgres: $dir is not a directory start-postgres.sh made" >&2
  exit 1
fi
bindir=/usr/lib/postgresql/$(cat "$dir/data/PG_VERSION")/bin
if [ ! -x "$bindir/pg_ctl" ]; then bindir=$(pg_config --bindir); fi
as=()
if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); fi
"${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
rm -rf "$dir"
