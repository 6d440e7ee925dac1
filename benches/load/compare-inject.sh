#!/usr/bin/env bash
# Injection over HTTP beside SMTP, in one run against one ringmail: the same message to local
# mailboxes, over SMTP (one recipient per message, and 100) and over POST /api/v1/messages
# (batches of 1 and of 100 recipients), each answered only once it is on disk. Prints msgs/s
# (recipient copies stored per second) and the server's CPU time per copy for each.
#
# Usage: benches/load/compare-inject.sh [MESSAGES] [CLIENTS]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-4000}; C=${2:-8}
. benches/load/common.sh

dir=$(mktemp -d /tmp/ringmail-inject.XXXXXX)
cleanup() {
  [ -n "${server:-}" ] && { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
  rm -rf "$dir"
}
trap 'cleanup; exit' EXIT

port=2725; http=2780
write_config "$dir" "$port" mx.example.test "[http]
listen = [\"127.0.0.1:$http\"]"
cli() { "$BIN" --config "$dir/ringmail.toml" "$@"; }
cli domain add example.test >/dev/null
recipients=""
for i in $(seq 100); do
  echo "bench-password" | cli user add "u$i@example.test" --password-stdin >/dev/null
  recipients+="u$i@example.test,"
done
echo "bench-password" | cli user add load@example.test --password-stdin >/dev/null
token=$(cli api-token add bench --scope inject --user load@example.test | head -1)
"$BIN" --config "$dir/ringmail.toml" serve >"$dir/server.log" 2>&1 &
server=$!
wait_port "$port"; wait_port "$http"

printf 'mode\tbatch\tmessages\tseconds\tmsgs/s\tcpu/msg\n'
run() {  # MODE BATCH COUNT
  local before after line sent
  before=$(cpu_secs "$server")
  line=$(python3 benches/load/inject_load.py --mode "$1" --batch "$2" --count "$3" --clients "$C" --port \
    "$([ "$1" = smtp ] && echo "$port" || echo "$http")" --token "$token" --from load@example.test \
    --recipients "${recipients%,}")
  after=$(cpu_secs "$server")
  sent=$(cut -f3 <<<"$line")
  printf '%s\t%s\n' "$line" "$(python3 -c "import sys;print(f'{(float(sys.argv[2])-float(sys.argv[1]))/int(sys.argv[3])*1e6:.0f} µs')" "$before" "$after" "$sent")"
}
run smtp 1 "$N"
run http 1 "$N"
run smtp 100 "$((N / 20))"
run http 100 "$((N / 20))"
