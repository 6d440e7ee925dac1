#!/usr/bin/env bash
# Inbound SMTP load, side by side in one run: ringmail vs Postfix (and Postfix's smtp-sink,
# which stores nothing: the ceiling for this client). Same client for all: smtp-source.
# Reconfigures this machine's Postfix through shared/bench/postfix-baseline.sh: test hosts only.
#
# Usage: benches/load/compare-postfix.sh [MESSAGES] [SESSIONS] [SIZE_BYTES]
#   SHARDS=2 sets ringmail's shard count (default: one per CPU); POSTFIX=0 skips the Postfix runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-20000}; S=${2:-50}; L=${3:-4096}
SHARED=${SHARED:-../shared}
command -v smtp-source >/dev/null || { . scripts/deps.sh; apt_install postfix; }
. benches/load/common.sh

dir=$(mktemp -d /tmp/ringmail-load.XXXXXX)
port=2526
trap 'kill ${server:-} 2>/dev/null; wait ${server:-} 2>/dev/null; rm -rf "$dir"; exit' EXIT
start_ringmail "$dir" "" u

rate() { python3 -c "import sys;print(f'{int(sys.argv[1])/float(sys.argv[2]):.0f}')" "$@"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
run_ringmail() {  # $1: extra smtp-source flags (-d reuses connections); prints msgs/s and server CPU µs/msg
  local t0 t1 c0 c1
  c0=$(cpu_ticks); t0=$(date +%s.%N)
  timeout 600 smtp-source $1 -m "$N" -s "$S" -l "$L" -f a@src.test -t u@bench.test 127.0.0.1:$port
  t1=$(date +%s.%N); c1=$(cpu_ticks)
  python3 -c "import os,sys;n,t,c=int(sys.argv[1]),float(sys.argv[2]),int(sys.argv[3]);\
print(f'{n/t:.0f} msgs/s ({c*1e6/os.sysconf(\"SC_CLK_TCK\")/n:.0f} µs server CPU per message)')" \
    "$N" "$(python3 -c "print($t1-$t0)")" "$((c1 - c0))"
}
new_conn=$(run_ringmail "")
reuse=$(run_ringmail "-d")
stored=$("$BIN" --config "$dir/ringmail.toml" mail list u@bench.test | wc -l)
echo "ringmail (durable, group commit), $N msgs x ${L}B, $S sessions:"
echo "  new connection per message: $new_conn"
echo "  reused connections (-d):    $reuse"
echo "  stored $stored of $((2 * N))"
[ "$stored" -eq $((2 * N)) ] || { echo "ringmail lost messages" >&2; exit 1; }
kill $server; wait $server 2>/dev/null || true

if [ "${POSTFIX:-1}" = 0 ]; then
  :
elif [ -f "$SHARED/bench/postfix-baseline.sh" ]; then
  echo "--- Postfix, new connection per message"
  bash "$SHARED/bench/postfix-baseline.sh" "$N" "$S" "$L"
  echo "--- Postfix, reused connections (-d)"
  REUSE=-d bash "$SHARED/bench/postfix-baseline.sh" "$N" "$S" "$L"
else
  echo "($SHARED/bench/postfix-baseline.sh not found: Postfix figures skipped)"
fi
