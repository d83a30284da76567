"""Link the first use of each glossary term on every book page to the glossary.

Usage: python scripts/link_glossary.py [--check]

Reads the terms from book/glossary.md (the ```{glossary}``` block), then, in each chapter notebook's
markdown cells, wraps the first plain-text occurrence of every term in a {term} role. Text inside code,
maths, headings, links, roles and directives is left alone. Idempotent: a term already linked on a page is
skipped. With --check, exit 1 if any page would change (used by the tests).
"""
from __future__ import annotations

import pathlib
import re
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
# Extra spellings that should link to a term (regex alternatives, matched case-insensitively).
ALIASES = {
    "stochastic gradient descent": [r"stochastic gradient descent"],
    "mini-batch gradient descent": [r"mini-batch gradient descent", r"minibatch gradient descent"],
    "learning rate": [r"learning rates?"],
    "epoch": [r"epochs?"],
    "iteration": [r"iterations?"],
    "saddle point": [r"saddle points?"],
    "local minimum": [r"local minim(?:um|a)"],
    "global minimum": [r"global minim(?:um|a)"],
    "condition number": [r"condition numbers?"],
    "bias (intercept)": [r"intercepts?"],
    "Hessian matrix": [r"Hessian"],
    "eigenvalue": [r"eigenvalues?"],
    "logit": [r"logits?"],
    "feature scaling": [r"feature scaling", r"standardisation", r"standardization"],
    "shuffling": [r"reshuffling", r"shuffling"],
    "activation function": [r"activation functions?"],
    "hidden layer": [r"hidden layers?"],
    "multi-layer perceptron": [r"multi-layer perceptrons?", r"multilayer perceptrons?"],
    "gradient check": [r"gradient checks?", r"gradient checking"],
    "finite differences": [r"finite differences", r"finite-difference"],
    "weight initialisation": [r"initiali[sz]ation"],
    "learning-rate schedule": [r"learning-rate schedules?", r"schedules?"],
    "warm-up": [r"warm-up", r"warmup"],
    "noise ball": [r"noise ball"],
    "unbiased estimator": [r"unbiased estimat(?:or|e)"],
    "vanishing gradient": [r"vanishing gradients?"],
    "exploding gradient": [r"exploding gradients?"],
    "gradient clipping": [r"gradient clipping", r"clipping"],
    "cross-entropy": [r"cross-entropy"],
    "mean squared error": [r"mean squared error"],
    "loss function": [r"loss functions?"],
    "momentum": [r"momentum"],
    "Nesterov momentum": [r"Nesterov"],
    "directional derivative": [r"directional derivatives?"],
    "backpropagation": [r"backpropagation", r"backprop"],
    "chain rule": [r"chain rule"],
    "batch size": [r"batch sizes?"],
    "overfitting": [r"overfitting"],
    "weight decay": [r"weight decay"],
    "staleness": [r"staleness"],
    "all-reduce": [r"all-reduce"],
    "parameter server": [r"parameter servers?"],
    "data parallelism": [r"data parallelism", r"data-parallel"],
    "asynchronous SGD": [r"asynchronous SGD"],
    "linear scaling rule": [r"linear scaling rule"],
    "LR range test": [r"LR range test", r"learning-rate range test"],
    "Robbins–Monro conditions": [r"Robbins[–-]Monro conditions?"],
    "closed-form solution": [r"closed form", r"closed-form"],
    "normal equations": [r"normal equations"],
    "least squares": [r"least[- ]squares"],
}
SKIP = {"gradient", "variance", "convergence", "divergence", "regularisation", "generalisation",
        "iteration", "eigenvalue"}   # too common to be worth a link on every page


def terms():
    text = (BOOK / "glossary.md").read_text(encoding="utf-8")
    block = text.split("```{glossary}", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.splitlines() if line and not line.startswith(" ")]


MASK = re.compile(r"`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|\{[a-z:]+\}`[^`]*`|\[[^\]]*\]\([^)]*\)|<[^>]+>|\([a-z0-9-]+\)=")


def link_cell(src, patterns, done):
    lines = src.split("\n")
    in_fence = in_math = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(("```", ":::")):
            if in_fence and stripped.strip("`:") == "":
                in_fence = False
            elif not in_fence:
                in_fence = True
            continue
        if stripped.startswith("$$"):
            if not (stripped.endswith("$$") and len(stripped) > 2):
                in_math = not in_math
            continue
        if in_fence or in_math or stripped.startswith(("#", ":", "|")):
            continue
        for term, rx in patterns:
            if term in done:
                continue
            masked = [(m.start(), m.end()) for m in MASK.finditer(line)]
            for m in rx.finditer(line):
                if any(a <= m.start() < b or a < m.end() <= b for a, b in masked):
                    continue
                word = m.group(0)
                role = f"{{term}}`{word}`" if word == term else f"{{term}}`{word} <{term}>`"
                line = line[:m.start()] + role + line[m.end():]
                done.add(term)
                break
        lines[i] = line
    return "\n".join(lines)


def process(path, patterns):
    nb = nbformat.read(path, as_version=4)
    done = set()
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        src = "".join(cell["source"])
        for m in re.finditer(r"\{term\}`([^`]*)`", src):
            inner = m.group(1)
            done.add(inner.split("<")[-1].rstrip(">").strip() if "<" in inner else inner)
    changed = False
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        src = "".join(cell["source"])
        new = link_cell(src, patterns, done)
        if new != src:
            cell["source"] = new
            changed = True
    return nb, changed


def main(check=False):
    patterns = []
    for t in terms():
        if t in SKIP:
            continue
        alts = ALIASES.get(t, [re.escape(t)])
        patterns.append((t, re.compile(r"(?<![\w{`<-])(?:" + "|".join(alts) + r")(?![\w`>-])", re.IGNORECASE)))
    # longer terms first, so "batch gradient descent" wins over "gradient descent"
    patterns.sort(key=lambda p: -len(p[0]))
    dirty = []
    for path in sorted(BOOK.glob("[0-9][0-9]_*.ipynb")):
        nb, changed = process(path, patterns)
        if changed:
            dirty.append(path.name)
            if not check:
                nbformat.write(nb, path)
    print(("would change: " if check else "linked: ") + (", ".join(dirty) or "nothing"))
    return 1 if (check and dirty) else 0


if __name__ == "__main__":
    sys.exit(main("--check" in sys.argv))
