"""The front door: every chapter and solution imports course_lib in one statement, from names
that ``course_lib`` exports, and every exported name resolves to its package's own object."""

import ast
import importlib
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import course_lib

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "notebooks").rglob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").rglob("*.ipynb"))


def short(path):
    return str(path.relative_to(ROOT))


def code_cells(path):
    """The notebook's code cells, IPython magics and shell lines (``%``, ``!``) made ``pass``."""
    nb = nbformat.read(path, as_version=4)
    magic = re.compile(r"^(\s*)[%!].*$", re.M)
    return [magic.sub(r"\1pass", c.source) for c in nb.cells if c.cell_type == "code"]


def course_lib_imports(cells):
    """``(cell index, node)`` for every import of course_lib, at any depth of any cell."""
    found = []
    for index, source in enumerate(cells):
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                if any(a.name.split(".")[0] == "course_lib" for a in node.names):
                    found.append((index, node))
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                if (node.module or "").split(".")[0] == "course_lib":
                    found.append((index, node))
    return found


def _imports(source):
    """The top-level import statements of a cell."""
    return [n for n in ast.parse(source).body if isinstance(n, (ast.Import, ast.ImportFrom))]


def import_order(name):
    """isort's order by type, as ruff applies it: CONSTANTS, then Classes, then the rest."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[0].isupper() else 2
    return kind, name


@pytest.mark.parametrize("path", CHAPTERS + SOLUTIONS, ids=short)
def test_one_front_door_statement_opens_the_notebook(path):
    cells = code_cells(path)
    imports = course_lib_imports(cells)
    others = [
        ast.unparse(node)
        for _, node in imports
        if not (isinstance(node, ast.ImportFrom) and node.module == "course_lib")
    ]
    assert others == [], f"import course_lib's names with `from course_lib import (...)`: {others}"
    if path in SOLUTIONS and not imports:
        return  # an exercise that uses nothing of course_lib
    assert len(imports) == 1, "exactly one `from course_lib import (...)` statement"
    index, node = imports[0]
    first = next(i for i, source in enumerate(cells[1:], 1) if _imports(source))
    assert index == first, "the statement belongs to the imports cell, the first with imports"
    top = [n.lineno for n in _imports(cells[index])]
    assert node.lineno in top, "the statement is at the top level of the imports cell"
    assert node.lineno == top[-1], "course_lib comes after the standard library and third parties"
    names = [alias.name for alias in node.names]
    assert all(alias.asname is None for alias in node.names), "names keep their own names"
    assert sorted(names, key=import_order) == names, "the names are sorted"
    missing = sorted(set(names) - set(course_lib.__all__))
    assert missing == [], f"not exported by course_lib: {missing}"


def _flakes_command():
    """pyflakes if installed, else ruff's pyflakes rules (F), else None."""
    if importlib.util.find_spec("pyflakes") is not None:
        return [sys.executable, "-m", "pyflakes", "-"]
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff:
        return [ruff, "check", "--isolated", "--select", "F", "--output-format", "concise",
                "--stdin-filename", "notebook.py", "-"]  # fmt: skip
    return None


@pytest.mark.parametrize("path", CHAPTERS + SOLUTIONS, ids=short)
def test_every_name_used_is_defined_or_imported(path):
    command = _flakes_command()
    if command is None:
        pytest.skip("neither pyflakes nor ruff is installed")
    source = "\n\n\n".join(code_cells(path)) + "\n"
    result = subprocess.run(command, input=source, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_exports_are_sorted_and_map_to_packages():
    assert list(course_lib._EXPORTS) == sorted(course_lib._EXPORTS)
    assert list(course_lib._MODULES) == sorted(course_lib._MODULES)
    deep = {n: m for n, m in course_lib._EXPORTS.items() if m.count(".") != 1}
    assert deep == {}, "map each name to its package (course_lib.models), not a module inside it"
    assert "plot" not in course_lib._MODULES


@pytest.mark.parametrize("name", course_lib.__all__)
def test_each_export_is_the_packages_own_object(name):
    value = getattr(course_lib, name)
    if name in course_lib._MODULES:
        assert value is importlib.import_module(f"course_lib.{name}")
    else:
        assert value is getattr(importlib.import_module(course_lib._EXPORTS[name]), name)


def test_import_is_lazy_and_unknown_names_say_so():
    code = "import sys, course_lib; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        course_lib.nope  # noqa: B018
