#!/usr/bin/env bash
# Start or stop a local three-server NATS cluster with JetStream for lookout (loopback only).
#
#   tests/nats/cluster.sh start DIR [BASE_PORT]   servers n1..n3, stores and logs under DIR
#   tests/nats/cluster.sh stop DIR                stop them (SIGTERM, then SIGKILL after 5 s)
#   tests/nats/cluster.sh urls DIR                the client URLs, comma-separated
#
# Ports: client BASE+i, cluster BASE+10+i, monitoring BASE+20+i (i = 0, 1, 2); BASE defaults
# to 14222. `start` waits until every client port accepts connections and every server sees
# its two routes (monitoring /routez), and prints the URLs. Put them in a site file:
#   nats: {servers: [nats://127.0.0.1:14222, nats://127.0.0.1:14223, nats://127.0.0.1:14224]}
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:-}
dir=${2:-}
base=${3:-14222}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "Usage: cluster.sh start|stop|urls DIR [BASE_PORT]" >&2; exit 2; }

server=${LOOKOUT_NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}

urls() { echo "nats://127.0.0.1:$base,nats://127.0.0.1:$((base + 1)),nats://127.0.0.1:$((base + 2))"; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

case "$cmd" in
  start)
    [ -x "$server" ] || { echo "cluster.sh: nats-server not found (apt-get install nats-server)" >&2; exit 77; }
    base=${3:-14222}
    mkdir -p "$dir"
    echo "$base" >"$dir/base_port"
    for i in 0 1 2; do
      routes=""
      for j in 0 1 2; do
        [ "$i" = "$j" ] || routes+="    nats-route://127.0.0.1:$((base + 10 + j))"$'\n'
      done
      sed -e "s|@NAME@|n$((i + 1))|" -e "s|@PORT@|$((base + i))|" \
          -e "s|@HTTP_PORT@|$((base + 20 + i))|" -e "s|@CLUSTER_PORT@|$((base + 10 + i))|" \
          -e "s|@STORE@|$dir/n$((i + 1))|" "$here/server.conf.in" |
        awk -v r="$routes" '{ if ($0 == "@ROUTES@") printf "%s", r; else print }' >"$dir/n$((i + 1)).conf"
      "$server" -c "$dir/n$((i + 1)).conf" >"$dir/n$((i + 1)).log" 2>&1 &
      echo $! >"$dir/n$((i + 1)).pid"
    done
    for i in 0 1 2; do
      for _ in $(seq 100); do port_open $((base + i)) && break; sleep 0.1; done
      port_open $((base + i)) || { echo "cluster.sh: n$((i + 1)) did not start (see $dir/n$((i + 1)).log)" >&2; exit 1; }
    done
    for i in 0 1 2; do
      ok=0
      for _ in $(seq 100); do
        if curl -s "http://127.0.0.1:$((base + 20 + i))/routez" | grep -q '"num_routes": 2'; then ok=1; break; fi
        sleep 0.1
      done
      [ "$ok" = 1 ] || { echo "cluster.sh: n$((i + 1)) has not got both routes" >&2; exit 1; }
    done
    urls
    ;;
  stop)
    for f in "$dir"/n*.pid; do
      [ -e "$f" ] || continue
      pid=$(cat "$f")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$f"
    done
    ;;
  urls)
    base=$(cat "$dir/base_port" 2>/dev/null || echo "$base")
    urls
    ;;
  *) echo "Usage: cluster.sh start|stop|urls DIR [BASE_PORT]" >&2; exit 2 ;;
esac
