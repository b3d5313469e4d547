"""Chance, and one network beating others: faithful runs hold; NaN, constant and chance runs
fail."""

import math

import pytest
import torch

from course_lib import findings as f
from course_lib.scorecard import reference

NAN, INF = math.nan, math.inf


def test_above_chance_needs_twice_chance():
    assert f.chance_level(10) == pytest.approx(0.1)
    assert f.above_chance(0.2, 10) and f.above_chance(0.93, 10)
    assert not f.above_chance(0.1, 10)  # a constant classifier on balanced classes
    assert not f.above_chance(0.19, 10)
    assert f.above_chance(0.16, 10, factor=1.5)
    for bad in (NAN, INF, []):
        assert f.above_chance(bad, 10) is False
    assert f.above_chance(torch.tensor(0.5), 10) is True


def test_bad_arguments_are_errors_not_verdicts():
    with pytest.raises(ValueError, match="at least 2 classes"):
        f.chance_level(1)
    with pytest.raises(ValueError, match="factor"):
        f.above_chance(0.5, 10, factor=0.5)
    with pytest.raises(ValueError, match="percentage"):
        f.above_chance(93.0, 10)
    with pytest.raises(ValueError, match="percentage"):
        f.reduced_set_more_complex(8.71, 3.79, 10)


def test_combination_beats_single_tricks():
    model_1 = {k: v / 100 for k, v in reference("assignment.task_3_test_accuracy.model_1").items()}
    baseline = model_1.pop("baseline")
    final = reference("assignment.task_3e_combination_test_accuracy.filters_128") / 100
    assert f.combination_beats_single_tricks(final, baseline, list(model_1.values()), 10)
    assert f.combination_beats_single_tricks(0.62, 0.5, [0.55, 0.48], 10)  # a short run
    assert not f.combination_beats_single_tricks(0.1, 0.1, [0.1, 0.1], 10)  # chance
    assert not f.combination_beats_single_tricks(0.55, 0.5, [0.56, 0.48], 10)
    assert not f.combination_beats_single_tricks(0.6, 0.5, [], 10)
    assert not f.combination_beats_single_tricks(NAN, 0.5, [0.55], 10)


def test_accuracy_beats():
    totals = reference("lab_report.test_accuracy_percent")
    elexnet_d, shallow = totals["elexnet_d"] / 100, totals["shallow_cnn"] / 100
    assert f.accuracy_beats(elexnet_d, [shallow], 10)
    assert f.accuracy_beats(totals["elexnet_c"] / 100, [totals["elexnet_b"] / 100], 10, 0.01)
    assert not f.accuracy_beats(shallow, [elexnet_d], 10)  # the wrong way round
    assert not f.accuracy_beats(0.1, [0.1], 10)  # two constant classifiers
    assert not f.accuracy_beats(0.15, [0.1], 10)  # beats a constant one, but is near chance
    assert not f.accuracy_beats(0.72, [0.715], 10, margin=0.01)
    for bad in ([NAN], [INF], []):
        assert f.accuracy_beats(0.8, bad, 10) is False
    assert f.accuracy_beats(NAN, [0.5], 10) is False
