"""How much do last-bit differences move the XOR explorer's losses at the slider's top learning rate?

The web twin (explorers/web/gd-explorers.js) agrees with gdcore's XOR kernel to 1.5e-9 at lr = 10**0.5, not
1e-9 (tests/test_web_explorers.py::test_parity_xor). This replays gdcore.explore_core.xor_run (checked to be
bit-identical first) with one source of difference changed at a time, and prints the largest relative change
of the 1001 losses over H = 1..8, three activations and seeds 0 and 7:

* "glibc tanh/exp": np.tanh and np.exp replaced by glibc's math.tanh and math.exp, elementwise;
* "loop sums": the two matmuls with genuine products (A1 @ W2 and A1.T @ dz, which OpenBLAS computes with
  fused multiply-adds) replaced by sums in the twin's order, without FMA.

    .venv/bin/python benchmarks/xor_top_rate_sensitivity.py
"""
from __future__ import annotations

import math

import numpy as np

from gdcore import explore_core as core
from gdcore.models import mlp

X, Y = core.XOR_X, core.XOR_Y
LIBM_TANH = np.vectorize(math.tanh, otypes=[float])
LIBM_EXP = np.vectorize(math.exp, otypes=[float])


def losses(H, act, lr, epochs, seed, tanh=np.tanh, exp=np.exp, loop_sums=False):
    """xor_continue from mlp.init, with the elementary functions and the two matmuls made swappable."""
    p = mlp.init([2, H, 1], act, rng=seed)
    if act == "tanh":
        phi, dphi = tanh, (lambda z, a: 1.0 - a * a)
    elif act == "sigmoid":
        def phi(z):
            e = exp(-np.abs(z))
            return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        dphi = lambda z, a: a * (1.0 - a)
    else:
        phi, dphi = mlp._act("relu")
    W1, b1, W2, b2 = p["W1"], p["b1"], p["W2"], p["b2"]
    zs = []
    for t in range(epochs + 1):
        Z1 = X @ W1 + b1          # X is 0/1: these sums round once either way
        A1 = phi(Z1)
        if loop_sums:
            z = np.zeros(4)
            for j in range(H):
                z = z + A1[:, j] * W2[j, 0]
            z = z + b2[0]
        else:
            z = (A1 @ W2)[:, 0] + b2[0]
        zs.append(z)
        if t == epochs:
            break
        dz = ((0.5 + 0.5 * tanh(0.5 * z) - Y) / 4)[:, None]
        if loop_sums:
            gW2 = np.zeros((H, 1))
            for i in range(4):
                gW2 = gW2 + A1[i][:, None] * dz[i]
        else:
            gW2 = A1.T @ dz
        D1 = (dz @ W2.T) * dphi(Z1, A1)
        W1, b1 = W1 - lr * (X.T @ D1), b1 - lr * D1.sum(axis=0)
        W2, b2 = W2 - lr * gW2, b2 - lr * dz.sum(axis=0)
    Z = np.array(zs)
    return (np.maximum(Z, 0.0) - Y * Z + np.log1p(np.exp(-np.abs(Z)))).sum(axis=1) / 4


def main():
    lr = 10 ** 0.5
    variants = {"glibc tanh/exp": {"tanh": LIBM_TANH, "exp": LIBM_EXP}, "loop sums": {"loop_sums": True}}
    worst = dict.fromkeys(variants, 0.0)
    for H in range(1, 9):
        for act in mlp.ACTIVATIONS:
            for seed in (0, 7):
                base = losses(H, act, lr, 1000, seed)
                assert np.array_equal(base, core.xor_run(H, act, lr, 1000, seed)[1]), "not gdcore's kernel"
                for name, kw in variants.items():
                    other = losses(H, act, lr, 1000, seed, **kw)
                    worst[name] = max(worst[name], float(np.max(np.abs(other - base) / np.abs(base))))
    for name, w in worst.items():
        print(f"{name:15s} largest relative change of the losses at lr = 10**0.5: {w:.1e}")


if __name__ == "__main__":
    main()
