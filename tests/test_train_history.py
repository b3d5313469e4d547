"""course_lib.train.history: ``History`` saved, loaded and shown as rows."""

import pytest

from course_lib.train import (
    History,
    fit,
)


def test_history_round_trip_and_rows(tmp_path, tiny):
    history = fit(tiny.cnn(), tiny.data(test=False), tiny.config())
    history.save(tmp_path / "history.json")
    loaded = History.load(tmp_path / "history.json")
    assert loaded == history
    rows = loaded.rows(digits=3)
    assert len(rows) == 2 and list(rows[0]) == history.columns
    assert rows[0]["train_loss"] == round(history["train_loss"][0], 3)
    assert "2 epochs" in repr(history)
    with pytest.raises(KeyError, match="no column 'test_loss'"):
        history["test_loss"]
    with pytest.raises(ValueError, match="needs its 'epoch'"):
        history.append({"val_loss": 1.0})
    history.append({"epoch": 3, "complexity": 0.1, "train_loss": 0.2})
    assert history.columns[-1] == "complexity" and list(history.rows()[-1]) == [
        "epoch",
        "train_loss",
        "complexity",
    ]
