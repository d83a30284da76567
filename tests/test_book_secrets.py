"""The published book holds no solution and no hidden test of any assignment.

It reads the from-clean build (stage 3 of scripts/test.sh), so it runs with the book checks; the grading
checks need no build and start before it.
"""
from __future__ import annotations

import os
from pathlib import Path

import _book
import _grading as g
import nbformat
import pytest

from grading import synthetic

pytestmark = pytest.mark.integration


def _secret_blocks():
    """Every solution and hidden-test block of two or more lines (40+ characters) in any assignment."""
    blocks = []
    for a in g.all_assignments():
        for name in g.notebooks(a):
            nb = nbformat.read(os.path.join(g.ROOT, "solutions", a, name), as_version=4)
            for c in nb.cells:
                for rx in (synthetic.SOLUTION_RE, synthetic.HIDDEN_RE):
                    for block in rx.findall(c.source):
                        lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
                        if len(lines) >= 2 and len("".join(lines)) >= 40:
                            blocks.append((f"{a}/{name}", "\n".join(lines)))
    return blocks


def test_built_book_has_no_solutions_or_hidden_tests():
    """The book's chapters teach the same ideas, so single lines may coincide; a whole block may not."""
    build = _book.built_book()
    blocks = _secret_blocks()
    assert blocks, "found no solution blocks to look for: the check would be vacuous"
    for root, _, files in os.walk(build):
        for f in files:
            if f.endswith((".html", ".ipynb", ".txt", ".md", ".js")):
                text = g.page_text(Path(root, f).read_text(encoding="utf-8", errors="replace"))
                leaked = [where for where, block in blocks if block in text]
                assert not leaked, f"_build/html/{f} contains whole solution/hidden-test blocks from {leaked[:3]}"
