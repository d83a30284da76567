"""Shared pytest setup.

Hypothesis writes a cache (``.hypothesis/``) into the working directory even with ``database=None``;
keep it in the system temp directory so that running the tests leaves nothing in the tree.
"""
import tempfile
from pathlib import Path

try:
    from hypothesis import configuration as _hypothesis_configuration
except ImportError:  # pragma: no cover - hypothesis is pinned in requirements.txt
    _hypothesis_configuration = None

if _hypothesis_configuration is not None:
    _hypothesis_configuration.set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "gdcore-hypothesis")
