#!/usr/bin/env python3
"""Writes synthetic but realistic RSS feeds for benchmarks: Vietnamese and
English titles and 300-1,500-character HTML bodies with full diacritics.

usage: gen_feeds.py OUT_DIR SOURCES ITEMS_PER_SOURCE [SEED] [--mixed] [--newest=YYYY-MM-DD]

Items are dated over the days up to --newest (default: two days ago, UTC),
so what a benchmark ingests is recent whenever it runs (retention and the
near-duplicate window judge entries by their age); pass a fixed date for
output that is the same every day.

--mixed: a third each of RSS 2.0 (.rss), Atom (.atom) and JSON Feed (.json),
every tenth item of every other source republished by the next one (same title and body,
another link: cross-source duplicates), and a .gz copy of each file for a
server's gzip_static.
"""
import datetime
import email.utils
import gzip
import json
import html
import os
import random
import sys

VI = ("Hải Phòng Đảng ủy Trường Sa thành phố khởi công cảng biển kinh tế người dân chính quyền "
      "phát triển dự án đầu tư giao thông mưa lớn sạt lở ngư dân tàu cá giá vàng thị trường "
      "chứng khoán bệnh viện trường học học sinh giáo dục nông nghiệp lúa gạo xuất khẩu Đà Nẵng "
      "Huế Cần Thơ Quảng Ninh đồng bằng sông Cửu Long doanh nghiệp ngân hàng lãi suất").split()
EN = ("port city ground container terminal farmers delta rice salt water inland officials said "
      "market shares record growth investment minister government policy school hospital weather "
      "storm flood exports bank interest rates startup technology election council").split()


def sentence(rng, words, n):
    return " ".join(rng.choice(words) for _ in range(n)).capitalize() + "."


def body(rng, words):
    paragraphs = []
    while sum(len(p) for p in paragraphs) < rng.randint(300, 1500):
        paragraphs.append("<p>" + " ".join(sentence(rng, words, rng.randint(8, 16)) for _ in range(2)) + "</p>")
    return "".join(paragraphs)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    mixed = "--mixed" in sys.argv
    newest = next((datetime.date.fromisoformat(a.split("=", 1)[1]) for a in sys.argv[1:]
                   if a.startswith("--newest=")), default_newest())
    out, sources, items = args[0], int(args[1]), int(args[2])
    rng = random.Random(int(args[3]) if len(args) > 3 else 7)
    os.makedirs(out, exist_ok=True)
    previous = None
    for s in range(sources):
        words = VI if s % 2 == 0 else EN
        entries = []
        for i in range(items):
            day = newest - datetime.timedelta(days=(i // 24) % 20)
            # A wire story is picked up by one more outlet (a copy is not
            # copied again: stories of two versions, not one chain through
            # every source).
            if mixed and previous and i % 10 == 0 and not previous[i][4]:
                title, text, copy = previous[i][1], previous[i][2], True
            else:
                title, text, copy = sentence(rng, words, 9), body(rng, words), False
            entries.append((i, title, text, f"{day.isoformat()}T{i % 24:02d}:{(s * 7) % 60:02d}:00+07:00", copy))
        previous = entries
        fmt = ("rss", "atom", "json")[s % 3] if mixed else "rss"
        path = os.path.join(out, f"source{s}.{fmt}")
        data = render(fmt, s, [e[:4] for e in entries], newest)
        with open(path, "w", encoding="utf-8") as f:
            f.write(data)
        if mixed:
            with gzip.open(path + ".gz", "wb", compresslevel=6) as f:
                f.write(data.encode("utf-8"))


def default_newest():
    return datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=2)


def render(fmt, s, entries, newest=None):
    newest = newest or default_newest()
    link = f"https://source{s}.example"
    if fmt == "json":
        return json.dumps({
            "version": "https://jsonfeed.org/version/1.1", "title": f"Source {s}",
            "home_page_url": link + "/",
            "items": [{"id": f"source{s}-{i}", "url": f"{link}/news/{i}.html?utm_source=rss",
                       "title": t, "content_html": b, "date_published": d}
                      for i, t, b, d in entries]}, ensure_ascii=False)
    if fmt == "atom":
        parts = [f"<entry><title>{html.escape(t)}</title><id>urn:source{s}:{i}</id>"
                 f"<link href=\"{link}/news/{i}.html?utm_source=rss\"/><updated>{d}</updated>"
                 f"<content type=\"html\">{html.escape(b)}</content></entry>"
                 for i, t, b, d in entries]
        return ('<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                f"<title>Source {s}</title><id>urn:source{s}</id><updated>{newest.isoformat()}T00:00:00Z</updated>"
                f"<link href=\"{link}/\"/>{''.join(parts)}</feed>")
    parts = []
    for i, t, b, d in entries:
        pub = email.utils.format_datetime(datetime.datetime.fromisoformat(d))
        parts.append(
            f"<item><title>{html.escape(t)}</title>"
            f"<link>{link}/news/{i}.html?utm_source=rss</link>"
            f"<guid isPermaLink=\"false\">source{s}-{i}</guid>"
            f"<pubDate>{pub}</pubDate>"
            f"<description><![CDATA[{b}<img src=\"/img/{i}.jpg\" alt=\"\">]]></description></item>"
        )
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Source {s}</title><link>{link}/</link>"
            f"<description>Synthetic source {s}</description>{''.join(parts)}</channel></rss>")


if __name__ == "__main__":
    main()
