"""How fast does each explorer react to a slider? And what does its static twin cost?

Moves every control of every explorer across its range (one value at a time, as a user
dragging a slider would), timing each recompute + redraw (``ctrl.value = x`` runs the update
synchronously). Prints the median and worst update time per explorer, PASS/MISS against the
50 ms target for the median, and the time and size of the static twin made at display.

    MPLBACKEND=Agg .venv/bin/python benchmarks/bench_explorers.py [--points 12] [--no-static]

Times depend on the machine and on its load: the load average is printed with the results, and
the process CPU time next to the wall time (on a busy machine wall time also counts the waits
for a core; the 50 ms verdict is on wall time).
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import time

import numpy as np

import explorers
import gdcore as gd

TARGET_MS = 50.0


def sweep_values(ctrl, points):
    """Up to ``points`` values across the control's range, ending back at its initial value."""
    if hasattr(ctrl, "options"):
        opts = [o if not isinstance(o, tuple) else o[1] for o in ctrl.options]
        vals = opts
    elif ctrl.__class__.__name__ == "FloatLogSlider":
        vals = list(ctrl.base ** np.linspace(ctrl.min, ctrl.max, points))
    elif isinstance(ctrl.value, int):
        vals = sorted({round(x) for x in np.linspace(ctrl.min, ctrl.max, points)})
    else:
        vals = list(np.linspace(ctrl.min, ctrl.max, points))
    return [v for v in vals if v != ctrl.value] + [ctrl.value]


def bench(name, make, points, static):
    w = make()
    times, cpu = {}, []
    for cname, ctrl in w.controls.items():
        if hasattr(ctrl, "layout") and ctrl.layout.display == "none":
            continue                      # a hidden parameter of another schedule
        for val in sweep_values(ctrl, points):
            c0, t0 = time.process_time(), time.perf_counter()
            ctrl.value = val
            dt, dc = time.perf_counter() - t0, time.process_time() - c0
            times.setdefault(cname, []).append(dt * 1e3)
            cpu.append(dc * 1e3)
    if name == "schedules":               # each schedule's own parameters too
        for sname in gd.schedules.NAMES:
            w.controls["name"].value = sname
            for cname in gd.explore_core.SCHEDULE_PARAMS[sname]:
                for val in sweep_values(w.controls[cname], points):
                    c0, t0 = time.process_time(), time.perf_counter()
                    w.controls[cname].value = val
                    times.setdefault(cname, []).append((time.perf_counter() - t0) * 1e3)
                    cpu.append((time.process_time() - c0) * 1e3)
    all_ms = [t for ts in times.values() for t in ts]
    med, worst = statistics.median(all_ms), max(all_ms)
    verdict = "PASS" if med <= TARGET_MS else "MISS"
    per = ", ".join(f"{k} {statistics.median(v):.0f}" for k, v in times.items())
    print(f"{name:14s} {len(all_ms):4d} updates  median {med:6.1f} ms  worst {worst:7.1f} ms  "
          f"[{verdict} vs {TARGET_MS:.0f} ms]  (CPU time: median {statistics.median(cpu):5.1f} ms, "
          f"worst {max(cpu):6.1f} ms)\n{'':14s} per control (median wall ms): {per}")
    if static:
        t0 = time.perf_counter()
        html = w.static_html()
        dt = time.perf_counter() - t0
        frames = len(re.findall(r'frames\[\d+\] = "data:image', html))
        print(f"{'':14s} static twin: {dt:5.2f} s for {frames} frames, {len(html) / 1e3:6.0f} kB of HTML")
    w.close()
    return med, worst


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=12, help="values per slider (default 12)")
    ap.add_argument("--no-static", action="store_true", help="skip the static twins")
    args = ap.parse_args()
    import matplotlib
    print(f"matplotlib backend {matplotlib.get_backend()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} (1 min) at start")
    misses = 0
    for name, make in explorers.EXPLORERS.items():
        med, _ = bench(name, make, args.points, not args.no_static)
        misses += med > TARGET_MS
    print(f"load average {os.getloadavg()[0]:.1f} (1 min) at end; {misses} explorer(s) miss the "
          f"{TARGET_MS:.0f} ms median target")


if __name__ == "__main__":
    os.environ.setdefault("MPLBACKEND", "Agg")
    main()
