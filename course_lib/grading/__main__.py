"""``python -m course_lib.grading`` is the old name of ``python -m course_grader``; kept for one
release."""

import sys

try:
    from course_grader.__main__ import run
except ImportError:
    sys.exit(
        "The grader is the package course_grader: install it with `pip install -e ./grader` "
        "and run `python -m course_grader`."
    )

print("note: `python -m course_lib.grading` is now `python -m course_grader`", file=sys.stderr)
run()
