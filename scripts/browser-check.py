#!/usr/bin/env python3
"""Loads Tributary's pages in headless Chromium, as a reader's browser would,
against a running Tributary with the sample feeds (examples/feeds/, started
here on the embedded PostgreSQL). Saves screenshots (desktop and phone
widths) under target/screenshots/, prints the bytes transferred for each
page, and fails on any console error, uncaught exception, CSP violation,
failed or non-2xx sub-request.

usage: scripts/browser-check.py [TRIBUTARY_BINARY]
needs: chromium (Debian's), python3 websocket-client
"""

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import websocket  # websocket-client

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["/", "/sources", "/?q=hai+phong", "/c/tin-viet"]
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def wait_for(predicate, what, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what}")


class Tab:
    """A page target over the DevTools protocol, recording what goes wrong."""

    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.problems = []
        self.transferred = 0
        self.requests = {}
        for domain in ["Page", "Runtime", "Log", "Network"]:
            self.call(f"{domain}.enable")

    def call(self, method, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.event(msg)

    def event(self, msg):
        method, p = msg.get("method"), msg.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            self.problems.append(f"console.{p['type']}: {p.get('args')}")
        elif method == "Runtime.exceptionThrown":
            self.problems.append(f"exception: {p['exceptionDetails'].get('text')}")
        elif method == "Log.entryAdded" and p["entry"].get("level") == "error":
            self.problems.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}")
        elif method == "Network.requestWillBeSent":
            self.requests[p["requestId"]] = p["request"]["url"]
        elif method == "Network.responseReceived":
            status = p["response"]["status"]
            if not (200 <= status < 400):
                self.problems.append(f"HTTP {status}: {p['response']['url']}")
        elif method == "Network.loadingFailed":
            url = self.requests.get(p["requestId"], "?")
            self.problems.append(f"failed: {url} ({p.get('errorText')})")
        elif method == "Network.loadingFinished":
            self.transferred += int(p.get("encodedDataLength", 0))
        return method

    def load(self, url, width, height):
        self.transferred = 0
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=width < 600)
        self.call("Network.setCacheDisabled", cacheDisabled=True)
        self.call("Page.navigate", url=url)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.event(json.loads(self.ws.recv())) == "Page.loadEventFired":
                break
        # Let late requests and console messages arrive.
        self.ws.settimeout(0.5)
        try:
            while True:
                self.event(json.loads(self.ws.recv()))
        except websocket.WebSocketTimeoutException:
            pass
        self.ws.settimeout(30)
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        return base64.b64decode(shot["data"])


def main():
    binary = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "target/debug/tributary"
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    out = ROOT / "target/screenshots"
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="tributary-browser-"))
    os.chmod(work, 0o755)  # the embedded cluster may run as another user
    port = free_port()
    feeds = ROOT / "examples/feeds"
    config = work / "tributary.toml"
    config.write_text(
        f'[server]\nlisten = "127.0.0.1:{port}"\npublic_url = "http://127.0.0.1:{port}"\n'
        f'[database]\ndata_dir = "{work}/data"\n'
        + "".join(
            f'[[sources]]\nurl = "file://{feeds}/{name}"\ntags = ["{tag}"]\n'
            for name, tag in [("saigon-daily.rss", "vi"), ("hanoi-times.atom", "vi"),
                              ("asia-wire.rss", "en"), ("tech-weekly.json", "en")]
        )
        + '[[channels]]\nname = "tin-viet"\ntitle = "Tin Việt"\ntags_any = ["vi"]\n'
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    server = subprocess.Popen([str(binary), "--config", str(config), "serve"], env=env,
                              stdout=subprocess.DEVNULL, stderr=open(work / "server.log", "w"))
    browser = None
    failures = []
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: get(base + "/readyz")[0] == 200, "Tributary to be ready")
        wait_for(lambda: len(json.loads(get(base + "/api/v1/entries")[1])["items"]) > 0,
                 "the sample feeds to be polled")
        debug_port = free_port()
        browser = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-extensions", "--disable-background-networking", "--disable-sync",
             "--disable-component-update", "--disable-default-apps", "--no-default-browser-check",
             "--remote-allow-origins=*",
             f"--remote-debugging-port={debug_port}", f"--user-data-dir={work}/chromium",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: get(f"http://127.0.0.1:{debug_port}/json/version")[0] == 200,
                 "Chromium's DevTools endpoint")
        targets = json.loads(get(f"http://127.0.0.1:{debug_port}/json/list")[1])
        page = next(t for t in targets if t.get("type") == "page")
        tab = Tab(page["webSocketDebuggerUrl"])
        print("| page | width | bytes transferred | problems |\n|---|---|---|---|")
        for path in PAGES:
            for label, (w, h) in WIDTHS.items():
                before = len(tab.problems)
                png = tab.load(base + path, w, h)
                name = (path.strip("/").replace("/", "-").replace("?", "").replace("=", "-")
                        .replace("+", "-") or "home")
                (out / f"{name}-{label}.png").write_bytes(png)
                new = tab.problems[before:]
                failures += [f"{path} ({label}): {p}" for p in new]
                print(f"| {path} | {w} | {tab.transferred:,} | {len(new)} |")
        print(f"screenshots in {out}")
    finally:
        if browser:
            browser.terminate()
            browser.wait(timeout=10)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("\n".join(failures), file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
