# nbgrader configuration for "Gradient Descent, Hands-On".
#
# Run every nbgrader command from the directory holding this file (the course root). nbgrader reads
# ./nbgrader_config.py from the current directory; run it elsewhere and it silently starts a new, empty
# gradebook there. See book/instructor_guide.md for the full workflow.
import os

c = get_config()  # noqa: F821  (injected by traitlets when nbgrader loads this file)

# --- Course layout -------------------------------------------------------------------------------------
# An absolute root: the directory of this file, wherever the course is cloned or copied (CI grades a temp
# copy). A relative root would resolve against the shell's current directory instead.
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "gd-hands-on"
# solutions/<a>/ holds the instructor's source notebooks (solutions + hidden tests); never published.
c.CourseDirectory.source_directory = "solutions"
# exercises/<a>/ is what `nbgrader generate_assignment <a>` writes: the student version, committed to git.
c.CourseDirectory.release_directory = "exercises"
# The gradebook is sqlite at <root>/gradebook.db (nbgrader's default, gitignored). For a course with
# several graders point it at PostgreSQL instead, e.g.
#   c.CourseDirectory.db_url = "postgresql://grader:secret@db.example.org/gd_hands_on"
# or pass --CourseDirectory.db_url=... on the command line.

# --- Executing student notebooks (nbgrader autograde) ------------------------------------------------
# Seconds one cell may run. Every solution cell and test cell here finishes in well under a second
# (a whole notebook in < 10 s), so 60 s leaves room for a slow, loaded grading machine while an
# infinite loop costs at most a minute per test cell that calls it, instead of hanging the batch.
c.Execute.timeout = 60
# On a timeout, interrupt the kernel (KeyboardInterrupt in the student's loop): that one test cell
# shows an error and scores 0, and the rest of the notebook still runs and scores.
c.Execute.interrupt_on_timeout = True
# How long to wait for the kernel to start; a cold start on a busy 2-core machine can take ~10 s.
c.Execute.startup_timeout = 120
# After a cell's reply, how long to wait for the rest of its output. nbclient's default (4 s) is too short on a
# loaded grading machine: an honest cell that printed a lot ran out of it and was graded as a dead kernel.
# The kernel already drops a cell's printed text beyond 4 MB at the source (grading/boot.py).
c.Execute.iopub_timeout = 60
# Never retry a notebook: a second run of a crashing submission would only double the time to fail.
c.Execute.execute_retries = 0
# Same settings for anything that uses nbconvert's plain ExecutePreprocessor (e.g. nbgrader validate).
c.ExecutePreprocessor.timeout = 60
c.ExecutePreprocessor.interrupt_on_timeout = True

# --- Grading you can trust (see grading/ and the instructor guide, "What grading protects") ---------------
# Every student kernel runs in a bubblewrap sandbox (no network, read-only system, no course files, its own
# unprivileged uid, resource limits), and whether a test cell passed is decided OUTSIDE that kernel: the cell
# publishes its results with grading.student.check, and grading.preprocess.Verdict compares them with the
# results of a trusted run of the instructor's solutions/ notebook. These lists replace nbgrader's defaults
# (nbgrader.converters.autograde.Autograde), so `nbgrader autograde`, formgrader's button and
# `python -m grading` all grade the same way.
from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
                                    AssignLatePenalties,
                                    CheckCellMetadata,
                                    ClearOutput,
                                    GetGrades,
                                    LimitOutput,
                                    OverwriteCells,
                                    OverwriteKernelspec,
                                    SaveAutoGrades,
)

from grading.preprocess import (
                                    LimitOutputBytes,
                                    Normalize,
                                    SandboxedExecute,
                                    StripHiddenTests,
                                    Verdict,
)

c.Autograde.sanitize_preprocessors = [
    ClearOutput,
    Normalize,             # duplicated / copied / moved / deleted / relabelled cells resolved; setup cells restored
    OverwriteKernelspec,
    OverwriteCells,        # locked and test cells get the instructor's source back
    CheckCellMetadata,
]
c.Autograde.autograde_preprocessors = [
    SandboxedExecute,      # nbgrader's Execute, kernel in the sandbox; a dead kernel is a result, not a crash
    Verdict,               # pass/fail decided outside the kernel; outputs become the verdict; flags recorded
    ClearMetadataPreprocessor,
    LimitOutput,
    LimitOutputBytes,      # bytes as well as lines
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]
c.Verdict.course_root = c.CourseDirectory.root
c.Verdict.source_directory = c.CourseDirectory.source_directory
c.SandboxedExecute.cache_root = os.path.join(c.CourseDirectory.root, ".grading")
# Feedback: hidden test code removed (their verdicts stay), maths rendered offline.
c.GenerateFeedback.preprocessors = [StripHiddenTests, GetGrades, CSSHTMLHeaderPreprocessor]
c.GenerateFeedback.exporter_class = "grading.feedback.OfflineHTMLExporter"
# `nbgrader export` writes a status column: graded / needs_manual_grade / flagged / FAILED, with reasons.
c.ExportApp.plugin_class = "grading.report.StatusExportPlugin"

# Checksums of answer and test cells at release time: nbgrader uses them to tell an untouched written answer
# (scored 0 automatically) from a real one (sent to manual grading).
c.ComputeChecksums.enabled = True
# Put back test cells a student deleted (Normalize already restores every locked cell; this is a backstop).
c.OverwriteCells.add_missing_cells = True

# --- Output handling ----------------------------------------------------------------------------------
# A student who prints in a loop must not produce a 100 MB notebook, feedback page or gradebook: keep at most
# 1000 lines and 20 kB per output, 100 kB per cell, and 100 traceback lines.
c.LimitOutput.enabled = True
c.LimitOutput.max_lines = 1000
c.LimitOutput.max_traceback = 100
c.LimitOutputBytes.max_text_bytes = 20_000
c.LimitOutputBytes.max_cell_bytes = 100_000

# --- Releasing ----------------------------------------------------------------------------------------
# Keep the stubs students see uniform across assignments (these are nbgrader's defaults, made explicit
# because the CI check regenerates exercises/ and compares them byte for byte).
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# Never copy instructor state or editor droppings into a release.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "gradebook.db"]
