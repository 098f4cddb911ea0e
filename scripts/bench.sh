#!/usr/bin/env bash
# Tributary's benchmark suite. One command, a table row per scenario
# (median of RUNS, min and max):
#
#   scripts/bench.sh ingest        cold ingest + warm re-poll over HTTP
#   scripts/bench.sh steady        20,000 sources under `serve` for minutes (bench-steady.sh)
#   scripts/bench.sh serve         cached merged feed vs nginx (bench-serve.sh)
#   scripts/bench.sh api           /api/v1/entries on 1M entries (bench-api.sh; DATABASE_URL)
#   scripts/bench.sh ingest-cost   cost per entry at 10k/100k/1M stored (ADMIN_URL)
#   scripts/bench.sh pipeline      Tributary's own CPU per entry, stage by stage, no database
#   scripts/bench.sh realtime      WebSub push → merged feed and webhook, p50/p99 (bench-realtime.sh)
#   scripts/bench.sh floor         what PostgreSQL alone needs to store a cold ingest's rows (ADMIN_URL)
#   scripts/bench.sh fulltext      article extraction per page, cold ingest of 1,000 teasers with and without full text (bench-fulltext.sh)
#   scripts/bench.sh all           every scenario whose database settings are given
#
# `ingest`: SOURCES feeds x ITEMS items (default 2,000 x 50; a third each RSS,
# Atom and JSON Feed, Vietnamese and English bodies of 300-1,500 characters,
# every tenth item of every other source republished by the next one) served by nginx on
# 127.0.0.1 with ETag/304 and gzip_static, so the fixture server is not the
# bottleneck (its own rate is measured first). Tributary runs on its embedded
# PostgreSQL in a temporary directory: `poll --once --all` into an empty
# database (entries/s, CPU seconds of Tributary and its PostgreSQL, peak RSS of
# Tributary and of the largest PostgreSQL process), then again with every source answering 304
# (sources/s). SMOKE=1 shrinks everything to seconds (CI runs it).
# Needs: nginx (apt-get install nginx-light), wrk, python3.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/fixture.sh
. "$ROOT/scripts/fixture.sh"
WHAT=${1:-all}
if [ "${SMOKE:-0}" = 1 ]; then
    SOURCES=${SOURCES:-30}; ITEMS=${ITEMS:-10}; RUNS=${RUNS:-1}
else
    SOURCES=${SOURCES:-2000}; ITEMS=${ITEMS:-50}; RUNS=${RUNS:-3}
fi

median() { python3 -c 'import statistics,sys; v=[float(x) for x in sys.argv[1:]]; print(f"{statistics.median(v):.2f} ({min(v):.2f}-{max(v):.2f})")' "$@"; }

bench_ingest() {
    for tool in nginx wrk python3; do
        command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 2; }
    done
    local bin work port
    if [ "${SMOKE:-0}" = 1 ]; then
        # Smoke runs check that the suite works, not speed: the debug build will do.
        (cd "$ROOT" && cargo build --quiet)
        bin="$ROOT/target/debug/tributary"
    elif [ -n "${TRIBUTARY_BIN:-}" ]; then
        # A binary built elsewhere (e.g. another commit, for interleaved runs).
        bin=$TRIBUTARY_BIN
    else
        (cd "$ROOT" && cargo build --release --quiet)
        bin="$ROOT/target/release/tributary"
    fi
    work=$(mktemp -d /tmp/tributary-bench.XXXXXX)
    chmod 755 "$work"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    # shellcheck disable=SC2064
    trap "[ -f '$work/nginx.pid' ] && kill \$(cat '$work/nginx.pid') 2>/dev/null; rm -rf '$work'" RETURN
    python3 "$ROOT/scripts/gen_feeds.py" "$work/feeds" "$SOURCES" "$ITEMS" 5 --mixed
    start_fixture "$work" "$port"
    local fixture
    fixture=$(wrk -t1 -c32 -d3s -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port/source1.atom" | awk '/Requests\/sec/ {print $2}')
    {
        printf '[server]\nlisten = "127.0.0.1:0"\n[database]\ndata_dir = "%s/data"\n' "$work"
        printf '[poller]\nconcurrency = 64\nper_host_concurrency = 64\n'
        for f in "$work"/feeds/source*; do
            case "$f" in *.gz) continue ;; esac
            printf '[[sources]]\nurl = "http://127.0.0.1:%s/%s"\n' "$port" "$(basename "$f")"
        done
    } > "$work/bench.toml"
    export RUST_LOG=warn
    "$bin" --config "$work/bench.toml" migrate >/dev/null
    local cold=() cold_cpu=() cold_rss=() own_rss=() warm=() entries=0
    for ((r = 0; r < RUNS; r++)); do
        rm -rf "$work/data"
        "$bin" --config "$work/bench.toml" migrate >/dev/null
        /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$bin" --config "$work/bench.toml" poll --once --all > "$work/cold.out" &
        local timer=$! pid="" hwm=0 kb
        # Tributary's own peak memory (time's %M is the largest process of
        # the tree: a PostgreSQL backend with the shared buffers it touched).
        while kill -0 "$timer" 2>/dev/null; do
            [ -z "$pid" ] && pid=$(pgrep -P "$timer" -x tributary || true)
            kb=$( [ -n "$pid" ] && awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
            [ -n "$kb" ] && [ "$kb" -gt "$hwm" ] && hwm=$kb
            sleep 0.1
        done
        wait "$timer"
        read -r wall user sys rss < "$work/time"
        entries=$(grep -o '[0-9]* new' "$work/cold.out" | tail -1 | cut -d' ' -f1)
        cold+=("$(python3 -c "print($entries / $wall)")")
        cold_cpu+=("$(python3 -c "print($user + $sys)")")
        cold_rss+=("$(python3 -c "print($rss / 1024)")")
        own_rss+=("$(python3 -c "print($hwm / 1024)")")
        /usr/bin/time -f "%e" -o "$work/time" "$bin" --config "$work/bench.toml" poll --once --all > "$work/warm.out"
        warm+=("$(python3 -c "print($SOURCES / $(cat "$work/time"))")")
    done
    echo "fixture server alone (nginx, one Atom feed, gzip, wrk -c32): $fixture req/s"
    echo "| scenario | median (min-max) | |"
    echo "|---|---|---|"
    echo "| cold ingest: $SOURCES sources x $ITEMS items, $entries new entries | $(median "${cold[@]}") entries/s | CPU $(median "${cold_cpu[@]}") s (Tributary + PostgreSQL), peak RSS Tributary $(median "${own_rss[@]}") MB, largest PostgreSQL process $(median "${cold_rss[@]}") MB |"
    echo "| warm re-poll: $SOURCES sources, all 304 | $(median "${warm[@]}") sources/s | $(grep -o '[0-9]* not modified' "$work/warm.out" | tail -1) |"
    echo "(wall time of the whole command, starting and stopping the embedded PostgreSQL; $(nproc) cores)"
}

bench_pipeline() {
    local work
    work=$(mktemp -d /tmp/tributary-pipeline.XXXXXX)
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" RETURN
    # A fixed date: the output digest is then the same on any day.
    python3 "$ROOT/scripts/gen_feeds.py" "$work/feeds" "${PIPELINE_FEEDS:-200}" "${ITEMS:-50}" 5 --mixed --newest=2026-11-25
    (cd "$ROOT" && cargo bench --quiet --bench pipeline -- "$work/feeds")
}

case "$WHAT" in
    ingest) bench_ingest ;;
    pipeline) bench_pipeline ;;
    steady) "$ROOT/scripts/bench-steady.sh" ;;
    realtime) "$ROOT/scripts/bench-realtime.sh" ;;
    fulltext) "$ROOT/scripts/bench-fulltext.sh" ;;
    serve) "$ROOT/scripts/bench-serve.sh" ;;
    api) "$ROOT/scripts/bench-api.sh" ;;
    ingest-cost) "$ROOT/scripts/bench-ingest-cost.sh" ;;
    floor) "$ROOT/scripts/bench-floor.sh" ;;
    all)
        bench_ingest
        bench_pipeline
        "$ROOT/scripts/bench-steady.sh"
        "$ROOT/scripts/bench-realtime.sh"
        "$ROOT/scripts/bench-fulltext.sh"
        "$ROOT/scripts/bench-serve.sh"
        if [ -n "${DATABASE_URL:-}" ]; then "$ROOT/scripts/bench-api.sh"; else echo "api: skipped (set DATABASE_URL to an empty database)"; fi
        if [ -n "${ADMIN_URL:-}" ]; then
            "$ROOT/scripts/bench-ingest-cost.sh"
            "$ROOT/scripts/bench-floor.sh"
        else
            echo "ingest-cost, floor: skipped (set ADMIN_URL)"
        fi
        ;;
    *) echo "usage: scripts/bench.sh [all|ingest|pipeline|steady|realtime|fulltext|serve|api|ingest-cost|floor]" >&2; exit 2 ;;
esac
