"""Helpers shared by the browser and JupyterLab tests: the built book, a loopback server, Chromium.

Not a conftest: import it (`import _book`; pytest puts tests/ on sys.path).
"""

from __future__ import annotations

import functools
import http.server
import ipaddress
import os
import shutil
import socket
import subprocess
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
IN_CI = os.environ.get("CI", "").lower() == "true"


def toc_docnames() -> list[str]:
    """Every document in _toc.yml, in reading order (e.g. 'book/intro', 'book/01_background')."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    names = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                names.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))
            for part in entry.get("parts", []):
                walk(part.get("chapters"))

    walk(toc.get("chapters"))
    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return [str(Path(n).with_suffix("")) for n in names]


@functools.lru_cache(maxsize=1)
def built_book() -> Path:
    """Build the book from clean ONCE per test process with the README's command; return _build/html.

    GD_BOOK_HTML=/path/to/html reuses an existing build instead (for local iteration only).
    """
    if os.environ.get("GD_BOOK_HTML"):
        return Path(os.environ["GD_BOOK_HTML"])
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "build_book.sh")], cwd=ROOT,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=1800, check=False)
    if proc.returncode != 0:
        pytest.fail(f"book build failed (exit {proc.returncode}):\n{proc.stdout[-6000:]}\n{proc.stderr[-6000:]}")
    return HTML


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the browser dropping a connection mid-transfer is not a test failure


@contextmanager
def serve(directory: Path):
    """Serve `directory` on 127.0.0.1 (free port) from a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "chrome-error"):
        return True
    host = (parts.hostname or "").strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_chromium() -> str:
    """The Chromium binary, or fail (under CI=true) / skip (elsewhere) when it is missing."""
    if shutil.which(CHROMIUM) or Path(CHROMIUM).is_file():
        return CHROMIUM
    message = f"{CHROMIUM} missing: run scripts/install_browser.sh (apt-get install chromium)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def chromium():
    """A headless Debian Chromium driven by Playwright."""
    exe = require_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pinned in requirements.txt; missing means a broken venv
        pytest.fail(f"playwright is not importable: {exc}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def block_external(context, log: list[str]):
    """Route every request of `context`: loopback goes through, anything else is recorded and aborted."""

    def handle(route):
        url = route.request.url
        if is_loopback(url):
            route.continue_()
        else:
            log.append(url)
            route.abort()

    context.route("**/*", handle)
