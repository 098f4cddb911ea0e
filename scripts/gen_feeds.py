#!/usr/bin/env python3
"""Writes synthetic but realistic RSS feeds for benchmarks: Vietnamese and
English titles and 300-1,500-character HTML bodies with full diacritics.

usage: gen_feeds.py OUT_DIR SOURCES ITEMS_PER_SOURCE [SEED]
"""
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
    out, sources, items = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 7)
    os.makedirs(out, exist_ok=True)
    for s in range(sources):
        words = VI if s % 2 == 0 else EN
        parts = []
        for i in range(items):
            day = 25 - (i // 24) % 20
            parts.append(
                f"<item><title>{html.escape(sentence(rng, words, 9))}</title>"
                f"<link>https://source{s}.example/news/{i}.html?utm_source=rss</link>"
                f"<guid isPermaLink=\"false\">source{s}-{i}</guid>"
                f"<pubDate>Wed, {day:02d} Nov 2026 {i % 24:02d}:{(s * 7) % 60:02d}:00 +0700</pubDate>"
                f"<description><![CDATA[{body(rng, words)}<img src=\"/img/{i}.jpg\" alt=\"\">]]></description></item>"
            )
        with open(os.path.join(out, f"source{s}.rss"), "w", encoding="utf-8") as f:
            f.write('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
                    f"<title>Source {s}</title><link>https://source{s}.example/</link>"
                    f"<description>Synthetic source {s}</description>{''.join(parts)}</channel></rss>")


if __name__ == "__main__":
    main()
