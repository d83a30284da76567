"""Trustworthy autograding for the course: sandboxed kernels, verdicts decided outside the student's kernel.

Layout
------
student     what a notebook imports: ``check`` (emit a result; immediate feedback in JupyterLab) and
            ``use_assignment`` (makes the assignment's off-limits gdcore functions raise). Pure Python + numpy.
compare     encode/compare results and word the messages. Pure Python; used in the kernel for the visible
            feedback and, authoritatively, by the grader outside it.
policy      per assignment: which gdcore functions are off-limits, and the sandbox's resource limits.
sandbox     the bubblewrap sandbox, the kernel manager nbgrader's Execute uses, the sanitised gdcore.
boot        the first code a sandboxed kernel runs: the audit hook that reports suspicious events.
expected    the trusted run of the instructor's source notebook that produces the expected results.
preprocess  nbgrader preprocessors: normalise cells, decide verdicts, limit output bytes, strip feedback.
report      per-submission status (graded / needs_manual_grade / flagged / FAILED) and the export plugin.
feedback    the feedback exporter whose pages need no network (maths typeset by typeset.js in Node.js).
collect     LMS downloads (zips, notebooks) into submitted/, taking only the assignment's notebooks.
cli         ``python -m grading``: grade one student, grade a class in parallel, feedback, export, collect.
synthetic   the synthetic class (honest, messy and faulty students, attackers) that CI grades.
"""
