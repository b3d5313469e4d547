"""Attacks on what the trusted side reads and writes: links, special files, odd names, deep or
huge data, reports. Each test reproduces one attack of issue 14 (items 1-10) without a sandbox.
"""

import csv
import json
import os
import threading
import time

import pytest
import torch
from course_grader.assignment import Assignment, Cell
from course_grader.batch import _Lines, failed_result
from course_grader.channel import _PREFIX, MAGIC, MAX_NODES, ChannelError, receive
from course_grader.codec import encode
from course_grader.grade import clip, read_submission_cells
from course_grader.intake import RESERVED, Refused, discover, find_notebook, safe_id, stage
from course_grader.remote import _ERROR_CLASSES, student_error
from course_grader.report import write_reports

NOTEBOOK = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def assignment():
    cells = [
        Cell("test", 0, "t1", "assert True", points=1.0),
        Cell("test", 1, "t2", "", points=2.0),
    ]
    return Assignment("demo", cells)


def refuse(obj, _=None):
    raise TypeError("not plain data")


def test_links_to_the_solution_or_another_student_are_refused(tmp_path):
    """Item 1: a notebook that is a symlink (relative or absolute), in a folder or at the top."""
    solution = tmp_path / "solutions" / "demo.ipynb"
    solution.parent.mkdir()
    solution.write_text(NOTEBOOK)
    subs = tmp_path / "submissions"
    (subs / "mallory").mkdir(parents=True)
    (subs / "mallory" / "demo.ipynb").symlink_to("../../solutions/demo.ipynb")
    (subs / "eve.ipynb").symlink_to(solution)
    (subs / "alice.ipynb").write_text(NOTEBOOK)
    (subs / "trudy.ipynb").symlink_to("alice.ipynb")
    found, _ = discover(subs)
    rows = {s.name: s for s in found}
    assert set(rows) == {"alice", "eve", "mallory", "trudy"}
    assert "symbolic link" in rows["eve"].refused and "symbolic link" in rows["trudy"].refused
    assert not rows["mallory"].refused
    staging = tmp_path / "staging"
    staging.mkdir()
    notes = stage(subs / "mallory", staging, "demo.ipynb")
    assert any("symbolic link" in note for note in notes)
    with pytest.raises(Refused, match="no notebook"):
        find_notebook(staging, "demo.ipynb")
    with pytest.raises(Refused, match="symbolic link"):
        stage(subs / "eve.ipynb", tmp_path / "other", "demo.ipynb")


def test_hard_links_are_refused(tmp_path):
    """Item 2: a hard link to a file the grader may read is never copied."""
    secret = tmp_path / "secret.txt"
    secret.write_text("root only")
    secret.chmod(0o600)
    folder = tmp_path / "subs" / "mallory"
    folder.mkdir(parents=True)
    os.link(secret, folder / "data.txt")
    (folder / "demo.ipynb").write_text(NOTEBOOK)
    staging = tmp_path / "staging"
    staging.mkdir()
    notes = stage(folder, staging, "demo.ipynb")
    assert not (staging / "data.txt").exists() and any("hard link" in n for n in notes)
    os.link(secret, tmp_path / "subs" / "eve.ipynb")
    with pytest.raises(Refused, match="hard link"):
        stage(tmp_path / "subs" / "eve.ipynb", staging, "x.ipynb")


def test_dev_zero_and_fifos_never_reach_a_read(tmp_path):
    """Item 3: a symlink to /dev/zero and a FIFO named like the notebook are refused at once."""
    subs = tmp_path / "subs"
    (subs / "bob").mkdir(parents=True)
    (subs / "zero.ipynb").symlink_to("/dev/zero")
    os.mkfifo(subs / "fifo.ipynb")
    os.mkfifo(subs / "bob" / "demo.ipynb")
    (subs / "bob" / "zero.ipynb").symlink_to("/dev/zero")
    found, _ = discover(subs)
    rows = {s.name: s.refused for s in found}
    assert "symbolic link" in rows["zero"] and "FIFO" in rows["fifo"] and rows["bob"] == ""
    staging = tmp_path / "staging"
    staging.mkdir()
    started = time.monotonic()
    notes = stage(subs / "bob", staging, "demo.ipynb")
    assert time.monotonic() - started < 5  # not a timing test: a hang would block forever
    assert any("FIFO" in n for n in notes) and any("symbolic link" in n for n in notes)
    with pytest.raises(Refused, match="FIFO"):
        stage(subs / "fifo.ipynb", staging, "x.ipynb")


def test_a_notebook_nested_100000_levels_deep_is_refused_not_a_crash(tmp_path):
    """Item 4."""
    path = tmp_path / "deep.ipynb"
    path.write_text('{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(ValueError, match="nested too deeply"):
        read_submission_cells(path)


def test_error_texts_are_bounded_and_error_classes_do_not_grow():
    """Item 5: a 16 MB message, a huge type name, a thousand made-up exception names."""
    error = student_error({"type": "X" * 10_000_000, "message": "m" * 16_000_000,
                           "traceback": "t" * 16_000_000})  # fmt: skip
    assert len(str(error)) <= 2000 and len(error.remote_type) <= 100
    assert len(error.remote_traceback) <= 4000
    before = len(_ERROR_CLASSES)
    for number in range(1000):
        student_error({"type": f"MadeUp{number}Error", "message": ""})
    assert len(_ERROR_CLASSES) <= before + 1
    assert len(clip("x" * 16_000_000)) < 4100


def test_replies_with_millions_of_values_are_refused_before_parsing():
    """Item 6: a small reply of many tiny JSON values would take gigabytes once parsed."""
    read, write = os.pipe()
    head = b"[" + b"[]," * (MAX_NODES // 2) + b"[]]"
    data = _PREFIX.pack(MAGIC, len(head), len(head)) + head
    writer = threading.Thread(target=lambda: _write_all(write, data))
    writer.start()
    with pytest.raises(ChannelError, match="more than"):
        receive(read, time.monotonic() + 30)
    writer.join()
    os.close(read)
    os.close(write)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view[: 1 << 20]) :]


def test_tensors_and_arrays_are_counted_once():
    """Item 6: a 34 MiB tensor fits a 64 MiB limit."""
    tensor = torch.zeros(34 << 18)  # 34 MiB of float32
    tree, buffers = encode(tensor, 64 << 20, refuse)
    assert sum(len(b) for b in buffers) == 34 << 20


def test_students_named_like_the_reports_cannot_break_them(tmp_path):
    """Item 7: gradebook.csv.ipynb, grades.json.ipynb, summary.md.ipynb."""
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("gradebook.csv", "grades.json", "summary.md", "preflight", "logs", "ada"):
        (subs / f"{name}.ipynb").write_text(NOTEBOOK)
    found, _ = discover(subs)
    assert all(s.student.lower() not in RESERVED for s in found) and len(found) == 6
    results = [dict(failed_result(assignment(), s.student, "x"), name=s.name) for s in found]
    out = tmp_path / "out"
    write_reports(out, "demo", ["t1", "t2"], results, [])
    assert (out / "gradebook.csv").is_file() and (out / "grades.json").is_file()
    assert (out / "summary.md").is_file()
    names = [row["name"] for row in csv.DictReader(open(out / "gradebook.csv"))]
    assert sorted(names) == sorted(s.name for s in found)


def test_every_entry_gets_a_row_or_a_logged_reason(tmp_path):
    """Item 8: hidden, dotted, upper-case and renamed notebooks are graded; others logged."""
    subs = tmp_path / "subs"
    subs.mkdir()
    names = [".hidden.ipynb", "..evil.ipynb", "alice.IPYNB", "bob.ipynb.txt", "carol.ipynb (1)"]
    for name in names:
        (subs / name).write_text(NOTEBOOK)
    (subs / "README.txt").write_text("")
    found, skipped = discover(subs)
    assert sorted(s.name for s in found) == sorted([".hidden", "..evil", "alice", "bob", "carol"])
    assert len({s.student for s in found}) == 5
    assert len(skipped) == 1 and "README.txt" in skipped[0]


def test_tests_passed_before_a_submission_timeout_keep_their_points():
    """Item 9: the job reports each test as it is graded; a timeout keeps those."""
    passed = {"id": "t1", "points": 1.0, "score": 1.0, "status": "passed", "message": ""}
    message = "the grading of this submission ran for more than 900 s in all"
    result = failed_result(assignment(), "ada", message, [passed])
    assert result["score"] == 1.0
    assert [t["status"] for t in result["tests"]] == ["passed", "timeout"]
    read, write = os.pipe()
    os.write(write, b'{"event": "test"}\n{"event": "result"}\npartial')
    lines = _Lines(read)
    assert lines.read(time.monotonic() + 5) == b'{"event": "test"}'
    assert lines.read(time.monotonic() + 5) == b'{"event": "result"}'  # already buffered
    assert lines.read(time.monotonic() + 0.05) is None


def test_student_names_map_back_exactly_and_cannot_inject_formulas(tmp_path):
    """Item 10."""
    names = ["José García", "Zoë Li", "Zoé Li", "张伟", "王芳", "+1+1", "@SUM(A1)", "=cmd", "-2"]
    ids = [safe_id(name, set()) for name in names]
    again = [safe_id(name, set()) for name in reversed(names)][::-1]
    assert ids == again  # the same id whatever the order
    assert len(set(ids)) == len(names) and ids[0].startswith("Jose_Garcia-")
    assert all(i[0].isalnum() for i in ids)
    taken: set[str] = set()
    results = [dict(failed_result(assignment(), safe_id(n, taken), "x"), name=n) for n in names]
    write_reports(tmp_path, "demo", ["t1", "t2"], results, [])
    rows = list(csv.reader(open(tmp_path / "gradebook.csv", encoding="utf-8")))[1:]
    shown = [row[1] for row in rows]
    assert shown[:5] == names[:5]
    assert shown[5:] == ["'+1+1", "'@SUM(A1)", "'=cmd", "'-2"]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
