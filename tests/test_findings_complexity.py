"""Ho's findings on data complexity: faithful runs hold; NaN, empty and all-equal runs fail."""

import math

import torch

from course_lib import findings as f
from course_lib.scorecard import reference

NAN, INF = math.nan, math.inf


def ho_table(run, epoch=15):
    """Ho's Table I (percent) as fractions: [TR, TE] of a run at an epoch."""
    tr, te, _ = reference("ho_complexity.table_1_end_to_end_error_percent")[run][epoch]
    return tr / 100, te / 100


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


def test_measure_orders_by_difficulty():
    assert f.measure_orders_by_difficulty([0.0, 0.165, 0.51])  # N3: separable, overlap, random
    assert f.measure_orders_by_difficulty([-3.2, 1.0])  # any units
    assert not f.measure_orders_by_difficulty([0.3, 0.3, 0.3])  # a constant measure
    assert not f.measure_orders_by_difficulty([0.0, 0.6, 0.5])
    assert not f.measure_orders_by_difficulty([0.1])
    assert not f.measure_orders_by_difficulty([])
    assert not f.measure_orders_by_difficulty([0.0, NAN, 0.5])
