"""Sphinx extension: the HTML book runs the explorers' web twins.

An explorer's notebook output carries, as ``text/html``, a ``<div class="gd-explorer">`` with its config (see
:func:`explorers.twin.static_html`); the book shows that output (``nb_mime_priority_overrides`` in
``_config.yml``). This extension publishes ``explorers/web/`` into ``_static/`` and adds d3 (from ``_vendor/``,
already on ``html_static_path``), ``gd-explorers.js`` and its stylesheet to exactly the pages that show one.
"""
from pathlib import Path

WEB = Path(__file__).with_name("web")
MARKER = 'class="gd-explorer"'


def _static_path(app, config):
    if str(WEB) not in config.html_static_path:
        config.html_static_path.append(str(WEB))


def _page_assets(app, pagename, templatename, context, doctree):
    if MARKER in (context.get("body") or ""):
        app.add_js_file("d3/d3.min.js")
        app.add_js_file("gd-explorers.js")
        app.add_css_file("gd-explorers.css")


def setup(app):
    app.connect("config-inited", _static_path)
    app.connect("html-page-context", _page_assets)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
