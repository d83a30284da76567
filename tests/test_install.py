"""The README's supported Python range is true: the pins resolve on each of those Pythons, and setup.sh
stops with one sentence on any other.

The resolution test asks pip to resolve ``requirements.txt`` (with ``constraints.txt``) for a *target*
Python (``pip install --dry-run --python-version X.Y.Z --only-binary=:all:``): no venv, no install, a few
seconds each. It fails if a pin needs a newer patch release than the range promises (as
soupsieve 4.x does: Python >= 3.11.5, which Debian 12's 3.11.2 is not), has no wheel for that Python,
or if an installed package is missing from constraints.txt.

A real install into fresh venvs from every supported interpreter on the machine takes minutes each; it
runs only when asked: ``GDCORE_TEST_FRESH_VENV=1 python -m pytest tests/test_install.py``.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The range, written out by hand here, so that a change to pyproject.toml must be made on purpose.
SUPPORTED = ((3, 11), (3, 12), (3, 13))
# each supported minor at its lowest patch release: a pin that installs on 3.11.0 installs on Debian 12's
# 3.11.2 too (the same wheel tags; a requires-python such as ">=3.11.5" fails on both)
TARGETS = ["3.11.0", "3.12.0", "3.13.0"]


def _norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _constraints():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt line {line!r} is not an exact pin"
            pins[_norm(name)] = version
    return pins


def test_requires_python_is_the_readme_range():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^requires-python = ">=3\.11,<3\.14"$', pyproject, re.MULTILINE)
    readme = (ROOT / "README.md").read_text()
    assert "Python 3.11, 3.12 or 3.13" in readme
    assert "3.10+" not in readme


def _pip_dry_run(version, *args):
    cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
           "--only-binary=:all:", "--python-version", version, *args]
    return subprocess.run(cmd, cwd=ROOT, check=False, capture_output=True, text=True, timeout=600)


def _resolve(version):
    proc = _pip_dry_run(version, "--report", "-", "-r", "requirements.txt")
    if proc.returncode != 0:  # once more, in case the index did not answer: a real conflict fails twice
        proc = _pip_dry_run(version, "--report", "-", "-r", "requirements.txt")
    return proc


@pytest.fixture(scope="module")
def resolutions():
    """pip's resolution of requirements.txt for each target Python (about 10 s of CPU each)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(TARGETS, pool.map(_resolve, TARGETS)))


@pytest.mark.parametrize("version", TARGETS)
def test_pins_resolve_on_every_supported_python(resolutions, version):
    proc = resolutions[version]
    assert proc.returncode == 0, f"pins do not resolve for Python {version}:\n{proc.stderr[-3000:]}"
    report = json.loads(proc.stdout)
    pins = _constraints()
    got = {_norm(item["metadata"]["name"]): item["metadata"]["version"] for item in report["install"]}
    assert "gdcore" in got  # the `-e .` line
    del got["gdcore"]
    unpinned = sorted(set(got) - set(pins))
    assert not unpinned, f"installed on {version} but not pinned in constraints.txt: {unpinned}"
    changed = {n: (pins[n], v) for n, v in got.items() if pins[n] != v}
    assert not changed, f"pins that pip did not honour on {version}: {changed}"


@pytest.mark.parametrize("version", ["3.10.13", "3.14.0"])
def test_gdcore_refuses_pythons_outside_the_range(version):
    proc = _pip_dry_run(version, "--no-deps", "--no-build-isolation", "-e", ".")
    assert proc.returncode != 0
    assert f"Package 'gdcore' requires a different Python: {version} not in '<3.14,>=3.11'" in proc.stderr


# ----------------------------------------------------------------------------------- setup.sh

def _fake_python(path, version, venv_module=True):
    """A stand-in interpreter: prints ``version`` for setup.sh's version probe; fails the venv probe
    if ``venv_module`` is False; records any other call (there must be none)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "#!/bin/sh\n"
        'case "$*" in\n'
        f'  *version_info*) echo "{version}" ;;\n'
        f'  *ensurepip*) exit {0 if venv_module else 1} ;;\n'
        f'  *) echo "$*" >> "{path.parent}/unexpected-calls"; exit 3 ;;\n'
        "esac\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def root(tmp_path):
    """A copy of just what setup.sh reads, so the tests never touch the repository's .venv."""
    (tmp_path / "scripts").mkdir()
    for name in ("scripts/setup.sh", "pyproject.toml", "requirements.txt", "constraints.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def _setup(root, python, mode):
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV",)}
    env["PYTHON"] = str(python)
    cmd = ["bash", "-c", "source scripts/setup.sh"] if mode == "source" else ["bash", "scripts/setup.sh"]
    return subprocess.run(cmd, cwd=root, env=env, check=False, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("mode", ["source", "run"])
@pytest.mark.parametrize("version", ["3.10.13", "3.14.0", "2.7.18", "3.9.18"])
def test_setup_stops_with_one_sentence_on_an_unsupported_python(root, version, mode):
    py = _fake_python(root / "bin" / "python3", version)
    proc = _setup(root, py, mode)
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0] == (f"[setup] '{py}' is Python {version}, but this course needs Python 3.11 to 3.13 "
                        "(set PYTHON=/path/to/python3.X to choose one).")
    assert not (root / ".venv").exists()
    assert not (root / "bin" / "unexpected-calls").exists()


def test_setup_stops_when_there_is_no_python(root):
    proc = _setup(root, root / "no-such-python", "source")
    assert proc.returncode == 1
    want = (f"[setup] No Python found at '{root / 'no-such-python'}': this course needs Python 3.11 to 3.13 "
            "(set PYTHON=/path/to/python3.X to choose one).")
    assert proc.stderr.strip().splitlines() == [want]


def test_setup_names_the_missing_venv_package(root):
    # not under /usr/bin, so setup does not apt-get: it says what to install
    py = _fake_python(root / "bin" / "python3", "3.11.2", venv_module=False)
    proc = _setup(root, py, "source")
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "has no venv module" in lines[0] and "apt-get install python3.11-venv" in lines[0]
    assert not (root / ".venv").exists()


def test_setup_refuses_an_existing_venv_of_an_unsupported_python(root):
    _fake_python(root / ".venv" / "bin" / "python", "3.10.13")
    good = _fake_python(root / "bin" / "python3", "3.11.7")
    proc = _setup(root, good, "source")
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "uses Python 3.10.13" in lines[0] and "rm -rf .venv" in lines[0]


def test_setup_accepts_a_supported_python(root):
    # the fake interpreter passes both probes; setup then calls it to create the venv, which the fake
    # refuses (exit 3): that call proves the version check let 3.12.1 through
    py = _fake_python(root / "bin" / "python3", "3.12.1")
    proc = _setup(root, py, "source")
    assert "creating" in proc.stdout and "Python 3.12.1" in proc.stdout
    assert (root / "bin" / "unexpected-calls").read_text().split() == ["-m", "venv", str(root / ".venv")]
    assert proc.returncode != 0


# ----------------------------------------------------------------------------------- real installs

def _interpreters():
    """Every supported interpreter on this machine: Debian's, and pyenv's newest of each minor."""
    found = {}
    for cand in [Path("/usr/bin/python3"), *sorted(Path("/root/.pyenv/versions").glob("3.*/bin/python3"))]:
        if cand.exists():
            out = subprocess.run([cand, "-c", "import sys; print(sys.version_info[:2])"],
                                 check=False, capture_output=True, text=True).stdout.strip()
            if out and tuple(int(x) for x in out.strip("()").split(",")) in SUPPORTED:
                found[str(cand)] = cand
    return list(found.values())


@pytest.mark.skipif(os.environ.get("GDCORE_TEST_FRESH_VENV") != "1",
                    reason="minutes per interpreter; set GDCORE_TEST_FRESH_VENV=1 to run")
@pytest.mark.parametrize("python", _interpreters() if os.environ.get("GDCORE_TEST_FRESH_VENV") == "1" else [])
def test_fresh_venv_installs_and_imports_the_stack(tmp_path, python):
    root = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(root)], check=True)
    for name in ("requirements.txt", "constraints.txt", "pyproject.toml", "scripts/setup.sh"):
        shutil.copy(ROOT / name, root / name)  # the working tree, committed or not
    proc = subprocess.run(["bash", "-c", "source scripts/setup.sh"], cwd=root, check=False, capture_output=True,
                          text=True, env={**os.environ, "PYTHON": str(python)}, timeout=3000)
    assert proc.returncode == 0, proc.stderr[-3000:]
    code = ("import jupyter_book, nbgrader, nbval, ipywidgets, jupyterlab, numpy, matplotlib, playwright, gdcore;"
            "import gdcore as gd; X, y, _ = gd.data.make_linear(50, 2, rng=0);"
            "p, h = gd.fit(gd.models.linear, gd.models.linear.init(2), X, y, gd.optim.sgd(lr=0.1), epochs=5);"
            "print(h.n_steps)")
    out = subprocess.run([root / ".venv" / "bin" / "python", "-c", code], cwd=tmp_path,
                         check=False, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0 and out.stdout.strip() == "5", out.stderr
    check = subprocess.run([root / ".venv" / "bin" / "python", "-m", "pip", "check"], check=False,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_importing_nbformat_compiles_no_grammar():
    """jsonschema is held at 4.23 (requirements.txt): from 4.24 on, every import of nbformat's validator pulls
    in rfc3987-syntax, which compiles 38 lark grammars (~0.9 s of CPU in each nbgrader, grading and Jupyter
    process; a grading run starts dozens)."""
    code = ("import sys, nbformat.validator\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'lark', 'rfc3987_syntax'}))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]", proc.stdout
