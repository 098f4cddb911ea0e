#!/usr/bin/env bash
# REST API benchmark: 1,000,000 entries across 2,000 sources (scripts/seed.sql),
# loaded with wrk at 8 connections: the first page, filter combinations,
# searches and a deep page (keyset: as fast as the first). Each query twice:
# repeated (as dashboards and readers repeat it: answered from memory until
# the entries change) and uncached (a unique ignored parameter per request,
# scripts/wrk-uncached.lua, so the database does the work every time).
# Prints a table and the EXPLAIN ANALYZE plans of the main queries.
#
#   createdb tributary_bench
#   DATABASE_URL=postgres://localhost/tributary_bench scripts/bench-api.sh
#
# Knobs: SOURCES (2000), PER_SOURCE (500), DURATION (10s), CONNECTIONS (8).
# The database is seeded once; later runs reuse it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${DATABASE_URL:?set DATABASE_URL to an empty database (createdb tributary_bench)}"
SOURCES=${SOURCES:-2000}
PER_SOURCE=${PER_SOURCE:-500}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-8}
PORT=${PORT:-18090}
for tool in wrk psql curl python3; do
    command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 2; }
done

if [ -n "${TRIBUTARY_BIN:-}" ]; then
    # A binary built elsewhere (e.g. another commit, for interleaved runs).
    BIN=$TRIBUTARY_BIN
else
    (cd "$ROOT" && cargo build --release --quiet)
    BIN="$ROOT/target/release/tributary"
fi
WORK=$(mktemp -d /tmp/tributary-bench-api.XXXXXX)
TPID=""
cleanup() {
    [ -n "$TPID" ] && kill "$TPID" 2>/dev/null && wait "$TPID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
printf '[server]\nlisten = "127.0.0.1:%s"\npublic_url = "http://127.0.0.1:%s"\n' "$PORT" "$PORT" > "$WORK/bench.toml"
# A channel of half the sources, for searches within a channel (one
# version per story) beside the same searches unscoped.
printf '[[channels]]\nname = "vi"\ntags_any = ["vi"]\n' >> "$WORK/bench.toml"

export RUST_LOG=warn
"$BIN" --config "$WORK/bench.toml" migrate >/dev/null
COUNT=$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM entries")
if [ "$COUNT" = 0 ]; then
    echo "seeding $SOURCES sources x $PER_SOURCE entries..."
    start=$(date +%s)
    psql "$DATABASE_URL" -q -v sources="$SOURCES" -v per_source="$PER_SOURCE" -f "$ROOT/scripts/seed.sql"
    echo "seeded in $(( $(date +%s) - start )) s"
fi
COUNT=$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM entries")

"$BIN" --config "$WORK/bench.toml" serve --role web 2>"$WORK/serve.log" &
TPID=$!
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 100); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

# A cursor 200 pages (10,000 entries) deep.
cursor=""
for _ in $(seq 200); do
    url="$BASE/api/v1/entries?limit=50${cursor:+&cursor=$cursor}"
    cursor=$(curl -fs "$url" | python3 -c 'import json,sys; print(json.load(sys.stdin)["next_cursor"] or "")')
done
# A search cursor two pages in.
qcursor=""
for _ in 1 2; do
    url="$BASE/api/v1/entries?q=singapore&limit=50${qcursor:+&cursor=$qcursor}"
    qcursor=$(curl -fs "$url" | python3 -c 'import json,sys; print(json.load(sys.stdin)["next_cursor"] or "")')
done
SINCE=$(date -u -d '30 days ago' +%Y-%m-%dT%H:%M:%SZ)
UNTIL=$(date -u -d '10 days ago' +%Y-%m-%dT%H:%M:%SZ)

declare -a NAMES URLS
add() { NAMES+=("$1"); URLS+=("$2"); }
add "first page (limit=50)"            "/api/v1/entries?limit=50"
add "deep page (10,000 entries in)"    "/api/v1/entries?limit=50&cursor=$cursor"
add "source=17"                        "/api/v1/entries?source=17&limit=50"
add "source=17&source=18&source=19"    "/api/v1/entries?source=17&source=18&source=19&limit=50"
add "tag=vi"                           "/api/v1/entries?tag=vi&limit=50"
add "tag=en&since&until"               "/api/v1/entries?tag=en&since=$SINCE&until=$UNTIL&limit=50"
add "source=4&since"                   "/api/v1/entries?source=4&since=$SINCE&limit=50"
add "q=hai phong"                      "/api/v1/entries?q=hai+phong&limit=50"
add "q=singapore"                      "/api/v1/entries?q=singapore&limit=50"
add "q=thanh pho (common words)"       "/api/v1/entries?q=thanh+pho&limit=50"
add "q=lua gao (mostly in bodies)"     "/api/v1/entries?q=lua+gao&limit=50"
add "q=singapore, page 3"              "/api/v1/entries?q=singapore&limit=50&cursor=$qcursor"
add "q=dang uy&tag=vi&since"           "/api/v1/entries?q=dang+uy&tag=vi&since=$SINCE&limit=50"
add "q=nomatch (no entry has it)"      "/api/v1/entries?q=khongcotu&limit=50"
add "channel=vi&q=nomatch"             "/api/v1/entries?channel=vi&q=khongcotu&limit=50"
add "channel=vi&q=singapore (none in it)" "/api/v1/entries?channel=vi&q=singapore&limit=50"
add "channel=vi&q=hai phong"           "/api/v1/entries?channel=vi&q=hai+phong&limit=50"

echo "$COUNT entries; wrk -c$CONNECTIONS -d$DURATION; $(nproc) cores"
printf '%-38s %10s %9s %9s   %10s %9s %9s\n' query "req/s" p50 p99 "uncached" p50 p99
summary() { awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {printf "%10s %9s %9s", rps, p50, p99}'; }
for i in "${!NAMES[@]}"; do
    curl -fs -o /dev/null "$BASE${URLS[$i]}" || { echo "failed: ${URLS[$i]}" >&2; exit 1; }
    cached=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$BASE${URLS[$i]}" | summary)
    uncached=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$ROOT/scripts/wrk-uncached.lua" "$BASE${URLS[$i]}" | summary)
    printf '%-38s %s   %s\n' "${NAMES[$i]}" "$cached" "$uncached"
done

echo
echo "== EXPLAIN ANALYZE (the queries the API runs)"
COLS="e.id, e.story_id, e.source_id, src.title, src.url, e.guid, e.url, e.title, e.summary, e.content_html, e.sort_at"
explain() {
    echo "-- $1"
    psql "$DATABASE_URL" -Atc "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $2"
    echo
}
explain "first page" "SELECT $COLS FROM entries e JOIN sources src ON src.id = e.source_id ORDER BY e.sort_at DESC, e.id DESC LIMIT 51"
DEEP=$(psql "$DATABASE_URL" -Atc "SELECT format('(%L::timestamptz, %s)', sort_at, id) FROM entries ORDER BY sort_at DESC, id DESC OFFSET 10000 LIMIT 1")
explain "deep page (keyset, 10,000 in)" "SELECT $COLS FROM entries e JOIN sources src ON src.id = e.source_id WHERE (e.sort_at, e.id) < $DEEP ORDER BY e.sort_at DESC, e.id DESC LIMIT 51"
explain "source filter (each source's newest page, merged)" "SELECT $COLS FROM unnest('{17,18,19}'::bigint[]) AS pick(source_id) CROSS JOIN LATERAL (SELECT e.* FROM entries e WHERE e.source_id = pick.source_id ORDER BY e.sort_at DESC, e.id DESC LIMIT 51) e JOIN sources src ON src.id = e.source_id ORDER BY e.sort_at DESC, e.id DESC LIMIT 51"
explain "tag + time window" "SELECT $COLS FROM entries e JOIN sources src ON src.id = e.source_id WHERE 'en' = ANY(src.tags) AND e.sort_at >= '$SINCE' AND e.sort_at < '$UNTIL' ORDER BY e.sort_at DESC, e.id DESC LIMIT 51"
# A search asks for one relevance tier at a time (every word in the title,
# then anywhere), recent days first: the first page of "hai phong" is one
# probe of the title tier over 3 days (tomorrow, for clocks ahead, to
# yesterday), by the day-marked title words.
DATED=$(python3 -c 'import datetime as d; t = d.datetime.now(d.timezone.utc).date(); print(" | ".join("('"''"'^{0}:hai'"''"' & '"''"'^{0}:phong'"''"':*)".format((t - d.timedelta(days=b)).strftime("%Y%m%d")) for b in range(-1, 2)))')
explain "search probe (title tier, last 2 days, page of 51)" "SELECT $COLS FROM (SELECT e.entry_id AS id, e.sort_at FROM entry_search e WHERE e.search @@ '$DATED'::tsquery AND e.sort_at >= current_date - 1 ORDER BY e.sort_at DESC, e.entry_id DESC LIMIT 51) m JOIN entries e ON e.id = m.id JOIN sources src ON src.id = e.source_id ORDER BY m.sort_at DESC, m.id DESC"
