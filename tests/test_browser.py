"""The HTML book in a real browser: every page in _toc.yml, offline, typeset, error-free.

The book is built from clean once (scripts/build_book.sh -> _build/html), served on 127.0.0.1,
and opened in headless Debian Chromium through Playwright. Every request that would leave the
machine is blocked and recorded. Screenshots land in _build/screenshots/.
"""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.request
from urllib.parse import urldefrag, urljoin, urlsplit

import _book
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

DOCNAMES = _book.toc_docnames()
RAW_TEX = re.compile(r"\\frac|\$\$|\\\(|\\\)|\\\[|\\begin\{")

# Visible text outside code: code cells may legitimately show TeX source.
VISIBLE_PROSE_JS = """() => {
  const root = (document.querySelector('main') || document.body).cloneNode(true);
  root.querySelectorAll('pre, code, .highlight, script, style, mjx-assistive-mml').forEach(e => e.remove());
  return root.innerText;
}"""

WAIT_MATHJAX_JS = """async () => {
  if (!window.MathJax) return 'absent';
  if (!MathJax.startup || !MathJax.startup.promise) return 'not-started';
  await MathJax.startup.promise;
  return 'done';
}"""

WAIT_IMAGES_JS = """async () => {
  const imgs = [...document.images];
  imgs.forEach(i => { i.loading = 'eager'; });
  await Promise.all(imgs.map(i => i.complete ? null :
      new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); setTimeout(r, 5000); })));
  return imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.currentSrc || i.src || i.outerHTML.slice(0, 120));
}"""


SIDEWAYS_JS = """() => {
  const closed = [...document.querySelectorAll('main details:not([open])')];
  closed.forEach(d => { d.open = true; });          // folded cells count too: a reader may unfold them
  const wide = [...document.querySelectorAll('main pre')]
    .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
    .map(e => e.textContent.split('\\n').reduce((a, l) => l.length > a.length ? l : a, '').slice(0, 100));
  closed.forEach(d => { d.open = false; });
  return wide;
}"""
AXE = _book.ROOT / "_vendor_tests" / "axe-core" / "axe.min.js"   # pinned by scripts/vendor.sh
AXE_RUN_JS = """async () => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                                     resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                 targets: v.nodes.map(n => n.target.join(' '))}));
}"""


@pytest.fixture(scope="module")
def checked_links():
    return {}


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.parametrize("docname", DOCNAMES)
def test_page(site, browser, checked_links, docname):
    html_dir, base = site
    assert (html_dir / f"{docname}.html").is_file(), f"{docname} is in _toc.yml but was not built"
    external, page_errors, console_errors = [], [], []
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    _book.block_external(context, external)
    page = context.new_page()
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    page.on("console", lambda msg: console_errors.append(f"{msg.text} @ {msg.location.get('url', '')}")
            if msg.type == "error" else None)
    problems = []
    try:
        response = page.goto(urljoin(base, f"{docname}.html"), wait_until="load")
        assert response is not None and response.status == 200
        page.evaluate("() => document.fonts.ready.then(() => true)")

        # Maths: MathJax ran, every math node holds typeset output, no raw TeX left in the prose.
        n_math = page.locator(".math").count()
        mathjax = page.evaluate(WAIT_MATHJAX_JS)
        if n_math and mathjax != "done":
            problems.append(f"page has {n_math} maths but MathJax is {mathjax}")
        untypeset = page.evaluate(
            "() => [...document.querySelectorAll('.math')].filter(e => !e.querySelector('mjx-container'))"
            ".map(e => e.textContent.slice(0, 80))")
        if untypeset:
            problems.append(f"{len(untypeset)} maths left untypeset: {untypeset[:5]}")
        merrors = page.evaluate("() => [...document.querySelectorAll('mjx-merror')]"
                                ".map(e => e.getAttribute('data-mjx-error') || e.textContent)")
        if merrors:
            problems.append(f"MathJax errors: {merrors[:5]}")
        prose = page.evaluate(VISIBLE_PROSE_JS)
        raw = sorted({m.group(0) for m in RAW_TEX.finditer(prose)})
        if raw:
            problems.append(f"raw TeX in visible text: {raw}")

        # Every image loaded.
        broken = page.evaluate(WAIT_IMAGES_JS)
        if broken:
            problems.append(f"images that did not load: {broken}")

        # Frame players (matplotlib to_jshtml animations) respond: moving the slider changes the frame.
        players = page.locator(".animation:has(input[type=range])")
        for i in range(players.count()):
            player = players.nth(i)
            slider, frame = player.locator("input[type=range]").first, player.locator("img").first
            player.scroll_into_view_if_needed()
            lo, hi = int(slider.get_attribute("min") or 0), int(slider.get_attribute("max") or 0)
            if hi <= lo:
                problems.append(f"player {i} has a single frame")
                continue
            before = frame.get_attribute("src")
            slider.focus()
            page.keyboard.press("End")
            page.wait_for_function("([s, v]) => s.value === v",
                                   arg=[slider.element_handle(), str(hi)], timeout=5000)
            if frame.get_attribute("src") == before:
                problems.append(f"player {i}: frame unchanged after moving the slider to {hi}")
        print(f"{docname}: {n_math} maths (MathJax {mathjax}), {page.locator('img').count()} images, "
              f"{players.count()} players")

        # A frozen live widget must never pose as interactive in the book.
        widget_views = page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count()
        if widget_views:
            problems.append(f"{widget_views} live-widget views rendered (should be the explorers' web twins)")

        # Every internal link resolves.
        hrefs = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
        bad = []
        for href in sorted(set(hrefs)):
            url, _ = urldefrag(href)
            if not url.startswith(base):
                continue
            if url not in checked_links:
                checked_links[url] = _status(url)
            if checked_links[url] != 200:
                bad.append(f"{urlsplit(url).path} -> {checked_links[url]}")
        if bad:
            problems.append(f"broken internal links: {bad}")

        # Reading comfort: no code or printed output scrolls sideways at the book's width.
        wide = page.evaluate(SIDEWAYS_JS)
        if wide:
            problems.append(f"{len(wide)} code blocks or outputs scroll sideways: {wide[:5]}")

        # Accessibility: axe-core's WCAG 2.1 A/AA rules, no serious or critical violation.
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(AXE_RUN_JS)
        severe = [f"{v['impact']} {v['id']} ({v['help']}) at {v['targets'][:3]}" for v in violations
                  if v["impact"] in ("serious", "critical")]
        if severe:
            problems.append(f"{len(severe)} serious/critical accessibility violations: {severe}")

        _book.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(_book.SCREENSHOTS / f"{docname.replace('/', '__')}.png"), full_page=True)

        if external:
            problems.append(f"requests leaving the machine: {external}")
        if page_errors:
            problems.append(f"page errors: {page_errors}")
        if console_errors:
            problems.append(f"console errors: {console_errors}")
        assert not problems, f"{docname}:\n  " + "\n  ".join(problems)
    finally:
        context.close()


def test_page_weight(site):
    html_dir, _ = site
    proc = subprocess.run([sys.executable, str(_book.ROOT / "scripts" / "page_weight.py"), str(html_dir)],
                          capture_output=True, text=True, check=False)
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "largest pages" in proc.stdout


@pytest.mark.parametrize("docname", [d for d in DOCNAMES if (_book.ROOT / f"{d}.ipynb").exists()])
def test_every_figure_cell_shows_a_figure(site, docname):
    """A cell that draws with plt.show() must leave an image in the page (a notebook kernel that inherits
    MPLBACKEND=Agg, for example, silently drops every figure)."""
    import nbformat

    nb = nbformat.read(_book.ROOT / f"{docname}.ipynb", as_version=4)
    n_fig_cells = sum(1 for c in nb.cells if c.cell_type == "code" and "plt.show()" in c.source)
    html, _ = site
    page = (html / f"{docname}.html").read_text(encoding="utf-8")
    n_img = len(re.findall(r'<img[^>]+src="[^"]*_images/', page))
    assert n_img >= n_fig_cells, f"{docname}: {n_fig_cells} cells call plt.show() but the page has {n_img} figures"


def test_axe_reports_an_unlabelled_slider(browser):
    """The accessibility check can fail: axe flags the very defect the players once had."""
    page = browser.new_page()
    try:
        page.set_content('<!doctype html><html lang="en"><head><title>probe</title></head><body><main>'
                         '<h1>probe</h1><input type="range" min="0" max="3"><button><svg aria-hidden="true">'
                         '</svg></button></main></body></html>')
        page.add_script_tag(path=str(AXE))
        found = {(v["id"], v["impact"]) for v in page.evaluate(AXE_RUN_JS)}
    finally:
        page.close()
    assert ("label", "critical") in found and ("button-name", "critical") in found, found


def test_the_glossary_chinese_renders_with_a_cjk_font():
    """scripts/install_browser.sh installs fonts-noto-cjk; without a CJK font the glossary shows boxes."""
    fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False).stdout
    assert "CJK" in fonts, f"no Chinese font for Chromium (fc-list :lang=zh): {fonts!r}"
    glossary = (_book.ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in glossary), "the glossary has no Chinese terms to render"
