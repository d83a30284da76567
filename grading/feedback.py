"""Make nbgrader's feedback HTML work offline: maths typeset into SVG at generation time, no CDN script.

nbgrader's feedback template loads MathJax 2 from cdnjs, which many students cannot reach. Here the page is
typeset once, with MathJax 3 running in Node.js (the pinned ``mathjax-full`` that ``scripts/vendor.sh`` puts in
``_vendor/``): every formula becomes inline SVG with hidden MathML for screen readers, and the CDN script is
removed. The page then needs no script and no network at all.
"""
from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "typeset.js")
CDN_RE = re.compile(r'<script[^>]*src="https://cdnjs\.cloudflare\.com/ajax/libs/mathjax/[^"]*"[^>]*>\s*</script>',
                    re.S)
CONFIG_RE = re.compile(r'<script type="text/x-mathjax-config">.*?</script>', re.S)


class OfflineFeedbackError(RuntimeError):
    pass


def mathjax_dir():
    d = os.environ.get("GDGRADE_MATHJAX_FULL") or os.path.join(ROOT, "_vendor_grading", "mathjax-full")
    if not os.path.isfile(os.path.join(d, "js", "mathjax.js")):
        raise OfflineFeedbackError(f"mathjax-full is missing from {d}: run `bash scripts/vendor.sh`")
    return d


def make_offline(folder):
    """Typeset every feedback page under folder in place and drop the CDN script."""
    pages = sorted(glob.glob(os.path.join(folder, "*.html")))
    if not pages:
        return []
    node = shutil.which("node")
    if node is None:
        raise OfflineFeedbackError("Node.js is needed to typeset feedback offline (Debian: apt-get install nodejs)")
    for page in pages:
        with open(page, encoding="utf-8") as f:
            html = f.read()
        html = CONFIG_RE.sub("", CDN_RE.sub("", html))
        tmp = page + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(html)
        p = subprocess.run([node, SCRIPT, mathjax_dir(), tmp, page], capture_output=True, text=True, timeout=300)
        os.remove(tmp)
        if p.returncode != 0:
            raise OfflineFeedbackError(f"typesetting {page} failed: {p.stderr.strip()[-500:]}")
    return pages
