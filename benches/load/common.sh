# Shared by the load scripts (sourced): a throwaway ringmail with its own data folder.

. scripts/deps.sh
ensure_build_deps
cargo build --release --bin ringmail >/dev/null
BIN=$(ringmail_bin)

# Waits until something accepts connections on 127.0.0.1:$1.
wait_port() {
  for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "nothing listens on 127.0.0.1:$1" >&2
  return 1
}

# start_ringmail DIR LISTENERS USER...: writes DIR/ringmail.toml with the given listener tables
# (every other listener off) and any tables in $RINGMAIL_EXTRA (e.g.
# $'[antivirus]\nenabled = false'), adds domain bench.test and each USER@bench.test with
# password bench-password, starts the server in the background as $server, and waits for SMTP
# on 2526.
start_ringmail() {
  local dir=$1 listeners=$2 user
  shift 2
  cat > "$dir/ringmail.toml" <<TOML
hostname = "mx.bench.test"
data_dir = "$dir/data"
shards = ${SHARDS:-0}
[smtp]
listen = ["127.0.0.1:2526"]
$listeners
[limits]
max_connections_per_ip = 1000
${RINGMAIL_EXTRA:-}
TOML
  for table in submission submissions pop3 pop3s; do
    grep -q "^\[$table\]" <<<"$listeners" || printf '[%s]\nlisten = []\n' "$table" >> "$dir/ringmail.toml"
  done
  "$BIN" --config "$dir/ringmail.toml" domain add bench.test >/dev/null
  for user in "$@"; do
    echo "bench-password" | "$BIN" --config "$dir/ringmail.toml" user add "$user@bench.test" --password-stdin >/dev/null
  done
  "$BIN" --config "$dir/ringmail.toml" serve 2>"$dir/server.log" &
  server=$!
  wait_port 2526
}
