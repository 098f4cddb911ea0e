#!/usr/bin/env bash
# Ingest cost per entry as the database grows: for each size (10k, 100k, 1M
# stored entries, seeded by scripts/seed.sql with near-duplicate keys), the
# time `tributary poll --once --all` takes to ingest 100 new sources x 50
# items (file: feeds from scripts/gen_feeds.py: parse, clean, fingerprint,
# SimHash, candidate lookup by band and shingle within the story window,
# write). Median of RUNS runs, min and max; the last column compares with
# the smallest size: flat means the cost does not grow with the table.
#
#   ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres scripts/bench-ingest-cost.sh
#
# Creates (and drops at the end) its own databases tributary_ingestcost_<size>.
# Knobs: SIZES ("10000 100000 1000000"), RUNS (3), FEEDS (100), ITEMS (50), BIN,
# RECENT (10000 entries in the last 14 days at every size; "all": every size
# spread over 90 days, so the recent window grows with the table too).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${ADMIN_URL:?set ADMIN_URL to a PostgreSQL server where databases may be created}"
SIZES=${SIZES:-"10000 100000 1000000"}
RUNS=${RUNS:-3}
FEEDS=${FEEDS:-100}
ITEMS=${ITEMS:-50}
RECENT=${RECENT:-10000}
# shellcheck source=scripts/bench-lib.sh
. "$ROOT/scripts/bench-lib.sh"
require_tools psql python3
release_bin
WORK=$(mktemp -d /tmp/tributary-ingestcost.XXXXXX)
CREATED=()
cleanup() {
    for db in "${CREATED[@]}"; do
        psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

python3 "$ROOT/scripts/gen_feeds.py" "$WORK/feeds" "$FEEDS" "$ITEMS" 11
{
    # Retention off: the seeded history reaches back a year, and `poll --once`
    # sweeps expired entries after polling (that is not what is measured).
    printf '[server]\nlisten = "127.0.0.1:0"\n[retention]\nmax_age_days = 0\n[poller]\nconcurrency = 16\nper_host_concurrency = 16\n'
    for ((i = 0; i < FEEDS; i++)); do
        printf '[[sources]]\nurl = "file://%s/feeds/source%d.rss"\n' "$WORK" "$i"
    done
} > "$WORK/bench.toml"
export RUST_LOG=warn


printf '| stored entries | of them in the last 14 days | new entries | median s | min s | max s | µs per entry | vs first |\n|---|---|---|---|---|---|---|---|\n'
FIRST=""
for size in $SIZES; do
    db="tributary_ingestcost_$size"
    psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
    psql "$ADMIN_URL" -qc "CREATE DATABASE $db" >/dev/null
    CREATED+=("$db")
    url=$(db_url "$db")
    DATABASE_URL="$url" "$BIN" --config "$WORK/bench.toml" migrate >/dev/null
    per_source=$((size < 500 ? size : 500))
    # RECENT entries in the last 14 days at every size (the rest older):
    # the sizes differ in history, not in how busy the story window is.
    # RECENT=all spreads every size over 90 days instead.
    density=()
    if [ "$RECENT" != all ]; then density=(-v recent_every=$(( size > RECENT ? size / RECENT : 1 ))); fi
    psql "$url" -q -v sources=$((size / per_source)) -v per_source=$per_source "${density[@]}" \
        -f "$ROOT/scripts/seed.sql" >/dev/null
    times=()
    for ((r = 0; r < RUNS; r++)); do
        psql "$url" -qc "DELETE FROM entries WHERE source_id IN (SELECT id FROM sources WHERE url LIKE 'file:%');
                         DELETE FROM tombstones; DELETE FROM stories s WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.story_id = s.id);
                         UPDATE sources SET etag = NULL, last_modified = NULL, next_poll_at = now() WHERE url LIKE 'file:%'" >/dev/null
        psql "$url" -qc "VACUUM ANALYZE" >/dev/null
        # The seeded sources are disabled: polls touch only the benchmark feeds.
        times+=("$(DATABASE_URL="$url" python3 -c 'import subprocess, sys, time
t = time.monotonic(); subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(time.monotonic() - t)' "$BIN" --config "$WORK/bench.toml" poll --once --all)")
    done
    new=$(psql "$url" -Atc "SELECT count(*) FROM entries e JOIN sources s ON s.id = e.source_id WHERE s.url LIKE 'file:%'")
    stored=$(psql "$url" -Atc "SELECT count(*) FROM entries")
    recent=$(psql "$url" -Atc "SELECT count(*) FROM entries WHERE sort_at > now() - interval '14 days'")
    python3 - "$stored" "$new" "${FIRST:-}" "$recent" "${times[@]}" <<'EOF'
import statistics, sys
stored, new, first, recent = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
times = [float(t) for t in sys.argv[5:]]
med = statistics.median(times)
per = med / new * 1e6
ratio = f"{per / float(first):.2f}" if first else "1.00"
print(f"| {stored - new:,} | {recent - new:,} | {new:,} | {med:.2f} | {min(times):.2f} | {max(times):.2f} | {per:.0f} | {ratio} |")
EOF
    [ -z "$FIRST" ] && FIRST=$(python3 -c "import statistics,sys; t=[float(x) for x in sys.argv[2:]]; print(statistics.median(t)/int(sys.argv[1])*1e6)" "$new" "${times[@]}")
    psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $db" >/dev/null
done
echo "machine: $(nproc) cores, $(uname -m); wall time of the whole command (process start, config sync, polls)"
