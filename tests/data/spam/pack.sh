#!/usr/bin/env bash
# Packs the SpamAssassin 2002 corpus (shared/testdata/spam/spamassassin-2002/{ham,spam}) into
# tests/data/spam/spamassassin-2002.mbox.gz: one mboxrd file, ham first, each message behind a
# `From ham@spamassassin-2002.invalid ...` or `From spam@...` line, its own leading mbox
# `From ` line dropped and its `>*From ` lines quoted with one more `>`.
# Usage (from the project root): tests/data/spam/pack.sh [SOURCE_DIR]
set -euo pipefail
src="${1:-../shared/testdata/spam/spamassassin-2002}"
out="tests/data/spam/spamassassin-2002.mbox.gz"
export LC_ALL=C
for label in ham spam; do
    for file in "$src/$label"/*; do
        printf 'From %s@spamassassin-2002.invalid Thu Jan  1 00:00:00 1970\n' "$label"
        awk 'NR == 1 && /^From / { next } /^>*From / { printf ">" } { print }' "$file"
    done
done | gzip -9n > "$out"
cp "$src/PACKAGE-LICENSE" tests/data/spam/PACKAGE-LICENSE
echo "wrote $out ($(stat -c %s "$out") bytes)"
