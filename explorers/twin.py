"""The web twins' assets: the JavaScript and CSS in ``explorers/web/``, and d3 from ``_vendor/``.

The book loads them as files (``explorers.sphinxext`` adds them to the pages that show an explorer);
JupyterLab gets them inside each widget (:func:`esm`, :func:`css`), so both run the same code, offline.
"""
from __future__ import annotations

import functools
import html
import json
from pathlib import Path

WEB = Path(__file__).with_name("web")
ROOT = Path(__file__).resolve().parents[1]
D3 = ROOT / "_vendor" / "d3" / "d3.min.js"      # pinned and sha512-checked by scripts/vendor.sh

# The anywidget module: d3's UMD bundle and gd-explorers.js, each run as a CommonJS module (so neither
# touches the page's globals, and an AMD loader on the page cannot intercept them), then render().
_ESM = """const d3 = (() => {{ const module = {{ exports: {{}} }}; const exports = module.exports;
{d3}
return module.exports; }})();
const factory = (() => {{ const module = {{ exports: {{}} }};
{twin}
return module.exports; }})();
const api = factory(d3);
function render({{ model, el }}) {{
  el.classList.add("gd-explorer");
  const host = document.createElement("div");
  el.appendChild(host);
  const handle = api.mount(host, model.get("config"), model.get("params"), {{
    onChange(params, headline) {{
      model.set("params", params);
      model.set("headline", headline);
      model.save_changes();
    }},
  }});
  const fromPython = () => {{
    const want = model.get("params"), diff = {{}};
    for (const [k, v] of Object.entries(want)) if (handle.state[k] !== v) diff[k] = v;
    if (Object.keys(diff).length) handle.set(diff);
  }};
  model.on("change:params", fromPython);
  return () => model.off("change:params", fromPython);
}}
export default {{ render }};
"""


def d3_source() -> str:
    if not D3.is_file():
        raise FileNotFoundError(f"{D3} is missing: run `bash scripts/vendor.sh` (it fetches the pinned d3 that the "
                                "explorers draw with)")
    return D3.read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def esm() -> str:
    """The ES module an explorer widget runs in JupyterLab."""
    return _ESM.format(d3=d3_source(), twin=(WEB / "gd-explorers.js").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def css() -> str:
    return (WEB / "gd-explorers.css").read_text(encoding="utf-8")


def static_html(config: dict, params: dict) -> str:
    """The explorer in the HTML book: its config as JSON, mounted by gd-explorers.js when the page loads."""
    data = json.dumps({"config": config, "params": params}, ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")).replace("</", "<\\/")
    title = html.escape(config["title"])
    return (f'<div class="gd-explorer" data-explorer="{config["name"]}">'
            f'<script type="application/json" class="gd-explorer-config">{data}</script>'
            f'<p class="gd-explorer-fallback"><strong>{title}</strong>: this interactive figure is drawn by '
            "JavaScript in the page; with JavaScript switched off it cannot show.</p></div>")
