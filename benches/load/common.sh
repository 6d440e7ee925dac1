# Shared by the load scripts (sourced): a throwaway ringmail with its own data folder.

. scripts/deps.sh
ensure_build_deps
cargo build --release --bin ringmail >/dev/null
BIN=${RINGMAIL_BIN:-$(ringmail_bin)}  # RINGMAIL_BIN: another build, e.g. for an A/B run

# Waits until something accepts connections on 127.0.0.1:$1.
wait_port() {
  for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "nothing listens on 127.0.0.1:$1" >&2
  return 1
}

# cpu_secs PID: CPU seconds (user + system) used so far by PID, its live children, and the
# children that have exited and been waited for (for Postfix: its master and every daemon).
cpu_secs() {
  local pids
  pids="$1 $(ps -o pid= --ppid "$1" | tr '\n' ' ')"
  # Fields 14-17 of /proc/PID/stat: utime, stime, cutime, cstime, in clock ticks.
  for p in $pids; do cat "/proc/$p/stat" 2>/dev/null || true; done |
    sed 's/^.*) //' | awk -v hz="$(getconf CLK_TCK)" '{t += $12 + $13 + $14 + $15} END {printf "%.2f\n", t / hz}'
}

# write_config DIR PORT HOSTNAME TABLES: writes DIR/ringmail.toml for a server listening for SMTP
# on 127.0.0.1:PORT with every other listener off, data in DIR/data, SHARDS shards (default: one
# per CPU), the given TABLES and any tables in $RINGMAIL_EXTRA (e.g. $'[antivirus]\nenabled = false').
write_config() {
  local dir=$1 port=$2 hostname=$3 tables=$4 table
  mkdir -p "$dir"
  cat > "$dir/ringmail.toml" <<TOML
hostname = "$hostname"
data_dir = "$dir/data"
shards = ${SHARDS:-0}
[smtp]
listen = ["127.0.0.1:$port"]
$tables
[limits]
max_connections_per_ip = 1000
${RINGMAIL_EXTRA:-}
TOML
  for table in submission submissions pop3 pop3s imap imaps; do
    grep -q "^\[$table\]" <<<"$tables" || printf '[%s]\nlisten = []\n' "$table" >> "$dir/ringmail.toml"
  done
}

# start_mx_dns DOMAIN: dnsmasq on 127.0.0.1:5399 (as $dns) saying DOMAIN's MX is 127.0.0.1,
# authoritative for .test like a real domain's nameserver: answers carry a TTL of 300 s and a
# "no such record" (the AAAA lookup) carries an SOA, so a resolver may cache both. (dnsmasq's
# plain local records have TTL 0 and bare negative answers, which forbid caching and would
# make every delivery attempt DNS queries that no production server makes.)
start_mx_dns() {
  dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts --listen-address=127.0.0.1 --bind-interfaces \
    --port=5399 --pid-file= --auth-server=ns.test,127.0.0.1 --auth-zone=test --auth-ttl=300 \
    --mx-host="$1,mx.$1,10" --host-record="mx.$1,127.0.0.1" \
    >/dev/null 2>&1 &
  dns=$!
  wait_port 5399
}

# start_ringmail DIR TABLES USER...: write_config for mx.bench.test on 2526 with TABLES, adds
# domain bench.test and each USER@bench.test with password bench-password, starts the server in
# the background as $server, and waits for SMTP on 2526.
start_ringmail() {
  local dir=$1 tables=$2 user
  shift 2
  write_config "$dir" 2526 mx.bench.test "$tables"
  "$BIN" --config "$dir/ringmail.toml" domain add bench.test >/dev/null
  for user in "$@"; do
    echo "bench-password" | "$BIN" --config "$dir/ringmail.toml" user add "$user@bench.test" --password-stdin >/dev/null
  done
  "$BIN" --config "$dir/ringmail.toml" serve 2>"$dir/server.log" &
  server=$!
  wait_port 2526
}
