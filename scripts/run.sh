#!/usr/bin/env bash
# The main job, end to end on this machine: installs what is missing, builds, starts a local
# nats-server with JetStream and eventhistoryd with the memory store (both on free loopback
# ports, in a temporary directory), publishes sample events in the ocis envelope, and shows
# them through `eventhistoryd get` and `eventhistoryd user`. Stops both on exit.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${EH_BUILD_ROOT:-$root/build}/main
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/eventhistory-ccache}

bash "$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target eventhistoryd eh-bench
daemon=$build/apps/eventhistoryd/eventhistoryd
bench=$build/apps/eh-bench/eh-bench

work=$(mktemp -d /tmp/eventhistory-run.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { # a port nothing listens on, from the ephemeral range
  local port
  while :; do
    port=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}
nats_port=$(free_port)
grpc_addr=127.0.0.1:$(free_port)
debug_addr=127.0.0.1:$(free_port)

echo "== nats-server (JetStream) on 127.0.0.1:$nats_port"
nats-server -js -sd "$work/jetstream" -a 127.0.0.1 -p "$nats_port" >"$work/nats.log" 2>&1 &
pids+=($!)

echo "== eventhistoryd server (memory store): gRPC $grpc_addr, debug $debug_addr"
OCIS_EVENTS_ENDPOINT=127.0.0.1:$nats_port MICRO_REGISTRY_ADDRESS=127.0.0.1:$nats_port \
  EVENTHISTORY_GRPC_ADDR=$grpc_addr EVENTHISTORY_DEBUG_ADDR=$debug_addr "$daemon" server >"$work/eventhistoryd.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  "$daemon" health --debug-addr "$debug_addr" >/dev/null 2>&1 && break
  sleep 0.1
done

echo "== publishing sample events"
"$bench" publish --url "127.0.0.1:$nats_port" --count 12 --users 3 --seed 7 --list >"$work/published.txt"
head -n1 "$work/published.txt"
mapfile -t ids < <(awk '$1 == "event" { print $2 }' "$work/published.txt" | head -n 3)
user=$(awk '$1 == "user" { print $2; exit }' "$work/published.txt")

for _ in $(seq 100); do # until the daemon has stored all 12
  stored=$(curl -s "http://$debug_addr/metrics" | awk '$1 == "eventhistory_events_stored_total" { print $2 }')
  [[ ${stored:-0} -ge 12 ]] && break
  sleep 0.1
done

echo
echo "== eventhistoryd get ${ids[*]} no-such-id"
"$daemon" get --grpc-addr "$grpc_addr" "${ids[@]}" no-such-id
echo
echo "== eventhistoryd user $user"
"$daemon" user --grpc-addr "$grpc_addr" "$user"
echo
echo "== /metrics (excerpt)"
curl -s "http://$debug_addr/metrics" | grep -E '^eventhistory_(events_(received|stored)_total|acks_total|stored_events|grpc_requests_total|registry_registered)'
