"""The grader's parts that need no sandbox: plain data, framing, notebooks, comparisons, reports.

The adversarial suite, which runs submissions in the sandbox, is in test_grading_sandbox.py.
"""

import json
import os
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from course_grader.assignment import (
    Assignment,
    Cell,
    bound_names,
    load_assignment,
    mock_warnings,
    resolve_solution,
    transform_magics,
)
from course_grader.channel import ChannelError, ChannelTimeout, MessageTooLarge, receive, send
from course_grader.codec import ResultTooLarge, encode
from course_grader.compare import assert_matches, tolerance
from course_grader.grade import read_submission_cells, select_cells
from course_grader.handles import Missing, RemoteHandle
from course_grader.intake import discover, safe_id
from course_grader.rebuild import decode
from course_grader.remote import MissingName, StudentError, student_error
from course_grader.report import feedback, gradescope, write_gradebook

from course_lib.grading import calls

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SOLUTION = FIXTURES / "solution.ipynb"


def refuse(obj, _=None):
    raise TypeError(f"not plain data: {type(obj).__name__}")


def round_trip(value, limit=1 << 30):
    tree, buffers = encode(value, limit, refuse)
    tree = json.loads(json.dumps(tree))  # what crosses the pipe is JSON
    return decode(tree, buffers, refuse)


@pytest.mark.parametrize(
    "dtype",
    [
        torch.float32,
        torch.float64,
        torch.float16,
        torch.bfloat16,
        torch.int64,
        torch.uint8,
        torch.bool,
        torch.complex64,
    ],
)
def test_tensors_keep_dtype_shape_and_values(dtype):
    tensor = (torch.randn(3, 4) * 5).to(dtype)
    back = round_trip(tensor)
    assert type(back) is torch.Tensor and back.dtype == dtype and back.shape == (3, 4)
    assert torch.equal(back, tensor)


def test_odd_tensors_and_arrays_cross():
    for tensor in [torch.tensor(2.5), torch.empty(0, 3), torch.arange(12.0).reshape(3, 4).T]:
        back = round_trip(tensor)
        assert back.shape == tensor.shape and torch.equal(back, tensor)
    leaf = round_trip(torch.ones(2, requires_grad=True))
    assert leaf.requires_grad
    array = np.arange(6, dtype=np.int16).reshape(2, 3)
    back = round_trip(array)
    assert back.dtype == np.int16 and np.array_equal(back, array) and back.flags.writeable
    assert round_trip(np.float32(1.5)).dtype == np.float32


def test_containers_and_scalars_cross():
    value = {
        "a": [1, 2.5, None, True],
        (1, 2): {3, 4},
        "c": 1 + 2j,
        "n": float("nan"),
        "s": torch.Size([2, 3]),
        "d": torch.float16,
        "dev": torch.device("cpu"),
        "b": b"\x00\x01",
        "sl": slice(1, None, 2),
        "r": range(3),
        "e": Ellipsis,
    }
    back = round_trip(value)
    assert back["a"] == [1, 2.5, None, True] and back[(1, 2)] == {3, 4} and back["c"] == 1 + 2j
    assert np.isnan(back["n"]) and back["s"] == torch.Size([2, 3]) and back["d"] == torch.float16
    assert back["b"] == b"\x00\x01" and back["sl"] == slice(1, None, 2) and back["e"] is Ellipsis


def test_subclasses_cross_as_their_base_with_their_real_values():
    class Liar(int):
        def __eq__(self, other):
            return True

        def __int__(self):
            return 3

    class EqualTensor(torch.Tensor):
        def __eq__(self, other):
            return True

    class EqualArray(np.ndarray):
        def __eq__(self, other):
            return True

    assert type(round_trip(Liar(5))) is int and round_trip(Liar(5)) == 5
    tensor = round_trip(torch.zeros(2).as_subclass(EqualTensor))
    assert type(tensor) is torch.Tensor and not torch.equal(tensor, torch.ones(2))
    array = round_trip(np.zeros(2).view(EqualArray))
    assert type(array) is np.ndarray and not np.array_equal(array, np.ones(2))


def test_anything_else_goes_to_the_hook_and_limits_hold():
    with pytest.raises(TypeError, match="not plain data"):
        encode([1, object()], 1000, refuse)
    with pytest.raises(ResultTooLarge):
        encode(torch.zeros(1000), 100, refuse)
    nested = []
    for _ in range(100):
        nested = [nested]
    with pytest.raises(ValueError, match="nested"):
        encode(nested, 1 << 20, refuse)


@pytest.mark.parametrize(
    "tree, buffers",
    [
        ({"$": "pickle", "v": "cos\nsystem\n"}, []),
        ({"$": "ndarray", "dtype": "|O8", "shape": [1], "buf": 0}, [b"\x00" * 8]),
        (
            {"$": "tensor", "dtype": "float32", "shape": [4], "device": "cpu", "buf": 0},
            [b"\x00" * 8],
        ),
        (
            {"$": "tensor", "dtype": "float32", "shape": [1], "device": "evil", "buf": 0},
            [b"\0" * 4],
        ),
        ({"$": "torch_dtype", "v": "Tensor"}, []),
        ({"no tag": 1}, []),
    ],
)
def test_decoding_refuses_what_it_does_not_know(tree, buffers):
    with pytest.raises(ChannelError):
        decode(tree, buffers, refuse)


def test_no_module_of_the_grader_uses_pickle():
    for path in (Path(__file__).resolve().parents[1] / "course_grader").glob("*.py"):
        text = path.read_text()
        assert "import pickle" not in text and "pickle.load" not in text, path.name


def test_frames_cross_a_pipe_and_the_reader_keeps_its_limits():
    read, write = os.pipe()
    send(write, {"op": "x"}, [b"abc", b""])
    header, buffers = receive(read, time.monotonic() + 5)
    assert header["op"] == "x" and buffers == [b"abc", b""]
    send(write, {"op": "big"}, [b"x" * 5000])
    with pytest.raises(MessageTooLarge):
        receive(read, time.monotonic() + 5, limit=1000)
    read2, _ = os.pipe()
    with pytest.raises(ChannelTimeout) as caught:
        receive(read2, time.monotonic() + 0.1)
    assert not caught.value.partial


def test_the_fixture_solution_is_read_into_tests_names_and_hidden_lines():
    assignment = load_assignment(SOLUTION)
    assert [t.id for t in assignment.tests] == [
        "test-conv_out_size",
        "test-corr2d",
        "test-normalize",
        "test-model",
        "test-n_outputs",
    ]
    assert assignment.max_score == 6
    assert assignment.student_names == [
        "conv_out_size",
        "corr2d",
        "normalize",
        "make_model",
        "n_outputs",
    ]
    first = assignment.tests[0]
    hidden = [first.source.splitlines()[n - 1] for n in first.hidden_lines]
    assert hidden[0] == "### BEGIN HIDDEN TESTS" and "224" in hidden[2]
    again = Assignment.from_dict(json.loads(json.dumps(assignment.to_dict())))
    assert again.tests[1].hidden_lines == assignment.tests[1].hidden_lines


def test_magics_and_names():
    assert transform_magics("%%bash\nls") == "pass"
    assert transform_magics("%%time\nx = 1\n!ls") == "x = 1\npass"
    names, imports = bound_names(
        "import os\nfrom torch import nn as n\nfor i in range(2):\n"
        "    y = i\ndef f():\n    z = 1\nclass C:\n    w = 2\nq: int = 3"
    )
    assert names == ["i", "y", "f", "C", "q"] and imports == "import os\nfrom torch import nn as n"


def test_mock_patches_in_tests_are_flagged():
    cell = Cell("test", 0, "t", "with mock.patch.object(F, 'conv2d'):\n    pass", points=1)
    assert "mock.patch" in mock_warnings(Assignment("a", [cell]))[0]


def test_resolve_solution(tmp_path):
    (tmp_path / "solutions" / "part1").mkdir(parents=True)
    (tmp_path / "solutions" / "part1" / "demo.ipynb").write_text("{}")
    assert resolve_solution("part1/demo", tmp_path).name == "demo.ipynb"
    with pytest.raises(ValueError, match="no solution notebook"):
        resolve_solution("part1/nothing", tmp_path)


def test_test_cells_are_left_out_and_changes_are_noted():
    assignment = load_assignment(SOLUTION)
    cells = read_submission_cells(FIXTURES / "submissions" / "tampered_test.ipynb")
    run, notes = select_cells(assignment, cells)
    assert not any(cell["id"].startswith("test-") for cell in run)
    assert any("test-conv_out_size` was changed" in note for note in notes)
    assert any("test-corr2d` is missing" in note for note in notes)
    correct = read_submission_cells(FIXTURES / "submissions" / "correct.ipynb")
    run, notes = select_cells(assignment, correct)
    assert notes == [] and len(run) == len(correct) - 5
    copied = [dict(c, id="copy") for c in correct if c["id"] == "test-model"]
    assert select_cells(assignment, copied)[0] == []  # a test cell under another id


def test_a_broken_submission_file_is_refused(tmp_path):
    (tmp_path / "bad.ipynb").write_text("not json")
    with pytest.raises(ValueError, match="not a readable notebook"):
        read_submission_cells(tmp_path / "bad.ipynb")


def test_assert_matches_checks_kind_shape_dtype_device_then_values():
    assert_matches(torch.ones(2, 3), torch.ones(2, 3) + 1e-7)
    assert_matches(np.float64(0.1 + 0.2), 0.3)
    assert_matches({"a": [1, (2.0, "x")]}, {"a": [1, (2.0, "x")]})
    cases = [
        (3.0, 3, "expected int, got float"),
        (np.ones(2), torch.ones(2), "expected torch.Tensor, got numpy.ndarray"),
        (torch.ones(3), torch.ones(2), "shape"),
        (torch.ones(2, dtype=torch.float64), torch.ones(2), "dtype"),
        (torch.tensor([float("nan")]), torch.tensor([1.0]), "values differ"),
        ([1, 2], [1, 2, 3], "length"),
        ({"a": 1}, {"b": 1}, "keys"),
        (RemoteHandle(None, 0, {"id": 1, "mro": ["x.Y"]}), 3, "x.Y"),
    ]
    for actual, expected, message in cases:
        with pytest.raises(AssertionError, match=message):
            assert_matches(actual, expected)
    assert_matches(torch.tensor([float("nan")]), torch.tensor([float("nan")]), equal_nan=True)
    assert tolerance(torch.float32, "cuda:0")[0] > tolerance(torch.float32)[0]


class FakeSession:
    def __init__(self):
        self.requests = []

    def operate(self, op, handle, args, kwargs):
        self.requests.append((op, args, kwargs))
        return 42


def test_handles_forward_requests_and_refuse_comparison():
    session = FakeSession()
    handle = RemoteHandle(
        session, 1, {"id": 7, "mro": ["__main__.Net", "torch.nn.modules.module.Module"]}
    )
    assert handle(1, k=2) == 42 and handle.weight == 42 and handle[0] == 42
    assert [r[0] for r in session.requests] == ["call", "getattr", "getitem"]
    assert isinstance(handle, torch.nn.Module) and type(handle) is RemoteHandle
    for compare in (
        lambda: handle == 42,
        lambda: handle != 1,
        lambda: bool(handle),
        lambda: hash(handle),
        lambda: [handle] == [42],
        lambda: handle < 3,
    ):
        with pytest.raises(TypeError):
            compare()
    with pytest.raises(AttributeError):
        handle.__array_interface__  # noqa: B018
    with pytest.raises(MissingName):
        Missing("f")(1)


def test_student_exceptions_are_rebuilt_by_name_only():
    error = student_error({"type": "ValueError", "message": "bad", "traceback": "cell 3"})
    assert isinstance(error, ValueError) and isinstance(error, StudentError)
    for name in ("SystemExit", "AssertionError", "NoSuchError", "UnicodeDecodeError"):
        error = student_error({"type": name, "message": "m"})
        assert isinstance(error, StudentError) and not isinstance(error, AssertionError)
        assert isinstance(error, Exception) and error.remote_type == name


def test_forbidden_and_counted_calls_in_a_notebook():
    import torch.nn.functional as F

    with calls.counted("torch.nn.functional.relu") as relu:
        F.relu(torch.ones(1))
        F.relu(torch.ones(1))
    assert relu.count == 2 and F.relu.__name__ == "relu"
    with (
        pytest.raises(AssertionError, match="loops"),
        calls.forbidden("torch.nn.functional.relu", message="loops"),
    ):
        F.relu(torch.ones(1))
    assert F.relu(torch.ones(1)) == 1


def test_forbidden_and_counted_calls_under_the_grader():
    calls.REMOTE["enabled"] = True
    try:
        with calls.forbidden("torch.conv2d", message="no"), calls.counted("torch.relu") as relu:
            assert [s["kind"] for s in calls.active()] == ["forbid", "count"]
            calls.record({"torch.relu": 3, "other": 5})  # what the worker counted
            torch.relu(torch.ones(1))  # a grader's module calling it here counts too
        assert calls.active() == [] and relu.count == 4
    finally:
        calls.REMOTE["enabled"] = False


def sample_result():
    tests = [
        {"id": "t1", "points": 1.0, "score": 1.0, "status": "passed", "message": ""},
        {
            "id": "t2",
            "points": 2.0,
            "score": 0.0,
            "status": "timeout",
            "message": "your code ran for more than 5 s",
        },
    ]
    return {
        "student": "ada",
        "score": 1.0,
        "max_score": 3.0,
        "tests": tests,
        "cell_errors": [{"cell": 3, "message": "SyntaxError: ```"}],
        "notes": ["n"],
    }


def test_reports(tmp_path):
    result = sample_result()
    write_gradebook(tmp_path / "g.csv", ["t1", "t2"], [result])
    rows = (tmp_path / "g.csv").read_text().splitlines()
    assert rows[0] == "student,name,score,max_score,t1,t2,t1 status,t2 status"
    assert rows[1] == "ada,ada,1,3,1,0,passed,timeout"
    scope = gradescope(result)
    assert scope["score"] == 1.0 and [t["status"] for t in scope["tests"]] == ["passed", "failed"]
    assert set(scope["tests"][1]) == {
        "name",
        "score",
        "max_score",
        "status",
        "output",
        "visibility",
    }
    text = feedback("demo", result)
    assert "**Score: 1 / 3**" in text and "ran for more than 5 s" in text
    assert "SyntaxError: '''" in text  # a student's text cannot close the code block


def test_submissions_are_found_with_safe_unique_ids(tmp_path):
    (tmp_path / "ada lovelace.ipynb").write_text("{}")
    (tmp_path / "bob").mkdir()
    (tmp_path / "notes.txt").write_text("")
    found, skipped = discover(tmp_path)
    assert [(s.student, s.name) for s in found] == [
        (safe_id("ada lovelace", set()), "ada lovelace"),
        ("bob", "bob"),
    ]
    assert found[0].student.startswith("ada_lovelace-") and "notes.txt" in skipped[0]
    taken = {"x"}
    assert safe_id("x", taken) == "x-2" and safe_id("../../etc", taken).startswith("etc-")


def test_fixtures_are_up_to_date(tmp_path):
    import sys

    sys.path.insert(0, str(FIXTURES))
    try:
        from exercise import solution
    finally:
        sys.path.remove(str(FIXTURES))
    written = nbformat.read(SOLUTION, as_version=4)
    assert written.cells == solution().cells, "run grader/tests/fixtures/make_fixtures.py"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_tensors_come_back_on_their_device():
    tensor = torch.randn(3, 3, device="cuda")
    back = round_trip(tensor)
    assert back.device == tensor.device and torch.equal(back, tensor)
    assert_matches(back, tensor * (1 + 1e-4))  # TF32-sized differences pass on the GPU


def test_cgroup_files_are_written_as_the_kernel_expects(tmp_path):
    """The cgroup v2 and v1 protocols, on a plain folder standing in for /sys/fs/cgroup."""
    from course_grader.cgroups import CgroupMaker

    (tmp_path / "cgroup.subtree_control").write_text("cpu memory pids\n")
    maker = CgroupMaker._make([tmp_path], 2, "t")
    group = maker.create("w1", 1 << 30, 64)
    folder = tmp_path / "course-grading-t" / "w1"
    assert (folder / "memory.max").read_text() == str(1 << 30)
    assert (folder / "pids.max").read_text() == "64"
    assert group.procs == [str(folder / "cgroup.procs")] and not group.hit_limit()
    (folder / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 0\noom_kill 0\n")
    assert group.hit_limit() and not group.oom_killed()
    v1 = [tmp_path / "memory", tmp_path / "pids"]
    for parent in v1:
        parent.mkdir()
    group = CgroupMaker._make(v1, 1, "t").create("w1", 1 << 20, 8)
    assert (tmp_path / "memory" / "course-grading-t" / "w1" / "memory.limit_in_bytes").exists()
    assert (tmp_path / "pids" / "course-grading-t" / "w1" / "pids.max").read_text() == "8"


def test_generator_states_cross_one_way_and_advance():
    import random

    from course_grader import rng

    torch.manual_seed(0), np.random.seed(1), random.seed(2)
    states = json.loads(json.dumps(rng.capture()))  # what crosses the pipe is JSON
    after_capture = torch.rand(1)
    torch.manual_seed(99), np.random.seed(99), random.seed(99)  # the worker's own state
    rng.apply(states)
    drawn = (torch.rand(3), np.random.rand(3), random.random())
    torch.manual_seed(0), np.random.seed(1), random.seed(2)
    assert torch.equal(drawn[0], torch.rand(3)) and np.array_equal(drawn[1], np.random.rand(3))
    assert drawn[2] == random.random()
    torch.manual_seed(0)
    first_draw = torch.rand(1)
    torch.manual_seed(0)
    rng.capture()  # advances the generators by one draw: the next call gets other numbers
    assert torch.equal(torch.rand(1), after_capture) and not torch.equal(after_capture, first_draw)


def test_every_folder_at_the_root_but_the_system_is_hidden(tmp_path):
    from course_grader.plan import SYSTEM_ROOTS, make_plan

    solution = tmp_path / "solution.ipynb"
    solution.write_text("{}")
    plan = make_plan(solution, [], [], None)
    for entry in os.listdir("/"):
        path = "/" + entry
        if os.path.isdir(path) and not os.path.islink(path) and path not in SYSTEM_ROOTS:
            assert os.path.realpath(path) in plan.hide, path
    assert "/usr" not in plan.hide and "/tmp" not in plan.hide  # /tmp gets a tmpfs of its own


def test_two_batches_never_share_worker_uids():
    from course_grader.plan import UID_BLOCK, reserved_uids

    first = 1_900_500_000
    with reserved_uids(first, 4) as one, reserved_uids(first, 4) as two:
        assert one == first and two == first + UID_BLOCK  # slot k runs as base + k
    with reserved_uids(first, 4) as again:
        assert again == first  # released when a batch ends
    with pytest.raises(ValueError, match="--jobs must be between 1"):
        with reserved_uids(first, UID_BLOCK + 1):
            pass


def test_the_old_command_still_runs_the_grader():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "course_lib.grading", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0 and "--unsafe-no-sandbox" in done.stdout
    assert "python -m course_grader" in done.stderr


def test_course_lib_holds_only_what_notebooks_import():
    import course_lib

    folder = Path(course_lib.__file__).resolve().parent / "grading"
    assert sorted(p.name for p in folder.glob("*.py")) == ["__init__.py", "__main__.py", "calls.py"]
