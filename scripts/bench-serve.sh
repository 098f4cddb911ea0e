#!/usr/bin/env bash
# Serving benchmark: a cached 100-item merged feed from Tributary against
# nginx serving the same bytes as a static file, loaded side by side with
# wrk on this machine. Needs wrk and nginx (Debian: apt-get install wrk
# nginx-light) and a release build; uses the embedded PostgreSQL unless
# DATABASE_URL is set (then it must point at an empty database).
#
#   scripts/bench-serve.sh            # DURATION=10s CONNECTIONS=64 RUNS=3
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
RUNS=${RUNS:-3}
TPORT=${TPORT:-18080}
NPORT=${NPORT:-18081}
for tool in wrk nginx python3; do
    command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install wrk nginx-light)" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/tributary-bench.XXXXXX)
chmod 755 "$WORK"
TPID=""
cleanup() {
    [ -n "$TPID" ] && kill "$TPID" 2>/dev/null && wait "$TPID" 2>/dev/null || true
    [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

if [ -n "${TRIBUTARY_BIN:-}" ]; then
    # A binary built elsewhere (e.g. another commit, for interleaved runs).
    BIN=$TRIBUTARY_BIN
else
    (cd "$ROOT" && cargo build --release --quiet)
    BIN="$ROOT/target/release/tributary"
fi

python3 "$ROOT/scripts/gen_feeds.py" "$WORK/feeds" 4 40
{
    printf '[server]\nlisten = "127.0.0.1:%s"\npublic_url = "http://127.0.0.1:%s"\n' "$TPORT" "$TPORT"
    printf '[database]\ndata_dir = "%s/data"\n' "$WORK"
    for f in "$WORK"/feeds/*.rss; do printf '[[sources]]\nurl = "file://%s"\n' "$f"; done
} > "$WORK/bench.toml"

export RUST_LOG=warn
"$BIN" --config "$WORK/bench.toml" poll --once --all | tail -1
"$BIN" --config "$WORK/bench.toml" serve --role web 2>"$WORK/serve.log" &
TPID=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$TPORT/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

mkdir -p "$WORK/www"
curl -fs "http://127.0.0.1:$TPORT/feeds/all.rss" -o "$WORK/www/all.rss"
gzip -6 -k "$WORK/www/all.rss"
ITEMS=$(grep -o '<item>' "$WORK/www/all.rss" | wc -l)
BYTES=$(stat -c %s "$WORK/www/all.rss")
cat > "$WORK/nginx.conf" <<NGINX
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    default_type application/rss+xml;
    client_body_temp_path $WORK/tmp; proxy_temp_path $WORK/tmp; fastcgi_temp_path $WORK/tmp;
    uwsgi_temp_path $WORK/tmp; scgi_temp_path $WORK/tmp;
    server {
        listen 127.0.0.1:$NPORT;
        root $WORK/www;
        etag on;
        gzip_static on;
    }
}
NGINX
mkdir -p "$WORK/tmp"
nginx -c "$WORK/nginx.conf"
sleep 0.5

run() { # url encoding -> "rps p50 p99"
    local enc=()
    [ "$2" = gzip ] && enc=(-H "Accept-Encoding: gzip")
    wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "${enc[@]}" "$1" |
        awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {print rps, p50, p99}'
}

echo "feed: $ITEMS items, $BYTES bytes; wrk -c$CONNECTIONS -d$DURATION, $RUNS runs, $(nproc) cores"
printf '%-10s %-9s %12s %10s %10s\n' server encoding requests/s p50 p99
for enc in identity gzip; do
    for run in $(seq "$RUNS"); do
        read -r t_rps t_p50 t_p99 < <(run "http://127.0.0.1:$TPORT/feeds/all.rss" "$enc")
        read -r n_rps n_p50 n_p99 < <(run "http://127.0.0.1:$NPORT/all.rss" "$enc")
        printf '%-10s %-9s %12s %10s %10s\n' tributary "$enc" "$t_rps" "$t_p50" "$t_p99"
        printf '%-10s %-9s %12s %10s %10s\n' nginx "$enc" "$n_rps" "$n_p50" "$n_p99"
        awk -v t="$t_rps" -v n="$n_rps" -v e="$enc" 'BEGIN {printf "ratio     %-9s %11.0f%%\n", e, 100 * t / n}'
    done
done
