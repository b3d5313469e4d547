"""The front door: every exported name resolves to the object its module defines."""

import importlib
import subprocess
import sys

import pytest

import course_lib


@pytest.mark.parametrize("name", course_lib.__all__)
def test_each_export_is_the_modules_own_object(name):
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
