"""nbgrader preprocessors that make autograding trustworthy. ``nbgrader_config.py`` puts them in nbgrader's own
pipelines, so ``nbgrader autograde``, formgrader's autograde button and ``python -m grading`` all use them.

Sanitise stage (before anything runs):
  Normalize          graded cells become what they are: duplicates, copies, moved, deleted or relabelled cells
                     are resolved against the gradebook; missing setup and test cells are put back.
Autograde stage:
  SandboxedExecute   nbgrader's Execute with the sandboxed kernel manager; a kernel that dies ends the run but
                     not the grading: the cells it did not reach score 0, the others keep their scores.
  Verdict            decides every test cell OUTSIDE the kernel: the results the cell published (plain numbers)
                     against the results of the instructor's solution (``grading.expected``), and rewrites the
                     cell's outputs to the verdict. Flags submissions that touched the grading machinery.
  LimitOutputBytes   bounds every cell's output in bytes (nbgrader's LimitOutput counts only lines).
Feedback:
  StripHiddenTests   removes hidden test code from the feedback; verdicts and visible tests stay.
"""
from __future__ import annotations

import io
import json
import os
import re
import textwrap
import tokenize
import uuid

from jupyter_core.utils import ensure_async
from nbformat.notebooknode import from_dict
from nbgrader.api import Gradebook
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Integer, Unicode

from . import compare, expected
from .sandbox import SandboxKernelManager, SandboxUnavailable
from .student import MIME

HIDDEN_RE = re.compile(r"[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*\n?", re.DOTALL)
def report_path(root, student, assignment, notebook):
    """Where the verdicts and flags of one graded notebook are kept: outside autograded/, so that
    generate_feedback (which copies that folder) never hands them to the student."""
    return os.path.join(root, ".grading", "reports", student, assignment, notebook + ".json")


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


# --- sanitise -------------------------------------------------------------------------------------------

class Normalize(NbGraderPreprocessor):
    """Resolve every cell that claims (or should claim) a grade_id against the gradebook.

    * Duplicates (a copied answer or test cell, a pasted cell with the same id): a locked cell keeps the copy
      whose source is the instructor's, else the last; an answer keeps its last copy. The other copies lose
      their nbgrader metadata and stay in the notebook as ordinary cells, so no code the student wrote is lost.
    * Unknown grade_ids lose their metadata; an answer cell whose metadata was removed gets it back when it sits
      where the release had it.
    * Missing locked cells (setup cells, test cells) are put back from the gradebook.
    * Order: graded and locked cells are put back in the instructor's order; each cell the student added stays
      after the graded cell it followed. So a test never runs before the answer it tests.
    * Notebook-level cell ids are made unique (JupyterLab copies them when a cell is copied).
    """

    max_source_bytes = Integer(5_000_000, help="a submission with more code and text than this is not graded").tag(
        config=True)

    def preprocess(self, nb, resources):
        size = sum(len(c.get("source", "")) for c in nb.cells)
        if size > self.max_source_bytes:
            raise ValueError(f"the submission holds {size} bytes of cell sources (limit {self.max_source_bytes})")
        notebook_id = resources["nbgrader"]["notebook"]
        assignment_id = resources["nbgrader"]["assignment"]
        with Gradebook(resources["nbgrader"]["db_url"]) as gb:
            source = gb.find_notebook(notebook_id, assignment_id)
            order = [c.name for c in source.source_cells]
            src = {c.name: {"cell_type": c.cell_type, "locked": c.locked, "source": c.source,
                            "checksum": c.checksum} for c in source.source_cells}
            grade = {c.name: float(c.max_score) for c in source.grade_cells}
            solution = {c.name for c in source.solution_cells}
            task = {c.name for c in source.task_cells}

        # choose one cell per known id
        cells = list(nb.cells)
        by_id = {}
        for i, cell in enumerate(cells):
            gid = _meta(cell).get("grade_id")
            if gid is None:
                continue
            if gid not in src:
                self.log.warning("cell claims unknown grade_id %r: treated as an ordinary cell", gid)
                cell.metadata.pop("nbgrader", None)
                continue
            by_id.setdefault(gid, []).append(i)
        chosen = {}
        for gid, idxs in by_id.items():
            if src[gid]["locked"]:
                exact = [i for i in idxs if cells[i].source == src[gid]["source"]]
                keep = (exact or idxs)[-1]
            else:
                keep = idxs[-1]
            chosen[gid] = keep
            for i in idxs:
                if i != keep:
                    self.log.warning("cell %r appears %d times: keeping one, the others stay as ordinary cells",
                                     gid, len(idxs))
                    cells[i].metadata.pop("nbgrader", None)

        # an answer cell whose metadata was stripped: re-label the unlabelled cell in its release position
        for gid in order:
            if gid in chosen or src[gid]["locked"] or gid not in solution:
                continue
            k = order.index(gid)
            prev = next((chosen[p] for p in reversed(order[:k]) if p in chosen), -1)
            j = prev + 1
            if j < len(cells) and not _meta(cells[j]) and cells[j].cell_type == src[gid]["cell_type"] and \
                    j not in chosen.values():
                self.log.warning("answer cell %r had lost its metadata: restored", gid)
                cells[j].metadata["nbgrader"] = self._metadata(gid, src, grade, solution, task)
                chosen[gid] = j

        # every kept cell gets the instructor's nbgrader metadata back (grade, points, locked, ...), so no edit of
        # a flag or of the points survives, and nbgrader's checksums agree
        for gid, i in chosen.items():
            cells[i].metadata["nbgrader"] = self._metadata(gid, src, grade, solution, task)

        # put back missing locked cells (setup and test cells)
        restored = {}
        for gid in order:
            if gid not in chosen and src[gid]["locked"]:
                self.log.warning("locked cell %r was missing: restored from the gradebook", gid)
                restored[gid] = self._new_cell(gid, src, grade, solution, task)

        # rebuild in the instructor's order, student-added cells after the graded cell they followed
        groups, anchor = {None: []}, None
        index_to_id = {i: gid for gid, i in chosen.items()}
        for i, cell in enumerate(cells):
            if i in index_to_id:
                anchor = index_to_id[i]
                groups[anchor] = []
            else:
                groups[anchor].append(cell)
        out = list(groups[None])
        for gid in order:
            if gid in chosen:
                out.append(cells[chosen[gid]])
                out += groups.get(gid, [])
            elif gid in restored:
                out.append(restored[gid])
        seen = set()
        for cell in out:
            cid = cell.get("id")
            if not cid or cid in seen or not re.fullmatch(r"[a-zA-Z0-9-_]{1,64}", str(cid)):
                cell["id"] = uuid.uuid4().hex[:16]
            seen.add(cell["id"])
        nb.cells = out
        return nb, resources

    @staticmethod
    def _metadata(gid, src, grade, solution, task):
        m = {"grade": gid in grade, "grade_id": gid, "locked": src[gid]["locked"], "schema_version": 3,
             "solution": gid in solution}
        if gid in grade:
            m["points"] = grade[gid]
        if gid in task:
            m["task"] = True
        if src[gid]["checksum"]:
            m["checksum"] = src[gid]["checksum"]
        return m

    def _new_cell(self, gid, src, grade, solution, task):
        meta = {"nbgrader": self._metadata(gid, src, grade, solution, task), "deletable": False, "editable": False}
        d = {"cell_type": src[gid]["cell_type"], "metadata": meta, "source": src[gid]["source"],
             "id": uuid.uuid4().hex[:16]}
        if d["cell_type"] == "code":
            d.update(outputs=[], execution_count=None)
        return from_dict(d)


# --- execute --------------------------------------------------------------------------------------------

class SandboxedExecute(Execute):
    """nbgrader's Execute, with every kernel in the sandbox, and a dead kernel handled as a result, not a crash."""

    cache_root = Unicode("", help="cache for sanitised libraries (default: <course>/.grading)").tag(config=True)

    def __init__(self, **kw):
        kw.setdefault("kernel_manager_class", SandboxKernelManager)
        kw.setdefault("shutdown_kernel", "immediate")  # nothing in a graded kernel is worth a graceful exit
        super().__init__(**kw)

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        if isinstance(km, SandboxKernelManager):
            km.assignment = self._gd_assignment
            km.cache_root = self.cache_root
            km.max_output = self.max_collect_bytes
        self._gd_km = km
        return km

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        if isinstance(self._gd_km, SandboxKernelManager):
            self._gd_km.lock_connection_dir()
        return kc

    max_collect_bytes = Integer(4_000_000, help="output bytes collected from one cell; the rest is dropped as it "
                                                "arrives, so a flood never fills the grader's memory (the sandboxed "
                                                "kernel also drops printed text beyond this at the source)"
                                ).tag(config=True)
    # nbclient waits 4 s by default, after a cell's reply, for the rest of its output, and nbgrader turns running
    # out of that wait into an error that ends the notebook. On a loaded machine an honest cell that printed a
    # lot needs longer, and was scored as a dead kernel. The per-cell limit (timeout) still bounds the cell.
    iopub_timeout = Integer(60, help="seconds to wait, after a cell's reply, for the rest of its output; running "
                                     "out is reported as the grader giving up on the cell").tag(config=True)

    interrupt_grace = Integer(10, help="seconds a kernel has to answer the interrupt that ends a timed-out cell; "
                                       "one that does not is stuck (say, its own machinery broken from inside), "
                                       "every later cell would wait out its timeout behind it, so the notebook "
                                       "ends there").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        self._gd_index = index
        return super().preprocess_cell(cell, resources, index)

    async def _async_handle_timeout(self, timeout, cell=None):
        """Interrupt the timed-out cell (nbclient), then wait for the kernel's reply to it. A kernel that answers
        goes on to the next cell as before (an honest infinite loop costs one cell); one that does not answer
        within interrupt_grace ends the notebook, instead of burning a core through every later cell's timeout."""
        from queue import Empty

        from nbclient.exceptions import CellTimeoutError

        reply = await super()._async_handle_timeout(timeout, cell)
        if not self.interrupt_on_timeout:
            return reply
        try:
            await ensure_async(self.kc.shell_channel.get_msg(timeout=self.interrupt_grace))
        except Empty:
            raise CellTimeoutError(f"the kernel did not answer the interrupt within {self.interrupt_grace} s after "
                                   f"the cell timed out ({timeout} s)") from None
        return reply

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        size = len(content.get("text", "") or "") + sum(len(str(v)) for v in (content.get("data") or {}).values())
        seen = self._gd_collected.get(cell_index, 0) + size
        self._gd_collected[cell_index] = seen
        if seen > self.max_collect_bytes:
            if seen - size <= self.max_collect_bytes:  # the first output over the budget: say so, once
                outs.append(from_dict({"output_type": "stream", "name": "stdout",
                                       "text": "\n... further output dropped by the grader (too many bytes) ...\n"}))
            return None
        return super().output(outs, msg, display_id, cell_index)

    def preprocess(self, nb, resources, km=None):
        from nbclient.exceptions import CellTimeoutError, DeadKernelError

        self._gd_assignment = resources["nbgrader"]["assignment"]
        self._gd_km, self._gd_index, self._gd_collected = None, None, {}
        info = resources.setdefault("gdgrade", {})
        try:
            nb, resources = super().preprocess(nb, resources, km=km)
        except SandboxUnavailable:
            raise  # no sandbox, no grading: never mistaken for a student's dead kernel
        except (DeadKernelError, CellTimeoutError, RuntimeError) as exc:
            if isinstance(exc, RuntimeError) and not isinstance(exc, (DeadKernelError, CellTimeoutError)) \
                    and "kernel" not in str(exc).lower():
                raise
            # a dead kernel (os._exit, a crash, a resource limit) or one that stopped answering (its own
            # machinery broken from inside): the cells it did not finish score 0, the others keep their scores
            kind = "timeout" if isinstance(exc, CellTimeoutError) else "died"
            info["kernel_died"] = {"cell": self._gd_index, "kind": kind,
                                   "error": f"{type(exc).__name__}: {exc}"[:300]}
            self.log.warning("the kernel died or stopped responding at cell %s: %s", self._gd_index,
                             str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            self._gd_unfinished(nb, self._gd_index)
        finally:
            if isinstance(self._gd_km, SandboxKernelManager):
                self._gd_km.finish()
        km = self._gd_km
        info["sandbox"] = dict(km.report) if isinstance(km, SandboxKernelManager) else {"sandboxed": False}
        return nb, resources


    @staticmethod
    def _gd_unfinished(nb, index):
        """The cell the kernel died in, and every later code cell, did not run: say so in their outputs."""
        if index is None:
            return
        for cell in nb.cells[index:]:
            if cell.cell_type == "code":
                cell.outputs = [from_dict({"output_type": "error", "ename": "KernelStopped",
                                           "evalue": "the kernel died or stopped responding before this cell finished",
                                           "traceback": []})]


def died_flag(died):
    """The flag for a notebook whose run ended early: a dead kernel, or the grader giving up on a cell."""
    cell = died["cell"] + 1 if died.get("cell") is not None else "?"
    if died.get("kind") == "timeout":
        return (f"the grader stopped waiting during cell {cell}: no reply, or no end of its output, in time "
                f"(a kernel that stopped answering, or an output flood): {died.get('error', '')[:120]}")
    return f"the kernel died during cell {cell} (os._exit, a crash, or the memory or process limit)"


# --- verdicts -------------------------------------------------------------------------------------------

STATIC_FLAGS = [
    (r"\bbuiltins\b|__builtins__", "touches builtins"),
    (r"\bsys\s*\.\s*modules\b", "edits sys.modules"),
    ((r"input_transformers|ast_transformers|events\s*\.\s*register|register_magic|set_custom_exc|"
     r"display_formatter|\bshowtraceback\b|\bpost_run_cell\b|\bpre_run_cell\b"), "hooks into IPython"),
    (r"\bctypes\b|\bcffi\b", "uses ctypes"),
    (r"\bsubprocess\b|\bos\s*\.\s*(system|popen|exec\w*|fork\w*|spawn\w*|kill\w*)|\bpty\b|multiprocessing",
     "starts or signals processes"),
    ((r"_getframe|\bf_back\b|\bf_locals\b|\bf_globals\b|currentframe|inspect\s*\.\s*stack|"
     r"\bgc\s*\.\s*get_(referrers|objects|referents)"), "inspects the caller's frames or the heap"),
    (r"\bsettrace\b|\bsetprofile\b|addaudithook", "installs a trace or audit hook"),
    (r"\b(import|from)\s+grading\b|\bgrading\s*\.\s*(student|compare|policy|boot)\b", "touches the grading code"),
    (r"__import__|\bimportlib\b", "imports modules dynamically"),
    (r"\bos\s*\.\s*_exit\b|\bsys\s*\.\s*exit\b|\bquit\s*\(|\bexit\s*\(", "stops the kernel"),
    (r"\bos\s*\.\s*(remove|unlink|rename|replace|chmod|chown|symlink)\b|\bshutil\b", "changes files"),
    (r"vnd\.gd-hands-on|publish_display_data", "publishes check results itself"),
    (r"\bsocket\b|\burllib\b|\brequests\b|\bhttp\.client\b", "uses the network"),
    (r"\b(np|numpy|math|gd|gdcore|scipy|IPython)\s*(\.\s*\w+\s*)+=(?!=)|\bsetattr\s*\(\s*(np|numpy|math|gd|gdcore)\b",
     "replaces a library function"),
]


def _code_without_comments(src):
    try:
        toks = [t for t in tokenize.generate_tokens(io.StringIO(src).readline) if t.type != tokenize.COMMENT]
        return tokenize.untokenize(toks)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return src


def static_flags(nb):
    """Reasons (with the cell's position) why the student-editable code in nb deserves a human look."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or _meta(cell).get("locked"):
            continue
        code = _code_without_comments(cell.source)
        for rx, why in STATIC_FLAGS:
            m = re.search(rx, code)
            if m:
                found.append(f"cell {i + 1} {why} ('{m.group(0)}')")
    return found


class Verdict(NbGraderPreprocessor):
    """Decide each test cell outside the kernel, from the results it published, and rewrite its outputs."""

    course_root = Unicode("", help="the course root (holds nbgrader_config.py)").tag(config=True)
    source_directory = Unicode("solutions", help="nbgrader's source directory, relative to the root").tag(
        config=True)
    max_message = Integer(1500, help="characters of a verdict message").tag(config=True)

    def preprocess(self, nb, resources):
        nbg = resources["nbgrader"]
        root = self.course_root or os.getcwd()
        exp = expected.load(root, self.source_directory, nbg["assignment"], nbg["notebook"], nbg["db_url"],
                            log=self.log)
        info = resources.setdefault("gdgrade", {})
        died = info.get("kernel_died")
        verdicts = {}
        locked_lines = set()
        for cell in nb.cells:
            if _meta(cell).get("locked"):
                locked_lines |= {ln.strip() for ln in cell.source.splitlines() if ln.strip()}
        for i, cell in enumerate(nb.cells):
            m = _meta(cell)
            if cell.cell_type != "code" or not m.get("grade") or m.get("solution"):
                continue
            gid = m["grade_id"]
            ok, message, n = self._decide(exp.get(gid), cell, died, i)
            verdicts[gid] = {"passed": ok, "message": message}
            cell.outputs = self._rewrite(cell, ok, message, n)

        flags = static_flags(nb)
        sandbox = info.get("sandbox", {})
        for ev in sandbox.get("audit", []):
            if ev.get("line", "").strip() in locked_lines and ev.get("event") == "import":
                continue  # e.g. `from grading.student import check` in a test cell
            flags.append(f"at run time: {ev.get('event')} {ev.get('detail', '')} (line: {ev.get('line', '')})")
        if sandbox.get("audit_closed_early"):
            flags.append("the kernel closed the grader's audit channel")
        if sandbox.get("killed_by_watchdog"):
            flags.append("the notebook ran past the wall-clock limit and was killed")
        if died:
            flags.append(died_flag(died))
        report = {"notebook": nbg["notebook"], "sandboxed": bool(sandbox.get("sandboxed")),
                  "uid": sandbox.get("uid"), "verdicts": verdicts, "flags": flags[:50]}
        info["report"] = report
        path = report_path(root, nbg["student"], nbg["assignment"], nbg["notebook"])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)
        return nb, resources

    def _decide(self, want, cell, died, index):
        if not want:
            return False, "this test cell has no expected results (the instructor's run did not reach it)", 0
        got = {}
        errors = []
        for out in cell.get("outputs", []):
            if out.get("output_type") in ("display_data", "execute_result") and MIME in out.get("data", {}):
                rec = out["data"][MIME]
                if isinstance(rec, str):
                    try:
                        rec = json.loads(rec)
                    except ValueError:
                        continue
                if isinstance(rec, dict) and isinstance(rec.get("name"), str):
                    got.setdefault(rec["name"], []).append(rec)
            elif out.get("output_type") == "error":
                evalue = str(out.get("evalue", "")).strip()[:400]
                errors.append(f"{out.get('ename', 'Error')}" + (f": {evalue}" if evalue else ""))
        for rec in want:
            name = rec["name"]
            mine = got.get(name, [])
            label = name if rec.get("visible") else f"{name} (hidden check)"
            if not mine:
                if errors:
                    why = f"the cell stopped with {errors[-1]}"
                elif died and (died.get("cell") is None or died["cell"] <= index):
                    why = "the kernel died before this cell finished (os._exit, a crash, or a resource limit)"
                else:
                    why = "the check did not run"
                return False, f"{label}: not reached: {why}", len(want)
            if len(mine) > 1:
                return False, f"{label}: reported {len(mine)} times; a check reports once", len(want)
            g = mine[0].get("got")
            if not isinstance(g, dict):
                return False, f"{label}: the result could not be read", len(want)
            # a visible check is graded against its stated expected value (as the student saw it in
            # JupyterLab), a hidden one against the instructor's result; both come from the trusted run
            target = rec["expected"] if rec.get("visible") and isinstance(rec.get("expected"), dict) else rec["got"]
            ok, msg = compare.compare(target, g, rec["rtol"], rec["atol"], reveal=bool(rec.get("visible")))
            if not ok:
                hint = f" Hint: {rec['hint']}" if rec.get("hint") else ""
                return False, f"{label}: {msg}{hint}", len(want)
        return True, "", len(want)

    def _rewrite(self, cell, ok, message, n):
        keep, budget = [], 2000
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stdout" and budget > 0:
                text = str(out.get("text", ""))[:budget]
                budget -= len(text)
                keep.append(from_dict({"output_type": "stream", "name": "stdout", "text": text}))
        if ok:
            keep.append(from_dict({"output_type": "display_data", "metadata": {},
                                   "data": {"text/plain": f"\u2713 all {n} checks passed"}}))
        else:
            message = message[: self.max_message]
            lines = textwrap.wrap(f"CheckFailed: {message}", 100, break_long_words=True) or ["CheckFailed"]
            keep.append(from_dict({"output_type": "error", "ename": "CheckFailed", "evalue": message,
                                   "traceback": ["\n".join(lines)]}))
        return keep


# --- output limits --------------------------------------------------------------------------------------

class LimitOutputBytes(NbGraderPreprocessor):
    """Bound each cell's outputs in bytes (text and images), so a 50 MB line makes no 50 MB page or gradebook."""

    max_cell_bytes = Integer(100_000, help="bytes of output kept per cell").tag(config=True)
    max_text_bytes = Integer(20_000, help="bytes of text kept per output").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        budget, kept = self.max_cell_bytes, []
        for out in cell.get("outputs", []):
            out = self._limit(out)
            size = len(json.dumps(out))
            if size > budget:
                kept.append(from_dict({"output_type": "stream", "name": "stdout",
                                       "text": "... output truncated by the grader (too many bytes) ...\n"}))
                break
            budget -= size
            kept.append(out)
        cell.outputs = kept
        return cell, resources

    def _cut(self, text):
        text = "".join(text) if isinstance(text, list) else str(text)
        if len(text.encode("utf-8", "replace")) <= self.max_text_bytes:
            return text
        return text.encode("utf-8", "replace")[: self.max_text_bytes].decode("utf-8", "ignore") + \
            "\n... output truncated by the grader ...\n"

    def _limit(self, out):
        t = out.get("output_type")
        if t == "stream":
            out["text"] = self._cut(out.get("text", ""))
        elif t == "error":
            out["evalue"] = self._cut(out.get("evalue", ""))[:2000]
            out["traceback"] = [self._cut(x)[:2000] for x in out.get("traceback", [])[:60]]
        elif t in ("display_data", "execute_result"):
            data = out.get("data", {})
            for k in list(data):
                if k.startswith("text/") or k.endswith("json"):
                    v = data[k]
                    if not isinstance(v, (str, list)):
                        v = json.dumps(v)
                    data[k] = self._cut(v)
                elif len(json.dumps(data[k])) > self.max_cell_bytes:
                    del data[k]
            if not data:
                data["text/plain"] = "(output removed by the grader: too large)"
        return out


# --- feedback -------------------------------------------------------------------------------------------

class StripHiddenTests(NbGraderPreprocessor):
    """Feedback shows the visible tests and every verdict, never the code of hidden tests."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and "### BEGIN HIDDEN TESTS" in cell.source:
            cell.source = HIDDEN_RE.sub("# (hidden tests: their verdict is below)\n", cell.source).rstrip() + "\n"
        return cell, resources


__all__ = ["LimitOutputBytes", "Normalize", "SandboxedExecute", "StripHiddenTests", "Verdict"]
