#!/usr/bin/env bash
# POP3 retrieval, side by side in one run: ringmail vs Dovecot (Debian dovecot-pop3d), same
# client (benches/load/pop3_load.py): USERS clients, each logging in over STLS as its own user
# ROUNDS times and retrieving all of its MESSAGES messages of SIZE bytes. Both check passwords
# against argon2id hashes with the same parameters (19 MiB, 2 passes) and use a self-signed
# ECDSA P-256 certificate. Dovecot runs from its own config in a temporary folder (the system's
# Dovecot is left alone); its messages are written straight into Maildir.
#
# Usage: benches/load/compare-pop3.sh [USERS] [MESSAGES] [ROUNDS] [SIZE]   (DOVECOT=0 skips Dovecot)
set -euo pipefail
cd "$(dirname "$0")/../.."
U=${1:-8}; M=${2:-100}; R=${3:-3}; L=${4:-4096}
command -v smtp-source >/dev/null || { . scripts/deps.sh; apt_install postfix; }
. benches/load/common.sh
LOAD="python3 benches/load/pop3_load.py --users $U --rounds $R"

dir=$(mktemp -d /tmp/ringmail-pop3-load.XXXXXX)
chmod 755 "$dir"
cleanup() {
  kill "${server:-}" 2>/dev/null || true; wait "${server:-}" 2>/dev/null || true
  [ -f "$dir/dovecot.conf" ] && dovecot -c "$dir/dovecot.conf" stop 2>/dev/null || true
  rm -rf "$dir"
}
trap 'cleanup; exit' EXIT
start_ringmail "$dir" $'[pop3]\nlisten = ["127.0.0.1:2111"]' $(for i in $(seq "$U"); do echo "u$i"; done)
for i in $(seq "$U"); do
  smtp-source -m "$M" -s 4 -l "$L" -f a@src.test -t "u$i@bench.test" 127.0.0.1:2526
done
echo "ringmail, $U users x $M messages x ${L}B, $R rounds: $($LOAD --port 2111)"
kill $server; wait $server 2>/dev/null || true

[ "${DOVECOT:-1}" = 0 ] && exit 0
apt_install dovecot-core dovecot-pop3d
python3 -c "import argon2" 2>/dev/null || pip install -q argon2-cffi
hash=$(python3 -c "from argon2 import PasswordHasher; print(PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash('bench-password'))")
mkdir -p "$dir/dv/run" "$dir/dv/state" "$dir/dv/mail"
for i in $(seq "$U"); do echo "u$i@bench.test:{ARGON2ID}$hash"; done > "$dir/dv/passwd"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=mx.bench.test \
  -keyout "$dir/dv/key.pem" -out "$dir/dv/cert.pem" 2>/dev/null
# The same messages: smtp-source's body is "From/To/Date/Message-Id/Subject" plus SIZE bytes of 'La'.
python3 - "$dir/dv/mail" "$U" "$M" "$L" <<'PY'
import os, sys
base, users, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
for u in range(1, users + 1):
    new = os.path.join(base, f"u{u}@bench.test", "new")
    os.makedirs(new)
    for n in range(count):
        body = "".join(f"La{'a' * 76}\r\n" for _ in range(size // 80))
        msg = f"Received: from localhost\r\nFrom: a@src.test\r\nTo: u{u}@bench.test\r\nSubject: {n}\r\n\r\n{body}"
        with open(os.path.join(new, f"1700000000.M{n}P1.bench"), "w", newline="") as f:
            f.write(msg)
PY
chown -R nobody:nogroup "$dir/dv/mail"
cat > "$dir/dovecot.conf" <<CONF
base_dir = $dir/dv/run
state_dir = $dir/dv/state
log_path = $dir/dv/dovecot.log
protocols = pop3
listen = 127.0.0.1
ssl = required
ssl_cert = <$dir/dv/cert.pem
ssl_key = <$dir/dv/key.pem
disable_plaintext_auth = yes
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
mail_location = maildir:$dir/dv/mail/%u
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = 11111
  }
  inet_listener pop3s {
    port = 0
  }
}
CONF
dovecot -c "$dir/dovecot.conf"
wait_port 11111
echo "Dovecot $(dovecot --version | cut -d' ' -f1), same client:        $($LOAD --port 11111)"
