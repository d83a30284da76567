"""Every link in the built book leads somewhere: no page, file or anchor that does not exist.

Reads the HTML files of the from-clean build (stage 3 of scripts/test.sh) without a browser, so it covers
every page Sphinx wrote (search, index and bibliography pages too), every attribute that loads or links a
file, and every in-page anchor. External links are only checked for the one thing that can be known offline:
none points at the placeholder repository of an unset `repository.url`.
"""

from __future__ import annotations

import html.parser
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

import _book
import pytest
import yaml

pytestmark = pytest.mark.integration

LINK_ATTRS = {"a": "href", "link": "href", "script": "src", "img": "src", "source": "src", "iframe": "src",
              "video": "src", "audio": "src", "embed": "src", "object": "data", "track": "src"}


class _Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(key):
                self.ids.add(attrs[key])
        want = LINK_ATTRS.get(tag)
        if want and attrs.get(want):
            self.links.append(attrs[want])


def _parse(path: Path, cache: dict) -> _Page:
    if path not in cache:
        page = _Page()
        page.feed(path.read_text(encoding="utf-8", errors="replace"))
        cache[path] = page
    return cache[path]


def broken_links(root: Path) -> tuple[int, list[str]]:
    """(number of local links checked, the broken ones as 'page: link (why)')."""
    cache: dict = {}
    checked, broken = 0, []
    for page_path in sorted(root.rglob("*.html")):
        rel_page = page_path.relative_to(root).as_posix()
        if rel_page.startswith("_static/"):
            continue   # the themes ship Jinja macro files there (webpack-macros.html), not pages
        for link in _parse(page_path, cache).links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "javascript:", "data:")):
                continue
            checked += 1
            if parts.path:
                target = posixpath.normpath(posixpath.join(posixpath.dirname(rel_page), unquote(parts.path)))
                if target.startswith("../"):
                    broken.append(f"{rel_page}: {link} (outside the book)")
                    continue
                path = root / target
                if path.is_dir():
                    path = path / "index.html"
            else:
                path = page_path
            if not path.is_file():
                broken.append(f"{rel_page}: {link} (no such file)")
                continue
            fragment = unquote(parts.fragment)
            if fragment and path.suffix == ".html" and fragment not in _parse(path, cache).ids:
                broken.append(f"{rel_page}: {link} (no anchor #{fragment})")
    return checked, broken


@pytest.fixture(scope="module")
def html_root() -> Path:
    return _book.built_book()


def test_every_local_link_resolves(html_root):
    checked, broken = broken_links(html_root)
    assert checked > 1000, f"only {checked} local links found: is {html_root} the whole book?"
    assert not broken, f"{len(broken)} broken links of {checked}:\n  " + "\n  ".join(broken[:40])


def test_the_link_check_finds_a_missing_page_a_missing_file_and_a_missing_anchor(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "index.html").write_text('<a href="sub/a.html#here">ok</a><a href="#top" id="top">ok</a>')
    (tmp_path / "sub" / "a.html").write_text(
        '<h1 id="here">A</h1><a href="../index.html">ok</a><a href="../gone.html">gone</a>'
        '<img src="../_images/none.png"><a href="../index.html#nowhere">bad anchor</a>'
        '<a href="https://example.org/x">external</a>')
    checked, broken = broken_links(tmp_path)
    assert checked == 6
    assert broken == ["sub/a.html: ../gone.html (no such file)", "sub/a.html: ../_images/none.png (no such file)",
                      "sub/a.html: ../index.html#nowhere (no anchor #nowhere)"]


def test_no_buttons_or_links_point_at_an_unset_repository(html_root):
    url = str((yaml.safe_load((_book.ROOT / "_config.yml").read_text()).get("repository") or {}).get("url") or "")
    pages = sorted(html_root.rglob("*.html"))
    if url:
        pytest.skip(f"repository.url is set ({url}); the buttons are wanted")   # a fork's build
    offenders = []
    for page in pages:
        text = page.read_text(encoding="utf-8", errors="replace")
        for needle in ("gd-hands-on/gradient-descent", "mybinder.org/v2", "colab.research.google.com/github",
                       'title="Source repository"', "repository-button"):
            if needle in text:
                offenders.append(f"{page.relative_to(html_root)}: {needle}")
    assert not offenders, offenders[:20]


def test_every_exercise_download_is_the_release_notebook(html_root):
    """The chapters' download links carry exercises/<a>/<a>.ipynb byte for byte: never the solutions."""
    downloads = {p.name: p for p in (html_root / "_downloads").rglob("*.ipynb")}
    exercises = sorted((_book.ROOT / "exercises").glob("*/*.ipynb"))
    assert exercises
    for ex in exercises:
        assert ex.name in downloads, f"{ex.name} is not downloadable from the book"
        assert downloads[ex.name].read_bytes() == ex.read_bytes(), f"{ex.name}: the download differs from exercises/"
