#!/usr/bin/env bash
# Refreshes deny/advisory-db, the RustSec advisories cargo deny checks us
# against, from a clone of https://github.com/RustSec/advisory-db (this
# machine cannot fetch it itself; give the clone's git directory):
#
#   scripts/advisory-snapshot.sh /path/to/advisory-db[.git]
#
# Only the advisories of crates in Cargo.lock are kept (a few hundred kB
# instead of the whole database); scripts/deny.sh refuses a snapshot that
# misses a crate Cargo.lock has gained since, so run this after adding a
# dependency, and whenever a newer clone is at hand.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=${1:?usage: scripts/advisory-snapshot.sh /path/to/advisory-db}
OUT="$ROOT/deny/advisory-db"
rm -rf "$OUT"
mkdir -p "$OUT/crates"
crates=$(grep '^name = ' "$ROOT/Cargo.lock" | sed 's/^name = "\(.*\)"$/\1/' | sort -u)
kept=0
for crate in $crates; do
    files=$(git -C "$SRC" ls-tree -r --name-only HEAD "crates/$crate/" 2>/dev/null || true)
    [ -z "$files" ] && continue
    mkdir -p "$OUT/crates/$crate"
    for f in $files; do
        git -C "$SRC" show "HEAD:$f" > "$OUT/$f"
        kept=$((kept + 1))
    done
done
{
    echo "upstream = https://github.com/RustSec/advisory-db"
    echo "commit = $(git -C "$SRC" log -1 --format=%H HEAD)"
    echo "date = $(git -C "$SRC" log -1 --format=%cI HEAD)"
    echo "advisories = $kept"
} > "$OUT/SNAPSHOT"
echo "$crates" > "$OUT/CRATES"
echo "deny/advisory-db: $kept advisories for $(echo "$crates" | wc -l) crates, as of $(sed -n 's/^date = //p' "$OUT/SNAPSHOT")"
