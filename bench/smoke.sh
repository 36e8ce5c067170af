#!/usr/bin/env bash
# Runs every program under bench/ once at a small size, so that none can rot: CI runs
# it after the tests. It needs BERTH_TEST_DATABASE_URL (bench/store's PostgreSQL run)
# and KUBECONFIG (bench/kube on the test cluster), as .ci/run sets them.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
server=
trap '[ -z "$server" ] || kill "$server"; rm -rf "$tmp"' EXIT

go run ./bench/scheduler -nodes 20 -workloads 100 -runs 1
go run ./bench/store -workloads 300 -lists 10
go run ./bench/store -database "$BERTH_TEST_DATABASE_URL" -workloads 300 -lists 10
go run ./bench/throughput -jobs 20 -latency-jobs 5
go run ./bench/kube -workloads 4 -max-gang 2 -concurrency 2 -timeout 5m

go build -o "$tmp/berth" ./cmd/berth
port=$((20000 + RANDOM % 20000))
"$tmp/berth" serve --data-dir "$tmp/data" --listen "127.0.0.1:$port" --nodes 2 --cpus-per-node 64 \
  --memory-per-node 256Gi >"$tmp/server.log" 2>&1 &
server=$!
for _ in $(seq 300); do # up to 30 s for the first start
  [ -s "$tmp/data/admin-api-key" ] && curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.1
done
go run ./bench/latency -url "http://127.0.0.1:$port" -token-file "$tmp/data/admin-api-key" -workloads 10 -concurrency 2
