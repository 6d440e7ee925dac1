#!/usr/bin/env bash
# IMAP, side by side in one run: ringmail vs Dovecot (Debian dovecot-imapd), same client
# (benches/load/imap_load.py, raw sockets, one command at a time per connection).
#   1. Load: the same MESSAGES messages of ~4 KiB (varied senders and subjects, every second one
#      \Seen) are APPENDed over IMAP, in order, to INBOX of u1@bench.test on each server.
#   2. Mix: N_CLIENTS client processes, each logged in once, start together and loop for SECONDS
#      over SELECT INBOX, FETCH 1:50 (FLAGS ENVELOPE), UID FETCH of one BODY.PEEK[], STORE
#      +FLAGS and UID STORE -FLAGS \Flagged on random messages, SEARCH SUBJECT word, SEARCH
#      UNSEEN, NOOP, every 5th loop SORT (REVERSE DATE), THREAD REFERENCES and SEARCH TEXT word
#      (which reads every message), and every 10th loop an APPEND of a small \Deleted message and
#      UID EXPUNGE of it. All clients share the one INBOX (USERS=K spreads them over K accounts, each loaded
#      with the data set). Commands/s, and the CPU time of the server's process tree per command
#      (with the client's, to show how much of the 2 cores the client took). Both servers are
#      up during this part and the mix runs ROUNDS times (default 3) on each, alternating, so
#      that other work on a shared machine falls on both alike; the table shows the median.
#   3. Idle memory, on a freshly restarted server after one warm-up session (so that what
#      the mix left in the allocator does not hide the cost): IDLE connections (default 200)
#      logged in, then with INBOX selected, held idle; RSS (and PSS, which counts shared pages
#      once) of the server's process tree before and after, per connection: ringmail is one
#      process, Dovecot is the master and all its children (imap, imap-login, auth, anvil,
#      log, config ...). ringmail runs this part with MIMALLOC_PURGE_DELAY=0 (=10 is mimalloc's
#      default): mimalloc otherwise gives freed memory back only when the heap is next used, so
#      the baseline may or may not still hold the warm-up login's 19 MiB argon2 buffer, while
#      glibc (Dovecot) unmaps such large blocks at once. It changes when freed memory goes back
#      to the kernel, not what is live.
# Both servers get plain-text LOGIN over TCP (ringmail: [auth] allow_plaintext_auth = true;
# Dovecot: disable_plaintext_auth = no, ssl = no), or with TLS=1 both IMAPS with the same
# self-signed ECDSA P-256 certificate. Both check passwords against argon2id hashes with the
# same parameters (19 MiB, 2 passes). Dovecot runs from its own config in a temporary folder
# (the system's Dovecot is left alone; the master starts as root, mail processes run as
# nobody) with Maildir (DOVECOT_STORAGE=mdbox for mdbox) and its fsync settings at their
# defaults (mail_fsync = optimized: a saved message is fsynced, index updates such as flag
# changes and expunges are not); ringmail fsyncs every APPEND, STORE and EXPUNGE through its
# journal before answering (one fsync per group of concurrent writes).
#
# Usage: benches/load/compare-imap.sh [N_CLIENTS] [SECONDS] [MESSAGES]
#        (IDLE=connections for the memory test, default 200, 0 skips it; USERS=accounts, default 1;
#        TLS=1 for IMAPS; ROUNDS=mix runs per server, default 3; SWEEP="2 16" also runs the mix
#        once with each of those client counts, to check that the client is not the bottleneck;
#        SKIP=search-subject,... leaves steps out of the mix (see imap_load.py --skip);
#        DOVECOT=0 skips Dovecot; DOVECOT_STORAGE=maildir|mdbox)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-8}; S=${2:-20}; M=${3:-2000}
IDLE=${IDLE:-200}; USERS=${USERS:-1}; TLS=${TLS:-0}; ROUNDS=${ROUNDS:-3}; SWEEP=${SWEEP:-}; SKIP=${SKIP:-}
STORAGE=${DOVECOT_STORAGE:-maildir}
. scripts/deps.sh
[ "${DOVECOT:-1}" = 0 ] || apt_install dovecot-core dovecot-imapd
. benches/load/common.sh
python3 -c "import argon2" 2>/dev/null || pip install -q argon2-cffi

# Enough descriptors for the idle connections (client and server side are both in this tree).
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((2 * IDLE + 256)) ]; then
  ulimit -n $((2 * IDLE + 256)) 2>/dev/null || { echo "ulimit -n $(ulimit -n) is too low for IDLE=$IDLE" >&2; exit 1; }
fi

DRIVER="python3 benches/load/imap_load.py"
TLSFLAG=(); [ "$TLS" = 1 ] && TLSFLAG=(--tls)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

dir=$(mktemp -d /tmp/ringmail-imap-load.XXXXXX)
chmod 755 "$dir"
dovecot_stop() {
  [ -f "$dir/dovecot.conf" ] || return 0
  dovecot -c "$dir/dovecot.conf" stop 2>/dev/null || true
  for _ in $(seq 100); do [ -f "$dir/dv/run/master.pid" ] || return 0; sleep 0.1; done
  kill -9 "$(cat "$dir/dv/run/master.pid")" 2>/dev/null || true
}
cleanup() {
  [ -z "${idler:-}" ] || { kill "$idler" 2>/dev/null || true; wait "$idler" 2>/dev/null || true; }
  [ -z "${server:-}" ] || { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
  dovecot_stop
  rm -rf "$dir"
}
trap 'rc=$?; cleanup; exit $rc' EXIT
trap 'exit 130' INT TERM

# wait_status FILE WORD SECONDS: waits until FILE says WORD.
wait_status() {
  for _ in $(seq $((10 * $3))); do
    [ "$(cat "$1" 2>/dev/null)" = "$2" ] && return 0
    kill -0 "$idler" 2>/dev/null || { echo "the idle client died" >&2; return 1; }
    sleep 0.1
  done
  echo "timed out waiting for $2 in $1" >&2
  return 1
}

# mix KEY PORT PID CLIENTS [JSON]: one run of the mix; prints its summary and per-command lines.
mix() {
  timeout $((S + 300)) $DRIVER run --port "$2" "${TLSFLAG[@]}" --clients "$4" --seconds "$S" --messages "$M" \
    --users "$USERS" --pid "$3" --skip "$SKIP" ${5:+--json "$5"}
}

# idle_memory KEY PORT PID: on a freshly started server, after one warm-up session, IDLE
# connections logged in, then with INBOX selected; the process tree's memory at each step.
idle_memory() {
  local key=$1 port=$2 pid=$3
  rm -f "$dir/idle.status"
  # Not under timeout(1), which would die of the SIGUSR1: the client bounds itself (--limit).
  $DRIVER idle --port "$port" "${TLSFLAG[@]}" --connections "$IDLE" --users "$USERS" \
    --status "$dir/idle.status" --limit 900 &
  idler=$!
  wait_status "$dir/idle.status" warm 120
  sleep 2
  read -r rss0 pss0 n0 < <($DRIVER mem --pid "$pid")
  kill -USR1 "$idler"
  wait_status "$dir/idle.status" auth 600
  sleep 2
  read -r rss1 pss1 n1 < <($DRIVER mem --pid "$pid")
  kill -USR1 "$idler"
  wait_status "$dir/idle.status" selected 600
  sleep 2
  read -r rss2 pss2 n2 < <($DRIVER mem --pid "$pid")
  kill "$idler"; wait "$idler" 2>/dev/null || true; idler=
  echo "$rss0 $pss0 $n0 $rss1 $pss1 $n1 $rss2 $pss2 $n2" > "$dir/$key.mem"
  echo "  $key: RSS ${rss0} -> ${rss1} (logged in) -> ${rss2} KiB (INBOX selected)," \
    "PSS ${pss0} -> ${pss1} -> ${pss2} KiB, processes ${n0} -> ${n1} -> ${n2}"
}

# log_problems LOG PATTERN EXPECTED: lines matching PATTERN but not EXPECTED, counted, first five.
log_problems() {
  local log=$1 pattern=$2 count
  count=$(grep -E "$pattern" "$log" 2>/dev/null | grep -cvE "$3" || true)
  echo "  $log: ${count:-0} lines matching $pattern"
  [ "${count:-0}" = 0 ] || grep -E "$pattern" "$log" | grep -vE "$3" | head -5 | cut -c1-300 | sed 's/^/    /'
}

users=$(for i in $(seq "$USERS"); do echo "u$i"; done)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=mx.bench.test \
  -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
chmod 644 "$dir/key.pem"

# ringmail: 2526 for SMTP (common.sh), IMAP or IMAPS on a free port.
rport=$(free_port)
if [ "$TLS" = 1 ]; then
  tables=$'[imaps]\nlisten = ["127.0.0.1:'$rport$'"]\n[tls]\ncert = "'$dir/cert.pem$'"\nkey = "'$dir/key.pem$'"'
else
  tables=$'[imap]\nlisten = ["127.0.0.1:'$rport$'"]\n[auth]\nallow_plaintext_auth = true'
fi
start_ringmail "$dir/rm" "$tables" $users
wait_port "$rport"
keys=(ringmail); ports=("$rport"); pids=("$server"); names=(ringmail)

# Dovecot: its own config and state in $dir/dv.
if [ "${DOVECOT:-1}" != 0 ]; then
  hash=$(python3 -c "from argon2 import PasswordHasher; print(PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash('bench-password'))")
  mkdir -p "$dir/dv/run" "$dir/dv/state" "$dir/dv/mail"
  chown nobody:nogroup "$dir/dv/mail"
  for u in $users; do echo "$u@bench.test:{ARGON2ID}$hash"; done > "$dir/dv/passwd"
  dport=$(free_port)
  limit=$((IDLE + 4 * N + 100))
  if [ "$TLS" = 1 ]; then
    ssl=$'ssl = required\nssl_cert = <'$dir/cert.pem$'\nssl_key = <'$dir/key.pem$'\ndisable_plaintext_auth = yes'
    listeners=$'inet_listener imap {\n    port = 0\n  }\n  inet_listener imaps {\n    address = 127.0.0.1\n    port = '$dport$'\n  }'
  else
    ssl=$'ssl = no\ndisable_plaintext_auth = no'
    listeners=$'inet_listener imap {\n    address = 127.0.0.1\n    port = '$dport$'\n  }\n  inet_listener imaps {\n    port = 0\n  }'
  fi
  cat > "$dir/dovecot.conf" <<CONF
base_dir = $dir/dv/run
state_dir = $dir/dv/state
log_path = $dir/dv/dovecot.log
protocols = imap
listen = 127.0.0.1
$ssl
auth_mechanisms = plain
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = $dir/dv/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$dir/dv/mail/%u
}
mail_location = $STORAGE:$dir/dv/mail/%u
# The defaults (100 processes per service, 10 connections per user and address) are too few
# for the idle test; everything else is as shipped, fsync settings included.
default_process_limit = $limit
default_client_limit = $((2 * limit))
protocol imap {
  mail_max_userip_connections = $limit
}
service anvil {
  client_limit = $((3 * limit))
}
service imap-login {
  $listeners
}
CONF
  dovecot -c "$dir/dovecot.conf"
  wait_port "$dport"
  keys+=(dovecot); ports+=("$dport"); pids+=("$(cat "$dir/dv/run/master.pid")")
  names+=("Dovecot $(dovecot --version | cut -d' ' -f1) $STORAGE")
fi

echo "Loading $M messages of ~4 KiB into $USERS account(s), over IMAP APPEND, one connection per account:"
for i in "${!keys[@]}"; do
  echo "  ${names[$i]}: $(timeout 1200 $DRIVER load --port "${ports[$i]}" "${TLSFLAG[@]}" --messages "$M" --users "$USERS")"
done
for r in $(seq "$ROUNDS"); do
  for i in "${!keys[@]}"; do
    out=$(mix "${keys[$i]}" "${ports[$i]}" "${pids[$i]}" "$N" "$dir/${keys[$i]}.$r.json") ||
      { echo "Mix, round $r, ${names[$i]} failed: $out" >&2; exit 1; }
    echo "Mix, round $r, ${names[$i]}, $N clients, ${S}s: $out"
  done
done
for n in $SWEEP; do
  for i in "${!keys[@]}"; do
    out=$(mix "${keys[$i]}" "${ports[$i]}" "${pids[$i]}" "$n") || { echo "Mix, ${names[$i]} failed: $out" >&2; exit 1; }
    echo "Mix, ${names[$i]}, $n clients, ${S}s: ${out%%$'\n'*}"
  done
done

kill "$server"; wait "$server" 2>/dev/null || true; server=
dovecot_stop
if [ "$IDLE" -gt 0 ]; then
  echo "Idle memory, each server restarted, $IDLE connections:"
  MIMALLOC_PURGE_DELAY=${MIMALLOC_PURGE_DELAY:-0} "$BIN" --config "$dir/rm/ringmail.toml" serve 2>>"$dir/rm/server.log" &
  server=$!
  wait_port "$rport"
  idle_memory ringmail "$rport" "$server"
  kill "$server"; wait "$server" 2>/dev/null || true; server=
  if [ "${DOVECOT:-1}" != 0 ]; then
    dovecot -c "$dir/dovecot.conf"
    wait_port "$dport"
    idle_memory dovecot "$dport" "$(cat "$dir/dv/run/master.pid")"
    dovecot_stop
  fi
fi
echo "Server logs:"
log_problems "$dir/rm/server.log" 'WARN|ERROR|panick' 'made a self-signed one'
[ "${DOVECOT:-1}" = 0 ] || log_problems "$dir/dv/dovecot.log" 'Error|Fatal|Panic|Warning' 'Killed with signal 15'

python3 - "$dir" "$IDLE" "${names[@]}" <<'PY'
import glob, json, os, statistics, sys
d, idle, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
keys = ["ringmail", "dovecot"][:len(names)]
def median(key, get):
    runs = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(d, f"{key}.*.json")))]
    return statistics.median(get(r) for r in runs), [get(r) for r in runs]
rows = [("commands/s", lambda r: r["commands_per_s"], "{:.0f}"),
        ("server CPU us/command", lambda r: r.get("server_cpu_us_per_command", 0), "{:.0f}"),
        ("client CPU us/command", lambda r: r["client_cpu_us_per_command"], "{:.0f}"),
        ("NO + BAD answers", lambda r: r["no"] + r["bad"], "{:.0f}")]
table = [(label, [median(k, get) for k in keys], fmt) for label, get, fmt in rows]
if idle and all(os.path.exists(os.path.join(d, k + ".mem")) for k in keys):
    mems = {k: list(map(int, open(os.path.join(d, k + ".mem")).read().split())) for k in keys}
    for label, a, b in (("KiB RSS/conn, logged in", 0, 3), ("KiB RSS/conn, selected", 0, 6),
                        ("KiB PSS/conn, logged in", 1, 4), ("KiB PSS/conn, selected", 1, 7)):
        table.append((label, [((mems[k][b] - mems[k][a]) / idle, None) for k in keys], "{:.0f}"))
print()
print(f"{'':26}" + "".join(f"{n:>26}" for n in names) + ("   ringmail/Dovecot" if len(keys) == 2 else ""))
for label, vals, fmt in table:
    line = f"{label:26}" + "".join(f"{fmt.format(v):>26}" for v, _ in vals)
    if len(vals) == 2 and vals[1][0]:
        line += f"   {vals[0][0] / vals[1][0]:.2f}"
    runs = [all_ for _, all_ in vals if all_ and len(all_) > 1]
    if runs:
        line += "   (runs: " + "; ".join(", ".join(fmt.format(x) for x in r) for r in runs) + ")"
    print(line)
if len(keys) == 2:
    print("(medians over the rounds; memory per connection = growth of the process tree / connections)")
PY
