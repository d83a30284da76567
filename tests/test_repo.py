"""Repository hygiene: what the design promises about the tree itself."""
from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import nbformat
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc["parts"]:
        files += [ch["file"] for ch in part["chapters"]]
    return files


def test_every_toc_entry_exists_and_every_chapter_is_listed():
    files = _toc_files()
    for f in files:
        assert (ROOT / f"{f}.ipynb").exists() or (ROOT / f"{f}.md").exists(), f"_toc.yml lists missing page {f}"
    pages = {str(p.relative_to(ROOT).with_suffix("")) for p in (ROOT / "book").glob("*.ipynb")}
    assert pages <= set(files), f"notebooks not in _toc.yml: {sorted(pages - set(files))}"


def test_notebooks_are_stored_without_outputs():
    for d in ("book", "solutions", "exercises"):
        for path in sorted((ROOT / d).rglob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            for i, cell in enumerate(nb.cells):
                if cell.cell_type == "code":
                    assert not cell.outputs, f"{path.relative_to(ROOT)} cell {i} is stored with outputs"
                    assert cell.execution_count is None, f"{path.relative_to(ROOT)} cell {i} has an execution count"


def test_glossary_has_30_terms_with_chinese():
    text = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    block = text.split("```{glossary}", 1)[1].split("```", 1)[0]
    entries = re.split(r"\n(?=\S)", block.strip())
    assert len(entries) >= 30
    for e in entries:
        term, _, definition = e.partition("\n")
        assert re.search(r"[\u4e00-\u9fff]", definition), f"glossary term {term!r} has no Chinese term"


def test_every_chapter_links_the_glossary_from_first_uses():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "link_glossary.py"), "--check"],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "bash scripts/test.sh" in readme and "bash scripts/build_book.sh" in readme
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_no_generated_files_are_tracked():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False)
    if tracked.returncode != 0:      # not a git checkout (e.g. an exported tarball): nothing to check
        return
    bad = [f for f in tracked.stdout.splitlines()
           if re.search(r"(^|/)(_build|_vendor|_vendor_grading|\.grading|submitted|autograded|feedback|downloaded|"
                        r"\.ipynb_checkpoints|__pycache__)/|gradebook\.db$|grades[^/]*\.csv$|\.pyc$", f)]
    assert not bad, f"generated files tracked in git: {bad[:10]}"
