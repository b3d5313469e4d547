"""Björklund's findings on decoding: faithful runs hold; diverged, constant and NaN runs fail."""

import math

from course_lib import findings as f
from course_lib.scorecard import reference

NAN, INF = math.nan, math.inf
CLASSES = reference("lab_report.class_names")  # 10 CIFAR-10 classes, any names will do


def test_mse_low_early_then_rising():
    baseline = 0.95  # MSE of predicting the mean image, normalised CIFAR-10
    assert f.mse_low_early_then_rising([0.004, 0.009, 0.02, 0.21, 0.38, 0.52], baseline)
    assert f.mse_low_early_then_rising([0.05, 0.08, 0.1, 0.4, 0.45, 0.44], baseline)
    diverged = [2.09, 2.17, 38.6, 17044, 17767, 12754]
    assert not f.mse_low_early_then_rising(diverged, baseline)
    assert not f.mse_low_early_then_rising([0.3, 0.4, 0.5, 0.97, 0.98, 0.99], baseline)
    assert not f.mse_low_early_then_rising([0.2] * 6, baseline)  # all equal
    assert not f.mse_low_early_then_rising([0.01, 0.02, 0.2, 0.18, 0.3, 0.4], baseline)
    assert not f.mse_low_early_then_rising([0.01, 0.2, 0.22, 0.3, 0.4, 0.5], baseline)  # gradual
    assert not f.mse_low_early_then_rising([0.01, 0.02, 0.03, NAN, 0.3, 0.4], baseline)
    assert not f.mse_low_early_then_rising([0.01, 0.02, 0.03, 0.2, 0.3, 0.4], NAN)
    assert not f.mse_low_early_then_rising([0.01, 0.02, 0.03, 0.2, 0.3, 0.4], 0.0)
    assert not f.mse_low_early_then_rising([], baseline)
    assert not f.mse_low_early_then_rising([0.01, 0.02, 0.03], baseline)  # nothing after 3


def test_reconstruction_accuracy_falls_above_chance():
    later = reference("decoder_thesis.reconstruction_accuracy_after_checkpoint_3_percent") / 100
    thesis = [0.9, 0.88, 0.7, later, later - 0.01, later + 0.01]
    assert f.reconstruction_accuracy_falls_above_chance(thesis, 0.93, 10)
    small = [0.42, 0.40, 0.3, 0.17, 0.16, 0.18]  # a short run: 45% on the originals
    assert f.reconstruction_accuracy_falls_above_chance(small, 0.45, 10)
    assert not f.reconstruction_accuracy_falls_above_chance([0.1] * 6, 0.1, 10)  # constant
    at_chance = [0.9, 0.88, 0.7, 0.1, 0.1, 0.1]
    assert not f.reconstruction_accuracy_falls_above_chance(at_chance, 0.93, 10)
    assert not f.reconstruction_accuracy_falls_above_chance([0.9] * 6, 0.93, 10)  # no fall
    low_early = [0.3, 0.28, 0.25, 0.2, 0.2, 0.2]
    assert not f.reconstruction_accuracy_falls_above_chance(low_early, 0.93, 10)
    assert not f.reconstruction_accuracy_falls_above_chance([*thesis[:5], NAN], 0.93, 10)
    assert not f.reconstruction_accuracy_falls_above_chance(thesis, NAN, 10)
    assert not f.reconstruction_accuracy_falls_above_chance([], 0.93, 10)
    assert not f.reconstruction_accuracy_falls_above_chance(thesis[:3], 0.93, 10)


def test_verdicts_are_the_named_classes_exactly():
    named = reference("decoder_thesis.artificial_logit_verdicts")
    assert sorted(named) == ["frog", "ship"]
    figure_17 = (["ship"] * 10 + ["frog"] * 5) * 10  # 10 rows of 15 values of z_i
    assert f.verdicts_are_named_classes(figure_17, named, 0.93, 10)
    assert not f.verdicts_are_named_classes(["ship"] * 150, named, 0.93, 10)  # one class only
    assert not f.verdicts_are_named_classes(["cat", "dog"] * 75, named, 0.93, 10)  # other two
    assert not f.verdicts_are_named_classes([*figure_17, "cat"], named, 0.93, 10)  # a third
    assert not f.verdicts_are_named_classes(figure_17, named, 0.1, 10)  # constant classifier
    assert not f.verdicts_are_named_classes(figure_17, named, NAN, 10)
    assert not f.verdicts_are_named_classes([], named, 0.93, 10)
    assert not f.verdicts_are_named_classes([*figure_17, None], named, 0.93, 10)


def test_verdicts_collapse_onto_few_classes():
    raised = [c for c in CLASSES for _ in range(15)]
    collapsed = ["deer" if i % 3 else "truck" for i in range(150)]
    assert f.verdicts_collapse_onto_few_classes(collapsed, raised, 0.9, 10)
    followed = list(raised)  # each decoded image classified as the class raised
    assert not f.verdicts_collapse_onto_few_classes(followed, raised, 0.9, 10)
    assert not f.verdicts_collapse_onto_few_classes(["cat"] * 150, raised, 0.1, 10)  # constant
    three = [CLASSES[i % 3] for i in range(150)]
    assert not f.verdicts_collapse_onto_few_classes(three, raised, 0.9, 10)
    assert not f.verdicts_collapse_onto_few_classes(collapsed[:-1], raised, 0.9, 10)
    assert not f.verdicts_collapse_onto_few_classes([], [], 0.9, 10)
    assert not f.verdicts_collapse_onto_few_classes(collapsed, raised, INF, 10)


def test_class_aware_loss_raises_accuracy():
    assert f.class_aware_loss_raises_accuracy([0.2, 0.19, 0.2], [0.61, 0.55, 0.5], 0.93, 10)
    assert not f.class_aware_loss_raises_accuracy([0.1, 0.1], [0.1, 0.1], 0.1, 10)  # constant
    assert not f.class_aware_loss_raises_accuracy([0.2, 0.2], [0.2, 0.2], 0.93, 10)  # equal
    assert not f.class_aware_loss_raises_accuracy([0.2, 0.3], [0.5, 0.25], 0.93, 10)
    assert not f.class_aware_loss_raises_accuracy([0.2], [0.5, 0.4], 0.93, 10)
    assert not f.class_aware_loss_raises_accuracy([0.2, NAN], [0.5, 0.4], 0.93, 10)
    assert not f.class_aware_loss_raises_accuracy([], [], 0.93, 10)
