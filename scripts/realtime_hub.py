#!/usr/bin/env python3
"""Fixture for `scripts/bench.sh realtime`: on 127.0.0.1, SOURCES feeds that
name this process as their WebSub hub (plus POLLED feeds that name none), the
hub itself (it verifies Tributary's subscriptions as a real hub does), and a
webhook receiver. Once every subscription is verified it publishes EVENTS new
stories, RATE per second: each is added to its feed and pushed, signed, to
Tributary's callback (a fat ping). A watcher reads Tributary's merged feed
every 50 ms. Latencies, from the push to the story in the merged feed and to
the webhook delivery (and, for the polled feeds, from publication to the
merged feed), are written as JSON to OUT.

The polled feeds' stories are published one by one, spread over one poll
interval, so that their delays sample the whole wait for the next poll.

usage: realtime_hub.py PORT TRIBUTARY_BASE SOURCES POLLED EVENTS RATE POLL_INTERVAL OUT
"""
import hashlib
import hmac
import json
import random
import sys
import threading
import time
import urllib.parse
import urllib.request
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, BASE = int(sys.argv[1]), sys.argv[2]
SOURCES, POLLED, EVENTS, RATE, POLL_INTERVAL = (int(x) for x in sys.argv[3:8])
OUT = sys.argv[8]
HUB = f"http://127.0.0.1:{PORT}/hub"
WORDS = ("cảng biển tàu hàng container logistics kinh tế thành phố Hải Phòng Trường Sa đảo "
         "ngư dân mùa khô đoàn công tác nghị quyết Đảng ủy phiên họp thường kỳ ngân sách đầu tư hạ tầng "
         "giao thông cầu đường metro điện gió năng lượng xuất khẩu nông sản gạo cà phê hồ tiêu du lịch "
         "khách quốc tế lễ hội văn hóa giáo dục đại học tuyển sinh y tế bệnh viện thời tiết bão lũ").split()
rng = random.Random(7)
lock = threading.Lock()
feeds = {}          # path -> list of (guid, title, description, pubdate)
subs = {}           # topic -> (callback, secret)
published = {}      # title -> (t0, via)
seen_feed = {}      # title -> t
seen_hook = {}      # title -> t


def text(n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def item(tag):
    title = f"{tag}: {text(8)}"
    return (tag, title, f"{title}. {text(60)}.", formatdate(time.time(), usegmt=True))


for i in range(SOURCES + POLLED):
    path = f"/feed/{i}.rss"
    feeds[path] = [item(f"s{i}-{k}") for k in range(3)]


def render(path):
    pushed = int(path.split("/")[2].split(".")[0]) < SOURCES
    links = (f'<atom:link rel="hub" href="{HUB}"/><atom:link rel="self" href="http://127.0.0.1:{PORT}{path}"/>'
             if pushed else "")
    items = "".join(
        f"<item><guid>{g}</guid><title>{t}</title><link>https://news.example/{g}.html</link>"
        f"<description>{d}</description><pubDate>{p}</pubDate></item>"
        for g, t, d, p in feeds[path][:20])
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">'
            f"<channel><title>Nguồn {path}</title><link>https://news.example/</link><description>x</description>"
            f"{links}{items}</channel></rss>").encode()


def verify(form):
    topic, callback = form["hub.topic"], form["hub.callback"]
    challenge = f"c{rng.random()}"
    q = urllib.parse.urlencode({"hub.mode": form["hub.mode"], "hub.topic": topic,
                                "hub.challenge": challenge, "hub.lease_seconds": "86400"})
    time.sleep(0.05)
    try:
        with urllib.request.urlopen(f"{callback}?{q}", timeout=10) as r:
            ok = r.status == 200 and r.read().decode() == challenge
    except OSError:
        ok = False
    if ok and form["hub.mode"] == "subscribe":
        with lock:
            subs[topic] = (callback, form["hub.secret"])


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", ctype="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        with lock:
            known = self.path in feeds
            body = render(self.path) if known else b""
        self.reply(200 if known else 404, body, "application/rss+xml")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        now = time.time()
        if self.path == "/hub":
            form = dict(urllib.parse.parse_qsl(body.decode()))
            self.reply(202)
            threading.Thread(target=verify, args=(form,), daemon=True).start()
        elif self.path == "/hook":
            for it in json.loads(body)["items"]:
                with lock:
                    seen_hook.setdefault(it["title"], now)
            self.reply(200)
        else:
            self.reply(404)


def watch(stop):
    etag = None
    while not stop.is_set():
        req = urllib.request.Request(f"{BASE}/feeds/all.json?limit=500")
        if etag:
            req.add_header("If-None-Match", etag)
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                etag = r.headers.get("ETag")
                now = time.time()
                for it in json.loads(r.read())["items"]:
                    with lock:
                        seen_feed.setdefault(it["title"], now)
        except urllib.error.HTTPError as e:
            if e.code != 304:
                time.sleep(0.2)
        except OSError:
            time.sleep(0.2)
        time.sleep(0.05)


def push(path, title):
    topic = f"http://127.0.0.1:{PORT}{path}"
    callback, secret = subs[topic]
    with lock:
        body = render(path)
    sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    req = urllib.request.Request(callback, data=body, method="POST", headers={
        "Content-Type": "application/rss+xml", "X-Hub-Signature": sig,
        "Link": f'<{HUB}>; rel="hub", <{topic}>; rel="self"'})
    with lock:
        published[title] = (time.time(), "push")
    with urllib.request.urlopen(req, timeout=10) as r:
        r.read()


def main():
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("ready", flush=True)
    deadline = time.time() + 600
    while len(subs) < SOURCES and time.time() < deadline:
        time.sleep(0.5)
    if len(subs) < SOURCES:
        sys.exit(f"only {len(subs)} of {SOURCES} subscriptions verified")
    print(f"{len(subs)} subscriptions verified", flush=True)
    stop = threading.Event()
    threading.Thread(target=watch, args=(stop,), daemon=True).start()
    time.sleep(2)

    def publish_polled():
        for k in range(POLLED):
            path = f"/feed/{SOURCES + k}.rss"
            it = item(f"poll-{k}")
            with lock:
                feeds[path].insert(0, it)
                published[it[1]] = (time.time(), "poll")
            time.sleep(POLL_INTERVAL / POLLED)

    polled = threading.Thread(target=publish_polled)
    polled.start()
    pushers = []
    for k in range(EVENTS):
        path = f"/feed/{rng.randrange(SOURCES)}.rss"
        it = item(f"push-{k}")
        with lock:
            feeds[path].insert(0, it)
        t = threading.Thread(target=push, args=(path, it[1]))
        t.start()
        pushers.append(t)
        time.sleep(1 / RATE)
    for t in pushers + [polled]:
        t.join()
    wait_until = time.time() + 180
    while time.time() < wait_until:
        with lock:
            pending = [t for t, (_, via) in published.items()
                       if t not in seen_feed or (via == "push" and t not in seen_hook)]
        if not pending:
            break
        time.sleep(0.5)
    stop.set()
    with lock:
        result = {
            "push_to_feed": [seen_feed[t] - t0 for t, (t0, via) in published.items() if via == "push" and t in seen_feed],
            "push_to_webhook": [seen_hook[t] - t0 for t, (t0, via) in published.items() if via == "push" and t in seen_hook],
            "poll_to_feed": [seen_feed[t] - t0 for t, (t0, via) in published.items() if via == "poll" and t in seen_feed],
            "missing": [t for t, (_, via) in published.items() if t not in seen_feed],
        }
    with open(OUT, "w") as f:
        json.dump(result, f)
    server.shutdown()


main()
