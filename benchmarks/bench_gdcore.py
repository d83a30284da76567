"""Speed of gdcore's training loop against plain NumPy references, measured in the same run.

Run:  MPLBACKEND=Agg .venv/bin/python benchmarks/bench_gdcore.py

Each line prints the gdcore time, the reference time, their ratio, the target and PASS/MISS.
Times are the minimum over repeats (the least disturbed run). This is not a test: nothing is asserted.

What "the same updates" means for the references (see README.md):
* the same data, the same shuffles (one ``rng.permutation(n)`` per epoch from the same seed), the same
  batches and the same SGD update ``w -= lr * X_b^T r / m``, ``b -= lr * mean(r)``;
* the per-step batch loss is computed and stored, because fit needs it for divergence detection;
* the full-data loss before training and after each epoch is computed, because fit must report it
  (``hist.epoch_loss``) and scales its divergence threshold by the initial one; the ratio against a
  bare reference without these two full passes is printed too, for information;
* NOT done by the references: recording the learning rate, the gradient norm and the example count
  per step. gdcore does those extras inside the measured time.
"""
from __future__ import annotations

import functools
import importlib.util
import os
import platform
import time

# One BLAS thread for gdcore and the references alike: on a small shared machine, BLAS threads that
# spin while waiting for a busy core make the timings meaningless. Set before NumPy is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np

import gdcore as gd

REPEATS = 3
# CPU time of this process: what the code costs, not how long it waited for a core that other
# jobs were using (the wall-clock ratios agree when the machine is idle; see README.md)
clock = time.process_time


def best_of(fn, repeats=REPEATS):
    times = []
    for _ in range(repeats):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return min(times)


def best_of_pair(fn_a, fn_b, repeats=REPEATS):
    """Min-of-repeats of two functions, interleaved so that machine load hits both alike."""
    ta, tb = [], []
    for _ in range(repeats):
        for fn, times in ((fn_a, ta), (fn_b, tb)):
            t0 = clock()
            fn()
            times.append(clock() - t0)
    return min(ta), min(tb)


def line(name, t_gd, t_ref, target, faster=False):
    """faster=False: target is a maximum of t_gd/t_ref; faster=True: a minimum speed-up t_ref/t_gd."""
    if t_ref is None:
        print(f"{name:<44} gdcore {t_gd * 1e3:9.2f} ms | reference skipped: torch not installed")
        return
    if faster:
        speedup = t_ref / t_gd
        ok = speedup >= target
        print(f"{name:<44} gdcore {t_gd * 1e3:9.2f} ms | ref {t_ref * 1e3:9.2f} ms | "
              f"speed-up {speedup:6.2f}x | target >= {target:g}x | {'PASS' if ok else 'MISS'}")
    else:
        ratio = t_gd / t_ref
        ok = ratio <= target
        print(f"{name:<44} gdcore {t_gd * 1e3:9.2f} ms | ref {t_ref * 1e3:9.2f} ms | "
              f"ratio {ratio:6.3f} | target <= {target:g}x | {'PASS' if ok else 'MISS'}")


# ---------------------------------------------------------------- full batch, N = 1e6, d = 20

def bench_full_batch():
    """Per-iteration cost = (fit with 2K steps - fit with K steps) / K, so that one-time costs (input
    validation, the final loss evaluation) cancel; they are printed separately."""
    n, d, K = 1_000_000, 20, 8
    X, y, _ = gd.data.make_linear(n, d, rng=0)
    params = gd.models.linear.init(d)
    w = np.zeros(d)

    def run_gd(steps):
        gd.fit(gd.models.linear, params, X, y, gd.optim.sgd(lr=0.1), batch_size=None, epochs=steps)

    def run_ref():
        # only the two mat-vecs one step needs: r = X w and X^T r
        for _ in range(K):
            r = X @ w
            X.T @ r

    t_k, t_2k, t_ref = [], [], []
    for _ in range(REPEATS):
        for fn, times in ((lambda: run_gd(K), t_k), (lambda: run_gd(2 * K), t_2k), (run_ref, t_ref)):
            t0 = clock()
            fn()
            times.append(clock() - t0)
    per_iter = (min(t_2k) - min(t_k)) / K
    t_ref = min(t_ref) / K
    line("full-batch iteration (N=1e6, d=20)", per_iter, t_ref, 1.2)
    print(f"{'':<44} (info) one-time cost of a fit call (validation, final loss): "
          f"{(min(t_k) - K * per_iter) * 1e3:.1f} ms; fit with {K} steps / {K} = {min(t_k) / K * 1e3:.2f} ms "
          f"per step, ratio {min(t_k) / K / t_ref:.3f}")
    return per_iter, t_ref


# ---------------------------------------------------------------- stochastic workloads, N = 1e5

def full_loss(X, y, w, b):
    r = X @ w + b - y
    return 0.5 * float(r @ r) / X.shape[0]


def ref_minibatch_epoch(X, y, B, lr, seed, epoch_losses=True):
    """Plain NumPy mini-batch SGD for linear least squares: one epoch, fit's shuffles and updates."""
    n, d = X.shape
    rng = np.random.default_rng(seed)
    w = np.zeros(d)
    b = 0.0
    losses = []
    loss0 = full_loss(X, y, w, b) if epoch_losses else None
    perm = rng.permutation(n)
    Xp, yp = np.take(X, perm, axis=0), np.take(y, perm)
    for s in range(0, n, B):
        Xb, yb = Xp[s:s + B], yp[s:s + B]
        m = yb.shape[0]
        r = Xb @ w + b - yb
        losses.append(0.5 * float(r @ r) / m)
        w -= lr * ((Xb.T @ r) / m)
        b -= lr * (r.sum() / m)
    epoch_loss = full_loss(X, y, w, b) if epoch_losses else None
    return w, b, losses, (loss0, epoch_loss)


def ref_sgd_epoch(X, y, lr, seed, epoch_losses=True):
    """Plain NumPy per-sample SGD (the natural scalar loop): one epoch, fit's shuffle and updates."""
    n, d = X.shape
    rng = np.random.default_rng(seed)
    w = np.zeros(d)
    b = 0.0
    losses = []
    loss0 = full_loss(X, y, w, b) if epoch_losses else None
    for i in rng.permutation(n).tolist():
        xi = X[i]
        r = float(xi @ w) + b - y[i]
        losses.append(0.5 * r * r)
        w -= (lr * r) * xi
        b -= lr * r
    epoch_loss = full_loss(X, y, w, b) if epoch_losses else None
    return w, b, losses, (loss0, epoch_loss)


def sklearn_time(X, y, B):
    if importlib.util.find_spec("sklearn") is None:
        return None
    from sklearn.linear_model import SGDRegressor
    if B != 1:
        return "n/a"  # SGDRegressor only does per-sample updates; partial_fit per batch is not comparable
    model = SGDRegressor(loss="squared_error", penalty=None, learning_rate="constant", eta0=0.01,
                         max_iter=1, tol=None, shuffle=True, random_state=0)
    return best_of(lambda: model.fit(X, y))


def bench_stochastic():
    n, d, lr = 100_000, 20, 0.01
    X, y, _ = gd.data.make_linear(n, d, rng=0)
    params = gd.models.linear.init(d)
    out = {}
    for name, B in (("mini-batch epoch (N=1e5, d=20, B=32)", 32), ("per-sample SGD epoch (N=1e5, d=20)", 1)):
        def run_gd(B=B):
            return gd.fit(gd.models.linear, params, X, y, gd.optim.sgd(lr=lr), batch_size=B, epochs=1, rng=0)

        def ref(B=B, **kw):
            if B == 1:
                return ref_sgd_epoch(X, y, lr, 0, **kw)
            return ref_minibatch_epoch(X, y, B, lr, 0, **kw)

        # the twins must agree before their times mean anything
        p, hist = run_gd()
        w, b, losses, epoch_losses = ref()
        np.testing.assert_allclose(p["w"], w, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(p["b"], b, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(hist.loss, losses, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(hist.epoch_loss, epoch_losses, rtol=1e-9)

        repeats = REPEATS if B > 1 else 2
        t_gd, t_ref = best_of_pair(run_gd, ref, repeats)
        line(name, t_gd, t_ref, 1.2)
        t_bare = best_of(functools.partial(ref, epoch_losses=False), repeats)
        print(f"{'':<44} (info) bare reference without the 2 full-data losses: {t_bare * 1e3:.2f} ms, "
              f"ratio {t_gd / t_bare:.3f}")
        t_sk = sklearn_time(X, y, B)
        if t_sk is None:
            print(f"{'':<44} sklearn SGDRegressor: skipped (scikit-learn not installed)")
        elif t_sk == "n/a":
            print(f"{'':<44} sklearn SGDRegressor: n/a (it has no mini-batch mode)")
        else:
            print(f"{'':<44} sklearn SGDRegressor (1 epoch, for information): {t_sk * 1e3:.2f} ms")
        out[B] = (t_gd, t_ref)
        if B == 1:
            # information: the same per-sample updates written as the B=32 loop with batches of one row
            t_b1 = best_of(lambda: ref_minibatch_epoch(X, y, 1, lr, 0), repeats)
            print(f"{'':<44} (info) plain loop with 1-row batches: {t_b1 * 1e3:.2f} ms, "
                  f"gdcore/that = {t_gd / t_b1:.3f}")
    return out


# ---------------------------------------------------------------- XOR 2-4-1 MLP

def bench_xor():
    X, y = gd.data.make_xor()
    net = gd.models.mlp.model("tanh")
    params = net.init([2, 4, 1], rng=0)
    t_gd = best_of(lambda: gd.fit(net, params, X, y, gd.optim.sgd(lr=0.5), epochs=5000))
    if importlib.util.find_spec("torch") is None:
        print(f"{'XOR 2-4-1 MLP, 5000 full-batch steps':<44} gdcore {t_gd * 1e3:9.2f} ms | "
              "skipped: torch not installed")
        return t_gd, None
    import torch
    torch.set_num_threads(1)
    Xt = torch.tensor(X)
    yt = torch.tensor(y)

    def run_torch():
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)).double()
        opt = torch.optim.SGD(model.parameters(), lr=0.5)
        lossf = torch.nn.BCEWithLogitsLoss()
        for _ in range(5000):
            opt.zero_grad()
            loss = lossf(model(Xt)[:, 0], yt)
            loss.backward()
            opt.step()

    t_ref = best_of(run_torch)
    line("XOR 2-4-1 MLP, 5000 full-batch steps", t_gd, t_ref, 20, faster=True)
    return t_gd, t_ref


def main():
    t0 = time.perf_counter()
    print(f"gdcore {gd.__version__} | numpy {np.__version__} | Python {platform.python_version()} | "
          f"{platform.machine()} | {os.cpu_count()} cores | CPU time, min of {REPEATS} interleaved repeats, "
          "1 BLAS thread | "
          f"load average {os.getloadavg()[0]:.1f}")
    bench_full_batch()
    bench_stochastic()
    bench_xor()
    print(f"total benchmark time {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
