import math

import pytest

from course_lib.tables import format_table


def test_columns_are_aligned_and_cells_formatted():
    text = format_table(
        ["class", "report", "this run", "n"],
        [["plane", 72.1, 68.25, 1000], ["cat", None, math.nan, 12]],
    )
    lines = text.splitlines()
    assert lines[0] == "class  report  this run      n"
    assert lines[1] == "-----  ------  --------  -----"
    assert lines[2] == "plane    72.1      68.2  1,000"
    assert lines[3] == "cat         -       nan     12"
    assert format_table(["x"], [[0.123456]], digits=3).splitlines()[-1] == "0.123"


def test_rows_must_fit_the_header():
    with pytest.raises(ValueError, match="a row has 1 cells but the header 2"):
        format_table(["a", "b"], [[1]])
    with pytest.raises(ValueError, match="at least one column"):
        format_table([], [])
