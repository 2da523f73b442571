#!/usr/bin/env bash
# tests/nats/cluster.sh starts a three-server JetStream cluster on loopback whose servers all
# see each other (routes) and elect a JetStream meta leader, and stops it leaving no process.
# Skips (77) without nats-server. Args: lookout-binary source-dir shared-dir.
set -u
src=$2
command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || { echo "SKIP: nats-server not installed"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
dir=$(mktemp -d)
# A base port picked from the pid keeps parallel runs apart; 30 ports above it are used.
base=$((20000 + ($$ % 400) * 100))
cleanup() { bash "$src/tests/nats/cluster.sh" stop "$dir" >/dev/null 2>&1; rm -rf "$dir"; }
trap cleanup EXIT
fail=0
die() { echo "FAIL: $*"; fail=1; }

out=$(timeout 60 bash "$src/tests/nats/cluster.sh" start "$dir" "$base") || { die "start failed"; cat "$dir"/n*.log | tail -20; exit 1; }
[ "$out" = "nats://127.0.0.1:$base,nats://127.0.0.1:$((base + 1)),nats://127.0.0.1:$((base + 2))" ] || die "unexpected URLs: $out"
[ "$(bash "$src/tests/nats/cluster.sh" urls "$dir")" = "$out" ] || die "urls differ from start"
# JetStream clustered, with a meta leader known to every server (bounded wait).
for i in 0 1 2; do
  ok=0
  for _ in $(seq 100); do
    if curl -s "http://127.0.0.1:$((base + 20 + i))/jsz" | grep -q '"leader": "n[123]"'; then ok=1; break; fi
    sleep 0.1
  done
  [ "$ok" = 1 ] || die "n$((i + 1)) knows no JetStream meta leader"
done
grep -q 'listen: 127.0.0.1:' "$dir/n1.conf" || die "server not bound to loopback"
pids=$(cat "$dir"/n*.pid)
bash "$src/tests/nats/cluster.sh" stop "$dir" || die "stop failed"
for p in $pids; do kill -0 "$p" 2>/dev/null && die "server $p still running"; done
exit $fail
