"""How fast does each explorer react to a slider, in the browser where it runs?

Serves the built book (``_build/html``, from ``bash scripts/build_book.sh``) on 127.0.0.1, opens
``book/explorers.html`` in headless Chromium with every other request blocked, and moves every control of
every explorer through up to ``--points`` values, one update per animation frame
(``GDExplorers.benchmark`` in ``explorers/web/gd-explorers.js``: the time from the input event to the
recomputed, redrawn and laid-out page). Prints the median, 95th percentile and worst per explorer, against
the targets (median <= 16 ms, p95 <= 50 ms). ``tests/test_web_explorers.py`` asserts the same figures.

    .venv/bin/python benchmarks/bench_explorers.py [--points 12] [--repeats 3] [--html _build/html]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path
from urllib.parse import urljoin

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import _book  # tests/_book.py: the loopback server and Chromium the browser tests use

NAMES = ("learning_rate", "batch_size", "schedules", "momentum", "xor", "preconditioning")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=12, help="values per control (default 12)")
    ap.add_argument("--repeats", type=int, default=3, help="sweeps per explorer (default 3)")
    ap.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    args = ap.parse_args()
    if not (args.html / "book" / "explorers.html").is_file():
        sys.exit(f"no built book at {args.html}: run bash scripts/build_book.sh")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (1 min) at start")
    everything = []
    with _book.serve(args.html) as base, _book.chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        blocked = []
        _book.block_external(context, blocked)
        page = context.new_page()
        page.goto(urljoin(base, "book/explorers.html"), wait_until="load")
        page.wait_for_function(f"() => window.GDExplorers && document.querySelectorAll('.gd-explorer').length === "
                               f"{len(NAMES)} && [...document.querySelectorAll('.gd-explorer')].every(e => e.gdExplorer)")
        for name in NAMES:
            times = []
            for _ in range(args.repeats):
                times += page.evaluate("([n, k]) => GDExplorers.benchmark(document.querySelector("
                                       "`.gd-explorer[data-explorer=${n}]`).gdExplorer, k)", [name, args.points])
            everything += times
            p95 = statistics.quantiles(times, n=20)[18]
            print(f"{name:15s} {len(times):4d} updates  median {statistics.median(times):6.2f} ms  p95 {p95:6.2f} ms"
                  f"  worst {max(times):7.2f} ms")
        context.close()
    med, p95 = statistics.median(everything), statistics.quantiles(everything, n=20)[18]
    verdict = "PASS" if med <= 16 and p95 <= 50 else "MISS"
    print(f"{'all':15s} {len(everything):4d} updates  median {med:6.2f} ms  p95 {p95:6.2f} ms  "
          f"[{verdict} vs median <= 16 ms, p95 <= 50 ms]; requests blocked: {len(blocked)}")
    print(f"load average {os.getloadavg()[0]:.1f} (1 min) at end")


if __name__ == "__main__":
    main()
