"""Plain-text tables: a document's numbers beside a run's, aligned in columns.

Chapters print their tables (``print(format_table(...))``): plain text reads the same in the
book, in Colab and in a terminal, and a deterministic table can be checked by nbval.
"""

from __future__ import annotations

from collections.abc import Sequence


def _cell(value: object, digits: int) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "nan" if value != value else f"{value:.{digits}f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def format_table(header: Sequence[str], rows: Sequence[Sequence[object]], digits: int = 1) -> str:
    """Lay out rows as a text table: the first column left-aligned, the others right-aligned.

    Args:
        header: the column names.
        rows: one sequence of cells per row, as many as ``header``; floats are shown with
            ``digits`` decimals, ints with thousands separators, None as ``-``.
        digits: decimals of float cells.

    Returns:
        The table, one line per row under a header and a rule.

    Example:
        >>> print(format_table(["model", "report", "this run"], [["ElexNet-a", 70, 68.25]]))
        model      report  this run
        ---------  ------  --------
        ElexNet-a      70      68.2
    """
    if not header:
        raise ValueError("a table needs at least one column")
    cells = [[str(h) for h in header]]
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"a row has {len(row)} cells but the header {len(header)}: {row!r}")
        cells.append([_cell(value, digits) for value in row])
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]

    def line(parts: Sequence[str]) -> str:
        first = parts[0].ljust(widths[0])
        rest = [part.rjust(width) for part, width in zip(parts[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    rule = line(["-" * width for width in widths])
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])
