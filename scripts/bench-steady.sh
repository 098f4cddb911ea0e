#!/usr/bin/env bash
# Steady state (scenario 3): SOURCES feeds (default 20,000) on nginx, each
# polled by `tributary serve` at its own interval (drawn from 60-600 s, as
# sources differ), while scripts/feed_updater.py publishes new items in
# UPDATES_PER_S random feeds every second. After the warm-up (every source
# polled once: a cold ingest of SOURCES x ITEMS entries), it samples for
# DURATION seconds: polls/s sustained against the schedule's demand, the
# scheduler lag (how overdue the most overdue source is, from /metrics),
# CPU of Tributary and of its PostgreSQL, and Tributary's memory.
#
#   scripts/bench-steady.sh            (or: scripts/bench.sh steady)
#
# Knobs: SOURCES (20000), ITEMS (5), DURATION (180), UPDATES_PER_S (10).
# SMOKE=1: 60 sources for 10 s. Needs nginx, python3, curl.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/fixture.sh
. "$ROOT/scripts/fixture.sh"
if [ "${SMOKE:-0}" = 1 ]; then
    SOURCES=${SOURCES:-60}; ITEMS=${ITEMS:-3}; DURATION=${DURATION:-10}; UPDATES_PER_S=${UPDATES_PER_S:-2}
    (cd "$ROOT" && cargo build --quiet)
    BIN="$ROOT/target/debug/tributary"
else
    SOURCES=${SOURCES:-20000}; ITEMS=${ITEMS:-5}; DURATION=${DURATION:-180}; UPDATES_PER_S=${UPDATES_PER_S:-10}
    (cd "$ROOT" && cargo build --release --quiet)
    BIN="$ROOT/target/release/tributary"
fi
for tool in nginx python3 curl; do
    command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/tributary-steady.XXXXXX)
chmod 755 "$WORK"
TPID="" UPID=""
cleanup() {
    [ -n "$UPID" ] && kill "$UPID" 2>/dev/null || true
    [ -n "$TPID" ] && kill "$TPID" 2>/dev/null && wait "$TPID" 2>/dev/null || true
    [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
FPORT=$(free_port)
PORT=$(free_port)

python3 "$ROOT/scripts/gen_feeds.py" "$WORK/feeds" "$SOURCES" "$ITEMS" 5 --mixed
start_fixture "$WORK" "$FPORT"

# Each source's interval, drawn once (the same on every run).
python3 - "$WORK" "$SOURCES" "$FPORT" "$PORT" <<'PY' > "$WORK/bench.toml"
import random, sys
work, sources, fport, port = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rng = random.Random(3)
print(f'[server]\nlisten = "127.0.0.1:{port}"\npublic_url = "http://127.0.0.1:{port}"')
print(f'[database]\ndata_dir = "{work}/data"')
print('[poller]\nconcurrency = 64\nper_host_concurrency = 64\nmin_interval = "1m"')
demand = 0.0
for s in range(sources):
    fmt = ("rss", "atom", "json")[s % 3]
    interval = rng.randint(60, 600)
    demand += 1 / interval
    print(f'[[sources]]\nurl = "http://127.0.0.1:{fport}/source{s}.{fmt}"\ninterval = "{interval}s"')
with open(f"{work}/demand", "w") as f:
    f.write(f"{demand:.1f}")
PY
DEMAND=$(cat "$WORK/demand")

export RUST_LOG=warn
"$BIN" --config "$WORK/bench.toml" serve 2>"$WORK/serve.log" &
TPID=$!
BASE="http://127.0.0.1:$PORT"
metric() { curl -fs "$BASE/metrics" | awk -v m="$1" 'index($0, m) == 1 {s += $NF} END {printf "%d\n", s}'; }
lag() { curl -fs "$BASE/metrics" | awk '/^tributary_scheduler_lag_seconds/ {print $2}'; }
for _ in $(seq 300); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
start=$(date +%s)
# Warm-up: until no source is left unpolled (early ones are polled again meanwhile).
while [ "$(curl -fs "$BASE/metrics" | awk '/^tributary_sources\{health="new"\}/ {n = $2} END {print n + 0}')" -gt 0 ] \
    || [ "$(metric tributary_polls_total)" -lt "$SOURCES" ]; do
    kill -0 "$TPID" 2>/dev/null || { echo "tributary exited:"; tail "$WORK/serve.log"; exit 1; }
    sleep 2
done
WARMUP=$(( $(date +%s) - start ))

# CPU seconds of a process and its children's (PostgreSQL: the postmaster and its backends).
cpu_of() { awk '{printf "%.2f\n", ($14 + $15) / 100}' "/proc/$1/stat"; }
pg_cpu() {
    local pm
    pm=$(head -1 "$WORK/data/postgres/postmaster.pid")
    { echo "$pm"; ps -o pid= --ppid "$pm"; } | while read -r p; do [ -r "/proc/$p/stat" ] && cpu_of "$p"; done \
        | awk '{s += $1} END {printf "%.2f\n", s}'
}
python3 "$ROOT/scripts/feed_updater.py" "$WORK/feeds" "$SOURCES" "$ITEMS" "$UPDATES_PER_S" > "$WORK/updater.out" &
UPID=$!
polls0=$(metric tributary_polls_total); new0=$(metric 'tributary_entries_total{kind="new"'); t_cpu0=$(cpu_of "$TPID"); pg_cpu0=$(pg_cpu)
lags=()
end=$(( $(date +%s) + DURATION ))
while [ "$(date +%s)" -lt "$end" ]; do
    sleep 5
    lags+=("$(lag)")
done
polls1=$(metric tributary_polls_total); new1=$(metric 'tributary_entries_total{kind="new"'); t_cpu1=$(cpu_of "$TPID"); pg_cpu1=$(pg_cpu)
rss=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$TPID/status")
hwm=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$TPID/status")
kill "$UPID"; wait "$UPID" 2>/dev/null || true; UPID=""
python3 - "$DURATION" "$polls0" "$polls1" "$new0" "$new1" "$t_cpu0" "$t_cpu1" "$pg_cpu0" "$pg_cpu1" "$DEMAND" "${lags[@]}" <<'PY' > "$WORK/summary"
import statistics, sys
d, p0, p1, n0, n1, t0, t1, g0, g1, demand = (float(x) for x in sys.argv[1:11])
lags = [float(x) for x in sys.argv[11:]] or [0.0]
print(f"{(p1 - p0) / d:.0f} polls/s (long-run demand ~{demand:.0f}/s once the longest interval has passed), {(n1 - n0) / d:.1f} new entries/s; "
      f"lag median {statistics.median(lags):.1f} s, max {max(lags):.1f} s; "
      f"CPU Tributary {(t1 - t0) / d * 100:.0f} %, PostgreSQL {(g1 - g0) / d * 100:.0f} % of a core")
PY
echo "steady state: $SOURCES sources (intervals 60-600 s), $UPDATES_PER_S feed updates/s, ${DURATION} s after a ${WARMUP} s warm-up; $(cat "$WORK/updater.out"); $(nproc) cores"
echo "| scenario | result | memory |"
echo "|---|---|---|"
echo "| steady state, $SOURCES sources | $(cat "$WORK/summary") | Tributary RSS ${rss} MB (peak ${hwm} MB, warm-up included) |"
