"""Shared pytest setup: the built book served on loopback (`site`) and a Chromium on it (`browser`),
for the browser tests.

Hypothesis writes a cache (``.hypothesis/``) into the working directory even with ``database=None``;
keep it in the system temp directory so that running the tests leaves nothing in the tree.
"""
import tempfile
from pathlib import Path

import _book
import pytest

try:
    from hypothesis import configuration as _hypothesis_configuration
except ImportError:  # pragma: no cover - hypothesis is pinned in requirements.txt
    _hypothesis_configuration = None

if _hypothesis_configuration is not None:
    _hypothesis_configuration.set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "gdcore-hypothesis")


@pytest.fixture(scope="module")
def site():
    html = _book.built_book()
    assert (html / "index.html").is_file(), f"no book at {html}"
    with _book.serve(html) as base:
        yield html, base


@pytest.fixture(scope="module")
def browser(site):
    with _book.chromium() as browser:
        yield browser
