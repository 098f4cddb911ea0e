#!/usr/bin/env bash
# Full text's cost (#22):
#
# 1. CPU per article page, one core (cargo bench --bench extract, over the
#    40 pages of tests/data/extraction), beside the pipeline's parse +
#    normalize per entry (cargo bench --bench pipeline, generated feeds).
# 2. Cold ingest of FEEDS x ITEMS teaser entries (default 20 x 50 = 1,000)
#    over HTTP: `poll --once --all` into an empty embedded database, once
#    without full text and once with it (each entry's page, 8-14 KB of
#    news-site layout around its own article, fetched from the same nginx
#    on 127.0.0.1, extracted and stored), with per_host_concurrency 64 and
#    again at the default 2 (every page on one host: politeness is the
#    limit). Median of RUNS (wall time, including the embedded PostgreSQL's
#    start and stop).
#
#   scripts/bench.sh fulltext        (SMOKE=1: a few entries, debug build)
# Needs: nginx (apt-get install nginx-light), python3.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ "${SMOKE:-0}" = 1 ]; then
    FEEDS=${FEEDS:-3}; ITEMS=${ITEMS:-4}; RUNS=${RUNS:-1}
    (cd "$ROOT" && cargo build --quiet)
    bin="$ROOT/target/debug/tributary"
else
    FEEDS=${FEEDS:-20}; ITEMS=${ITEMS:-50}; RUNS=${RUNS:-3}
    (cd "$ROOT" && cargo build --release --quiet)
    bin=${TRIBUTARY_BIN:-"$ROOT/target/release/tributary"}
fi
command -v nginx >/dev/null || { echo "needs nginx" >&2; exit 2; }

median() { python3 -c 'import statistics,sys; v=[float(x) for x in sys.argv[1:]]; print(f"{statistics.median(v):.2f} ({min(v):.2f}-{max(v):.2f})")' "$@"; }

if [ "${SMOKE:-0}" != 1 ]; then
    echo "== CPU per article page (one core)"
    (cd "$ROOT" && cargo bench --quiet --bench extract)
    echo "== CPU per feed entry, parse + normalize (one core)"
    pipe=$(mktemp -d /tmp/tributary-pipeline.XXXXXX)
    python3 "$ROOT/scripts/gen_feeds.py" "$pipe/feeds" 200 50 5 --mixed --newest=2026-11-25
    (cd "$ROOT" && cargo bench --quiet --bench pipeline -- "$pipe/feeds") | grep -E '^\||entries'
    rm -rf "$pipe"
fi

work=$(mktemp -d /tmp/tributary-fulltext.XXXXXX)
chmod 755 "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# shellcheck disable=SC2064
trap "[ -f '$work/nginx.pid' ] && kill \$(cat '$work/nginx.pid') 2>/dev/null; rm -rf '$work'" EXIT

# Teaser feeds (a title and one sentence per item) and one page per item:
# a news site's layout (navigation, related lists, comments) around an
# article of its own, 4-8 paragraphs drawn from the evaluation set's words.
python3 - "$work/site" "$FEEDS" "$ITEMS" "$port" "$ROOT/tests/data/extraction" <<'PY'
import datetime, email.utils, html, os, random, re, sys
out, feeds, items, port, data = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
os.makedirs(out + "/pages", exist_ok=True)
words = re.findall(r"\w+", open(data + "/articles.txt", encoding="utf-8").read())
layout = open(data + "/pages/01.html", encoding="utf-8").read()
start = layout.index('<article class="fck_detail ">') + len('<article class="fck_detail ">')
end = layout.index("</article>")
rng = random.Random(22)
now = datetime.datetime.now(datetime.timezone.utc)
def sentence(n):
    return " ".join(rng.choice(words) for _ in range(n)).capitalize() + "."
for f in range(feeds):
    parts = []
    for i in range(items):
        k = f * items + i
        paragraphs = "".join(f'<p class="Normal">{html.escape(" ".join(sentence(rng.randint(12, 24)) for _ in range(rng.randint(2, 4))))}</p>' for _ in range(rng.randint(4, 8)))
        title = sentence(rng.randint(6, 10))[:-1]
        page = layout[:start] + paragraphs + layout[end:]
        page = re.sub(r'<h1 class="title-detail">.*?</h1>', f'<h1 class="title-detail">{html.escape(title)}</h1>', page)
        open(f"{out}/pages/a{k}.html", "w", encoding="utf-8").write(page)
        date = email.utils.format_datetime(now - datetime.timedelta(minutes=k))
        parts.append(f"<item><title>{html.escape(title)}</title><link>http://127.0.0.1:{port}/pages/a{k}.html</link>"
                     f"<guid>a{k}</guid><pubDate>{date}</pubDate><description>{html.escape(sentence(14))}</description></item>")
    open(f"{out}/teasers{f}.rss", "w", encoding="utf-8").write(
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Teasers {f}</title>'
        f'<link>http://127.0.0.1:{port}/</link>{"".join(parts)}</channel></rss>')
PY
cat > "$work/nginx.conf" <<CONF
daemon on; pid $work/nginx.pid; worker_processes 1; error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log $work/access.log; sendfile on; keepalive_requests 100000;
  types { application/rss+xml rss; text/html html; }
  server { listen 127.0.0.1:$port; root $work/site; etag on; }
}
CONF
nginx -c "$work/nginx.conf" -p "$work" -e "$work/nginx-error.log"

# One config per scenario: full text off or on, pages 64 or 2 at once per host.
write_config() {
    local name=$1 full_text=$2 per_host=$3
    {
        printf '[server]\nlisten = "127.0.0.1:0"\n[database]\ndata_dir = "%s/data"\n' "$work"
        printf '[poller]\nconcurrency = 64\nper_host_concurrency = %s\n' "$per_host"
        for ((f = 0; f < FEEDS; f++)); do
            printf '[[sources]]\nurl = "http://127.0.0.1:%s/teasers%s.rss"\nfull_text = %s\n' "$port" "$f" "$full_text"
        done
    } > "$work/$name.toml"
}
write_config feed false 64
write_config full true 64
write_config polite true 2
# The ingest says per source how many pages it fetched and how many gave an article.
export RUST_LOG=warn,tributary::ingest=info
echo "| cold ingest, $FEEDS teaser feeds x $ITEMS entries | median wall s (min-max) | entries/s | pages fetched | articles extracted |"
echo "|---|---|---|---|---|"
for scenario in feed full polite; do
    walls=() rates=() pages=0 entries=0
    for ((r = 0; r < RUNS; r++)); do
        rm -rf "$work/data"
        : > "$work/access.log"
        "$bin" --config "$work/$scenario.toml" migrate >/dev/null
        /usr/bin/time -f "%e" -o "$work/time" "$bin" --config "$work/$scenario.toml" poll --once --all > "$work/out" 2> "$work/log"
        wall=$(cat "$work/time")
        entries=$(grep -o '[0-9]* new' "$work/out" | tail -1 | cut -d' ' -f1)
        pages=$(grep -c 'GET /pages/' "$work/access.log" || true)
        extracted=$(python3 -c 'import re,sys; print(sum(int(n) for n in re.findall(r"extracted=(\d+)", re.sub(r"\x1b\[[0-9;]*m", "", open(sys.argv[1]).read()))))' "$work/log")
        walls+=("$wall")
        rates+=("$(python3 -c "print($entries / $wall)")")
    done
    case $scenario in
        feed) what="feed text only" ;;
        full) what="full text, 64 pages at once per host" ;;
        polite) what="full text, 2 pages at once per host (the default)" ;;
    esac
    echo "| $what: $entries entries | $(median "${walls[@]}") | $(median "${rates[@]}") | $pages | $extracted |"
    if [ "$scenario" != feed ] && { [ "$pages" -lt "$entries" ] || [ "$extracted" -lt "$entries" ]; }; then
        echo "full text missed entries: $pages pages fetched, $extracted extracted, $entries entries" >&2
        exit 1
    fi
done
echo "(wall time of poll --once --all, embedded PostgreSQL start and stop included; $(nproc) cores)"
