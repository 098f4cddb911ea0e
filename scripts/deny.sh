#!/usr/bin/env bash
# cargo deny check, offline: the advisory database comes from the snapshot
# in deny/advisory-db (see scripts/advisory-snapshot.sh), made into the git
# repository cargo deny opens, dated as upstream dated it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SNAP=deny/advisory-db
# Every crate of Cargo.lock must have been looked up when the snapshot was made.
missing=$(comm -23 <(grep '^name = ' Cargo.lock | sed 's/^name = "\(.*\)"$/\1/' | sort -u) <(sort -u "$SNAP/CRATES"))
if [ -n "$missing" ]; then
    echo "deny/advisory-db predates these crates of Cargo.lock: $missing" >&2
    echo "refresh it: scripts/advisory-snapshot.sh /path/to/advisory-db" >&2
    exit 1
fi
date=$(sed -n 's/^date = //p' "$SNAP/SNAPSHOT")
age_days=$(( ($(date +%s) - $(date -d "$date" +%s)) / 86400 ))
echo "advisories as of $date ($age_days days old)"
if [ "$age_days" -gt 180 ]; then
    echo "warning: the advisory snapshot is over 180 days old; refresh it (scripts/advisory-snapshot.sh)" >&2
fi
# cargo deny reads the metadata of every crate in Cargo.lock, those of
# other platforms too, which a build here never downloads (crates.io is
# reachable; only the advisory database is not).
cargo fetch --locked --quiet
# cargo deny keeps each database under db-path in a directory named after
# its URL; it is found by letting cargo deny name it once.
dbs=target/advisory-dbs
rm -rf "$dbs"
mkdir -p "$dbs"
dir=$(cargo deny --offline --log-level debug check advisories 2>&1 \
    | sed -n "s|.*Opening advisory database at '[^']*/\(advisory-db-[0-9a-f]*\)'.*|\1|p" | head -1 || true)
[ -n "$dir" ] || { echo "cannot tell where cargo deny looks for the advisory database" >&2; exit 1; }
cp -r "$SNAP" "$dbs/$dir"
(
    cd "$dbs/$dir"
    git init -q
    git add -A
    GIT_AUTHOR_DATE="$date" GIT_COMMITTER_DATE="$date" \
        git -c user.name=snapshot -c user.email=snapshot@localhost commit -q -m "RustSec advisories as of $date"
)
cargo deny --offline check
