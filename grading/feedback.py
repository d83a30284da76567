"""Make nbgrader's feedback HTML work offline: maths typeset into SVG at generation time, no CDN script.

nbgrader's feedback template loads MathJax 2 from cdnjs, which many students cannot reach. Here the page is
typeset once, with MathJax 3 running in Node.js (the pinned ``mathjax-full`` that ``scripts/vendor.sh`` puts in
``_vendor/``): every formula becomes inline SVG with hidden MathML for screen readers, and the CDN script is
removed. The page then needs no script and no network at all.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess

from nbconvert.exporters import HTMLExporter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "typeset.js")
CDN_RE = re.compile(r'<script[^>]*src="https://cdnjs\.cloudflare\.com/ajax/libs/mathjax/[^"]*"[^>]*>\s*</script>',
                    re.DOTALL)
CONFIG_RE = re.compile(r'<script type="text/x-mathjax-config">.*?</script>', re.DOTALL)


class OfflineFeedbackError(RuntimeError):
    pass


def mathjax_dir():
    d = os.environ.get("GDGRADE_MATHJAX_FULL") or os.path.join(ROOT, "_vendor_grading", "mathjax-full")
    if not os.path.isfile(os.path.join(d, "js", "mathjax.js")):
        raise OfflineFeedbackError(f"mathjax-full is missing from {d}: run `bash scripts/vendor.sh`")
    return d


class _Typesetter:
    """One Node.js process per grading process, reused for every page (loading MathJax is most of the cost)."""

    proc = None

    @classmethod
    def page(cls, html):
        import json

        if cls.proc is None or cls.proc.poll() is not None:
            node = shutil.which("node")
            if node is None:
                raise OfflineFeedbackError("Node.js is needed to typeset feedback offline (apt-get install nodejs)")
            cls.proc = subprocess.Popen([node, SCRIPT, mathjax_dir(), "--serve"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, encoding="utf-8")
        cls.proc.stdin.write(json.dumps({"html": html}) + "\n")
        cls.proc.stdin.flush()
        line = cls.proc.stdout.readline()
        if not line:
            cls.proc = None
            raise OfflineFeedbackError("the typesetting process stopped")
        out = json.loads(line)
        if "error" in out:
            raise OfflineFeedbackError(f"typesetting feedback failed: {out['error'][-500:]}")
        return out["html"]


def typeset_html(html):
    """The page with its maths typeset into SVG and no CDN script."""
    return _Typesetter.page(CONFIG_RE.sub("", CDN_RE.sub("", html)))


class OfflineHTMLExporter(HTMLExporter):
    """nbgrader's feedback exporter (HTMLExporter, 'feedback' template) whose pages need no network:
    set as ``c.GenerateFeedback.exporter_class`` so that ``nbgrader generate_feedback`` itself uses it."""

    def from_notebook_node(self, nb, resources=None, **kw):
        output, resources = super().from_notebook_node(nb, resources, **kw)
        return typeset_html(output), resources
