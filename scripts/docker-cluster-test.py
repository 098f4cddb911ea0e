#!/usr/bin/env python3
"""Tributary as a cluster of containers, losing parts of itself.

On two private Docker networks (`back`: PostgreSQL, pollers, web replicas
and the fixture feed server; `front`: the web replicas, which this script
reaches from the host) it runs PostgreSQL (postgres:17), two pollers
(`serve --role poller`), two web replicas (`serve --role web`) and the
fixture feed server (scripts/docker/fixture, with a request log), all from
the image `tributary:latest` that scripts/docker-compose-test.sh built from
the repository's Dockerfile. It proves, with bounded waits throughout:

1. a cold ingest in which one poller is killed (SIGKILL) midway: its leases
   are taken over (its holder lock ended with its database session; before
   that, they ran out after LEASE seconds), the other poller finishes, every entry is stored exactly once
   and every story is whole (copies of one article in every feed: one story);
2. each source is fetched once per round across both pollers (request log);
3. a new item reaches the merged feeds of both web replicas within 2 s of
   being stored (NOTIFY across containers);
4. a web replica cut off from PostgreSQL serves its cached feeds (200, and
   304 to If-None-Match), answers /readyz 503, and recovers by itself when
   reconnected;
5. a rolling restart of the web replicas under a client loop: no failed
   request on the replica that stays up; restart to serving under 2 s;
6. PostgreSQL restarted: pollers and web replicas recover without a restart
   of their own; nothing is lost.

The timeline is printed and written to target/docker-cluster-timeline.json.
Only private Docker networks (created --internal) and 127.0.0.1 are used.
"""

import html
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGE = os.environ.get("TRIBUTARY_IMAGE", "tributary:latest")
FIXTURE_IMAGE = "tributary-fixture:test"
PREFIX = f"tribcl{os.getpid()}"
TOKEN = "cluster-test-token"
PG_PASSWORD = "cluster-test-password"
INTERVAL = 20  # seconds: every source's poll interval (min = max)
TIMEOUT = 5  # seconds: the poller's fetch timeout; the lease is 3 x this + 60 s
LEASE = 3 * TIMEOUT + 60
KILL_SOURCES, KILL_ITEMS, SHARED = 60, 40, 10
ROUND_SOURCES = 30

T0 = time.time()
TIMELINE = []
FIGURES = {}


def log(event, **data):
    t = time.time() - T0
    TIMELINE.append({"t": round(t, 2), "event": event, **data})
    extra = " ".join(f"{k}={v}" for k, v in data.items())
    print(f"[{t:7.2f} s] {event} {extra}", flush=True)


class Failed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failed(message)


def docker(*args, timeout=180, check_rc=True):
    p = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check_rc and p.returncode != 0:
        raise Failed(f"docker {' '.join(args)}: {p.stderr.strip()}")
    return p.stdout.strip()


def ip_on(container, network):
    return docker(
        "inspect", "-f", f'{{{{(index .NetworkSettings.Networks "{network}").IPAddress}}}}', container
    )


def http(method, url, body=None, headers=None, timeout=5):
    """(status, headers with lower-case names, body); status 0 when no answer came."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()
    except (urllib.error.URLError, OSError):
        return 0, {}, b""


def wait_for(what, predicate, limit, step=0.2):
    deadline = time.time() + limit
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise Failed(f"{what}: not within {limit} s")


class Cluster:
    def __init__(self, workdir):
        self.back = f"{PREFIX}-back"
        self.front = f"{PREFIX}-front"
        self.pg = f"{PREFIX}-pg"
        self.fixture = f"{PREFIX}-fixture"
        self.pollers = [f"{PREFIX}-poller1", f"{PREFIX}-poller2"]
        self.webs = [f"{PREFIX}-web1", f"{PREFIX}-web2"]
        self.config_dir = os.path.join(workdir, "config")
        os.makedirs(self.config_dir)
        with open(os.path.join(self.config_dir, "tributary.toml"), "w") as f:
            f.write(
                f"""[server]
public_url = "http://tributary.test"
shutdown_timeout = "5s"

[poller]
default_interval = "{INTERVAL}s"
min_interval = "{INTERVAL}s"
max_interval = "{INTERVAL}s"
concurrency = 16
per_host_concurrency = 8
timeout = "{TIMEOUT}s"
allow_private_networks = true   # the fixture server is on a private Docker network

[retention]
max_age_days = 0
"""
            )

    # --- set-up -----------------------------------------------------------
    def start(self):
        docker("build", "-q", "-t", FIXTURE_IMAGE, os.path.join(ROOT, "scripts/docker/fixture"))
        docker("network", "create", "--internal", self.back)
        docker("network", "create", "--internal", self.front)
        docker(
            "run", "-d", "--name", self.pg, "--network", self.back, "--network-alias", "pg",
            "-e", "POSTGRES_USER=tributary", "-e", f"POSTGRES_PASSWORD={PG_PASSWORD}",
            "-e", "POSTGRES_DB=tributary", "postgres:17",
        )
        docker(
            "run", "-d", "--name", self.fixture, "--network", self.back,
            "--network-alias", "fixture", FIXTURE_IMAGE,
        )
        wait_for("PostgreSQL accepting TCP connections", self.pg_ready, 90, 0.5)
        log("postgres ready")
        self.fixture_ip = ip_on(self.fixture, self.back)
        wait_for("fixture server", lambda: http("GET", self.fixture_url("/_health"))[0] == 200, 30)
        # The first web replica applies the migrations; the rest start together.
        self.run_tributary(self.webs[0], "web")
        wait_for("web1 ready", lambda: self.ready(self.webs[0]), 60)
        self.run_tributary(self.webs[1], "web")
        for name in self.webs[1:]:
            wait_for(f"{name} ready", lambda n=name: self.ready(n), 60)
        log("web replicas ready")

    def pg_ready(self):
        p = subprocess.run(
            ["docker", "exec", self.pg, "pg_isready", "-h", "127.0.0.1", "-U", "tributary"],
            capture_output=True,
        )
        return p.returncode == 0

    def run_tributary(self, name, role):
        docker(
            "run", "-d", "--name", name, "--network", self.back,
            "-e", f"DATABASE_URL=postgres://tributary:{PG_PASSWORD}@pg:5432/tributary",
            "-e", f"TRIBUTARY_API_TOKEN={TOKEN}", "-e", "RUST_LOG=info,tributary::http=warn",
            "-v", f"{self.config_dir}:/config:ro", IMAGE, "serve", "--role", role,
        )
        if role == "web":
            docker("network", "connect", self.front, name)

    def stop(self):
        for name in [*self.pollers, *self.webs, self.fixture, self.pg]:
            docker("rm", "-f", "-v", name, check_rc=False)
        for net in (self.back, self.front):
            docker("network", "rm", net, check_rc=False)

    # --- helpers ----------------------------------------------------------
    def fixture_url(self, path):
        return f"http://{self.fixture_ip}:8000{path}"

    def web_url(self, name, path):
        return f"http://{ip_on(name, self.front)}:8080{path}"

    def ready(self, name):
        return http("GET", self.web_url(name, "/readyz"), timeout=5)[0] == 200

    def sql(self, query):
        return docker(
            "exec", self.pg, "psql", "-U", "tributary", "-d", "tributary", "-tA", "-F", "|",
            "-c", query, timeout=60,
        )

    def request_log(self):
        status, _, body = http("GET", self.fixture_url("/_log"), timeout=20)
        check(status == 200, "the fixture server's request log does not answer")
        return [json.loads(line) for line in body.decode().splitlines() if line]

    def add_sources(self, urls):
        # One OPML import, as an operator moving from another aggregator
        # would: every source is there at once. (POST /api/v1/sources reads
        # each address first, to follow a page to its feed: the k feeds'
        # 1.5-s delay would spread the adding over 90 s, and the cold
        # ingest the kill should interrupt would be over before it.)
        outlines = "".join(
            f'<outline type="rss" text="{i}" xmlUrl="{html.escape(url)}"/>'
            for i, url in enumerate(urls)
        )
        doc = f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>'
        status, _, body = http(
            "POST", self.web_url(self.webs[0], "/api/v1/opml"), doc.encode(),
            {"Content-Type": "text/x-opml", "Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )
        check(status == 200, f"importing the sources: {status} {body[:200]!r}")
        added = len(json.loads(body)["added"])
        check(added == len(urls), f"{added} of {len(urls)} sources imported: {body[:300]!r}")

    def add_item(self, feed, title):
        status, _, _ = http(
            "POST",
            self.fixture_url(f"/add?feed={feed}&title={urllib.parse.quote(title)}"),
            b"",
        )
        check(status == 200, "the fixture server did not add the item")

    def started_at(self, name):
        return docker("inspect", "-f", "{{.State.StartedAt}} {{.RestartCount}}", name)

    def panics(self):
        found = {}
        for name in [*self.pollers, *self.webs]:
            p = subprocess.run(["docker", "logs", name], capture_output=True, text=True)
            bad = [l for l in (p.stdout + p.stderr).splitlines() if "panicked" in l]
            if bad:
                found[name] = bad[:3]
        return found


def feed_has(cluster, web, title):
    status, _, body = http("GET", cluster.web_url(web, "/feeds/all.rss"), timeout=5)
    return status == 200 and title.encode() in body


def fetched_at(cluster, title):
    out = cluster.sql(
        "SELECT extract(epoch FROM fetched_at) FROM entries WHERE title = '"
        + title.replace("'", "''") + "'"
    )
    return float(out) if out else None


def watch_both(cluster, title, limit):
    """When each web replica's merged feed first shows `title`."""
    seen = {}

    def watch(web):
        deadline = time.time() + limit
        while time.time() < deadline:
            if feed_has(cluster, web, title):
                seen[web] = time.time()
                return
            time.sleep(0.05)

    threads = [threading.Thread(target=watch, args=(w,)) for w in cluster.webs]
    for t in threads:
        t.start()
    return threads, seen


# --- the scenarios -------------------------------------------------------
def cold_ingest_with_a_kill(c):
    urls = [
        f"http://fixture:8000/feed/k-{i}.rss?items={KILL_ITEMS}&shared={SHARED}&delay=1500"
        for i in range(KILL_SOURCES)
    ]
    urls += [f"http://fixture:8000/feed/r-{i}.rss?items=5" for i in range(ROUND_SOURCES)]
    urls.append("http://fixture:8000/feed/n-0.rss?items=3")
    for name, role in zip(c.pollers, ("poller", "poller")):
        c.run_tributary(name, role)
    c.add_sources(urls)
    log("sources added", sources=len(urls))
    p1 = ip_on(c.pollers[0], c.back)
    p2 = ip_on(c.pollers[1], c.back)
    c.poller_ips = {p1: "poller1", p2: "poller2"}

    def poller1_midway():
        k = [r for r in c.request_log() if "/feed/k-" in r["path"]]
        return len([r for r in k if r["client"] == p1]) >= 8 and len(k) >= 16

    wait_for("poller1 fetching k feeds", poller1_midway, 120, 0.1)
    docker("kill", c.pollers[0])
    killed = time.time()
    log("poller1 killed (SIGKILL)")
    FIGURES["killed_at"] = round(killed - T0, 2)
    stored = c.sql(
        "SELECT count(DISTINCT source_id) FROM entries e JOIN sources s ON s.id = e.source_id "
        "WHERE s.url LIKE '%/feed/k-%'"
    )
    leased = c.sql(
        "SELECT url FROM sources WHERE lease_until > now() AND url LIKE '%/feed/k-%' "
        "AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.source_id = sources.id)"
    ).splitlines()
    log("at the kill", k_sources_stored=stored, k_sources_leased_not_stored=len(leased))

    def all_stored():
        n = c.sql(
            "SELECT count(*) FROM entries e JOIN sources s ON s.id = e.source_id "
            "WHERE s.url LIKE '%/feed/k-%'"
        )
        return int(n) == KILL_SOURCES * KILL_ITEMS

    wait_for("every k entry stored", all_stored, LEASE + 120, 1)
    done = time.time()
    log("cold ingest complete", after_kill_s=round(done - killed, 1))
    # When were the leased-at-the-kill sources fetched again?
    log_after = [r for r in c.request_log() if r["t"] > killed]
    pickups = []
    for url in leased:
        path = url.split("fixture:8000", 1)[1]
        times = [r["t"] for r in log_after if r["path"] == path]
        if times:
            pickups.append(min(times) - killed)
    check(pickups, "no source leased at the kill was fetched again")
    # A killed poller's session ends with it, and its holder lock with the
    # session: its leases are taken over by the next claim, not at expiry.
    check(max(pickups) < LEASE / 3, f"the dead poller's leases were taken over only {max(pickups):.1f} s after the kill")
    if pickups:
        FIGURES["leased_sources_picked_up_s"] = [round(min(pickups), 1), round(max(pickups), 1)]
        log(
            "sources leased at the kill fetched again",
            first_after_s=round(min(pickups), 1),
            last_after_s=round(max(pickups), 1),
            lease_s=LEASE,
        )
    FIGURES["cold_ingest_done_after_kill_s"] = round(done - killed, 1)

    # Exactly once, and whole stories (the sweep groups what the dead
    # poller stored but never grouped: batches older than 2 minutes, every
    # minute).
    dupes = c.sql(
        "SELECT count(*) FROM (SELECT source_id, guid FROM entries GROUP BY 1, 2 "
        "HAVING count(*) > 1) d"
    )
    check(dupes == "0", f"{dupes} (source, guid) pairs stored more than once")
    wait_for("no batch waiting to be grouped", lambda: c.sql("SELECT count(*) FROM ungrouped") == "0", 240, 2)
    split = c.sql(
        "SELECT count(*) FROM (SELECT canonical_url FROM entries "
        "WHERE canonical_url LIKE 'http://fixture.test/shared/%' "
        "GROUP BY 1 HAVING count(DISTINCT story_id) > 1 OR count(*) <> "
        f"{KILL_SOURCES}) s"
    )
    check(split == "0", f"{split} shared articles are split across stories or have missing copies")
    stories = c.sql(
        "SELECT count(DISTINCT story_id) FROM entries e JOIN sources s ON s.id = e.source_id "
        "WHERE s.url LIKE '%/feed/k-%'"
    )
    expected = SHARED + KILL_SOURCES * (KILL_ITEMS - SHARED)
    check(int(stories) == expected, f"{stories} stories, expected {expected}")
    log("every entry stored once; every story whole", entries=KILL_SOURCES * KILL_ITEMS, stories=stories)
    docker("start", c.pollers[0])
    c.poller_ips = {ip_on(c.pollers[0], c.back): "poller1", ip_on(c.pollers[1], c.back): "poller2"}
    log("poller1 started again")


def once_per_round(c):
    # Two whole rounds of the r feeds with both pollers alive.
    window_start = time.time() + 2
    time.sleep(2 * INTERVAL + 8)
    window_end = time.time()
    fetches = {}
    clients = set()
    for r in c.request_log():
        if "/feed/r-" in r["path"] and window_start <= r["t"] <= window_end:
            fetches.setdefault(r["path"], []).append(r["t"])
            clients.add(c.poller_ips.get(r["client"], r["client"]))
    check(len(fetches) == ROUND_SOURCES, f"only {len(fetches)} of {ROUND_SOURCES} r feeds fetched in two rounds")
    gaps = [b - a for ts in fetches.values() for a, b in zip(sorted(ts), sorted(ts)[1:])]
    counts = sorted(len(ts) for ts in fetches.values())
    check(min(gaps) >= INTERVAL * 0.75, f"a source was fetched twice {min(gaps):.1f} s apart (interval {INTERVAL} s)")
    check(counts[0] >= 2, f"a source was fetched only {counts[0]} time(s) in {window_end - window_start:.0f} s")
    check(clients == {"poller1", "poller2"}, f"fetched by {sorted(clients)}, not by both pollers")
    FIGURES["round_fetch_gap_s"] = [round(min(gaps), 1), round(max(gaps), 1)]
    log("each source once per round", window_s=round(window_end - window_start), fetches_per_source=f"{counts[0]}..{counts[-1]}",
        gap_s=f"{min(gaps):.1f}..{max(gaps):.1f}", by=",".join(sorted(clients)))


def notify_reaches_both(c, label, limit=INTERVAL + 30):
    title = f"Tin mới {label} {uuid.uuid4().hex[:8]}: Hải Phòng"
    threads, seen = watch_both(c, title, limit)
    c.add_item("n-0", title)
    for t in threads:
        t.join()
    stored = fetched_at(c, title)
    check(stored is not None, f"{title!r} was never stored")
    check(set(seen) == set(c.webs), f"{title!r} reached only {sorted(seen)}")
    lags = {w.rsplit("-", 1)[1]: round(seen[w] - stored, 2) for w in c.webs}
    log(f"new item in both merged feeds ({label})", seconds_after_fetch=lags)
    return lags


def cut_off_web1(c):
    web1 = c.webs[0]
    feed = c.web_url(web1, "/feeds/all.rss")
    # A settled feed: the same page twice, a second apart.
    def settled():
        first = http("GET", feed)
        time.sleep(1)
        second = http("GET", feed)
        return first[0] == 200 and first[2] == second[2] and second

    status, headers, body = wait_for("web1's feed settled", settled, 30, 0)
    etag = headers.get("etag")
    check(etag, "web1's feed has no ETag")
    docker("network", "disconnect", c.back, web1)
    cut = time.time()
    log("web1 disconnected from PostgreSQL's network")
    # A new item while web1 is away: web2 shows it, web1 cannot know yet.
    title = f"Tin trong lúc mất kết nối {uuid.uuid4().hex[:8]}"
    c.add_item("n-0", title)
    served, not_modified, failed, ready_503_at = 0, 0, [], None
    while time.time() - cut < 30:
        s, _, b = http("GET", feed, timeout=5)
        s304, _, _ = http("GET", feed, headers={"If-None-Match": etag}, timeout=5)
        if s == 200 and b == body:
            served += 1
        else:
            failed.append(s)
        if s304 == 304:
            not_modified += 1
        else:
            failed.append(s304)
        if ready_503_at is None and http("GET", c.web_url(web1, "/readyz"), timeout=5)[0] == 503:
            ready_503_at = time.time() - cut
        time.sleep(0.5)
    check(not failed, f"web1 failed feed requests while cut off: {failed[:5]}")
    check(ready_503_at is not None, "web1's /readyz never answered 503 while cut off")
    wait_for("web2 shows the item stored meanwhile", lambda: feed_has(c, c.webs[1], title), INTERVAL + 20)
    log("web1 served its cached feed while cut off", seconds=30, ok_200=served, ok_304=not_modified,
        readyz_503_after_s=round(ready_503_at, 1))
    FIGURES["cut_off_served_s"] = 30
    FIGURES["cut_off_requests"] = {"200": served, "304": not_modified}
    docker("network", "connect", c.back, web1)
    back = time.time()
    log("web1 reconnected")
    wait_for("web1 ready again", lambda: c.ready(web1), 60, 0.25)
    ready_after = time.time() - back
    wait_for("web1 shows the item stored while it was away", lambda: feed_has(c, web1, title), 60, 0.25)
    fresh_after = time.time() - back
    log("web1 recovered by itself", readyz_200_after_s=round(ready_after, 1), feed_fresh_after_s=round(fresh_after, 1))
    FIGURES["reconnect_recovery_s"] = {"readyz": round(ready_after, 1), "feed": round(fresh_after, 1)}


def rolling_restart(c):
    results = {}
    for restarting, staying in ((c.webs[0], c.webs[1]), (c.webs[1], c.webs[0])):
        url = c.web_url(staying, "/feeds/all.rss")
        stop = threading.Event()
        outcome = {"ok": 0, "failed": []}

        def client():
            while not stop.is_set():
                s, _, _ = http("GET", url, timeout=5)
                if s == 200:
                    outcome["ok"] += 1
                else:
                    outcome["failed"].append(s)
                time.sleep(0.02)

        thread = threading.Thread(target=client)
        thread.start()
        time.sleep(1)
        docker("restart", "-t", "10", restarting)
        started = docker("inspect", "-f", "{{.State.StartedAt}}", restarting)
        health = c.web_url(restarting, "/healthz")
        wait_for(f"{restarting} serving", lambda: http("GET", health, timeout=1)[0] == 200, 30, 0.02)
        serving = time.time()
        start = datetime.fromisoformat(started[:26].rstrip("Z") + "+00:00").timestamp()
        time.sleep(1)
        stop.set()
        thread.join()
        name = restarting.rsplit("-", 1)[1]
        results[name] = round(serving - start, 2)
        check(not outcome["failed"], f"{staying} failed {len(outcome['failed'])} requests during the restart of {restarting}")
        check(serving - start < 2.0, f"{restarting} took {serving - start:.2f} s from start to serving")
        log(f"{name} restarted", start_to_serving_s=round(serving - start, 2),
            requests_on_the_other=outcome["ok"], failed=0)
    FIGURES["start_to_serving_s"] = results


def postgres_restart(c):
    before = {n: c.started_at(n) for n in [*c.pollers, *c.webs]}
    count_before = int(c.sql("SELECT count(*) FROM entries"))
    docker("restart", "-t", "20", c.pg)
    log("postgres restarted", entries_before=count_before)
    wait_for("PostgreSQL back", c.pg_ready, 60, 0.5)
    for web in c.webs:
        wait_for(f"{web} ready after the restart", lambda w=web: c.ready(w), 60, 0.5)
    log("web replicas ready again")
    # A poll cut short by the restart could not record its end: that
    # source waits for its lease to run out.
    lags = notify_reaches_both(c, "after the PostgreSQL restart", LEASE + INTERVAL + 15)
    after = {n: c.started_at(n) for n in [*c.pollers, *c.webs]}
    check(before == after, f"a Tributary container restarted: {before} -> {after}")
    count_after = int(c.sql("SELECT count(*) FROM entries"))
    check(count_after >= count_before + 1, f"{count_before} entries before, {count_after} after")
    since = time.time() - INTERVAL - 5
    clients = {c.poller_ips.get(r["client"]) for r in c.request_log() if r["t"] > since}
    check({"poller1", "poller2"} <= clients, f"after the restart only {sorted(x for x in clients if x)} poll")
    log("pollers and web replicas recovered without restarting", entries_after=count_after, both_pollers_polling=True)
    FIGURES["after_pg_restart_notify_s"] = lags


def main():
    started = time.time()
    workdir = tempfile.mkdtemp(prefix="tributary-cluster.")
    c = Cluster(workdir)
    ok = False
    try:
        c.start()
        cold_ingest_with_a_kill(c)
        once_per_round(c)
        lags = notify_reaches_both(c, "NOTIFY")
        check(max(lags.values()) <= 2.0, f"a new item took {max(lags.values())} s to reach a merged feed")
        FIGURES["notify_s"] = lags
        cut_off_web1(c)
        rolling_restart(c)
        postgres_restart(c)
        panics = c.panics()
        check(not panics, f"panics in the logs: {panics}")
        ok = True
    except Failed as e:
        log("FAILED", reason=str(e))
        for name in [*c.pollers, *c.webs]:
            p = subprocess.run(["docker", "logs", "--tail", "15", name], capture_output=True, text=True)
            print(f"--- {name}\n{p.stdout}{p.stderr}", file=sys.stderr)
    finally:
        c.stop()
        FIGURES["total_s"] = round(time.time() - started)
        os.makedirs(os.path.join(ROOT, "target"), exist_ok=True)
        with open(os.path.join(ROOT, "target/docker-cluster-timeline.json"), "w") as f:
            json.dump({"ok": ok, "figures": FIGURES, "timeline": TIMELINE}, f, indent=1, ensure_ascii=False)
    print(json.dumps(FIGURES, ensure_ascii=False))
    print("cluster test passed" if ok else "cluster test FAILED", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
