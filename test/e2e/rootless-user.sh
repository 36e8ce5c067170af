#!/usr/bin/env bash
# Sets up, as root, what the rootless e2e tests (rootless_test.go) need: Debian's uidmap
# (the setuid newuidmap and newgidmap), a system user berth-rootless to run a server
# as, and subordinate ids for it in /etc/subuid and /etc/subgid, far above those
# useradd hands out and below the default --pod-uid-range. Safe to run again. On
# stdout it prints one line for eval:
#
#   export BERTH_TEST_ROOTLESS_USER=berth-rootless
set -euo pipefail

user=berth-rootless
first=1000000000
count=65536

if [ "$(id -u)" != 0 ]; then
  echo "rootless-user: run as root" >&2
  exit 1
fi
if ! command -v newuidmap >/dev/null || ! command -v newgidmap >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq uidmap) >/dev/null
fi
id -u "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
for f in /etc/subuid /etc/subgid; do
  touch "$f"
  grep -q "^$user:" "$f" || echo "$user:$first:$count" >>"$f"
done
echo "export BERTH_TEST_ROOTLESS_USER=$user"
