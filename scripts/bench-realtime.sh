#!/usr/bin/env bash
# Freshness (issue #21): SOURCES feeds (default 1,000) whose hub is a
# fixture of ours (scripts/realtime_hub.py), subscribed to by `tributary
# serve` over WebSub, plus POLLED feeds with no hub, polled every 60 s.
# Once every subscription is verified, the fixture publishes EVENTS new
# stories at RATE per second, each pushed signed to Tributary's callback,
# and measures the time from the push to the story in the merged feed
# (`/feeds/all.json`, read every 50 ms) and to its webhook delivery; and
# for the polled feeds, from publication to the merged feed (scaled to the
# default 30-minute interval: the delay is the wait for the next poll).
#
#   scripts/bench-realtime.sh            (or: scripts/bench.sh realtime)
#
# Knobs: SOURCES (1000), EVENTS (300), RATE (10/s), POLLED (30),
# POLL_INTERVAL (60 s). SMOKE=1: 20 sources, 10 events, polled every 30 s.
# Needs python3, curl.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ "${SMOKE:-0}" = 1 ]; then
    SOURCES=${SOURCES:-20}; EVENTS=${EVENTS:-10}; RATE=${RATE:-5}; POLLED=${POLLED:-3}; POLL_INTERVAL=${POLL_INTERVAL:-30}
    (cd "$ROOT" && cargo build --quiet)
    BIN="$ROOT/target/debug/tributary"
else
    SOURCES=${SOURCES:-1000}; EVENTS=${EVENTS:-300}; RATE=${RATE:-10}; POLLED=${POLLED:-30}; POLL_INTERVAL=${POLL_INTERVAL:-60}
    (cd "$ROOT" && cargo build --release --quiet)
    BIN="$ROOT/target/release/tributary"
fi
for tool in python3 curl; do
    command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 2; }
done
WORK=$(mktemp -d /tmp/tributary-realtime.XXXXXX)
chmod 755 "$WORK"
TPID="" HPID=""
cleanup() {
    [ -n "$HPID" ] && kill "$HPID" 2>/dev/null || true
    [ -n "$TPID" ] && kill "$TPID" 2>/dev/null && wait "$TPID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
FPORT=$(free_port)
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
{
    printf '[server]\nlisten = "127.0.0.1:%s"\npublic_url = "%s"\n' "$PORT" "$BASE"
    printf '[database]\ndata_dir = "%s/data"\n' "$WORK"
    printf '[poller]\nconcurrency = 64\nper_host_concurrency = 64\nmin_interval = "30s"\n'
    printf '[websub]\nsubscribe = true\n'
    printf '[[webhooks]]\nurl = "http://127.0.0.1:%s/hook"\nsecret_env = "BENCH_HOOK_SECRET"\n' "$FPORT"
    for ((i = 0; i < SOURCES; i++)); do
        printf '[[sources]]\nurl = "http://127.0.0.1:%s/feed/%d.rss"\n' "$FPORT" "$i"
    done
    for ((i = SOURCES; i < SOURCES + POLLED; i++)); do
        printf '[[sources]]\nurl = "http://127.0.0.1:%s/feed/%d.rss"\ninterval = "%ss"\n' "$FPORT" "$i" "$POLL_INTERVAL"
    done
} > "$WORK/bench.toml"

python3 "$ROOT/scripts/realtime_hub.py" "$FPORT" "$BASE" "$SOURCES" "$POLLED" "$EVENTS" "$RATE" "$POLL_INTERVAL" "$WORK/result.json" > "$WORK/hub.log" 2>&1 &
HPID=$!
for _ in $(seq 100); do grep -q ready "$WORK/hub.log" && break; sleep 0.1; done
export RUST_LOG=warn BENCH_HOOK_SECRET=bench-secret
"$BIN" --config "$WORK/bench.toml" serve 2>"$WORK/serve.log" &
TPID=$!
started=$(date +%s)
if ! wait "$HPID"; then
    HPID=""
    echo "the fixture hub failed:"; cat "$WORK/hub.log"; tail -20 "$WORK/serve.log"; exit 1
fi
HPID=""
elapsed=$(( $(date +%s) - started ))
python3 - "$WORK/result.json" "$SOURCES" "$EVENTS" "$RATE" "$POLLED" "$elapsed" "$(nproc)" "$POLL_INTERVAL" <<'PY'
import json, statistics, sys
r = json.load(open(sys.argv[1]))
sources, events, rate, polled, elapsed, cores, interval = sys.argv[2:]
interval = float(interval)
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float("nan")
def row(name, v, scale=1.0, unit="s"):
    return f"| {name} | {len(v)} | {pct(v, 50) * scale:.2f} {unit} | {pct(v, 99) * scale:.2f} {unit} | {max(v, default=float('nan')) * scale:.2f} {unit} |"
print(f"freshness: {sources} sources pushed by a fixture hub, {events} stories pushed at {rate}/s; "
      f"{polled} polled sources ({interval:.0f} s interval); {elapsed} s in all; {cores} cores")
print("| from → to | stories | p50 | p99 | max |")
print("|---|---|---|---|---|")
print(row("hub push → merged feed", r["push_to_feed"]))
print(row("hub push → webhook delivery", r["push_to_webhook"]))
print(row(f"published → merged feed, polled every {interval:.0f} s", r["poll_to_feed"]))
print(row(f"published → merged feed, polled every 30 min (scaled ×{1800 / interval:.0f})", r["poll_to_feed"], 30 / interval, "min"))
if r["missing"]:
    print(f"missing from the merged feed: {len(r['missing'])}")
    sys.exit(1)
PY
