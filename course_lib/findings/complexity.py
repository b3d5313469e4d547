"""Ho's findings on data complexity: how the leave-one-out 1-NN error moves through a network."""

from __future__ import annotations

from course_lib.findings._values import Values, finite
from course_lib.findings.classification import above_chance


def complexity_falls_through_layers(
    errors: Values, num_classes: int, margin: float = 0.1, min_share_falling: float = 0.5
) -> bool:
    """Ho: complexity generally decreases as the data go through the layers.

    ``errors``: leave-one-out 1-NN error (fraction) at successive positions, entry first. Holds
    when the exit is below ``(1 - margin)`` times the entry, at least ``min_share_falling`` of the
    changes between positions are falls (unchanged positions are not counted) and the exit is
    clearly below chance error (1-NN accuracy at least twice chance).

    >>> complexity_falls_through_layers([0.035, 0.03, 0.02, 0.012], 10)
    True
    >>> complexity_falls_through_layers([0.9, 0.9, 0.9], 10)
    False
    """
    e = finite(errors, unit=True)
    if e is None or len(e) < 2:
        return False
    changes = [b - a for a, b in zip(e, e[1:], strict=False) if b != a]
    falls = sum(c < 0 for c in changes)
    return (
        e[-1] < (1.0 - margin) * e[0]
        and falls >= min_share_falling * len(changes)
        and above_chance(1.0 - e[-1], num_classes)
    )


def train_below_test_at_exit(
    train_exit: float, test_exit: float, num_classes: int, margin: float = 0.1
) -> bool:
    """Ho: the training set's complexity drops faster, ending below the test set's.

    Errors (fractions) at the exit; holds when the training set's is below ``(1 - margin)``
    times the test set's and its 1-NN accuracy is at least twice chance.

    >>> train_below_test_at_exit(0.003, 0.012, 10)
    True
    >>> train_below_test_at_exit(0.02, 0.02, 10)
    False
    """
    v = finite([train_exit, test_exit], unit=True)
    if v is None:
        return False
    return v[0] < (1.0 - margin) * v[1] and above_chance(1.0 - v[0], num_classes)


def reduced_set_more_complex(
    reduced_test_exit: float, full_test_exit: float, num_classes: int, ratio: float = 1.25
) -> bool:
    """Ho: trained on the reduced set, the test set ends more complex than trained on the full.

    Test-set errors (fractions) at the exit after the last epoch. Holds when the reduced run's is
    at least ``ratio`` times the full run's (Ho: above 2% vs below 1.5%, a ratio above 4/3) and
    both runs learned (1-NN accuracy at least twice chance): a diverged reduced run fails.

    >>> reduced_set_more_complex(0.0871, 0.0379, 10)
    True
    >>> reduced_set_more_complex(0.9, 0.0379, 10)
    False
    """
    v = finite([reduced_test_exit, full_test_exit], unit=True)
    if v is None:
        return False
    reduced, full = v
    learned = above_chance(1.0 - reduced, num_classes) and above_chance(1.0 - full, num_classes)
    return learned and reduced > 0.0 and reduced >= ratio * full


def dropout_raises_complexity(rises: Values, expected_count: int | None = None) -> bool:
    """Ho: complexity rises across each dropout layer while it drops.

    ``rises``: exit minus entry error (fraction) across each dropout layer. Holds when all are
    positive and, if ``expected_count`` is given, there are that many. Dropping nothing fails.

    >>> dropout_raises_complexity([0.05, 0.03, 0.02, 0.01], expected_count=4)
    True
    >>> dropout_raises_complexity([0.0, 0.0, 0.0, 0.0])
    False
    """
    r = finite(rises)
    if r is None or (expected_count is not None and len(r) != expected_count):
        return False
    return all(x > 0.0 for x in r)


def batch_norm_raises_complexity(changes: Values, min_share: float = 0.25) -> bool:
    """Ho: many batch-norm layers raise the complexity (ResNet-20/56 on CIFAR-100).

    ``changes``: exit minus entry error (fraction) across each batch-norm layer. Holds when more
    than ``min_share`` of them are rises (batch norm at initial statistics changes nothing).

    >>> batch_norm_raises_complexity([0.01, -0.02, 0.005, 0.0])
    True
    >>> batch_norm_raises_complexity([0.0] * 8)
    False
    """
    c = finite(changes)
    return c is not None and sum(x > 0.0 for x in c) > min_share * len(c)


def train_test_gap_largest_at_end(
    train_errors: Values, test_errors: Values, final_share: float = 0.25
) -> bool:
    """Ho: training and test complexity differ most in the final layers.

    Errors (fractions) at the same positions, entry first. Holds when the largest absolute
    difference over the final ``final_share`` of the positions exceeds that over the first half.

    >>> train_test_gap_largest_at_end([0.6, 0.5, 0.3, 0.05], [0.61, 0.52, 0.4, 0.25])
    True
    >>> train_test_gap_largest_at_end([0.5, 0.4, 0.3, 0.2], [0.5, 0.4, 0.3, 0.2])
    False
    """
    tr, te = finite(train_errors, unit=True), finite(test_errors, unit=True)
    if tr is None or te is None or len(tr) != len(te) or len(tr) < 2:
        return False
    gaps = [abs(a - b) for a, b in zip(tr, te, strict=True)]
    final = gaps[-max(1, round(final_share * len(gaps))) :]
    return max(final) > max(gaps[: max(1, len(gaps) // 2)])


def measure_orders_by_difficulty(values_easiest_first: Values) -> bool:
    """Ho: a complexity measure separates learnable problems from unlearnable ones.

    ``values_easiest_first``: the measure (higher is harder, any units) from the easiest
    problem (linearly separable) to the unlearnable (random labels); holds when strictly rising.

    >>> measure_orders_by_difficulty([0.0, 0.16, 0.5])
    True
    >>> measure_orders_by_difficulty([0.3, 0.3, 0.3])
    False
    """
    v = finite(values_easiest_first)
    return v is not None and len(v) >= 2 and all(a < b for a, b in zip(v, v[1:], strict=False))
