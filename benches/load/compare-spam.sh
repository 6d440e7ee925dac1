#!/usr/bin/env bash
# Spam filtering, side by side in one run: ringmail's built-in filter vs SpamAssassin (spamd +
# spamc) and rspamd (rspamc), all offline (no DNS, no network checks), on the Apache SpamAssassin
# 2002 corpus in tests/data/spam (2,500 ham, 500 spam). The corpus is split alternately: even
# messages are the TRAIN half, odd ones the TEST half (1,250 ham + 250 spam each). Every filter
# learns the TRAIN half into an empty Bayes database of its own, then scores the TEST half with
# PARALLEL clients (ringmail also with one): the wall time of that pass gives messages/s, the CPU
# time of the client and daemon processes gives CPU per message (steadier than wall time on a
# shared box; medians of REPEAT passes), its verdicts give spam recall and false positives at
# each filter's default threshold:
#   ringmail      class junk or reject (score >= [spam] junk_score, 6)
#   SpamAssassin  score >= required_score (5)
#   rspamd        action "add header", "rewrite subject" or "reject" (score >= 6; greylist at 4
#                 is not counted)
# Then the cost of the filter in ringmail's SMTP receiver: the same load with [spam] enabled =
# false and = true, the client outside relay_networks (whose mail is never scored: the config
# gets relay_networks = [], and [mailauth] check = false in both settings, as SPF/DKIM/DMARC
# need DNS); msgs/s and the server's CPU per message, for smtp-source's synthetic 4 KiB messages
# and for the TEST-half messages sent by a Python client.
#
# CAVEAT: ringmail's shipped model (src/spam/default_model.bin) was trained on the whole corpus,
# TEST half included, and cannot be turned off without a rebuild: ringmail's accuracy rows are
# optimistic (leaked), the others are not. Throughput does not depend on what the model holds.
#
# SpamAssassin: its own site config (copies of /etc/spamassassin/*.pre and *.cf plus a local.cf
# with skip_rbl_checks 1, dns_available no, use_razor2 0, use_pyzor 0, bayes_auto_learn 0,
# bayes_path in the temporary folder); spamd -L (local tests only) as nobody with CPUS children;
# sa-learn -L. rspamd: its own top-level config over /etc/rspamd with LOCAL_CONFDIR, DBDIR,
# RUNDIR and LOGDIR in the temporary folder, normal worker (CPUS processes) and controller on
# 127.0.0.1 only, Bayes in a throwaway redis-server (no other module gets redis, so greylist,
# ratelimit, neural, reputation, replies, history are off), and the modules that ask the network
# disabled: rbl (also SURBL/URIBL), fuzzy_check, asn, dkim, spf, dmarc, arc, whitelist (needs
# those), mx_check, once_received (rDNS), rspamd_update, dcc, external_services, phishing's
# phishtank/openphish, hfilter's helo/hostname/from checks (DNS, and SMTP session data that file
# scans do not have), dkim_signing; its resolver points at a closed local port, so any lookup
# left fails (the script counts the scans that made DNS requests: 0 expected). Bayes is
# learned with rspamc learn_spam/learn_ham as rspamd does by default: its learn condition skips
# messages that it already classifies correctly with confidence once min_learns (200) is met.
#
# Usage: benches/load/compare-spam.sh [TEST_MESSAGES] [SMTP_MESSAGES] [SMTP_SESSIONS]
#   TEST_MESSAGES  messages of the TEST half scored (default all 1500; fewer: an even sample)
#   SMTP_MESSAGES  messages per SMTP receiver run (default 3000), SMTP_SESSIONS smtp-source
#                  sessions (20); CORPUS_SESSIONS (4) python senders of the TEST-half messages
#   SA=0, RSPAMD=0, SMTP=0 skip parts; ROUNDS (default 2) SMTP runs per setting, alternating;
#   REPEAT (3) scoring passes of ringmail and rspamd, SA_REPEAT (1) of SpamAssassin (minutes each);
#   KEEP=1 keeps the temporary folder (outputs, logs);
#   PARALLEL (default: CPUs) client workers for spamc, rspamc -n and the parallel ringmail pass;
#   RINGMAIL_BIN=path uses that binary instead of building one (cargo is not run);
#   ports: RM_PORT (2546), SA_PORT (17783), RS_PORT (11433; controller RS_PORT+1), REDIS_PORT (16389).
set -euo pipefail
cd "$(dirname "$0")/../.."
T=${1:-1500}; N=${2:-3000}; S=${3:-20}; CS=${CORPUS_SESSIONS:-4}
CPUS=$(nproc); P=${PARALLEL:-$CPUS}; ROUNDS=${ROUNDS:-2}
RM_PORT=${RM_PORT:-2546}; SA_PORT=${SA_PORT:-17783}; RS_PORT=${RS_PORT:-11433}; REDIS_PORT=${REDIS_PORT:-16389}
RS_CTRL=$((RS_PORT + 1))
CORPUS=tests/data/spam/spamassassin-2002.mbox.gz
HELPER="python3 benches/load/spam_compare.py"

. scripts/deps.sh
if [ "${SA:-1}" != 0 ]; then
  fresh_sa=0; dpkg -s spamassassin >/dev/null 2>&1 || fresh_sa=1
  # Debian 12 ships spamd in its own package (SpamAssassin 4.0 split it out).
  apt_install spamassassin spamc spamd
  # Installing spamassassin imports its update keys, which leaves a gpg-agent running.
  [ "$fresh_sa" = 0 ] || gpgconf --homedir /var/lib/spamassassin/sa-update-keys --kill gpg-agent 2>/dev/null || true
fi
[ "${RSPAMD:-1}" = 0 ] || apt_install rspamd redis-server
[ "${SMTP:-1}" = 0 ] || command -v smtp-source >/dev/null || apt_install postfix
[ -x /usr/bin/time ] || apt_install time
# With RINGMAIL_BIN, common.sh's build step is skipped (a function shadows cargo).
[ -z "${RINGMAIL_BIN:-}" ] || cargo() { :; }
. benches/load/common.sh
BIN=${RINGMAIL_BIN:-$BIN}
echo "ringmail binary: $BIN, built $(stat -c %y "$BIN"); $CPUS CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"

port_free() { ! (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
for p in $RM_PORT $SA_PORT $RS_PORT $RS_CTRL $REDIS_PORT; do
  # ringmail listens with SO_REUSEPORT: a second server on a busy port would share its load.
  port_free "$p" || { echo "something listens on 127.0.0.1:$p already: pick other ports (see Usage)" >&2; exit 1; }
done
wait_port_long() {  # PORT SECONDS
  for _ in $(seq $(($2 * 10))); do port_free "$1" || return 0; sleep 0.1; done
  echo "nothing listens on 127.0.0.1:$1 after $2 s" >&2; return 1
}

dir=$(mktemp -d /tmp/ringmail-spam.XXXXXX)
chmod 755 "$dir"
server=; spamd_pid=; rspamd_pid=; redis_pid=
stop() {  # PID...: our background daemons; SIGTERM, up to 30 s to exit, then SIGKILL
  local p
  for p in "$@"; do [ -z "$p" ] || kill "$p" 2>/dev/null || true; done
  for p in "$@"; do
    [ -n "$p" ] || continue
    for _ in $(seq 300); do
      case $(ps -o stat= -p "$p" 2>/dev/null) in ''|Z*) break ;; esac
      sleep 0.1
    done
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
}
cleanup() {
  stop "$server" "$spamd_pid" "$rspamd_pid" "$redis_pid"
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $dir" >&2; else rm -rf "$dir"; fi
}
trap 'cleanup; exit' EXIT
trap 'exit 130' INT TERM

results=$dir/results
now() { date +%s.%N; }
elapsed() { python3 -c "import sys;print(f'{float(sys.argv[2])-float(sys.argv[1]):.3f}')" "$1" "$(now)"; }
rate() { python3 -c "import sys;print(f'{int(sys.argv[1])/float(sys.argv[2]):.1f}')" "$1" "$2"; }
# timed NAME OUTPUT "SERVER_PIDS" COMMAND...: one scoring pass of the TEST half; records its wall
# time, the CPU time of COMMAND and its children, and that of the SERVER_PIDS' process trees.
timed() {
  local name=$1 out=$2 pids=$3 s0 s1 wall user sys
  shift 3
  s0=$($HELPER cputree $pids)
  /usr/bin/time -o "$dir/time" -f "%e %U %S" timeout 1800 "$@" > "$out" || true
  s1=$($HELPER cputree $pids)
  read -r wall user sys < <(tail -1 "$dir/time")
  local client server
  client=$(python3 -c "import sys;print(f'{float(sys.argv[1])+float(sys.argv[2]):.2f}')" "$user" "$sys")
  server=$(python3 -c "import sys;print(f'{float(sys.argv[2])-float(sys.argv[1]):.2f}')" "$s0" "$s1")
  echo "$name: $T messages in $wall s, $(rate "$T" "$wall") msgs/s; CPU s: client $client, server $server"
  printf 'pass\t%s\t%s\t%s\t%s\t%s\n' "$name" "$T" "$wall" "$client" "$server" >> "$results"
}
score() {  # NAME TOOL OUTPUT
  $HELPER verdicts "$2" "$3" > "$3.verdicts"
  local acc; acc=$($HELPER accuracy "$3.verdicts" --expected "$T")
  echo "$1: recall/FP: $acc"
  printf 'accuracy\t%s\t%s\n' "$1" "$acc" >> "$results"
}

# ------------------------------------------------------------------ corpus
echo "corpus: $($HELPER split "$CORPUS" "$dir/corpus" --test-limit "$T")"
find "$dir/corpus/test" -type f | sort > "$dir/test.list"
[ "$(wc -l < "$dir/test.list")" -eq "$T" ] || { echo "expected $T test messages" >&2; exit 1; }
find "$dir/corpus/train" -type f | sort | awk 'NR % 25 == 0' > "$dir/warmup.list"   # 60 messages

# ------------------------------------------------------------------ ringmail
rm_dir=$dir/ringmail
write_config "$rm_dir" "$RM_PORT" mx.bench.test ""
RM="$BIN --config $rm_dir/ringmail.toml"
# Before any training: the shipped model alone (it has seen the TEST half: leaked).
timeout 600 $RM spam test $(cat "$dir/test.list") > "$rm_dir/shipped.out"
score "ringmail, shipped model only (LEAKED)" ringmail "$rm_dir/shipped.out"
timeout 600 $RM spam train --spam "$dir/corpus/train/spam" --ham "$dir/corpus/train/ham" \
  | awk '{n[$NF] += $2} END {for (k in n) printf "ringmail spam train: learned %d messages as %s\n", n[k], k}'
$RM spam stats
# REPEAT passes each (default 3: one pass of ringmail is short); the table takes the medians.
for _ in $(seq "${REPEAT:-3}"); do
  timed "ringmail spam test, 1 process, server down" "$rm_dir/test.out" "" $RM spam test $(cat "$dir/test.list")
done
score "ringmail, shipped + TRAIN half (LEAKED)" ringmail "$rm_dir/test.out"
# The same pass split over P processes, through the running server's admin socket (a thread per
# request there).
"$BIN" --config "$rm_dir/ringmail.toml" serve 2>"$rm_dir/server.log" &
server=$!
wait_port "$RM_PORT"
for _ in $(seq "${REPEAT:-3}"); do
  timed "ringmail spam test, $P processes via server" "$rm_dir/test-parallel.out" "$server" \
    xargs -a "$dir/test.list" -P "$P" -n $(((T + P - 1) / P)) $RM spam test
done
cmp -s <(sort "$rm_dir/test.out") <(sort "$rm_dir/test-parallel.out") \
  || echo "WARNING: ringmail's parallel pass scored differently from the single one" >&2
stop "$server"; server=

# ------------------------------------------------------------------ SpamAssassin
if [ "${SA:-1}" != 0 ]; then
  sa=$dir/sa
  mkdir -p "$sa/etc" "$sa/bayes" "$sa/home"
  cp /etc/spamassassin/*.pre /etc/spamassassin/*.cf "$sa/etc/"
  cat > "$sa/etc/local.cf" <<CF
required_score 5.0
skip_rbl_checks 1
dns_available no
use_razor2 0
use_pyzor 0
use_bayes 1
use_bayes_rules 1
bayes_auto_learn 0
bayes_auto_expire 0
bayes_path $sa/bayes/bayes
bayes_file_mode 0777
lock_method flock
CF
  HOME=$sa/home timeout 900 sa-learn -L --siteconfigpath "$sa/etc" --spam "$dir/corpus/train/spam"
  HOME=$sa/home timeout 900 sa-learn -L --siteconfigpath "$sa/etc" --ham "$dir/corpus/train/ham"
  HOME=$sa/home sa-learn --siteconfigpath "$sa/etc" --dump magic | grep -E "nspam|nham"
  chown -R nobody:nogroup "$sa/bayes" "$sa/home"
  spamd -L -x --siteconfigpath="$sa/etc" -i "127.0.0.1:$SA_PORT" -u nobody -H "$sa/home" \
    -m "$P" --min-children="$P" --min-spare=1 --max-spare="$P" -r "$sa/spamd.pid" -s stderr 2>"$sa/spamd.log" &
  spamd_pid=$!
  wait_port_long "$SA_PORT" 120
  # FILE<TAB>score/required for each file of the list (spamc -x: an error is not a score), P at a time.
  spamc_each=(xargs -P "$P" -n 20 sh -c 'for f; do printf "%s\t%s\n" "$f" "$(spamc -x -s 26214400 -d 127.0.0.1 -p '"$SA_PORT"' -c < "$f")"; done' _)
  timeout 600 "${spamc_each[@]}" < "$dir/warmup.list" > /dev/null
  for _ in $(seq "${SA_REPEAT:-1}"); do
    timed "SpamAssassin $(spamassassin --version | awk 'NR==1{print $3}') spamd -L, $P spamc at a time" "$sa/test.out" \
      "$spamd_pid" "${spamc_each[@]}" < "$dir/test.list"
  done
  score "SpamAssassin, rules + Bayes on TRAIN half" spamassassin "$sa/test.out"
  stop "$spamd_pid"; spamd_pid=
fi

# ------------------------------------------------------------------ rspamd
if [ "${RSPAMD:-1}" != 0 ]; then
  rs=$dir/rspamd
  mkdir -p "$rs/local/local.d" "$rs/run" "$rs/db" "$rs/log"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$rs/db" \
    --protected-mode yes > "$rs/log/redis.log" 2>&1 &
  redis_pid=$!
  cat > "$rs/rspamd.conf" <<CONF
.include "\$CONFDIR/common.conf"
options {
    pidfile = "\$RUNDIR/rspamd.pid";
    .include "\$CONFDIR/options.inc"
    .include(try=true; priority=1,duplicate=merge) "\$LOCAL_CONFDIR/local.d/options.inc"
}
logging {
    type = "file";
    filename = "\$LOGDIR/rspamd.log";
    .include "\$CONFDIR/logging.inc"
}
worker "normal" {
    bind_socket = "127.0.0.1:$RS_PORT";
    .include "\$CONFDIR/worker-normal.inc"
    count = $CPUS;
}
worker "controller" {
    bind_socket = "127.0.0.1:$RS_CTRL";
    .include "\$CONFDIR/worker-controller.inc"
}
CONF
  # Any DNS lookup left goes to a closed port and fails.
  echo 'dns { nameserver = ["127.0.0.1:9"]; timeout = 0.2s; retransmits = 1; }' > "$rs/local/local.d/options.inc"
  printf 'backend = "redis";\nservers = "127.0.0.1:%s";\nautolearn = false;\n' "$REDIS_PORT" \
    > "$rs/local/local.d/classifier-bayes.conf"
  for m in rbl fuzzy_check asn dkim spf dmarc arc whitelist mx_check once_received rspamd_update dcc \
           external_services dkim_signing neural reputation greylist ratelimit replies history_redis url_redirector; do
    echo 'enabled = false;' > "$rs/local/local.d/$m.conf"
  done
  printf 'phishtank_enabled = false;\nopenphish_enabled = false;\n' > "$rs/local/local.d/phishing.conf"
  printf 'helo_enabled = false;\nhostname_enabled = false;\nfrom_enabled = false;\n' > "$rs/local/local.d/hfilter.conf"
  rs_user=(-i); id _rspamd >/dev/null 2>&1 && { rs_user=(-u _rspamd -g _rspamd); chown -R _rspamd:_rspamd "$rs"; }
  vars=(--var=CONFDIR=/etc/rspamd --var=LOCAL_CONFDIR="$rs/local" --var=DBDIR="$rs/db" --var=RUNDIR="$rs/run" --var=LOGDIR="$rs/log")
  timeout 120 rspamadm "${vars[@]}" configtest -c "$rs/rspamd.conf" > "$rs/log/configtest" 2>&1 \
    || { cat "$rs/log/configtest" >&2; exit 1; }
  rspamd -f "${rs_user[@]}" -c "$rs/rspamd.conf" "${vars[@]}" > "$rs/log/stdout" 2>&1 &
  rspamd_pid=$!
  wait_port_long "$REDIS_PORT" 30
  wait_port_long "$RS_PORT" 120
  wait_port_long "$RS_CTRL" 30
  # Regexps are compiled by a helper process after start: wait until every worker has loaded them.
  for _ in $(seq 600); do
    [ "$(grep -c 'hyperscan database of .* regexps has been loaded' "$rs/log/rspamd.log" 2>/dev/null)" -ge "$CPUS" ] && break
    sleep 0.2
  done
  RSPAMC="rspamc -t 60"
  learn() {  # CLASS DIR
    find "$2" -type f | sort | timeout 900 xargs $RSPAMC -h "127.0.0.1:$RS_CTRL" -n "$P" "learn_$1" > "$rs/learn_$1.out" 2>&1 || true
    echo "rspamd learn_$1: $(grep -c 'success = true' "$rs/learn_$1.out") learned," \
      "$(grep -c 'denied' "$rs/learn_$1.out") skipped by its learn condition," \
      "$(grep -c '^Results for' "$rs/learn_$1.out") sent"
  }
  learn spam "$dir/corpus/train/spam"
  learn ham "$dir/corpus/train/ham"
  xargs -a "$dir/warmup.list" $RSPAMC -h "127.0.0.1:$RS_PORT" -n "$P" > /dev/null 2>&1
  before=$(grep -c 'default: ' "$rs/log/rspamd.log" || true)
  for _ in $(seq "${REPEAT:-3}"); do
    timed "rspamd $(rspamd --version | awk '{print $NF}') rspamc -n $P" "$rs/test.out" "$rspamd_pid $redis_pid" \
      xargs -a "$dir/test.list" $RSPAMC -h "127.0.0.1:$RS_PORT" -n "$P"
  done
  score "rspamd, rules + Bayes on TRAIN half" rspamd "$rs/test.out"
  echo "rspamd: $(tail -n +$((before + 1)) "$rs/log/rspamd.log" | grep -c 'dns req: [1-9]' || true) scans made DNS requests" \
    "(all failed: no resolver); their symbols:"
  tail -n +$((before + 1)) "$rs/log/rspamd.log" | { grep -B1 'dns req: [1-9]' || true; } | { grep -o '\[[A-Z_].*' || true; } \
    | head -3 | cut -c1-300
  stop "$rspamd_pid" "$redis_pid"; rspamd_pid=; redis_pid=
fi

# ------------------------------------------------------------------ ringmail's SMTP receiver
if [ "${SMTP:-1}" != 0 ]; then
  cpu_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
  start_rx() {  # DIR ENABLED: fresh server; relay_networks = [] puts 127.0.0.1 outside them
    local extra
    # SPF/DKIM/DMARC need DNS (off here, as for the other filters); the same in both settings.
    extra=$'[mailauth]\ncheck = false\n[spam]\n'"enabled = $2"$'\n'"${RINGMAIL_EXTRA:-}"
    RINGMAIL_EXTRA=$extra write_config "$1" "$RM_PORT" mx.bench.test ""
    sed -i '1i relay_networks = []' "$1/ringmail.toml"
    "$BIN" --config "$1/ringmail.toml" domain add bench.test >/dev/null
    echo "bench-password" | "$BIN" --config "$1/ringmail.toml" user add u@bench.test --password-stdin >/dev/null
    "$BIN" --config "$1/ringmail.toml" serve 2>"$1/server.log" &
    server=$!
    wait_port "$RM_PORT"
  }
  stored() {  # DIR: messages in INBOX and Junk of u@bench.test
    local inbox junk
    inbox=$("$BIN" --config "$1/ringmail.toml" mail list u@bench.test | wc -l)
    junk=$("$BIN" --config "$1/ringmail.toml" mail list u@bench.test --mailbox Junk | wc -l)
    echo "$inbox inbox + $junk junk"
  }
  cpu_us() { python3 -c "import os,sys;print(f'{int(sys.argv[1])*1e6/os.sysconf(\"SC_CLK_TCK\")/int(sys.argv[2]):.0f}')" "$@"; }
  smtp_run() {  # LOAD ENABLED ROUND: appends "msgs/s µs-per-message" to $dir/smtp-LOAD-ENABLED
    local d=$dir/rx-$1-$2-$3 c0 c1 t0 secs out="" note="" scored r cpu
    start_rx "$d" "$2"
    c0=$(cpu_ticks); t0=$(now)
    case $1 in
      smtp-source) timeout 600 smtp-source -m "$N" -s "$S" -l 4096 -f a@src.test -t u@bench.test "127.0.0.1:$RM_PORT" ;;
      corpus)
        out=$(timeout 600 $HELPER send --port "$RM_PORT" --files "$dir/test.list" --messages "$N" --sessions "$CS")
        note=", $(cut -f3 <<<"$out") refused as spam, $(cut -f4 <<<"$out") refused otherwise, $(cut -f5 <<<"$out") 4xx" ;;
    esac
    secs=$(elapsed "$t0"); c1=$(cpu_ticks)
    scored=$("$BIN" --config "$d/ringmail.toml" mail cat u@bench.test 1 | grep -c '^X-Spam-Score:' || true)
    r=$(rate "$N" "$secs"); cpu=$(cpu_us "$((c1 - c0))" "$N")
    echo "  $1, spam $2, round $3: $r msgs/s, $cpu µs server CPU/msg; stored $(stored "$d")$note;" \
      "X-Spam-Score in message 1: $scored"
    stop "$server"; server=
    rm -rf "$d"
    echo "$r $cpu" >> "$dir/smtp-$1-$2"
  }
  echo "ringmail SMTP receiver, $N messages per run, client 127.0.0.1 outside relay_networks (= []):"
  for load in smtp-source corpus; do
    for round in $(seq "$ROUNDS"); do
      smtp_run "$load" false "$round"
      smtp_run "$load" true "$round"
    done
    # The best rate of the rounds (the least disturbed), and the least CPU per message.
    best_rate() { cut -d' ' -f1 "$1" | sort -g -r | head -1; }
    least_cpu() { cut -d' ' -f2 "$1" | sort -g | head -1; }
    case $load in
      smtp-source) name="smtp-source -l 4096, $S sessions, conn per msg" ;;
      corpus) name="TEST-half messages, $CS python sessions" ;;
    esac
    printf 'smtp\t%s\t%s\t%s\t%s\t%s\n' "$name" "$(best_rate "$dir/smtp-$load-false")" "$(least_cpu "$dir/smtp-$load-false")" \
      "$(best_rate "$dir/smtp-$load-true")" "$(least_cpu "$dir/smtp-$load-true")" >> "$results"
  done
fi

$HELPER table "$results"
