"""The synthetic class CI grades: honest students, faults, messy notebooks and attackers, built from any
assignment's source and release notebooks, each with the grade, status and flag it must receive.

Every student is written the way a real one would (starting from the release, filling in answers), so the
class exercises nbgrader's real pipeline. The expected score of a student comes from *which answers are wrong*
and the test cells that depend on them (read from the notebooks), never from running the grader.
"""
from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass, field

import nbformat

SOLUTION_RE = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.DOTALL)
HIDDEN_RE = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.DOTALL)
STUB = "raise NotImplementedError()"
WRONG = "return 0.0  # synthetic student: wrong on purpose"


def nbmeta(cell):
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_answer(cell):
    m = nbmeta(cell)
    return cell.cell_type == "code" and m.get("solution") and not m.get("grade")


def is_test(cell):
    m = nbmeta(cell)
    return bool(m.get("grade") and not m.get("solution"))


def is_written(cell):
    m = nbmeta(cell)
    return bool(m.get("grade") and m.get("solution"))


def is_setup(cell):
    m = nbmeta(cell)
    return bool(m.get("locked") and not m.get("grade") and not m.get("solution"))


def defined_names(src):
    try:
        tree = ast.parse(src)
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _mentions(src, names):
    return any(re.search(rf"\b{re.escape(n)}\b", src) for n in names)


def dependencies(nb):
    """{test grade_id: set of answer grade_ids it depends on}, transitively through the answers' code."""
    answers = {nbmeta(c)["grade_id"]: c for c in nb.cells if is_answer(c)}
    names = {gid: defined_names(c.source) for gid, c in answers.items()}
    uses = {gid: {o for o in answers if o != gid and _mentions(c.source, names[o])} for gid, c in answers.items()}
    deps = {}
    for c in nb.cells:
        if not is_test(c):
            continue
        todo = [gid for gid in answers if _mentions(c.source, names[gid])]
        seen = set()
        while todo:
            g = todo.pop()
            if g not in seen:
                seen.add(g)
                todo += list(uses[g])
        deps[nbmeta(c)["grade_id"]] = seen
    return deps


def expected_auto_score(source, broken_answers):
    """Autograded points a submission should get when exactly the answers in broken_answers are wrong."""
    deps = dependencies(source)
    return sum(float(nbmeta(c)["points"]) for c in source.cells
               if is_test(c) and not (deps[nbmeta(c)["grade_id"]] & set(broken_answers)))


def strip_solution(src):
    """The solution cell as a student who got it right would write it: delimiters removed."""
    return re.sub(r"[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", "", src)


def _replace_stub(src, body):
    m = re.search(r"^([ \t]*)" + re.escape(STUB), src, re.MULTILINE)
    assert m, "release answer cell has no stub"
    indent = m.group(1)
    return src[:m.start()] + "\n".join(indent + ln for ln in body.splitlines()) + src[m.end():]


def answered(source, release, stub_ids=(), body=None, written=True):
    """The release filled in as a student who knows the solution would, except the answers in stub_ids: left
    as the stub, or with `body` in place of the stub."""
    src_by_id = {nbmeta(c)["grade_id"]: c for c in source.cells if nbmeta(c)}
    nb = copy.deepcopy(release)
    for c in nb.cells:
        gid = nbmeta(c).get("grade_id")
        s = src_by_id.get(gid)
        if s is None:
            continue
        if is_answer(c):
            if gid in stub_ids:
                if body is not None:
                    c.source = _replace_stub(c.source, body)
            else:
                c.source = strip_solution(s.source)
        elif is_written(c) and written:
            c.source = strip_solution(s.source)
    return nb


@dataclass
class Student:
    name: str
    notebook: object                   # a NotebookNode, or raw text (a broken file)
    broken: set | str = field(default_factory=set)  # answer ids that are wrong, or "FAILED"
    status: str = "needs_manual_grade"  # what the export must say
    flagged: bool = False
    message: str = ""                  # a substring some verdict message must contain
    extra_files: dict = field(default_factory=dict)  # {file name: text} handed in beside the notebook
    full_written: bool = True


def _new_cell(src, cid):
    c = nbformat.v4.new_code_cell(src)
    c.id = cid
    return c


def build_class(source, release, assignment, delegations=None, with_timeout=False):
    """The synthetic class for one notebook: a list of Students."""
    answers = [c for c in source.cells if is_answer(c)]
    deps = dependencies(source)
    ids = [nbmeta(c)["grade_id"] for c in answers]
    src_by_id = {nbmeta(c)["grade_id"]: c for c in source.cells if nbmeta(c)}

    def student(stub_ids=(), body=None, written=True):
        return answered(source, release, stub_ids, body, written)

    def idx(nb, gid):
        return next(i for i, c in enumerate(nb.cells) if nbmeta(c).get("grade_id") == gid)

    def insert_before_first_answer(nb, code, cid):
        nb.cells.insert(next(i for i, c in enumerate(nb.cells) if is_answer(c)), _new_cell(code, cid))
        return nb

    n_dep = {i: sum(i in d for d in deps.values()) for i in ids}
    first = min(ids, key=lambda i: n_dep[i])
    second = next((i for i in ids if i != first), first)
    last = ids[-1]
    first_test = next(c for c in source.cells if is_test(c))
    first_test_id = nbmeta(first_test)["grade_id"]
    tested_by_first = sorted(deps[first_test_id]) or [first]
    out = []

    # --- honest work and faults ------------------------------------------------------------------
    out.append(Student("full", student()))
    out.append(Student("blank", copy.deepcopy(release), set(ids), status="graded", full_written=False))
    out.append(Student("partial", student([first]), {first}))
    nb = student()
    c = nb.cells[idx(nb, second)]
    c.source = 'raise RuntimeError("synthetic student: this cell crashes")\n' + c.source
    out.append(Student("error", nb, {second}))
    if with_timeout:
        loop = min(reversed(ids), key=lambda i: n_dep[i])
        out.append(Student("timeout", student([loop], body="while True:  # synthetic student: a loop\n    pass"),
                           {loop}))
    nb = student()
    src = src_by_id[first].source
    m = re.search(r"^([ \t]*)### BEGIN SOLUTION\n", src, re.MULTILINE)
    warn = m.group(1) + 'import warnings; warnings.warn("synthetic student: a harmless warning")\n'
    nb.cells[idx(nb, first)].source = strip_solution(src[:m.end()] + warn + src[m.end():])
    out.append(Student("warning", nb))
    text = nbformat.writes(student())
    out.append(Student("badjson", text[: len(text) // 2], "FAILED", status="FAILED"))
    nb = student()
    c = nb.cells[idx(nb, last)]
    c.source = "import os\nos._exit(1)  # synthetic student: kills the kernel\n" + c.source
    # the kernel dies at the last answer: every test that runs after it scores 0
    after = _tests_after(source, last)
    out.append(Student("exit", nb, {"__tests__": after}, status="flagged", flagged=True))

    # --- messy but honest notebooks: graded as what they are, full marks ---------------------------
    nb = student()
    nb.cells = [c for c in nb.cells if not is_setup(c)]
    out.append(Student("deleted_setup", nb))
    nb = student()
    a, t = idx(nb, first), idx(nb, first_test_id)
    nb.cells.insert(a + 1, copy.deepcopy(nb.cells[a]))      # a copied answer cell (same ids)
    t = idx(nb, first_test_id)
    nb.cells.insert(t, copy.deepcopy(nb.cells[t]))          # a copied test cell above the original
    out.append(Student("duplicated", nb))
    nb = student()
    t = idx(nb, first_test_id)
    moved = nb.cells.pop(t)
    nb.cells.insert(min(idx(nb, g) for g in tested_by_first), moved)  # test moved above its answer
    out.append(Student("reordered", nb))
    nb = student()
    nb.cells[idx(nb, first)].metadata.pop("nbgrader")        # answer cell lost its metadata
    t = idx(nb, first_test_id)
    nb.cells[t].metadata["nbgrader"]["points"] = 100         # a test claims more points
    tests = [i for i, c in enumerate(nb.cells) if is_test(c)]
    if len(tests) > 1:
        nb.cells[tests[-1]].metadata["nbgrader"]["grade"] = False  # a test claims to be no test
    out.append(Student("metadata_edited", nb))
    nb = student()
    nb.metadata["kernelspec"] = {"name": "evil", "display_name": "Evil", "language": "bash"}
    nb.metadata["language_info"] = {"name": "bash"}
    out.append(Student("kernelspec", nb))                   # asks for another kernel: gets python3
    nb = student()
    nb.cells.append(_new_cell("# " + "x" * 21_000_000, "huge-cell"))
    out.append(Student("huge_notebook", nb, "FAILED", status="FAILED"))  # over 20 MB: not graded
    nb = student()
    insert_before_first_answer(nb, "print('x' * 50_000_000)  # synthetic student: one 50 MB line", "big-output")
    out.append(Student("big_output", nb))
    nb = student()
    insert_before_first_answer(nb, "for _ in range(300):  # synthetic student: 300 MB of output in 1 MB prints\n"
                                   "    print('y' * 1_000_000)", "output-flood")
    out.append(Student("output_flood", nb))
    nb = student()
    insert_before_first_answer(nb, "hog = []\nwhile True:  # synthetic student: eats memory until stopped\n"
                                   "    hog.append(bytearray(512 * 1024**2))", "memory-hog")
    out.append(Student("memory_hog", nb))

    # --- attackers: every answer wrong, plus a trick; the trick must gain nothing --------------------
    def attacker(name, code, flagged=True, extra=None, body=WRONG):
        nb = student(ids, body=body)
        insert_before_first_answer(nb, code, "synthetic-" + name.replace("_", "-"))
        out.append(Student(name, nb, set(ids), status="flagged" if flagged else "needs_manual_grade",
                           flagged=flagged, extra_files=extra or {}))

    attacker("monkeypatch", "import math, numpy, numpy.testing\n"
             "numpy.allclose = lambda *a, **k: True\nnumpy.isclose = lambda *a, **k: True\n"
             "numpy.testing.assert_allclose = lambda *a, **k: None\nmath.isclose = lambda *a, **k: True\n")
    attacker("input_transformer",
             "ip = get_ipython()\n"
             "ip.input_transformers_cleanup.append(lambda lines: [l.replace('check(', 'print(') for l in lines])\n")
    attacker("builtins", "import builtins, math\nbuiltins.abs = lambda x: 0.0\nbuiltins.len = lambda x: 0\n"
             "math.isfinite = lambda x: True\nbuiltins.float = lambda *a: 0.0\n")
    attacker("fake_check",
             "import grading.student as gs, grading.compare as gc\n"
             "def fake(name, got, expected=None, **k):\n"
             "    gs._publish({'name': name, 'got': gc.encode(expected), 'rtol': 1e300, 'atol': 1e300,\n"
             "                 'hint': '', 'visible': True}, 'ok')\n"
             "gs.check = fake\ngc.compare = lambda *a, **k: (True, '')\n"
             "import sys\nfor m in list(sys.modules.values()):\n"
             "    if getattr(m, 'check', None) is not None and getattr(m, '__name__', '') == '__main__':\n"
             "        m.check = fake\n"
             "globals()['check'] = fake\n")
    attacker("frame_reader",
             "import sys\n"
             "class Sneaky(float):\n"
             "    def __new__(cls):\n"
             "        f = sys._getframe(1)\n"
             "        while f is not None:\n"
             "            for k in ('expected', 'want', 'ref'):\n"
             "                if k in f.f_locals:\n"
             "                    return float.__new__(cls, float(f.f_locals[k]))\n"
             "            f = f.f_back\n"
             "        return float.__new__(cls, 0.0)\n", body="return Sneaky()  # reads the expected value")
    attacker("fake_records",
             "from IPython.display import publish_display_data\n"
             "for n in range(200):\n"
             "    publish_display_data({'application/vnd.gd-hands-on.check+json':\n"
             "        {'name': f'check {n}', 'got': {'t': 'num', 'v': 1.0}, 'rtol': 1e9, 'atol': 1e9,\n"
             "         'hint': '', 'visible': True}, 'text/plain': 'fake'})\n")
    attacker("file_attack",
             "import os, glob, json, site\nimport gdcore\nloot = {}\n"
             "for target in [gdcore.__file__, os.path.join(os.path.dirname(gdcore.__file__), '..', 'nbgrader_config.py'),\n"
             "               os.path.join(site.getsitepackages()[0], 'evil.pth'), '/tmp/../etc/evil',\n"
             "               os.path.join(os.path.dirname(os.__file__), 'evil.py'), '/work/evil.py']:\n"
             "    try:\n        open(target, 'a').write('import os  # pwned\\n')\n"
             "    except Exception as e:\n        loot[target] = repr(e)\n"
             "for pat in ['/work/*/solutions/*/*.ipynb', '../../../solutions/*/*.ipynb', '/work/**/gradebook.db',\n"
             "            '../../../nbgrader_config.py', '/root/*', '/proc/1/environ', '/etc/shadow']:\n"
             "    try:\n        loot[pat] = glob.glob(pat, recursive=True)[:3]\n    except Exception as e:\n"
             "        loot[pat] = repr(e)\n"
             "print(json.dumps(loot)[:2000])\n")
    attacker("network", "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 80), timeout=2)\n"
             "except OSError as e:\n    print('no network:', e)\n")
    attacker("background_process",
             "import subprocess\n"
             "subprocess.Popen(['/bin/sh', '-c', 'sleep 600 & sleep 600'], start_new_session=True)\n"
             "import os\npid = os.fork()\nif pid == 0:\n    os.setsid()\n    import time\n    time.sleep(600)\n"
             "    os._exit(0)\n")
    attacker("shadow_numpy", "# a numpy.py was handed in beside this notebook\n", flagged=False,
             extra={"numpy.py": "raise SystemExit('shadowed numpy')\nallclose = lambda *a, **k: True\n",
                    "grading.py": "check = lambda *a, **k: None\n"})

    # --- delegation to gdcore (off-limits): the delegated parts score 0, with the function's name ------
    for name, (gid, body, qualname) in (delegations or {}).items():
        nb = student([gid], body=body)
        out.append(Student(name, nb, {gid}, message=f"{qualname} is off-limits", flagged=False))
    return out


def _tests_after(source, answer_id):
    """grade_ids of test cells at or after the answer cell answer_id (the kernel dies there)."""
    seen, out = False, set()
    for c in source.cells:
        m = nbmeta(c)
        if m.get("grade_id") == answer_id:
            seen = True
        if seen and is_test(c):
            out.add(m["grade_id"])
    return out


def expected_score(source, student):
    """The autograded points a synthetic student must receive."""
    broken = student.broken
    if isinstance(broken, dict):  # {"__tests__": test ids that never run}
        dead = broken["__tests__"]
        return sum(float(nbmeta(c)["points"]) for c in source.cells if is_test(c)
                   and nbmeta(c)["grade_id"] not in dead)
    return expected_auto_score(source, broken)


# Answers that delegate the asked-for computation to gdcore, per assignment: {student: (answer id, body, name)}.
# Each must score 0 for that part with a message naming the off-limits function (directly, by an alias, through
# a wrapper or another gdcore function, or by a re-exported name).
DELEGATIONS = {
    "gradients": {
        "gdcore_direct": ("mse_loss_answer", "return gd.losses.mse(X @ w + b, y)[0]", "gdcore.losses.mse"),
        "gdcore_alias": ("mse_grad_answer",
                         ("f = gd.models.linear.loss_and_grad\n"
                         "_, g = f({'w': np.asarray(w, float), 'b': np.asarray(float(b))}, X, y)\n"
                         "return g['w'], float(g['b'])"), "gdcore.models.linear.loss_and_grad"),
        "gdcore_wrapper": ("numerical_grad_answer",
                           ("import gdcore.gradcheck as gc\n"
                           "helper = getattr(gc, 'numerical' + '_grad')\n"
                           "return helper(lambda t: f(t), np.array(theta, dtype=float), eps=eps)"),
                           "gdcore.gradcheck.numerical_grad"),
    },
    "batch-gd": {
        "gdcore_reexport": ("bgd_answer",
                            ("import gdcore as gd\nfrom gdcore import fit\n"
                            "p, h = fit(gd.models.linear, gd.models.linear.init(X.shape[1]), X, y,\n"
                            "           gd.optim.sgd(lr=lr), epochs=num_epochs)\n"
                            "return p['w'], float(p['b']), list(h.loss)"), "gdcore.train.fit"),
    },
    "conditioning": {
        "gdcore_direct": ("newton_step_answer",
                          "import gdcore as gd\nreturn gd.second_order.newton_step(grad, hess)",
                          "gdcore.second_order.newton_step"),
        "gdcore_wrapper": ("backtracking_answer",
                           ("from gdcore import second_order as so\n"
                            "fun = lambda z: (f(z), np.asarray(grad, float))\n"
                            "return so.backtracking(fun, x, direction=direction, lr0=lr0, c=c, shrink=shrink).lr"),
                           "gdcore.second_order.backtracking"),
    },
    "debugging": {
        "gdcore_direct": ("half_mse_grad",
                          ("import gdcore as gd\n"
                          "return gd.models.linear.loss_and_grad({'w': w, 'b': np.zeros(())}, X, y)[1]['w']"),
                          "gdcore.models.linear.loss_and_grad"),
    },
    "digits": {
        "gdcore_direct": ("log_softmax", "import gdcore as gd\nreturn gd.losses.log_softmax(Z)",
                          "gdcore.losses.log_softmax"),
        # through another gdcore function: a softmax mlp without a hidden layer is softmax regression
        "gdcore_other_model": ("loss_and_grad",
                               ("import gdcore as gd\n"
                                "net = gd.models.mlp.model('tanh', output='softmax')\n"
                                "loss, g = net.loss_and_grad({'W1': params['W'], 'b1': params['b']}, X, y)\n"
                                "return loss, {'W': g['W1'], 'b': g['b1']}"),
                               "gdcore.losses._softmax_ce"),
        "gdcore_fit": ("train_softmax",
                       ("import gdcore as gd\n"
                        "p0 = {'W': np.zeros((X.shape[1], K)), 'b': np.zeros(K)}\n"
                        "p, h = gd.fit(gd.models.softmax, p0, X, y, gd.optim.sgd(lr=lr),\n"
                        "              batch_size=batch_size, epochs=max(epochs, 1), rng=rng)\n"
                        "return p, h.epoch_loss"),
                       "gdcore.train.fit"),
    },
    "learning-rate": {
        "gdcore_class": ("step_schedule_answer",
                         "import gdcore as gd\nreturn gd.schedules.step_decay(lr0, factor, every)",
                         "gdcore.schedules.step_decay"),
    },
    "linear-regression": {
        "gdcore_wrapper": ("bgd",
                           ("import gdcore as gd\n"
                           "def run(opt):\n"
                           "    return gd.minimize(lambda p: 0.0, np.zeros(X.shape[1]), opt, steps=epochs)\n"
                           "return run(gd.optim.sgd(lr=lr))"), "gdcore.train.minimize"),
    },
    "minibatch": {
        "gdcore_direct": ("per_sample_grads_answer",
                          ("import gdcore as gd\n"
                          "f = gd.models.linear.loss_and_grad\n"
                          "return np.stack([f({'w': w, 'b': np.asarray(float(b))}, X[i:i + 1], y[i:i + 1])[1]['w']\n"
                          "                 for i in range(len(y))])"), "gdcore.models.linear.loss_and_grad"),
    },
    "momentum-adam": {
        "gdcore_adamw": ("adam_step",
                         ("import gdcore as gd\n"
                         "opt = gd.optim.adamw(lr=lr, betas=betas, eps=eps, weight_decay=0.0)  # is Adam\n"
                         "return opt.step(theta, grad, opt.init(theta))"), "gdcore.optim.adamw"),
        "gdcore_class": ("adam_step",
                         ("import gdcore as gd\n"
                         "opt = gd.optim.adam(lr=lr, betas=betas, eps=eps)\n"
                         "return opt.step(theta, grad, opt.init(theta))"), "gdcore.optim.adam"),
    },
    "sgd": {
        "gdcore_direct": ("minibatch_grad_answer",
                          ("import gdcore as gd\n"
                          "_, g = gd.models.linear.loss_and_grad({'w': w, 'b': np.asarray(float(b))}, X[idx], y[idx])\n"
                          "return g['w'], float(g['b'])"), "gdcore.models.linear.loss_and_grad"),
    },
    "sgd-convergence": {
        "gdcore_schedule": ("inverse_k_steps_answer",
                            ("import gdcore as gd\n"
                            "sched = gd.schedules.inverse_time(beta / (gamma + 1), 1 / (gamma + 1))\n"
                            "return sched(np.arange(T))"), "gdcore.schedules.inverse_time"),
        "gdcore_optimiser": ("sgd_path_answer",
                             ("import gdcore as gd\n"
                             "theta, path = np.array(theta1, dtype=float), [np.array(theta1, dtype=float)]\n"
                             "for a, xi in zip(alphas, noise):\n"
                             "    opt = gd.optim.sgd(lr=float(a))\n"
                             "    theta, _ = opt.step(theta, lam * theta + xi, opt.init(theta))\n"
                             "    path.append(theta)\n"
                             "return np.array(path)"), "gdcore.optim.sgd"),
    },
    "xor-mlp": {
        "gdcore_direct": ("bce_with_logits",
                          "import gdcore as gd\nreturn gd.losses.bce_with_logits(z, y)[0]",
                          "gdcore.losses.bce_with_logits"),
    },
}
