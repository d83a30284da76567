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
# Never retry a notebook: a second run of a crashing submission would only double the time to fail.
c.Execute.execute_retries = 0
# Same settings for anything that uses nbconvert's plain ExecutePreprocessor (e.g. nbgrader validate).
c.ExecutePreprocessor.timeout = 60
c.ExecutePreprocessor.interrupt_on_timeout = True

# --- Tamper resistance ----------------------------------------------------------------------------------
# Before executing, replace every test cell (and locked cell) with the instructor's copy from the gradebook,
# matched by grade_id, so edited or emptied tests are restored (nbgrader's default)...
c.OverwriteCells.enabled = True
# ... and put back test cells a student deleted altogether (off by default in nbgrader).
c.OverwriteCells.add_missing_cells = True
# Store checksums of answer and test cells at release time; nbgrader uses them to tell an untouched
# written answer (scored 0 automatically) from a real one (sent to manual grading).
c.ComputeChecksums.enabled = True

# --- Output handling ----------------------------------------------------------------------------------
# nbgrader scores a test cell 0 if it wrote anything to stderr. A correct answer that triggers a
# warning (RuntimeWarning from numpy, DeprecationWarning from a library, our DivergenceWarning...) must
# still score, so drop stderr streams that are Python warnings before grading. Errors (tracebacks) are a
# different output type and are never removed, so a failing test still scores 0.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"(?m)^.*\b\w*Warning: "
# A student who prints in a loop must not produce a 100 MB notebook, feedback page or gradebook:
# keep at most 1000 lines of stream output and 100 traceback lines per cell.
c.LimitOutput.enabled = True
c.LimitOutput.max_lines = 1000
c.LimitOutput.max_traceback = 100

# --- Releasing ----------------------------------------------------------------------------------------
# Keep the stubs students see uniform across assignments (these are nbgrader's defaults, made explicit
# because the CI check regenerates exercises/ and compares them byte for byte).
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# Never copy instructor state or editor droppings into a release.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "gradebook.db"]
