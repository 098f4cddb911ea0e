#!/usr/bin/env python3
"""Publishes new items in feeds written by gen_feeds.py --mixed, as outlets
do, for the steady-state benchmark: every second, RATE feeds on average get
one new item on top (the oldest drops off), written atomically with a fresh
.gz copy, so nginx answers the next poll 200 with a new ETag.

usage: feed_updater.py FEED_DIR SOURCES ITEMS RATE_PER_SECOND
Runs until killed; prints how many updates it made when it gets SIGTERM.
"""
import gzip
import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_feeds  # noqa: E402


def main():
    out, sources, items, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    rng = random.Random(11)
    feeds = {}  # source -> its items, newest first
    made = 0

    def stop(*_):
        print(f"{made} feed updates", flush=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    serial = 1_000_000
    while True:
        started = time.monotonic()
        # Poisson-ish: the whole-number part every second, the rest by chance.
        count = int(rate) + (1 if rng.random() < rate - int(rate) else 0)
        for _ in range(count):
            s = rng.randrange(sources)
            words = gen_feeds.VI if s % 2 == 0 else gen_feeds.EN
            now = time.gmtime()
            entry = (serial, gen_feeds.sentence(rng, words, 9), gen_feeds.body(rng, words),
                     time.strftime("%Y-%m-%dT%H:%M:%S+00:00", now))
            serial += 1
            feed = [entry] + feeds.get(s, [])[: items - 1]
            feeds[s] = feed
            fmt = ("rss", "atom", "json")[s % 3]
            path = os.path.join(out, f"source{s}.{fmt}")
            data = gen_feeds.render(fmt, s, feed).encode("utf-8")
            for target, body in ((path, data), (path + ".gz", gzip.compress(data, 6))):
                with open(target + ".tmp", "wb") as f:
                    f.write(body)
                os.replace(target + ".tmp", target)
            made += 1
        time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))


if __name__ == "__main__":
    main()
