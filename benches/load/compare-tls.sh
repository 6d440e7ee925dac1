#!/usr/bin/env bash
# SMTP over TLS, side by side in one run: ringmail vs Postfix, same Python load client
# (benches/load/smtp_tls_load.py), same self-signed ECDSA P-256 certificate kind.
#   1. inbound STARTTLS without AUTH (how other MTAs deliver): ringmail port 25 role vs Postfix smtpd
#      with smtpd_tls_security_level = may;
#   2. ringmail submission: STARTTLS + AUTH PLAIN on 587, and implicit TLS + AUTH on 465
#      (each login verifies an argon2id hash: 19 MiB, 2 passes).
# Each once with a new connection per message (handshakes/s) and once reusing connections.
# Reconfigures this machine's Postfix through shared/bench/postfix-baseline.sh: test hosts only.
#
# Usage: benches/load/compare-tls.sh [MESSAGES] [SESSIONS] [SIZE_BYTES]     (POSTFIX=0 skips Postfix)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-2000}; S=${2:-8}; L=${3:-4096}
SHARED=${SHARED:-../shared}
. benches/load/common.sh
LOAD="python3 benches/load/smtp_tls_load.py --messages $N --sessions $S --size $L"

dir=$(mktemp -d /tmp/ringmail-tls-load.XXXXXX)
trap 'kill ${server:-} 2>/dev/null; wait ${server:-} 2>/dev/null; rm -rf "$dir"; exit' EXIT
start_ringmail "$dir" $'[submission]\nlisten = ["127.0.0.1:2588"]\n[submissions]\nlisten = ["127.0.0.1:2466"]' u

AUTH="--auth u@bench.test:bench-password --sender u@bench.test"
echo "ringmail, $N msgs x ${L}B, $S sessions:"
echo "  inbound STARTTLS, new connection per message: $($LOAD --port 2526 --per-message)"
echo "  inbound STARTTLS, reused connections:         $($LOAD --port 2526)"
echo "  587 STARTTLS+AUTH, new connection per message: $($LOAD --port 2588 --per-message $AUTH)"
echo "  587 STARTTLS+AUTH, reused connections:         $($LOAD --port 2588 $AUTH)"
echo "  465 TLS+AUTH, reused connections:              $($LOAD --port 2466 --implicit $AUTH)"
stored=$("$BIN" --config "$dir/ringmail.toml" mail list u@bench.test | wc -l)
echo "  stored $stored of $((5 * N))"
kill $server; wait $server 2>/dev/null || true
[ "$stored" -eq $((5 * N)) ] || { echo "ringmail lost messages" >&2; exit 1; }

[ "${POSTFIX:-1}" = 0 ] && exit 0
# Postfix as postfix-baseline.sh sets it up (fsync'd queue, Maildir delivery), plus TLS.
bash "$SHARED/bench/postfix-baseline.sh" 100 4 "$L" >/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=mx.bench.test \
  -keyout /etc/postfix/bench-tls.key -out /etc/postfix/bench-tls.crt 2>/dev/null
postconf -e smtpd_tls_cert_file=/etc/postfix/bench-tls.crt smtpd_tls_key_file=/etc/postfix/bench-tls.key \
  smtpd_tls_security_level=may smtpd_tls_session_cache_database= smtpd_tls_loglevel=0
postfix start >/dev/null 2>&1; sleep 1
echo "Postfix $(postconf -h mail_version), same client:"
echo "  inbound STARTTLS, new connection per message: $($LOAD --port 10025 --per-message)"
echo "  inbound STARTTLS, reused connections:         $($LOAD --port 10025)"
postfix stop >/dev/null 2>&1 || true
