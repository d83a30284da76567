"""Sphinx extension: keep every HTML page of the book self-contained and free of script errors.

Jupyter Book v1 always loads sphinx-thebe. Its configuration script (``const THEBE_JS_URL = ...``,
pointing at a CDN) and togglebutton's selector script are registered after the builder starts, so
Sphinx emits them twice, and the second ``const`` declaration is a page error. Thebe is switched off
for this book (launch buttons go to Binder/Colab instead), so its scripts are dropped and the
remaining ones de-duplicated. It also sets the theme's default (light) mode, whose absence is a
console error on every page.
"""

THEBE_MARKERS = ("THEBE_JS_URL", "sphinx-thebe.js")
# The widget state myst-nb saves with a notebook, and the scripts that render it. A page whose body shows
# no widget view (explorers appear as static players in the book) needs neither: dropping them saves
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


def setup(app):
    app.connect("config-inited", default_light_mode)
    app.connect("html-page-context", clean_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
