"""The qualitative rules: faithful runs hold; NaN, empty, constant and chance runs fail."""

import math

import pytest
import torch

from course_lib import findings as f
from course_lib.scorecard import reference

NAN, INF = math.nan, math.inf
CLASSES = reference("lab_report.class_names")  # 10 CIFAR-10 classes, any names will do


def ho_table(run, epoch=15):
    """Ho's Table I (percent) as fractions: [TR, TE] of a run at an epoch."""
    tr, te, _ = reference("ho_complexity.table_1_end_to_end_error_percent")[run][epoch]
    return tr / 100, te / 100


# --- chance ---------------------------------------------------------------------------------


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


# --- Ho: LeNet-5 on MNIST -------------------------------------------------------------------


def test_complexity_falls_through_layers():
    _, exit_error = ho_table("basic_full_set")
    assert f.complexity_falls_through_layers([0.035, exit_error], 10)  # the paper's scale
    profile = [0.12, 0.12, 0.11, 0.115, 0.09, 0.09, 0.07, 0.06]  # repeats: unmeasured positions
    assert f.complexity_falls_through_layers(profile, 10)
    assert f.complexity_falls_through_layers(torch.tensor(profile), 10)
    assert not f.complexity_falls_through_layers([0.12] * 8, 10)  # all equal
    assert not f.complexity_falls_through_layers([0.12, 0.119], 10)  # within the margin
    assert not f.complexity_falls_through_layers([0.95, 0.85], 10)  # exit at chance
    assert not f.complexity_falls_through_layers([0.12, 0.2, 0.25, 0.3, 0.05], 10)  # mostly up
    for bad in ([], [0.1], [0.1, NAN], [INF, 0.05]):
        assert f.complexity_falls_through_layers(bad, 10) is False


def test_train_below_test_at_exit():
    assert f.train_below_test_at_exit(*ho_table("basic_full_set"), 10)
    assert f.train_below_test_at_exit(0.021, 0.0379, 10)
    assert not f.train_below_test_at_exit(0.0379, 0.0379, 10)  # equal
    assert not f.train_below_test_at_exit(0.05, 0.0379, 10)
    assert not f.train_below_test_at_exit(0.85, 0.9, 10)  # an untrained network, at chance
    assert not f.train_below_test_at_exit(NAN, 0.03, 10)
    assert not f.train_below_test_at_exit(0.01, INF, 10)


def test_reduced_set_more_complex_is_relative():
    _, reduced = ho_table("basic_reduced_set")
    _, full = ho_table("basic_full_set")
    assert f.reduced_set_more_complex(reduced, full, 10)  # 2.6% vs 1.2%
    assert f.reduced_set_more_complex(0.021, 0.014, 10)  # Ho's words: above 2%, below 1.5%
    assert f.reduced_set_more_complex(0.0871, 0.0379, 10)  # a smaller-scale run, clearly higher
    assert not f.reduced_set_more_complex(0.0379, 0.0379, 10)  # equal
    assert not f.reduced_set_more_complex(0.04, 0.0379, 10)  # within noise
    assert not f.reduced_set_more_complex(0.0, 0.0, 10)
    assert not f.reduced_set_more_complex(0.9, 0.0379, 10)  # the reduced run diverged
    assert not f.reduced_set_more_complex(0.9, 0.88, 10)  # neither learned
    assert not f.reduced_set_more_complex(NAN, 0.0379, 10)


def test_dropout_raises_complexity():
    assert f.dropout_raises_complexity([0.052, 0.031, 0.024, 0.009], expected_count=4)
    assert f.dropout_raises_complexity(torch.tensor([0.01, 0.02]))
    assert not f.dropout_raises_complexity([0.0, 0.0, 0.0, 0.0])  # p = 0, or evaluation mode
    assert not f.dropout_raises_complexity([0.05, 0.03, -0.01, 0.02])
    assert not f.dropout_raises_complexity([0.05, 0.03], expected_count=4)  # layers missed
    assert not f.dropout_raises_complexity([])
    assert not f.dropout_raises_complexity([0.05, NAN, 0.02, 0.01])


# --- Ho: ResNet-20/56 on CIFAR-100 ----------------------------------------------------------


def test_batch_norm_raises_complexity():
    assert f.batch_norm_raises_complexity([0.01, -0.02, 0.005, 0.0, -0.01, 0.003])
    assert not f.batch_norm_raises_complexity([0.0] * 19)  # initial statistics: a rescaling
    assert not f.batch_norm_raises_complexity([-0.01] * 19)
    assert not f.batch_norm_raises_complexity([0.01, -0.01, -0.01, -0.01, -0.01])  # 1 of 5
    assert not f.batch_norm_raises_complexity([])
    assert not f.batch_norm_raises_complexity([0.01, INF])


def test_train_test_gap_largest_at_end():
    positions = torch.linspace(0, 1, 40)
    test = (0.7 - 0.45 * positions).tolist()  # 70% at the entry, 25% at the exit
    train = (0.7 - 0.45 * positions - 0.2 * positions**4).tolist()  # apart only at the end
    assert f.train_test_gap_largest_at_end(train, test)
    assert not f.train_test_gap_largest_at_end(test, test)  # no difference anywhere
    early = [t - (0.05 if i < 10 else 0.0) for i, t in enumerate(test)]
    assert not f.train_test_gap_largest_at_end(early, test)  # apart only at the start
    assert not f.train_test_gap_largest_at_end(train[:-1], test)  # positions do not match
    assert not f.train_test_gap_largest_at_end([], [])
    assert not f.train_test_gap_largest_at_end([*train[:-1], NAN], test)


# --- Björklund: decoding ResNet-18 checkpoints ----------------------------------------------


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


# --- Ho: data complexity; the assignment: tricks --------------------------------------------


def test_measure_orders_by_difficulty():
    assert f.measure_orders_by_difficulty([0.0, 0.165, 0.51])  # N3: separable, overlap, random
    assert f.measure_orders_by_difficulty([-3.2, 1.0])  # any units
    assert not f.measure_orders_by_difficulty([0.3, 0.3, 0.3])  # a constant measure
    assert not f.measure_orders_by_difficulty([0.0, 0.6, 0.5])
    assert not f.measure_orders_by_difficulty([0.1])
    assert not f.measure_orders_by_difficulty([])
    assert not f.measure_orders_by_difficulty([0.0, NAN, 0.5])


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
