#!/usr/bin/env bash
# Queue memory: what a large queue for an unreachable destination costs the server. smtp-source
# injects N messages (one recipient each, 1 KiB) for unreachable.test into a ringmail that may
# relay for 127.0.0.1. unreachable.test's MX is 127.0.0.1 (dnsmasq), and [delivery] port points
# at a closed port, so every attempt is refused and deferred (MODE=dns-timeout instead gives it
# a nameserver that never answers, so every attempt waits out the DNS timeouts). The scheduler
# streams due entries from RocksDB 10,000 at a time rather than holding the queue in memory;
# this measures what that costs per queued message: RSS (VmRSS) when idle, right after the
# injection, over WATCH seconds of scheduler polls afterwards and again in a restarted server
# over the same queue, and the size of the store and the event log. Exits 1 if the server does
# not stop within STOP_WAIT seconds of SIGTERM (it is then killed).
#
# Usage: benches/load/queue-memory.sh [MESSAGES] [SESSIONS] [SIZE]
#        (or N=..., SESSIONS=..., SIZE=...; SHARDS=N sets the shards, default 2; WATCH=seconds of
#        polls to watch after the injection, default 15; INJECT_TIMEOUT=seconds, default 900;
#        STOP_WAIT=seconds to wait for the server to exit on SIGTERM, default 60)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-${1:-1000000}}; S=${SESSIONS:-${2:-50}}; L=${SIZE:-${3:-1024}}
MODE=${MODE:-refused}; WATCH=${WATCH:-15}
DEAD_PORT=2599   # nothing may listen here: the "MX" port that refuses every connection
command -v smtp-source >/dev/null || { . scripts/deps.sh; apt_install postfix; }
command -v dnsmasq >/dev/null || { . scripts/deps.sh; apt_install dnsmasq-base; }
. benches/load/common.sh

dir=$(mktemp -d /tmp/ringmail-queue-memory.XXXXXX)
cleanup() {
  [ -z "${server:-}" ] || kill -9 "$server" 2>/dev/null || true
  for p in ${server:-} ${dns:-}; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap 'cleanup; exit' EXIT

if (echo >/dev/tcp/127.0.0.1/$DEAD_PORT) 2>/dev/null; then
  echo "something listens on 127.0.0.1:$DEAD_PORT; it must be closed for this benchmark" >&2
  exit 1
fi
case $MODE in
  refused)
    start_mx_dns unreachable.test
    ;;
  dns-timeout)  # a nameserver that reads every query and answers none
    python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 5399))
while True: s.recv(4096)' &
    dns=$!
    ;;
  *) echo "MODE is refused or dns-timeout" >&2; exit 1 ;;
esac

# 127.0.0.1 may relay: it is in the default relay_networks.
SHARDS=${SHARDS:-2} write_config "$dir" 2526 mx.bench.test \
  $'[dns]\nnameservers = ["127.0.0.1:5399"]\n[delivery]\nport = '"$DEAD_PORT"
start_server() {
  "$BIN" --config "$dir/ringmail.toml" serve 2>>"$dir/server.log" &
  server=$!
  wait_port 2526
}
# SIGTERM, then SIGKILL after STOP_WAIT seconds (a hang here is a bug worth reporting, not a result).
stop_server() {
  kill "$server"
  for _ in $(seq $((${STOP_WAIT:-60} * 10))); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$server" 2>/dev/null; then
    echo "ringmail did not stop within ${STOP_WAIT:-60} s of SIGTERM; killed with SIGKILL" >&2
    kill -9 "$server"
    stuck=1
  fi
  wait "$server" 2>/dev/null || true
  server=
}
start_server

rss() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }   # KiB
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$server/status"; }   # KiB
cpu() { awk '{print $14 + $15}' "/proc/$server/stat"; }          # clock ticks, user + system
sizes() {  # bytes: store, events log(s)
  local store events
  store=$(du -sb "$dir/data/store" | cut -f1)
  events=$(cat "$dir"/data/events.log* 2>/dev/null | wc -c)
  echo "$store $events"
}
per() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.{sys.argv[3]}f}')" "$@"; }  # A / B, D decimals

sleep 2
idle=$(rss)
echo "ringmail (shards=${SHARDS:-2}, mode=$MODE): idle RSS $((idle / 1024)) MiB"

t0=$(date +%s.%N)
timeout "${INJECT_TIMEOUT:-900}" smtp-source -d -N -m "$N" -s "$S" -l "$L" -f a@src.test -t u@unreachable.test \
  127.0.0.1:2526 || echo "smtp-source stopped early (exit $?)" >&2
secs=$(python3 -c "import time,sys; print(f'{time.time()-float(sys.argv[1]):.1f}')" "$t0")
after=$(rss)

# Every message is due at once and fails; watch the scheduler go over the queue for a while.
peak=$after
cpu0=$(cpu)
for _ in $(seq "$WATCH"); do
  sleep 1
  now=$(rss); [ "$now" -gt "$peak" ] && peak=$now
done
last=$(rss)
cpu_watch=$(per $(($(cpu) - cpu0)) "$(getconf CLK_TCK)" 1)

summary=$("$BIN" --config "$dir/ringmail.toml" queue summary)
read -r queued deferred < <(awk -F'\t' '$1 == "unreachable.test" {print $2, $3}' <<<"$summary")
queued=${queued:-0}; deferred=${deferred:-0}
[ "$queued" -gt 0 ] || { echo "nothing was queued; server log:" >&2; tail "$dir/server.log" >&2; exit 1; }
read -r store events < <(sizes)

echo "injected $queued of $N messages x ${L}B over $S sessions in $secs s ($(per "$queued" "$secs" 0) msgs/s);" \
  "$deferred of them deferred at least once"
echo "RSS: idle $((idle / 1024)) MiB, after injection $((after / 1024)) MiB," \
  "peak over $WATCH s of polls $((peak / 1024)) MiB, then $((last / 1024)) MiB (VmHWM $(($(hwm) / 1024)) MiB)"
echo "server CPU time during those $WATCH s: $cpu_watch s"
echo "RSS per queued message: $(per $((last * 1024)) "$queued" 1) B total," \
  "$(per $(((last - idle) * 1024)) "$queued" 1) B above idle (peak: $(per $(((peak - idle) * 1024)) "$queued" 1) B)"
echo "disk while running: store $((store / 1048576)) MiB = $(per "$store" "$queued" 0) B per message;" \
  "events log $((events / 1048576)) MiB = $(per "$events" "$queued" 0) B per message"

stop_server
read -r store events < <(sizes)
echo "disk after shutdown: store $((store / 1048576)) MiB = $(per "$store" "$queued" 0) B per message"

# A fresh process over the same queue: what a restarted server needs for it (WATCH s of polls).
start_server
sleep "$WATCH"
again=$(rss)
echo "after a restart with $queued queued and $WATCH s of polls: RSS $((again / 1024)) MiB," \
  "$(per $(((again - idle) * 1024)) "$queued" 1) B per message above the empty server's idle RSS"
stop_server
[ -z "${stuck:-}" ] || exit 1
[ "$queued" -eq "$N" ] || { echo "only $queued of $N messages were queued" >&2; exit 1; }
