"""Grade students' exercise notebooks without trusting anything they run.

``python -m course_grader SOLUTION SUBMISSIONS --out OUT`` (see ``__main__``). Design:

- Two processes per submission. The **worker** (:mod:`worker`), sandboxed by
  :mod:`sandbox` (namespaces, hidden paths, unprivileged uid, cgroups or rlimits), runs the
  student's notebook and answers requests: call this function, read that attribute. It
  sends back plain data only (:mod:`codec`: JSON and raw buffers, never pickle), standard
  ``torch.nn`` networks as descriptions (:mod:`modules`), and handles for anything else.
- The **trusted job** (:mod:`job`, :mod:`runner`) alone holds the solution and the hidden
  tests. It runs the solution's own provided cells and the grader's copy of every test cell,
  in which the student's names are values, rebuilt modules or handles (:mod:`handles`), so
  that nothing the student's code does in its process reaches a verdict.
- Test cells are found by cell id and content hash (:mod:`assignment`); the student's copies
  of them are ignored. Each call has a time limit (interrupt, then kill, then restart the
  worker skipping the cell that hung it); a dead worker is started again.
- The batch (:mod:`batch`) runs one job per slot in parallel; the preflight grades the
  solution (full marks required) and the blank exercise (0 expected) the same way.
- Outputs (:mod:`report`): gradebook CSV, feedback per student, Gradescope ``results.json``.
"""
