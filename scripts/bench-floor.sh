#!/usr/bin/env bash
# What PostgreSQL alone needs to store what a cold ingest stores: after
# `tributary poll --once --all` has ingested FEEDS x ITEMS items into an
# empty database, the rows it wrote (entries, stories, search vectors,
# near-duplicate keys) are copied into empty twins of their tables in one
# INSERT ... SELECT each, first without indexes, then with all of them.
# Nothing is parsed, cleaned, looked up or grouped, and one statement per
# table is the cheapest way PostgreSQL has to write rows, so the total is a
# floor: no ingest storing these rows and indexes can cost less per entry
# on this server.
#
#   ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres scripts/bench-floor.sh
#
# Creates (and drops at the end) its own database tributary_floor.
# Knobs: FEEDS (2000), ITEMS (50), BIN (a prebuilt binary).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${ADMIN_URL:?set ADMIN_URL to a PostgreSQL server where databases may be created}"
FEEDS=${FEEDS:-2000}
ITEMS=${ITEMS:-50}
# shellcheck source=scripts/bench-lib.sh
. "$ROOT/scripts/bench-lib.sh"
require_tools psql python3
release_bin
WORK=$(mktemp -d /tmp/tributary-floor.XXXXXX)
DB=tributary_floor
URL=$(db_url "$DB")
cleanup() {
    psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

python3 "$ROOT/scripts/gen_feeds.py" "$WORK/feeds" "$FEEDS" "$ITEMS" 5 --mixed
{
    printf '[server]\nlisten = "127.0.0.1:0"\n[poller]\nconcurrency = 64\nper_host_concurrency = 64\n'
    for f in "$WORK"/feeds/source*; do
        case "$f" in *.gz) continue ;; esac
        printf '[[sources]]\nurl = "file://%s"\n' "$f"
    done
} > "$WORK/bench.toml"
export RUST_LOG=warn DATABASE_URL="$URL"
psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1
psql "$ADMIN_URL" -qc "CREATE DATABASE $DB" >/dev/null
"$BIN" --config "$WORK/bench.toml" migrate >/dev/null
start=$(date +%s.%N)
"$BIN" --config "$WORK/bench.toml" poll --once --all >/dev/null
ingest=$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$start" "$(date +%s.%N)")

psql "$URL" -qAt -F ' ' <<'SQL' > "$WORK/floor"
SET synchronous_commit = off;
CREATE FUNCTION pg_temp.copy_cost(source regclass, indexed bool) RETURNS TABLE (n bigint, ms float8)
LANGUAGE plpgsql AS $$
DECLARE
    twin text := source::text || CASE WHEN indexed THEN '_floor_indexed' ELSE '_floor_bare' END;
    t0 timestamptz;
BEGIN
    EXECUTE format('CREATE TABLE %I (LIKE %s INCLUDING %s)', twin, source,
                   CASE WHEN indexed THEN 'ALL' ELSE 'DEFAULTS INCLUDING COMPRESSION' END);
    t0 := clock_timestamp();
    EXECUTE format('INSERT INTO %I SELECT * FROM %s', twin, source);
    GET DIAGNOSTICS n = ROW_COUNT;
    ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
    EXECUTE format('DROP TABLE %I', twin);
    RETURN NEXT;
END $$;
CHECKPOINT;
SELECT t, (SELECT count(*) FROM entries), b.n, b.ms, i.ms
FROM unnest(ARRAY['entries', 'stories', 'entry_search', 'near_keys']) AS t,
     LATERAL pg_temp.copy_cost(t::regclass, false) b,
     LATERAL pg_temp.copy_cost(t::regclass, true) i;
SQL

python3 - "$WORK/floor" "$ingest" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
ingest = float(sys.argv[2])
entries = int(rows[0][1])
print(f"| table | rows | bare µs per entry | with its indexes µs per entry |")
print("|---|---|---|---|")
total = 0.0
for table, _, n, bare, indexed in rows:
    bare_us, idx_us = float(bare) * 1000 / entries, float(indexed) * 1000 / entries
    total += idx_us
    print(f"| {table} | {int(n):,} | {bare_us:.1f} | {idx_us:.1f} |")
print(f"| **all** | | | **{total:.1f}** |")
print()
print(f"{entries:,} entries. Storage alone, one core: at most {1e6 / total:,.0f} entries/s; "
      f"the ingest that wrote them (parsing, cleaning, lookups, grouping, every core): "
      f"{entries / ingest:,.0f} entries/s in {ingest:.1f} s.")
PY
