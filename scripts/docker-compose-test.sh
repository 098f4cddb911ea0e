#!/usr/bin/env bash
# `docker compose up` as a user runs it, on the repository's own
# docker-compose.yml and Dockerfile: build, start, healthy, serving, the API
# token and JSON logs from the environment, SIGTERM, and the data kept in
# the named volume across down/up. Needs the base images (a registry, or
# scripts/docker-images.sh). Leaves the image tributary:latest behind for
# scripts/docker-cluster-test.py.
set -euo pipefail
cd "$(dirname "$0")/.."

if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
else
    compose=(docker-compose)
fi
project=tribcompose$$
export TRIBUTARY_PORT=${TRIBUTARY_PORT:-18080}
export TRIBUTARY_API_TOKEN=compose-test-token
export TRIBUTARY_LOG_FORMAT=json
export POSTGRES_PASSWORD=compose-test-password
dc() { "${compose[@]}" -p "$project" "$@"; }
base="http://127.0.0.1:$TRIBUTARY_PORT"
fail() { echo "FAIL: $*" >&2; dc logs --no-color --tail=40 >&2 || true; exit 1; }
cleanup() { dc down -v --remove-orphans >/dev/null 2>&1 || true; }
trap cleanup EXIT
say() { printf '== %s (%s)\n' "$*" "$(date +%T)"; }

say "build (docker compose build)"
started=$(date +%s)
build_log=$(mktemp)
dc build --force-rm tributary >"$build_log" 2>&1 || { tail -40 "$build_log" >&2; fail "the image does not build"; }
rm -f "$build_log"
echo "build: $(($(date +%s) - started)) s"
size=$(docker image inspect -f '{{.Size}}' tributary:latest)
echo "image tributary:latest: $((size / 1000000)) MB"
[ "$size" -lt 100000000 ] || fail "the image is $size bytes, over 100 MB"
[ "$(docker image inspect -f '{{.Config.User}}' tributary:latest)" = 65532:65532 ] \
    || fail "the image does not run as the unprivileged user"
if docker run --rm --entrypoint /bin/sh tributary:latest -c true >/dev/null 2>&1; then
    fail "the image has a shell"
fi

container() { dc ps -q tributary; }
wait_healthy() {
    local deadline=$(($(date +%s) + 120)) state=""
    while [ "$(date +%s)" -lt "$deadline" ]; do
        state=$(docker inspect -f '{{.State.Health.Status}}' "$(container)" 2>/dev/null || true)
        [ "$state" = healthy ] && return 0
        sleep 1
    done
    fail "not healthy after 120 s (state: $state)"
}
# Entries from the sample sources the shipped config polls (file: feeds).
entry_count() {
    docker exec "$(dc ps -q db)" psql -U tributary -d tributary -tA -c "SELECT count(*) FROM entries"
}
wait_entries() {
    local deadline=$(($(date +%s) + 60)) n=0
    while [ "$(date +%s)" -lt "$deadline" ]; do
        n=$(entry_count 2>/dev/null || echo 0)
        [ "${n:-0}" -gt 0 ] && { echo "$n"; return 0; }
        sleep 1
    done
    fail "no entries after 60 s"
}

say "up"
dc up -d >/dev/null 2>&1
wait_healthy
first=$(wait_entries)
echo "healthy; $first entries from the sample sources"

say "serving on :$TRIBUTARY_PORT"
for path in / /feeds/all.rss /feeds/all.atom /feeds/all.json /feeds/vietnam.rss /api/v1/entries /api/v1/sources /readyz /metrics; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$base$path")
    [ "$code" = 200 ] || fail "GET $path answered $code"
done
# Read whole before matching: `curl | grep -q` fails under pipefail when
# grep exits before curl has written everything.
vietnam=$(curl -s --max-time 10 "$base/feeds/vietnam.rss")
grep -q 'Tin Việt Nam' <<<"$vietnam" || fail "the vietnam channel is not the configured one"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X DELETE "$base/api/v1/sources/999999")
[ "$code" = 401 ] || fail "a write without the token answered $code, not 401"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X DELETE \
    -H "Authorization: Bearer $TRIBUTARY_API_TOKEN" "$base/api/v1/sources/999999")
[ "$code" = 404 ] || fail "a write with TRIBUTARY_API_TOKEN answered $code, not 404"
logs=$(docker logs "$(container)" 2>&1 | sed -n 1,20p)
echo "$logs" | python3 -c '
import json, sys
lines = [l for l in sys.stdin if l.strip()]
assert lines, "no log lines"
for l in lines:
    json.loads(l)
print(f"{len(lines)} log lines, all JSON")' || fail "logs are not JSON with TRIBUTARY_LOG_FORMAT=json"

say "split roles: --profile split --scale poller=2 --scale web=2"
dc --profile split up -d --scale poller=2 --scale web=2 >/dev/null 2>&1 \
    || fail "the split profile does not start"
deadline=$(($(date +%s) + 90))
while :; do
    ids=$(dc --profile split ps -q poller web)
    healthy=0
    for id in $ids; do
        [ "$(docker inspect -f '{{.State.Health.Status}}' "$id")" = healthy ] && healthy=$((healthy + 1))
    done
    [ "$healthy" -eq 4 ] && break
    [ "$(date +%s)" -lt "$deadline" ] || fail "$healthy of 4 split replicas healthy after 90 s"
    sleep 1
done
for id in $(dc --profile split ps -q web); do
    ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$id")
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://$ip:8080/feeds/all.atom")
    [ "$code" = 200 ] || fail "a web replica answered $code for its feed"
done
echo "2 pollers and 2 web replicas healthy beside the all-in-one service"
dc --profile split rm -s -f poller web >/dev/null 2>&1

say "SIGTERM (docker compose stop)"
stop_started=$(date +%s.%N)
dc stop tributary >/dev/null 2>&1
stop_took=$(python3 -c "print(f'{$(date +%s.%N) - $stop_started:.1f}')")
code=$(docker inspect -f '{{.State.ExitCode}}' "$(container)")
echo "stopped in $stop_took s, exit code $code"
[ "$code" = 0 ] || fail "exit code $code after SIGTERM (137 would mean Docker had to SIGKILL it)"

say "down, up: the data stays in the volume"
dc down >/dev/null 2>&1
dc up -d >/dev/null 2>&1
wait_healthy
again=$(entry_count)
echo "$again entries after down/up (before: $first)"
[ "$again" -ge "$first" ] || fail "entries were lost across down/up"
say "restart: start to serving on the existing database"
docker restart -t 15 "$(container)" >/dev/null
started_at=$(docker inspect -f '{{.State.StartedAt}}' "$(container)")
for _ in $(seq 1 500); do
    curl -sf -o /dev/null --max-time 1 "$base/healthz" && break
    sleep 0.02
done
serving_at=$(date +%s.%N)
took=$(python3 -c "
from datetime import datetime
s = '$started_at'
start = datetime.fromisoformat(s[:26].rstrip('Z') + '+00:00').timestamp()
print('%.2f' % ($serving_at - start))")
echo "container start to serving: $took s"
python3 -c "import sys; sys.exit(0 if $took < 2 else 1)" || fail "took $took s from start to serving"

say "compose test passed"
