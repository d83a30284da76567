#!/usr/bin/env python3
"""Report the built book's size and its heaviest pages; exit 1 if any page is over the limit.

A page weighs its HTML (which already holds any inline data: URIs, e.g. a to_jshtml player's
frames) plus every local image, video or player frame it references. Shared theme/vendor
assets (_static/) are counted once in the site total, not per page.

    python scripts/page_weight.py [_build/html] [--limit-mb 3] [--top 10]
"""

from __future__ import annotations

import argparse
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar
from urllib.parse import unquote, urlsplit

MB = 1024 * 1024


class _Refs(HTMLParser):
    """Collect the local files a page embeds (img/video/audio/source/embed/object/iframe)."""

    TAGS: ClassVar[dict[str, str]] = {"img": "src", "video": "poster", "audio": "src", "source": "src", "embed": "src",
            "object": "data", "iframe": "src", "track": "src"}

    def __init__(self):
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in {self.TAGS.get(tag), "src" if tag == "video" else None} - {None}:
            value = attrs.get(name)
            if value:
                self.refs.append(value)
        if tag in ("img", "source") and attrs.get("srcset"):
            self.refs += [part.split()[0] for part in attrs["srcset"].split(",") if part.strip()]


def page_weights(root: Path) -> list[tuple[int, int, Path]]:
    """Return (total bytes, html bytes, path) for every .html page under root, heaviest first."""
    out = []
    for page in root.rglob("*.html"):
        parser = _Refs()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        html_bytes = page.stat().st_size
        embedded = set()
        for ref in parser.refs:
            parts = urlsplit(ref)
            if parts.scheme or parts.netloc or not parts.path:  # data:, http(s): or fragment only
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if target.is_file() and target.is_relative_to(root.resolve()):
                embedded.add(target)
        total = html_bytes + sum(t.stat().st_size for t in embedded)
        out.append((total, html_bytes, page))
    return sorted(out, key=lambda row: (-row[0], str(row[2])))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html_dir", nargs="?", default="_build/html", type=Path)
    parser.add_argument("--limit-mb", type=float, default=3.0)
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args(argv)

    root = args.html_dir
    if not (root / "index.html").is_file():
        print(f"page_weight: no built book at {root} (run scripts/build_book.sh)", file=sys.stderr)
        return 2
    site = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    static = sum(p.stat().st_size for p in (root / "_static").rglob("*") if p.is_file())
    rows = page_weights(root)
    print(f"site: {site / MB:.2f} MB in {sum(1 for p in root.rglob('*') if p.is_file())} files "
          f"({static / MB:.2f} MB shared in _static/), {len(rows)} pages")
    print(f"largest pages (html + embedded images/players), limit {args.limit_mb:g} MB:")
    for total, html_bytes, page in rows[: args.top]:
        print(f"  {total / MB:7.3f} MB  (html {html_bytes / MB:.3f} MB)  {page.relative_to(root)}")
    over = [(t, p) for t, _, p in rows if t > args.limit_mb * MB]
    for total, page in over:
        print(f"TOO HEAVY: {page.relative_to(root)} is {total / MB:.2f} MB > {args.limit_mb:g} MB",
              file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
