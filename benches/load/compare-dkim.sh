#!/usr/bin/env bash
# ringmail's DKIM (criterion, `cargo bench --bench dkim`) and dkimpy (Debian's python3-dkim)
# signing and verifying the same messages, one after the other on this machine.
# Usage: benches/load/compare-dkim.sh [seconds-per-case]
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/deps.sh
ensure_build_deps
apt_install python3-dkim python3-nacl openssl
secs=${1:-3}
cargo bench --bench dkim -- --warm-up-time 1 --measurement-time "$secs" dkim_ 2>/dev/null |
  grep -E "^dkim_|thrpt:" | paste - - | awk '{print $1, $(NF-3), $(NF-2)}' | sed 's/ \[/ /'
/usr/bin/python3 benches/load/compare-dkim.py "$secs"
