"""The adversarial suite: every notebook of tests/fixtures/grading/submissions is graded in the
sandbox, in one batch, through the command line. Each gets the score and the statuses it earned
(expected.json), no cheat gains a point, nothing leaks out, and the batch completes."""

import contextlib
import csv
import dataclasses
import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from course_grader.assignment import load_assignment
from course_grader.config import UID_BASE, Limits
from course_grader.grade import grade
from course_grader.plan import capabilities, make_plan

ROOT = Path(__file__).resolve().parents[2]
GRADER = ROOT / "grader" / "course_grader"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SOLUTION = FIXTURES / "solution.ipynb"
SUBMISSIONS = FIXTURES / "submissions"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
LIMITS = [
    "--cell-timeout",
    "15",
    "--call-timeout",
    "10",
    "--test-timeout",
    "30",
    "--memory-mb",
    "2048",
    "--jobs",
    "2",
]
TEST_LIMITS = Limits(cell_timeout=15, call_timeout=10, test_timeout=30, memory_mb=2048)
CAN = capabilities()
pytestmark = pytest.mark.skipif(
    not (CAN["namespaces"] and CAN["drop"]),
    reason="the full sandbox needs root with mount, network and pid namespaces",
)
MARKERS = [
    GRADER / "escaped_marker.txt",
    ROOT / "course_lib" / "grading" / "escaped_marker.txt",
    FIXTURES / "escaped_marker.txt",
    ROOT / "escaped_marker.txt",
    Path("/etc/escaped_marker.txt"),
    Path("/root/escaped_marker.txt"),
    Path("/tmp/course-grading-escaped-marker"),
]


def fingerprint() -> dict[str, str]:
    """Hashes of the grader's code and of the fixtures, to show that no submission changed them."""
    paths = sorted(GRADER.glob("*.py")) + sorted((ROOT / "course_lib" / "grading").glob("*.py"))
    paths += sorted(FIXTURES.rglob("*")) + [ROOT / "course_lib" / "ops.py"]
    paths = [p for p in paths if p.is_file() and "__pycache__" not in p.parts]
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def sandbox_processes() -> list[int]:
    """The uids of the processes that run as one of the workers' users."""
    owners = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            uid = int(
                next(
                    line for line in status.read_text().splitlines() if line.startswith("Uid:")
                ).split()[1]
            )
        except (OSError, StopIteration, ValueError):
            continue
        owners += [uid] if UID_BASE <= uid < UID_BASE + 1000 else []
    return owners


def grade_cli(*args: str, limits: list[str] = LIMITS) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "course_grader", *args, *limits]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    ) as process:
        stdout, stderr = process.communicate(timeout=900)
    done = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    done.pid = process.pid  # the batch's cgroups are named after it
    return done


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("graded")
    before = fingerprint()
    done = grade_cli(str(SOLUTION), str(SUBMISSIONS), "--out", str(out))
    results = {r["student"]: r for r in json.loads((out / "grades.json").read_text())}
    return out, done, before, results


def test_the_batch_completes_after_the_preflight(batch):
    out, done, _, results = batch
    assert done.returncode == 0, done.stderr
    assert "preflight: the solution scores 6 / 6" in done.stderr
    assert "preflight: the blank exercise scores 0" in done.stderr
    assert set(results) == set(EXPECTED)
    rows = (out / "gradebook.csv").read_text().splitlines()
    assert len(rows) == len(EXPECTED) + 1 and rows[0].startswith("student,name,score,max_score,")
    assert (out / "preflight" / "solution" / "feedback.md").exists()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_submission_gets_what_it_earned(batch, name):
    result = batch[3][name]
    statuses = {test["id"]: test["status"] for test in result["tests"]}
    assert statuses == EXPECTED[name]["statuses"], result
    assert result["score"] == EXPECTED[name]["score"]


def test_no_cheat_gains_a_point(batch):
    results = batch[3]
    for cheat in ("always_equal", "monkeypatch", "read_hidden"):
        assert results[cheat]["score"] == 0, results[cheat]
    # Honest parts only: the tampered test cells and the library shortcut earn nothing.
    assert results["tampered_test"]["score"] == 3 and results["library_shortcut"]["score"] == 3


def test_every_student_gets_feedback_and_a_gradescope_file(batch):
    out, _, _, results = batch
    for name, result in results.items():
        scope = json.loads((out / name / "results.json").read_text())
        assert scope["score"] == result["score"] and len(scope["tests"]) == 5
        for test in scope["tests"]:
            assert test["status"] in ("passed", "failed") and test["visibility"] == "visible"
        assert f"feedback for {name}" in (out / name / "feedback.md").read_text()
    text = (out / "tampered_test" / "feedback.md").read_text()
    assert "was changed in your notebook" in text and "is missing from your notebook" in text
    assert "SyntaxError" in (out / "syntax_error" / "feedback.md").read_text()


def test_feedback_never_shows_hidden_tests(batch):
    out = batch[0]
    hidden = []
    for cell in load_assignment(SOLUTION).tests:
        lines = cell.source.splitlines()
        hidden += [lines[n - 1].strip() for n in cell.hidden_lines if "###" not in lines[n - 1]]
    assert hidden
    for path in [*out.rglob("*.md"), *out.rglob("*.json"), *out.rglob("*.csv")]:
        text = path.read_text()
        assert not [line for line in hidden if line in text], path


def test_nothing_escapes_the_sandbox(batch):
    out, done, before, results = batch
    assert fingerprint() == before
    assert [m for m in MARKERS if m.exists()] == []
    assert all(not r["warnings"] for r in results.values())
    assert sandbox_processes() == [], "processes of the sandbox's users are still running"
    assert not list(Path("/sys/fs/cgroup").glob(f"**/course-grading-{done.pid}"))
    assert "namespaces: yes" in (out / "summary.md").read_text()


def test_the_preflight_refuses_a_solution_that_loses_points(tmp_path):
    notebook = json.loads(SOLUTION.read_text())
    for cell in notebook["cells"]:
        if cell["id"] == "sol-conv-out-size":
            cell["source"] = "def conv_out_size(n, k, p=0, s=1):\n    return n - k"
    free = {
        "cell_type": "code",
        "id": "free",
        "metadata": {"grading": {"points": 1}},
        "source": "assert 1 + 1 == 2",
        "outputs": [],
        "execution_count": None,
    }
    notebook["cells"].append(free)
    broken = tmp_path / "broken.ipynb"
    broken.write_text(json.dumps(notebook))
    done = grade_cli(str(broken), str(SUBMISSIONS), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "The solution does not score full marks: not grading." in done.stderr
    assert "WARNING: the blank exercise scores above 0" in done.stderr
    assert not (tmp_path / "out" / "gradebook.csv").exists()


def grade_one(name: str, **plan_changes: object) -> dict:
    plan = make_plan(SOLUTION, [SUBMISSIONS], [], None)
    plan = dataclasses.replace(plan, **plan_changes)
    return grade(
        load_assignment(SOLUTION), name, SUBMISSIONS / f"{name}.ipynb", plan, TEST_LIMITS, 7, None
    )


def test_without_the_sandbox_the_reading_cheat_would_work():
    """The control experiment: read_hidden scores 0 above only because the sandbox works."""
    result = grade_one("read_hidden", namespaces=False, drop=False)
    assert result["score"] == 6
    assert any("SECURITY: the worker could read" in w for w in result["warnings"])


def test_a_fresh_interpreter_grades_like_a_forked_one():
    """Graded in this process, the worker is gone when ``grade`` returns: not even a zombie of
    it stays among this process's children (it would hold the slot's uid for as long as we
    run)."""
    assert grade_one("correct")["score"] == 6
    children = []
    for task in Path("/proc/self/task").iterdir():
        children += (task / "children").read_text().split()
    owners = [(Path("/proc") / pid / "status").read_text() for pid in children]
    assert not [s for s in owners if f"Uid:\t{UID_BASE + 7}\t" in s], owners


SOLUTIONS = sorted((ROOT / "solutions").rglob("*.ipynb"))


@pytest.mark.parametrize("solution", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_the_course_solutions_pass_the_preflight(solution):
    assert "mock.patch" not in solution.read_text(), (
        "unittest.mock patches cannot reach the student's process under the grader; "
        "use course_lib.grading.calls (forbidden, counted)"
    )
    done = grade_cli(str(solution), limits=["--jobs", "2"])  # the default limits
    assert done.returncode == 0, done.stderr[-3000:]
    assert "the blank exercise scores 0" in done.stderr


def test_student_code_draws_the_random_numbers_the_notebook_would(tmp_path):
    """A test that seeds torch, numpy or random before a call sees the student's code draw
    exactly what it would draw in the notebook, and seeding again repeats the draw."""
    cells = [
        ("imports", {}, "import random\n\nimport numpy as np\nimport torch"),
        (
            "sol-noisy",
            {},
            "def noisy(n):\n    ### BEGIN SOLUTION\n"
            "    return torch.rand(n), np.random.rand(n), random.random()\n    ### END SOLUTION",
        ),
        (
            "test-noisy",
            {"grading": {"points": 1}},
            "torch.manual_seed(0); np.random.seed(1); random.seed(2)\n"
            "a, b, c = noisy(3)\n"
            "torch.manual_seed(0); np.random.seed(1); random.seed(2)\n"
            "assert torch.equal(a, torch.rand(3)) and np.array_equal(b, np.random.rand(3))\n"
            "assert c == random.random()\n"
            "torch.manual_seed(0)\n"
            "first, _, _ = noisy(3)\n"
            "second, _, _ = noisy(3)\n"
            "assert torch.equal(first, a) and not torch.equal(first, second)",
        ),
    ]
    notebook = {
        "cells": [
            {"cell_type": "code", "id": i, "metadata": m, "source": s, "outputs": [],
             "execution_count": None}
            for i, m, s in cells
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }  # fmt: skip
    solution = tmp_path / "solutions" / "noisy.ipynb"
    solution.parent.mkdir()
    solution.write_text(json.dumps(notebook))
    done = grade_cli(str(solution))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "preflight: the solution scores 1 / 1" in done.stderr


LEAK = """
import socket

try:
    with socket.create_connection(("127.0.0.1", PORT), timeout=2) as leak:
        exec(b"".join(iter(lambda: leak.recv(65536), b"")).decode())
except OSError:
    pass
"""
DAEMON = """
import glob
import os
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(5)
        for path in glob.glob(ROOT + "/*/gradebook.csv"):
            try:
                with open(path, "a") as handle:
                    handle.write("daemon,daemon,6,6\\n")
            except OSError:
                pass
        os._exit(0)
    os._exit(0)
"""


@contextlib.contextmanager
def leaking_listener():
    """A TCP listener on 127.0.0.1 that hands the correct answers to whoever connects."""
    notebook = json.loads((SUBMISSIONS / "correct.ipynb").read_text())
    answers = "\n".join(
        "".join(c["source"]) for c in notebook["cells"] if c.get("id", "").startswith("sol-")
    ).encode()
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.5)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            with connection:
                connection.sendall(answers)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        server.close()


def with_cell(path: Path, source: str) -> str:
    """The notebook at ``path`` with one more code cell at its end."""
    notebook = json.loads(path.read_text())
    cell = {"cell_type": "code", "id": "extra", "metadata": {}, "source": source}
    notebook["cells"].append(dict(cell, outputs=[], execution_count=None))
    return json.dumps(notebook)


def hostile_folder(root: Path, port: int) -> dict[str, float]:
    """A folder of hostile entries the adversarial fixtures do not hold; each name's due score
    (None: a row that must say why it was refused)."""
    correct, blank = SUBMISSIONS / "correct.ipynb", SUBMISSIONS / "blank.ipynb"
    subs = root / "hostile"
    subs.mkdir()
    due: dict[str, float | None] = {}
    for name in ["José García", "Zoë Li", "Zoé Li", "+1+1", "alice.IPYNB", ".hidden"]:
        file = name if "." in name[1:] else name + ".ipynb"
        (subs / file).write_bytes(correct.read_bytes())
        due[name.split(".IPYNB")[0]] = 6
    for name in ["gradebook.csv", "grades.json", "summary.md", "@SUM(A1)", "bob.ipynb (1)"]:
        file = name if "ipynb" in name else name + ".ipynb"
        (subs / file).write_bytes(blank.read_bytes())
        due[name.split(".ipynb")[0]] = 0
    (subs / "mallory").mkdir()
    (subs / "mallory" / "solution.ipynb").symlink_to(os.path.relpath(SOLUTION, subs / "mallory"))
    due["mallory"] = 0
    (subs / "eve.ipynb").symlink_to(SOLUTION)
    (subs / "copycat.ipynb").symlink_to("José García.ipynb")
    (subs / "zero.ipynb").symlink_to("/dev/zero")
    os.mkfifo(subs / "fifo.ipynb")
    due.update({"eve": None, "copycat": None, "zero": None, "fifo": None})
    secret = root / "secret.ipynb"
    secret.write_bytes(SOLUTION.read_bytes())
    secret.chmod(0o600)
    (subs / "trudy").mkdir()
    os.link(secret, subs / "trudy" / "solution.ipynb")
    due["trudy"] = 0
    (subs / "deep.ipynb").write_text('{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}")
    due["deep"] = 0
    (subs / "notes.txt").write_text("not a submission")
    (subs / "tcp.ipynb").write_text(with_cell(blank, LEAK.replace("PORT", str(port))))
    (subs / "daemon.ipynb").write_text(with_cell(blank, DAEMON.replace("ROOT", repr(str(root)))))
    due.update({"tcp": 0, "daemon": 0})
    return due


def test_a_fresh_batch_of_hostile_entries(tmp_path):
    """Links, hard links, special files, odd and reserved names, a deep notebook: every cheat
    gets 0, every honest copy full marks, every entry a row or a logged reason."""
    before = fingerprint()
    out = tmp_path / "out"
    with leaking_listener() as port:
        due = hostile_folder(tmp_path, port)
        done = grade_cli(str(SOLUTION), str(tmp_path / "hostile"), "--out", str(out))
    assert done.returncode == 0, done.stderr[-3000:]
    rows = list(csv.DictReader(open(out / "gradebook.csv", encoding="utf-8")))
    by_name = {row["name"].removeprefix("'"): row for row in rows}
    assert set(by_name) == set(due), sorted(by_name)
    for name, score in due.items():
        row = by_name[name]
        assert float(row["score"]) == (score or 0), (name, row)
        if score is None:
            result = next(
                r for r in json.loads((out / "grades.json").read_text()) if r["name"] == name
            )
            assert result["refused"], name
    assert "notes.txt" in (out / "skipped.md").read_text()
    assert fingerprint() == before
    gradebook = (out / "gradebook.csv").read_bytes()
    # Past the daemon's sleep: a worker's process must be gone and the gradebook untouched. (A
    # batch of another test file may run beside this one with workers of its own: wait for it.)
    time.sleep(6)
    deadline = time.monotonic() + 120
    while sandbox_processes() and time.monotonic() < deadline:
        time.sleep(1)
    assert sandbox_processes() == [], "the daemon or another process of a worker is left"
    assert (out / "gradebook.csv").read_bytes() == gradebook, "the gradebook changed afterwards"


def user_python() -> str | None:
    """An interpreter the ordinary user ``nobody`` can run with this environment's packages:
    a virtual environment of the system's Python of the same version, in a folder all may
    read, whose .pth file adds this environment's site-packages. None if there is none."""
    import shutil
    import site
    import tempfile

    if os.geteuid() != 0:
        return None
    system = shutil.which(f"python{sys.version_info.major}.{sys.version_info.minor}",
                          path="/usr/bin:/usr/local/bin")  # fmt: skip
    if system is None:
        return None
    folder = Path(tempfile.mkdtemp(prefix="course-grader-user-venv-"))
    folder.chmod(0o755)
    done = subprocess.run([system, "-m", "venv", "--without-pip", str(folder / "venv")],
                          capture_output=True, check=False)  # fmt: skip
    if done.returncode != 0:
        return None
    packages = next((folder / "venv" / "lib").glob("python*/site-packages"))
    lines = [f"import site; site.addsitedir({p!r})" for p in site.getsitepackages()]
    (packages / "course-environment.pth").write_text("\n".join(lines) + "\n")
    python = str(folder / "venv" / "bin" / "python")
    check = subprocess.run(["runuser", "-u", "nobody", "--", python, "-c", "import course_grader"],
                           capture_output=True, check=False, cwd="/")  # fmt: skip
    return python if check.returncode == 0 else None


def test_an_ordinary_user_gets_the_same_sandbox(tmp_path_factory):
    """Item 11: graded as an ordinary user (nobody), in an unprivileged user namespace, the
    adversarial submissions and the hostile entries get what they get as root, nothing of the
    checkout changes, and no process of that user is left."""
    python = user_python()
    if python is None:
        pytest.skip("needs root, runuser and a system Python of this version for the user nobody")
    import shutil
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="course-grader-user-"))
    root.chmod(0o755)
    try:
        check_as_nobody(python, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(Path(python).parents[2], ignore_errors=True)


def check_as_nobody(python: str, root: Path) -> None:
    """Grade the adversarial and the hostile submissions as nobody and check everything."""
    listener = contextlib.ExitStack()
    due = hostile_folder(root, listener.enter_context(leaking_listener()))
    subprocess.run(["chown", "-R", "nobody", str(root)], check=True)
    before = fingerprint()
    for submissions, out in ((SUBMISSIONS, root / "out"), (root / "hostile", root / "out2")):
        user = ["runuser", "-u", "nobody", "--", "env", "-u", "HOME", python, "-m"]
        command = [*user, "course_grader", str(SOLUTION), str(submissions), "--out", str(out)]
        command += LIMITS
        done = subprocess.run(command, capture_output=True, text=True, cwd="/", timeout=900)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "unprivileged user namespace" in done.stderr
    results = {r["student"]: r for r in json.loads((root / "out" / "grades.json").read_text())}
    for name, expected in EXPECTED.items():
        statuses = {test["id"]: test["status"] for test in results[name]["tests"]}
        assert statuses == expected["statuses"], (name, results[name])
        assert not results[name]["warnings"], results[name]
    rows = list(csv.DictReader(open(root / "out2" / "gradebook.csv", encoding="utf-8")))
    scores = {row["name"].removeprefix("'"): float(row["score"]) for row in rows}
    assert scores == {name: score or 0 for name, score in due.items()}
    assert fingerprint() == before
    for _ in range(100):  # the jobs' zygotes end with their jobs (parent-death signal)
        listing = ["ps", "-u", "nobody", "-o", "pid=,stat=,args="]
        found = subprocess.run(listing, capture_output=True, text=True).stdout.splitlines()
        left = [line for line in found if line.split()[1][0] != "Z"]  # not yet reaped by init
        if not left:
            break
        time.sleep(0.1)
    assert left == [], f"processes of the user are still running: {left}"
    listener.close()


def test_without_any_sandbox_the_grader_refuses_unless_told(monkeypatch, capsys):
    """Item 11: where neither root nor user namespaces are available, no student code runs."""
    from course_grader import __main__ as cli

    monkeypatch.setattr(
        cli, "capabilities", lambda: {"namespaces": False, "drop": False, "userns": False}
    )
    assert cli.main([str(SOLUTION), str(SUBMISSIONS), "--out", "/nonexistent/out"]) == 3
    assert "--unsafe-no-sandbox" in capsys.readouterr().err
    assert not Path("/nonexistent/out").exists()


def test_without_the_sandbox_the_network_cheat_would_work(tmp_path):
    """The control experiment: the TCP cheat scores 0 above only because the sandbox works."""
    with leaking_listener() as port:
        hostile_folder(tmp_path, port)
        plan = make_plan(SOLUTION, [], [], None)
        plan = dataclasses.replace(plan, namespaces=False, drop=False, userns=False)
        result = grade(
            load_assignment(SOLUTION), "tcp", tmp_path / "hostile" / "tcp.ipynb", plan,
            TEST_LIMITS, 7, None,
        )  # fmt: skip
    assert result["score"] == 6
