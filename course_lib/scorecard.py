"""Scorecards: the numbers a source document reports, beside the numbers this run measured.

Every experiment chapter ends with one, so that a reader sees at a glance what was reproduced,
on which profile and hardware, and what was not.
"""

from __future__ import annotations

import html
import math
import platform
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from course_lib.profile import is_smoke

# How the scorecards name the documents (keys of book/references.bib).
SOURCE_NAMES = {
    "homework_d2l": "homework on d2l ch. 7-8",
    "assignment_cifar10": "assignment on convolution arithmetic and CIFAR-10",
    "labreport_cifar10": "lab report on CIFAR-10",
    "ho2024complexity": "Ho, complexity of representations",
    "bjorklund2024decoding": "Björklund's thesis on decoding",
    "zhang2023dive": "Dive into Deep Learning",
}


@lru_cache(maxsize=1)
def _reference_results() -> dict:
    text = resources.files("course_lib").joinpath("reference_results.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def reference(key: str) -> Any:
    """Return a number the source documents report, by its dotted key.

    Args:
        key: a path into ``course_lib/reference_results.yaml``, e.g.
            ``"d2l_homework.outputs.corr2d_example"``.

    Returns:
        The value stored there (a number, a list or a mapping).

    Example:
        >>> reference("d2l_homework.outputs.corr2d_example")
        [[19.0, 25.0], [37.0, 43.0]]
    """
    node: Any = _reference_results()
    walked = []
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            options = ", ".join(map(str, node)) if isinstance(node, dict) else "none"
            where = ".".join(walked) or "the top level"
            raise KeyError(
                f"no reference result {key!r}: {part!r} is not under {where} ({options})"
            )
        node = node[part]
        walked.append(part)
    return node


def describe_hardware() -> str:
    """One line naming the device this run used and the torch version, e.g. for a scorecard."""
    import torch

    if torch.cuda.is_available():
        device = f"GPU: {torch.cuda.get_device_name(0)}"
    else:
        device = f"CPU: {platform.machine() or 'unknown'}, {torch.get_num_threads()} threads"
    return f"{device}; torch {torch.__version__}"


def _flatten(value: Any) -> list[float]:
    if isinstance(value, dict):
        return [x for key in sorted(value) for x in _flatten(value[key])]
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [x for item in value for x in _flatten(item)]
    return [float(value)]


def _shape(value: Any) -> tuple:
    if isinstance(value, dict):
        return tuple(sorted(value))
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return (len(value),) + (_shape(value[0]) if value else ())
    return ()


def compare(reported: Any, measured: Any, tolerance: float = 0.0) -> str:
    """Say whether ``measured`` reproduces ``reported`` within ``tolerance`` (absolute, per entry).

    Example:
        >>> compare(92.35, 92.1, tolerance=0.5)
        'reproduced'
        >>> compare([1, 2], [1, 3])
        'differs by up to 1'
    """
    if _shape(reported) != _shape(measured):
        return f"shape differs: {_shape(reported)} vs {_shape(measured)}"
    gaps = [abs(r - m) for r, m in zip(_flatten(reported), _flatten(measured), strict=True)]
    worst = max(gaps, default=0.0)
    if math.isnan(worst):
        return "not a number"
    if worst <= tolerance:
        return "reproduced"
    return f"differs by up to {worst:.4g}"


def _show(value: Any) -> str:
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


@dataclass
class Scorecard:
    """A table of (quantity, reported number, measured number, status) for one chapter.

    A verdict is only as strong as what it compares. A row about a trained or measured result
    is compared with the source only in the ``full`` profile on the real data; in ``quick``, on
    stand-in data or in a smoke run its status is "not comparable (...)", saying why. Exact
    quantities (shapes, parameter counts, outputs of the teaching ops), added with
    ``exact=True``, are compared in every profile.

    Args:
        profile: the profile this run used (``"quick"`` or ``"full"``).
        standin: True when stand-in data replaced the real dataset.
        hardware: where it ran; detected when not given.

    Example:
        >>> card = Scorecard("quick", hardware="CPU")
        >>> card.add("corr2d", [[19, 25], [37, 43]], [[19, 25], [37, 43]], "homework_d2l",
        ...          exact=True)
        >>> card.add("test accuracy (%)", 92.35, 31.0, "labreport_cifar10")
        >>> print(card)
        quantity | reported | this run | status | source
        corr2d | [[19, 25], [37, 43]] | [[19, 25], [37, 43]] | reproduced | homework on d2l ch. 7-8
        test accuracy (%) | 92.35 | 31 | not comparable (quick profile) | lab report on CIFAR-10
        profile: quick; hardware: CPU
    """

    profile: str
    standin: bool = False
    hardware: str = field(default_factory=describe_hardware)
    rows: list[tuple[str, str, str, str, str]] = field(default_factory=list)

    @property
    def not_comparable(self) -> str | None:
        """The status of a measured row when this run cannot be compared, else None."""
        why = [f"{self.profile} profile"] if self.profile != "full" else []
        why += ["stand-in data"] if self.standin else []
        why += ["smoke run"] if is_smoke() else []
        return f"not comparable ({', '.join(why)})" if why else None

    def add(
        self,
        quantity: str,
        reported: Any,
        measured: Any,
        source: str,
        tolerance: float = 0.0,
        *,
        exact: bool = False,
    ) -> None:
        """Add one row; ``tolerance`` is the absolute difference still counted as reproduced.

        ``reported=None`` records a measurement the source documents give no number for.
        ``exact=True`` marks a quantity computed the same way on the same inputs in every
        profile (a shape, a parameter count, an operator's output on the document's example):
        it is compared in every profile."""
        if reported is None:  # the documents give no number: show ours, claim nothing
            status, reported = "not reported by the source", "-"
        elif not exact and self.not_comparable:
            status = self.not_comparable
        else:
            status = compare(reported, measured, tolerance)
            if tolerance and status == "reproduced":
                status = f"reproduced (within {tolerance:g})"
        name = SOURCE_NAMES.get(source, source)
        self.rows.append((quantity, _show(reported), _show(measured), status, name))

    def add_check(
        self,
        quantity: str,
        reported: str,
        measured: Any,
        holds: bool,
        source: str,
        *,
        exact: bool = False,
    ) -> None:
        """Add a row for a result the source states in words rather than as a number.

        ``reported`` is that statement, ``measured`` what this run found, and ``holds`` the
        verdict of a rule (``course_lib.findings``) on whether ``measured`` shows it. As in
        ``add``, a measured result is "not comparable" outside ``full`` on the real data.

        Example:
            >>> card = Scorecard("full", hardware="CPU")
            >>> card.add_check("error falls", "falls layer by layer", [3.1, 2.0], True, "src")
            >>> card.rows[0][3]
            'reproduced'
        """
        if not isinstance(holds, bool):
            raise TypeError(f"holds must be a bool computed from the run, got {holds!r}")
        if not exact and self.not_comparable:
            status = self.not_comparable
        else:
            status = "reproduced" if holds else "not reproduced"
        name = SOURCE_NAMES.get(source, source)
        self.rows.append((quantity, reported, _show(measured), status, name))

    def __repr__(self) -> str:
        return str(self)

    def __str__(self) -> str:
        lines = ["quantity | reported | this run | status | source"]
        lines += [" | ".join(row) for row in self.rows]
        lines.append(f"profile: {self.profile}; hardware: {self.hardware}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{h}</th>" for h in ("Quantity", "Reported", "This run", "Status"))
        body = ""
        for quantity, reported, measured, status, source in self.rows:
            cells = (quantity, f"{reported} ({source})", measured, status)
            body += "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"
        foot = f"Profile: {html.escape(self.profile)}; hardware: {html.escape(self.hardware)}."
        if self.not_comparable:
            foot += (
                " Rows marked not comparable were measured on a run that cannot be compared "
                "with the source's: run the full edition on the real data to compare them."
            )
        return f"<table><tr>{head}</tr>{body}</table><p>{foot}</p>"
