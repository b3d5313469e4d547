"""``History``: what ``fit`` measured, one record per epoch, saved and loaded as JSON."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The columns a record can have, in the order tables show them.
COLUMNS = (
    "epoch",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "test_loss",
    "test_accuracy",
    "lr",
    "epoch_time",
)


@dataclass
class History:
    """Per-epoch measurements of a training run.

    Each record is a dict with ``epoch`` (counted from 1), ``train_loss``, ``train_accuracy``,
    ``val_loss`` and ``val_accuracy`` when there is a validation split, ``test_loss`` and
    ``test_accuracy`` when the test split was evaluated, ``lr`` (the learning rate at the start
    of the epoch) and ``epoch_time`` (seconds of training and evaluation). Accuracies are
    fractions in ``[0, 1]``. ``info`` holds facts about the run: the device, the precision, the
    configuration, where it resumed, where early stopping ended it.

    Example:
        >>> history = History()
        >>> history.append({"epoch": 1, "train_loss": 0.9, "train_accuracy": 0.61})
        >>> history.append({"epoch": 2, "train_loss": 0.5, "train_accuracy": 0.83})
        >>> history["train_loss"]
        [0.9, 0.5]
        >>> history.rows()[-1]
        {'epoch': 2, 'train_loss': 0.5, 'train_accuracy': 0.83}
    """

    records: list[dict[str, float]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def append(self, record: dict[str, float]) -> None:
        """Add the record of one epoch (columns other than ``COLUMNS`` are kept too)."""
        if "epoch" not in record:
            raise ValueError("a history record needs its 'epoch'")
        self.records.append(dict(record))

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, column: str) -> list[float]:
        """The values of one column, one per epoch that has it."""
        if column not in self.columns:
            raise KeyError(f"no column {column!r} in this history; it has {self.columns}")
        return [record[column] for record in self.records if column in record]

    def __contains__(self, column: object) -> bool:
        return column in self.columns

    @property
    def columns(self) -> list[str]:
        """The columns present in at least one record: ``COLUMNS`` order, then any others."""
        present = list(dict.fromkeys(key for record in self.records for key in record))
        return [c for c in COLUMNS if c in present] + [c for c in present if c not in COLUMNS]

    @property
    def last(self) -> dict[str, float]:
        """The record of the last epoch."""
        if not self.records:
            raise IndexError("the history is empty: no epoch has finished yet")
        return dict(self.records[-1])

    def rows(self, digits: int | None = None) -> list[dict[str, float]]:
        """The records as rows for a table, columns in table order.

        Args:
            digits: round floats to this many digits; ``None`` keeps them as they are.

        Returns:
            One dict per epoch.
        """
        rows = []
        columns = self.columns
        for record in self.records:
            row = {c: record[c] for c in columns if c in record}
            if digits is not None:
                row = {c: round(v, digits) if isinstance(v, float) else v for c, v in row.items()}
            rows.append(row)
        return rows

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict holding the records and the info."""
        return {"records": [dict(r) for r in self.records], "info": dict(self.info)}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> History:
        """The inverse of ``to_dict``."""
        return cls(records=[dict(r) for r in state["records"]], info=dict(state["info"]))

    def save(self, path: str | os.PathLike) -> None:
        """Write the history to a JSON file.

        Example:
            >>> import tempfile
            >>> history = History([{"epoch": 1, "train_loss": 0.7}], {"device": "cpu"})
            >>> with tempfile.TemporaryDirectory() as folder:
            ...     history.save(f"{folder}/history.json")
            ...     History.load(f"{folder}/history.json") == history
            True
        """
        Path(path).write_text(json.dumps(self.to_dict(), indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike) -> History:
        """Read a history written by ``save``."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def __repr__(self) -> str:
        if not self.records:
            return "History(no epochs)"
        last = ", ".join(
            f"{key} {value:.4g}" for key, value in self.rows()[-1].items() if key != "epoch"
        )
        return f"History({len(self)} epochs; last: {last})"
