"""What students' notebooks import for grading: the call-checking helpers of :mod:`calls`.

The grader itself is the separate package ``course_grader`` (``grader/`` in the repository,
``python -m course_grader``); installing ``course_lib`` does not install it.
``python -m course_lib.grading`` still runs it, for one release.
"""

from course_lib.grading.calls import Calls, counted, forbidden

__all__ = ["Calls", "counted", "forbidden"]
