"""The chapters as the book build executed them.

Notebooks are executed once, by the from-clean book build (stage 3 of scripts/test.sh), which keeps its
executed copies in _build/jupyter_execute/. These checks read those copies instead of running the chapters
again: every code cell of the current source ran, and none raised. A second test shows that the build really
is an execution check: with the book's own `execute:` settings, a cell that raises fails a `-W` build.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import _book
import nbformat
import pytest
import yaml

pytestmark = pytest.mark.integration

ROOT = _book.ROOT
NOTEBOOKS = [d for d in _book.toc_docnames() if (ROOT / f"{d}.ipynb").exists()]


@pytest.fixture(scope="module")
def executed() -> Path:
    return _book.built_book().parent / "jupyter_execute"


def test_every_chapter_is_a_notebook_in_the_toc():
    assert len(NOTEBOOKS) >= 11, NOTEBOOKS


@pytest.mark.parametrize("doc", NOTEBOOKS)
def test_chapter_ran_to_the_end_without_errors(executed, doc):
    path = executed / f"{doc}.ipynb"
    assert path.is_file(), f"the book build left no executed copy of {doc} at {path}"
    source = [c.source for c in nbformat.read(ROOT / f"{doc}.ipynb", as_version=4).cells if c.cell_type == "code"]
    cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    assert [c.source for c in cells] == source, f"{doc}: the build executed another version of the notebook"
    not_run = [i for i, c in enumerate(cells) if c.source.strip() and c.execution_count is None]
    assert not not_run, f"{doc}: code cells {not_run} were never executed"
    errors = [f"cell {i}: {o.ename}: {o.evalue}" for i, c in enumerate(cells) for o in c.outputs
              if o.output_type == "error"]
    assert not errors, f"{doc}: " + "; ".join(errors)
    counts = [c.execution_count for c in cells if c.execution_count is not None]
    assert counts == sorted(counts), f"{doc}: cells ran out of order: {counts}"


@pytest.mark.parametrize("raises", [False, True], ids=["clean", "raising"])
def test_the_build_fails_on_a_cell_that_raises(tmp_path, raises):
    """A one-page book with the course's own `execute:` settings, built like scripts/build_book.sh does."""
    execute = yaml.safe_load((ROOT / "_config.yml").read_text())["execute"]
    (tmp_path / "_config.yml").write_text(yaml.safe_dump({"title": "probe", "execute": execute}))
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: page\n")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Probe"),
                nbformat.v4.new_code_cell("x = 1 + 1"),
                nbformat.v4.new_code_cell("assert x == 3, 'a claim that is false'" if raises else "assert x == 2")]
    nbformat.write(nb, tmp_path / "page.ipynb")
    book = Path(sys.executable).parent / "jupyter-book"
    proc = subprocess.run([str(book), "build", str(tmp_path), "--all", "-W", "--keep-going", "-n"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False,
                          stdin=subprocess.DEVNULL)
    log = proc.stdout[-3000:] + proc.stderr[-3000:]
    if raises:
        assert proc.returncode != 0, f"a raising cell did not fail the build:\n{log}"
        assert "Executing notebook failed: CellExecutionError" in proc.stdout + proc.stderr, log
    else:
        assert proc.returncode == 0, f"the clean probe book did not build:\n{log}"
