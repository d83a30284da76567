"""Sphinx extension: keep every HTML page of the book self-contained and free of script errors.

Jupyter Book v1 always loads sphinx-thebe. Its configuration script (``const THEBE_JS_URL = ...``,
pointing at a CDN) and togglebutton's selector script are registered after the builder starts, so
Sphinx emits them twice, and the second ``const`` declaration is a page error. Thebe is switched off
for this book (launch buttons go to Binder/Colab instead), so its scripts are dropped and the
remaining ones de-duplicated. It also sets the theme's default (light) mode, whose absence is a
console error on every page.
"""

import re
from pathlib import Path

THEBE_MARKERS = ("THEBE_JS_URL", "sphinx-thebe.js")
# The widget state myst-nb saves with a notebook, and the scripts that render it. A page whose body shows
# no widget view (explorers appear as their web twins in the book) needs neither: dropping them saves
# about 0.5 MB per explorer page and three script loads.
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_SCRIPTS = ("requirejs/require.js", "jupyter-widgets-assets.js", "html-manager/embed-amd.js")


def _key(script):
    return (getattr(script, "filename", str(script)) or "", str(getattr(script, "attributes", {}).get("body", "")))


def clean_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    thebe_on = bool((app.config.html_theme_options.get("launch_buttons") or {}).get("thebe"))
    widgets_shown = WIDGET_VIEW in (context.get("body") or "")
    seen, kept = set(), []
    for script in scripts:
        text = str(getattr(script, "filename", script)) + str(getattr(script, "attributes", {}).get("body", ""))
        if not thebe_on and any(marker in text for marker in THEBE_MARKERS):
            continue
        if not widgets_shown and (getattr(script, "attributes", {}).get("type") == WIDGET_STATE
                                  or str(getattr(script, "filename", "") or "").split("?")[0].endswith(WIDGET_SCRIPTS)):
            continue
        if _key(script) in seen:
            continue
        seen.add(_key(script))
        kept.append(script)
    context["script_files"] = kept


def default_light_mode(app, config):
    # pydata-sphinx-theme logs a console error ("Got invalid theme mode: .") on every page unless
    # a default mode is set; the figures are drawn for a light background.
    config.html_context.setdefault("default_mode", "light")


REPOSITORY_BUTTONS = ("use_repository_button", "use_issues_button", "use_edit_page_button", "use_source_button")


def repository_buttons(app, config):
    """The repository URL is set in one place, ``repository.url`` in _config.yml. When it is set, the page
    gets a repository button (Jupyter Book refuses ``use_repository_button`` without a URL, so the YAML keeps
    it off and this turns it on). When it is empty, no button may link to a repository: the repository, issue,
    edit and source buttons and the launch buttons (Binder, Colab, JupyterHub) are all switched off."""
    opts = config.html_theme_options
    if str(opts.get("repository_url") or "").strip():
        opts["use_repository_button"] = True
        return
    for key in REPOSITORY_BUTTONS:
        opts[key] = False
    opts["launch_buttons"] = {}
    opts["repository_url"] = ""


# Accessibility repairs to the theme's and docutils' markup (axe-core, WCAG 2.1 AA; the browser tests run it on
# every page). Each must match: a theme upgrade that changes the markup fails the build instead of silently
# bringing a violation back.
A11Y_FIXES = [
    # pydata-sphinx-theme's search field says "Search Ctrl+K" but is named "Search" (label-content-name-mismatch):
    # without the aria-label its name is its visible text.
    ("search field named by its visible text",
     re.compile(r'(<button class="btn search-button-field[^"]*"[^>]*?) aria-label="Search"'), r"\1"),
    # the colour-mode button is named "Color mode"; its three icons are decorative, and their titles ("Light",
    # "Dark", ...), which Font Awesome turns into <title>s, counted as visible text that the name lacks.
    ("colour-mode icons hidden from the accessibility tree",
     re.compile(r'<i class="(theme-switch [^"]*)" data-mode="(\w+)"\s+title="[^"]*"></i>'),
     r'<i aria-hidden="true" class="\1" data-mode="\2"></i>'),
]
# myst-nb's folded cells: a <summary> named "Toggle hidden content" that shows "Show code cell source". Without
# the aria-label its name is the text a sighted reader sees. Only pages with folded cells have it.
FOLDED = re.compile(r'<summary aria-label="Toggle hidden content">')
# docutils' bibliography: role="list" requires listitem children, and doc-biblioentry (deprecated in ARIA 1.3)
# is no longer one (aria-required-children). Only pages with a bibliography have it.
CITATIONS = re.compile(r'(<div class="citation" id="[^"]*" )role="doc-biblioentry"')


def repair_accessibility(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        if page.relative_to(app.outdir).parts[0] == "_static":
            continue
        text = original = page.read_text(encoding="utf-8")
        if "search-button-field" in text:   # a page of the book (not e.g. a downloaded file)
            for what, pattern, repl in A11Y_FIXES:
                text, n = pattern.subn(repl, text)
                if not n:
                    raise RuntimeError(f"{page}: the theme markup changed; cannot apply '{what}'")
        text = CITATIONS.sub(r'\1role="listitem"', text)
        text = FOLDED.sub("<summary>", text)
        if text != original:
            page.write_text(text, encoding="utf-8")


def setup(app):
    app.connect("build-finished", repair_accessibility)
    app.connect("config-inited", default_light_mode)
    app.connect("config-inited", repository_buttons)
    app.connect("html-page-context", clean_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
