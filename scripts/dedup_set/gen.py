#!/usr/bin/env python3
"""Builds tests/data/dedup/set.json, the labelled deduplication set, from the
hand-written articles in bases.py.

Every base story is published by five outlets:
  original   the first outlet's text;
  syndicated the same text in other markup, with a photo caption and share
             line; for every other base it links the original URL with
             tracking parameters (the canonical-URL rule), otherwise its own;
  edited     another headline and a few words changed by an editor;
  trimmed    the last paragraph cut, one word change, a "NÓNG:"/"UPDATE:" flag;
  prefixed   the outlet's dateline before the lede ("(Dân trí) -"), another
             headline, a "Xem thêm:" / "Read more:" line at the end.
Hard negatives: a translation of some bases (a different story for a reader
of the other language), two bases on one topic, follow-up articles that
repeat a base's background paragraph, and generic headlines.

Run: python3 scripts/dedup_set/gen.py > tests/data/dedup/set.json
"""

import json
import sys
from datetime import datetime, timedelta, timezone
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bases import BASES, FOLLOWUPS, GENERIC  # noqa: E402

VI_OUTLETS = ["bao-cang", "tin-nhanh", "thoi-su-24h", "dat-viet", "sai-gon-moi"]
EN_OUTLETS = ["harbour-wire", "delta-daily", "asia-desk", "coastline-news", "morning-ledger"]
T0 = datetime(2026, 11, 20, 6, 0, tzinfo=timezone.utc)

CAPTION = {"vi": "Ảnh: Lê Tân/TTXVN", "en": "Photo: Reuters"}
SHARE = {"vi": "Chia sẻ: Facebook | Zalo | Email", "en": "Share this: Facebook | X | Email"}
FLAG = {"vi": "NÓNG: ", "en": "UPDATE: "}
DATELINE = {"vi": "(Dân trí) - ", "en": "HANOI (Asia Desk) - "}
MORE = {"vi": "Xem thêm: Những tin mới nhất trong ngày", "en": "Read more: Today's top stories"}


def html(paras, markup="p"):
    if markup == "p":
        return "".join(f"<p>{p}</p>" for p in paras)
    return "<div>" + "<br><br>".join(paras) + "</div>"


def apply_subs(paras, subs):
    out = []
    for p in paras:
        for a, b in subs:
            p = p.replace(a, b)
        out.append(p)
    return out


def outlets(lang):
    return VI_OUTLETS if lang == "vi" else EN_OUTLETS


def main():
    articles = []
    hard = []

    def add(story, kind, lang, outlet, title, body, url, at):
        aid = f"{story}/{kind}"
        articles.append(dict(id=aid, story=story, kind=kind, lang=lang, outlet=outlet,
                             title=title, html=body, url=url,
                             published=at.strftime("%Y-%m-%dT%H:%M:%SZ")))
        return aid

    versions_of = {}
    for i, b in enumerate(BASES):
        lang, key, paras = b["lang"], b["key"], b["paras"]
        outs = outlets(lang)
        at = T0 + timedelta(hours=5 * i)
        host = lambda j: f"https://{outs[(i + j) % 5]}.example"  # noqa: E731
        orig_url = f"{host(0)}/{key}-{1000 + i}.html"
        ids = []
        ids.append(add(key, "original", lang, outs[i % 5], b["title"], html(paras), orig_url, at))
        synd_url = (f"{orig_url}?utm_source=rss&utm_medium=feed" if i % 2 == 0
                    else f"{host(1)}/tin/{key}.htm")
        ids.append(add(key, "syndicated", lang, outs[(i + 1) % 5], b["title"],
                       html(paras + [CAPTION[lang], SHARE[lang]], markup="br"), synd_url,
                       at + timedelta(hours=1)))
        ids.append(add(key, "edited", lang, outs[(i + 2) % 5], b["alt_title"],
                       html(apply_subs(paras, b["subs"])), f"{host(2)}/a/{key}",
                       at + timedelta(hours=3)))
        ids.append(add(key, "trimmed", lang, outs[(i + 3) % 5], FLAG[lang] + b["title"],
                       html(apply_subs(paras[:-1], b["subs"][:1])), f"{host(3)}/{key}.html",
                       at + timedelta(hours=7)))
        prefixed = [DATELINE[lang] + paras[0]] + paras[1:] + [MORE[lang]]
        ids.append(add(key, "prefixed", lang, outs[(i + 4) % 5], b["alt_title"],
                       html(prefixed), f"{host(4)}/news/{key}?id={i}",
                       at + timedelta(hours=20)))
        versions_of[key] = ids
        if "en" in b:
            title, en_paras = b["en"]
            tid = add(f"{key}-en", "translation", "en", EN_OUTLETS[i % 5], title, html(en_paras),
                      f"https://{EN_OUTLETS[i % 5]}.example/{key}-en", at + timedelta(hours=4))
            hard += [[v, tid, "translation"] for v in ids]

    by_topic = {}
    for b in BASES:
        if "topic" in b:
            by_topic.setdefault(b["topic"], []).append(b["key"])
    for keys in by_topic.values():
        for a, b in combinations(keys, 2):
            hard += [[x, y, "same-topic"] for x in versions_of[a] for y in versions_of[b]]

    base_index = {b["key"]: i for i, b in enumerate(BASES)}
    for f in FOLLOWUPS:
        i = base_index[f["follows"]]
        outs = outlets(f["lang"])
        at = T0 + timedelta(hours=5 * i + f["hours"])
        fid = add(f["key"], "follow-up", f["lang"], outs[(i + 2) % 5], f["title"], html(f["paras"]),
                  f"https://{outs[(i + 2) % 5]}.example/{f['key']}", at)
        hard += [[v, fid, "follow-up"] for v in versions_of[f["follows"]]]

    generic_ids = {}
    for j, g in enumerate(GENERIC):
        outs = outlets(g["lang"])
        at = T0 + timedelta(days=j % 3, hours=j)
        gid = add(g["key"], "generic", g["lang"], outs[j % 5], g["title"], html(g["paras"]),
                  f"https://{outs[j % 5]}.example/g/{g['key']}", at)
        generic_ids.setdefault(g["title"], []).append(gid)
    for ids in generic_ids.values():
        hard += [[a, b, "generic-title"] for a, b in combinations(ids, 2)]

    json.dump(dict(articles=articles, hard_negatives=hard), sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
