#!/usr/bin/env bash
# Relaying, side by side in one run: how fast ringmail and Postfix pass mail on to another
# server. smtp-source injects MESSAGES messages for far.test over SESSIONS sessions into the
# relay under test; the relay looks up far.test's MX (dnsmasq on 127.0.0.1 for ringmail,
# relayhost for Postfix, which has DNS off) and delivers to a receiving ringmail (or, with
# RECEIVER=sink, to Postfix's smtp-sink, which stores nothing: the issue's set-up). The time is
# from the first injected message to the last one the receiver has: end-to-end msgs/s. The
# relay's CPU time per message (Postfix: its master and every daemon) is the steadier figure
# on a shared machine, where smtp-source and the receiver compete for the same cores.
# Reconfigures this machine's Postfix through shared/bench/postfix-baseline.sh: test hosts only.
#
# Usage: benches/load/compare-relay.sh [MESSAGES] [SESSIONS] [SIZE]   (POSTFIX=0 skips Postfix,
#        RECEIVER=sink delivers to smtp-sink, CLUSTER=1 adds a run as a one-node cluster on a
#        local Redis and counts its Redis commands per message; DELIVERY_EXTRA: more [delivery]
#        keys for every ringmail run, e.g. 'max_rate_per_destination = "100000/s"')
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-5000}; S=${2:-20}; L=${3:-4096}
SHARED=${SHARED:-../shared}
command -v smtp-source >/dev/null || { . scripts/deps.sh; apt_install postfix; }
command -v dnsmasq >/dev/null || { . scripts/deps.sh; apt_install dnsmasq-base; }
. benches/load/common.sh

dir=$(mktemp -d /tmp/ringmail-relay.XXXXXX)
cleanup() {
  for p in ${relay:-} ${server:-} ${dns:-}; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap 'cleanup; exit' EXIT

if [ "${RECEIVER:-ringmail}" = sink ]; then
  # The receiver: Postfix's smtp-sink on 2526 (stores nothing), counting messages (-c).
  smtp-sink -u nobody -c 127.0.0.1:2526 1000 >"$dir/sink.count" 2>&1 &
  server=$!
  wait_port 2526
  stored() { tr '\r' '\n' <"$dir/sink.count" | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -1 | grep . || echo 0; }
else
  # The receiver: a ringmail on 2526 with user u@far.test (start_ringmail starts it as $server).
  mkdir -p "$dir/rx"
  start_ringmail "$dir/rx" "" u
  "$BIN" --config "$dir/rx/ringmail.toml" domain add far.test >/dev/null
  echo "bench-password" | "$BIN" --config "$dir/rx/ringmail.toml" user add u@far.test --password-stdin >/dev/null
  stored() { "$BIN" --config "$dir/rx/ringmail.toml" mail list u@far.test | wc -l; }
fi
wait_stored() {  # $1: count; prints seconds since $2 (date +%s.%N)
  for _ in $(seq 6000); do [ "$(stored)" -ge "$1" ] && break; sleep 0.1; done
  python3 -c "import time,sys;print(f'{time.time()-float(sys.argv[1]):.2f}')" "$2"
}
rate() { python3 -c "import sys;print(f'{int(sys.argv[1])/float(sys.argv[2]):.0f}')" "$@"; }
# per_message CPU0 CPU1: the relay's CPU time between the two readings, per message.
per_message() { python3 -c "import sys;print(f'{(float(sys.argv[2])-float(sys.argv[1]))/$N*1e6:.0f} µs')" "$@"; }

start_mx_dns far.test

# The relay under test: ringmail on 2527, delivering to port 2526. run_ringmail LABEL DIR EXTRA:
# one run with EXTRA added to its configuration.
run_ringmail() {
  write_config "$2" 2527 relay.bench.test $'[dns]\nnameservers = ["127.0.0.1:5399"]\n[delivery]\nport = 2526\n'"${DELIVERY_EXTRA:-}$3"
  "$BIN" --config "$2/ringmail.toml" serve 2>"$2.log" &
  relay=$!
  wait_port 2527
  local before cpu0 t0 secs
  before=$(stored)
  cpu0=$(cpu_secs $relay)
  t0=$(date +%s.%N)
  timeout 600 smtp-source -m "$N" -s "$S" -l "$L" -f a@src.test -t u@far.test 127.0.0.1:2527
  secs=$(wait_stored $((before + N)) "$t0")
  echo "$1: $N msgs x ${L}B in $secs s end to end: $(rate "$N" "$secs") msgs/s;" \
    "relay CPU $(per_message "$cpu0" "$(cpu_secs $relay)") per message"
  kill $relay; wait $relay 2>/dev/null || true; relay=
}
run_ringmail "ringmail relay" "$dir/relay" ""

if [ "${CLUSTER:-0}" = 1 ]; then
  # The same relay as a cluster of one node on a local Redis: leases, rates and the heartbeat
  # through Redis. Its commands per message come from Redis's own counts.
  command -v redis-server >/dev/null || { . scripts/deps.sh; apt_install redis-server; }
  redis-server --port 6391 --bind 127.0.0.1 --save "" --appendonly no >/dev/null &
  redis=$!
  trap 'kill $redis 2>/dev/null; cleanup; exit' EXIT
  for _ in $(seq 100); do [ "$(redis-cli -p 6391 ping 2>/dev/null)" = PONG ] && break; sleep 0.05; done
  redis-cli -p 6391 config resetstat >/dev/null
  run_ringmail "ringmail relay, cluster of one (Redis)" "$dir/relay-cluster" \
    $'\n[cluster]\nredis = "redis://127.0.0.1:6391/0"\nnode = "bench"'
  redis-cli -p 6391 info commandstats | tr -d '\r' | python3 -c "
import re, sys
calls = {m[1]: int(m[2]) for m in re.finditer(r'cmdstat_(\w+):calls=(\d+)', sys.stdin.read())}
calls.pop('info', None); calls.pop('config', None)
print(f'Redis commands per message: {sum(calls.values()) / $N:.2f} (' + ', '.join(f'{k} {v}' for k, v in sorted(calls.items())) + ')')"
fi

[ "${POSTFIX:-1}" = 0 ] && exit 0
bash "$SHARED/bench/postfix-baseline.sh" 100 4 "$L" >/dev/null
postconf -e "relayhost=[127.0.0.1]:2526" "default_transport=smtp" "smtp_tls_security_level=may"
postsuper -d ALL >/dev/null 2>&1 || true
postfix start >/dev/null 2>&1; sleep 1
before=$(stored)
master=$(head -1 "$(postconf -h queue_directory)/pid/master.pid" | tr -d ' ')
cpu0=$(cpu_secs "$master")
t0=$(date +%s.%N)
timeout 600 smtp-source -m "$N" -s "$S" -l "$L" -f a@src.test -t u@far.test 127.0.0.1:10025
secs=$(wait_stored $((before + N)) "$t0")
echo "Postfix $(postconf -h mail_version) relay: $N msgs x ${L}B in $secs s end to end: $(rate "$N" "$secs") msgs/s;" \
  "relay CPU $(per_message "$cpu0" "$(cpu_secs "$master")") per message"
postfix stop >/dev/null 2>&1 || true
