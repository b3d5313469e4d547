"""The exercises generator, the sync of exercises/ with solutions/, and the stubs failing."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from course_lib.exercises import (
    CODE_STUB,
    MARKDOWN_STUB,
    check_exercises,
    make_exercise,
    write_exercises,
)

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").rglob("*.ipynb"))


def notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    nbformat.validator.normalize(nb)
    return nb


def test_solution_region_becomes_a_stub_at_its_indentation():
    source = (
        "def f(x):\n    ### BEGIN SOLUTION\n    y = x + 1\n    return y\n    ### END SOLUTION\n"
    )
    nb = notebook(nbformat.v4.new_code_cell(source))
    exercise = make_exercise(nb)
    assert exercise.cells[0].source == f"def f(x):\n    {CODE_STUB}"
    assert "### BEGIN SOLUTION" in nb.cells[0].source  # the solution is left as it was


def test_hidden_tests_vanish_and_metadata_and_ids_stay():
    source = "assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(2) == 3\n### END HIDDEN TESTS"
    cell = nbformat.v4.new_code_cell(source, metadata={"grading": {"points": 2}})
    cell.outputs = [nbformat.v4.new_output("stream", text="x")]
    cell.execution_count = 3
    nb = notebook(cell)
    exercise = make_exercise(nb).cells[0]
    assert exercise.source == "assert f(1) == 2"
    assert exercise.metadata == {"grading": {"points": 2}} and exercise.id == cell.id
    assert exercise.outputs == [] and exercise.execution_count is None


def test_markdown_answer_becomes_placeholder():
    nb = notebook(
        nbformat.v4.new_markdown_cell("Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION")
    )
    assert make_exercise(nb).cells[0].source == f"Why?\n\n{MARKDOWN_STUB}"


@pytest.mark.parametrize(
    "source, message",
    [
        ("### BEGIN SOLUTION\nx = 1", "never closed"),
        ("x = 1\n### END SOLUTION", "without"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside another region"),
        ("### END HIDDEN TESTS", "without"),
    ],
)
def test_unbalanced_markers_are_rejected_with_the_cell_named(source, message):
    with pytest.raises(ValueError, match=message) as error:
        make_exercise(notebook(nbformat.v4.new_code_cell(source)), "demo.ipynb")
    assert "demo.ipynb, cell 0" in str(error.value)


def test_write_and_check_round_trip(tmp_path):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    (solutions / "part").mkdir(parents=True)
    nb = notebook(nbformat.v4.new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION"))
    nbformat.write(nb, solutions / "part" / "a.ipynb")
    assert check_exercises(solutions, exercises) == [f"{exercises / 'part' / 'a.ipynb'} is missing"]
    (exercises / "old.ipynb").parent.mkdir(parents=True)
    nbformat.write(nb, exercises / "old.ipynb")
    write_exercises(solutions, exercises)
    assert not (exercises / "old.ipynb").exists()
    assert check_exercises(solutions, exercises) == []
    (exercises / "part" / "a.ipynb").write_text("{}")
    assert "differs" in check_exercises(solutions, exercises)[0]


def test_exercises_folder_is_what_the_generator_makes():
    assert SOLUTIONS, "no solution notebooks found"
    problems = check_exercises(ROOT / "solutions", ROOT / "exercises")
    assert problems == [], "\n".join(problems) + "\nRun `make exercises`."


def graded_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and "grading" in c.metadata]


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_every_graded_cell_fails_on_the_stub(solution):
    """A blank exercise earns nothing: each graded test cell raises when run on the stubs.

    That the solution passes the same cells is checked by nbval, which runs solutions/."""
    exercise_path = ROOT / "exercises" / solution.relative_to(ROOT / "solutions")
    solution_nb = nbformat.read(solution, as_version=4)
    assert graded_cells(solution_nb), f"{solution} has no graded test cell"
    assert any("### BEGIN SOLUTION" in c.source for c in solution_nb.cells)
    exercise = nbformat.read(exercise_path, as_version=4)
    client = NotebookClient(
        exercise,
        allow_errors=True,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(exercise_path.parent)}},
    )
    client.execute()
    passing = [
        c.id for c in graded_cells(exercise) if not any(o.output_type == "error" for o in c.outputs)
    ]
    assert passing == [], f"graded cells that pass without a solution: {passing}"
