"""The source documents' qualitative findings, as rules that compare a run with itself.

Each rule returns a plain ``bool``: False on NaN, infinite or empty input and on the degenerate
run of its kind (constant classifier, chance accuracy, diverged decoder, all-equal values).
Errors and accuracies are fractions in [0, 1]; a value outside raises ``ValueError``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

Values = Sequence[float]
Names = Sequence[str]


def _finite(values: Iterable[float] | float, unit: bool = False) -> list[float] | None:
    """The values as floats; None when empty or not all finite. ``unit``: must lie in [0, 1]."""
    if hasattr(values, "tolist"):  # a tensor or an array
        values = values.tolist()
    if isinstance(values, (int, float)):
        values = [values]
    try:
        out = [float(v) for v in values]
    except (TypeError, ValueError):
        return None
    if not out or not all(math.isfinite(v) for v in out):
        return None
    if unit and not all(0.0 <= v <= 1.0 for v in out):
        raise ValueError(f"expected fractions in [0, 1], got {out} (percentages?)")
    return out


def chance_level(num_classes: int) -> float:
    """Accuracy of guessing among ``num_classes`` balanced classes (a fraction).

    >>> chance_level(10)
    0.1
    """
    if num_classes < 2:
        raise ValueError(f"a classification needs at least 2 classes, got {num_classes}")
    return 1.0 / num_classes


def above_chance(accuracy: float, num_classes: int, factor: float = 2.0) -> bool:
    """True when ``accuracy`` (a fraction) is at least ``factor`` times chance.

    A constant classifier scores chance on balanced classes and fails.

    >>> above_chance(0.35, 10), above_chance(0.1, 10), above_chance(float("nan"), 10)
    (True, False, False)
    """
    if factor < 1.0:
        raise ValueError(f"factor must be at least 1, got {factor}")
    v = _finite(accuracy, unit=True)
    return v is not None and len(v) == 1 and v[0] >= factor * chance_level(num_classes)


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
    e = _finite(errors, unit=True)
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
    v = _finite([train_exit, test_exit], unit=True)
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
    v = _finite([reduced_test_exit, full_test_exit], unit=True)
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
    r = _finite(rises)
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
    c = _finite(changes)
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
    tr, te = _finite(train_errors, unit=True), _finite(test_errors, unit=True)
    if tr is None or te is None or len(tr) != len(te) or len(tr) < 2:
        return False
    gaps = [abs(a - b) for a, b in zip(tr, te, strict=True)]
    final = gaps[-max(1, round(final_share * len(gaps))) :]
    return max(final) > max(gaps[: max(1, len(gaps) // 2)])


def mse_low_early_then_rising(
    mse_per_checkpoint: Values, baseline_mse: float, last_low: int = 3
) -> bool:
    """Björklund (Figure 12): decoder MSE low through checkpoint 3, rising abruptly after it.

    ``mse_per_checkpoint``: test MSE per pixel of the decoders of checkpoints 1, 2, ... in the
    units of the normalised images; ``baseline_mse``: the MSE of predicting the mean training
    image, e.g. ``(X_test - X_train.mean(0)).pow(2).mean()``. Holds when every decoder beats that
    baseline (one that does not has not converged), every MSE up to ``last_low`` is below every
    later one, and the step after ``last_low`` is the largest step up to there.

    >>> mse_low_early_then_rising([0.004, 0.01, 0.03, 0.2, 0.3, 0.4], baseline_mse=0.9)
    True
    >>> mse_low_early_then_rising([2.09, 2.17, 38.6, 17044, 17767, 12754], baseline_mse=0.9)
    False
    """
    m, b = _finite(mse_per_checkpoint), _finite(baseline_mse)
    if m is None or b is None or not 1 <= last_low < len(m) or not 0 <= min(m) <= max(m) < b[0]:
        return False
    early, later = m[:last_low], m[last_low:]
    steps = [y - x for x, y in zip(m, m[1 : last_low + 1], strict=False)]
    return max(early) < min(later) and steps[-1] > max(steps[:-1], default=0.0)


def reconstruction_accuracy_falls_above_chance(
    accuracy_per_checkpoint: Values,
    accuracy_on_originals: float,
    num_classes: int,
    high_upto: int = 2,
    low_from: int = 4,
    high_fraction: float = 0.8,
    later_factor: float = 1.5,
) -> bool:
    """Björklund (Figure 16): accuracy on reconstructions high early, lower later, above chance.

    ``accuracy_per_checkpoint``: the classifier's accuracy (fraction) on the reconstructions from
    checkpoints 1, 2, ...; ``accuracy_on_originals``: on the original images. Holds when the
    classifier is at least twice chance on the originals (a constant classifier is not), on
    checkpoints 1..``high_upto`` reaches ``high_fraction`` of that, from ``low_from`` on stays
    below every early value and at least ``later_factor`` times chance (the thesis: about 20%
    on 10 classes, "better than random guessing"). Checkpoint 3 is left free, as the thesis does.

    >>> reconstruction_accuracy_falls_above_chance([0.88, 0.85, 0.6, 0.2, 0.21, 0.19], 0.93, 10)
    True
    >>> reconstruction_accuracy_falls_above_chance([0.1] * 6, 0.1, 10)
    False
    """
    a = _finite(accuracy_per_checkpoint, unit=True)
    o = _finite(accuracy_on_originals, unit=True)
    if a is None or o is None or not 1 <= high_upto < low_from <= len(a):
        return False
    early, later = a[:high_upto], a[low_from - 1 :]
    return (
        above_chance(o[0], num_classes)
        and min(early) >= high_fraction * o[0]
        and max(later) < min(early)
        and all(above_chance(x, num_classes, later_factor) for x in later)
    )


def _verdict_names(verdicts: Names) -> list[str] | None:
    """The class names as a list; None when empty or when any entry is not a non-empty name."""
    names = list(verdicts.tolist() if hasattr(verdicts, "tolist") else verdicts)
    return names if names and all(isinstance(v, str) and v for v in names) else None


def verdicts_are_named_classes(
    verdicts: Names, named_classes: Names, accuracy_on_originals: float, num_classes: int
) -> bool:
    """Björklund (Figure 17): decoded one-hot logits are classified as exactly the named classes.

    ``verdicts``: the classifier's class name for each decoded image; ``named_classes``: those the
    thesis names (frog and ship). Holds when the set of verdicts equals the named set and the
    classifier is at least twice chance on the original images (a constant one is not).

    >>> verdicts_are_named_classes(["ship", "frog", "ship"], ["frog", "ship"], 0.93, 10)
    True
    >>> verdicts_are_named_classes(["ship"] * 3, ["frog", "ship"], 0.93, 10)
    False
    """
    names = _verdict_names(verdicts)
    return (
        names is not None
        and set(names) == set(named_classes)
        and above_chance(accuracy_on_originals, num_classes)
    )


def verdicts_collapse_onto_few_classes(
    verdicts: Sequence[str],
    raised: Sequence[str],
    accuracy_on_originals: float,
    num_classes: int,
    max_classes: int = 2,
) -> bool:
    """Björklund (Figure 17): the verdicts fall on a few classes, not on the class raised.

    ``verdicts`` and ``raised``: for each decoded image, the classifier's class name and the class
    whose logit was raised. Holds when the verdicts take at most ``max_classes`` distinct
    classes, fewer than the classes raised, and the classifier is at least twice chance on the
    originals. The weaker form of the rule above, for a collapse onto other classes.

    >>> verdicts_collapse_onto_few_classes(["ship", "frog", "ship"], ["cat", "dog", "car"], 0.9, 10)
    True
    >>> verdicts_collapse_onto_few_classes(["cat", "dog", "car"], ["cat", "dog", "car"], 0.9, 10)
    False
    """
    names, targets = _verdict_names(verdicts), _verdict_names(raised)
    if names is None or targets is None or len(names) != len(targets):
        return False
    distinct = len(set(names))
    return (
        distinct <= max_classes
        and distinct < len(set(targets))
        and above_chance(accuracy_on_originals, num_classes)
    )


def class_aware_loss_raises_accuracy(
    accuracy_mse: Values, accuracy_with_ce: Values, accuracy_on_originals: float, num_classes: int
) -> bool:
    """Björklund (section 4): with the class in the loss, reconstructions are classified better.

    Accuracy (fraction) on reconstructions from the same checkpoints, decoders trained on MSE
    and on MSE + c * CE; holds when the second is higher at each and the classifier is at least
    twice chance on the originals.

    >>> class_aware_loss_raises_accuracy([0.2, 0.18], [0.55, 0.5], 0.9, 10)
    True
    >>> class_aware_loss_raises_accuracy([0.1, 0.1], [0.1, 0.1], 0.1, 10)
    False
    """
    a, b = _finite(accuracy_mse, unit=True), _finite(accuracy_with_ce, unit=True)
    if a is None or b is None or len(a) != len(b):
        return False
    return all(y > x for x, y in zip(a, b, strict=True)) and above_chance(
        accuracy_on_originals, num_classes
    )


def measure_orders_by_difficulty(values_easiest_first: Values) -> bool:
    """Ho: a complexity measure separates learnable problems from unlearnable ones.

    ``values_easiest_first``: the measure (higher is harder, any units) from the easiest
    problem (linearly separable) to the unlearnable (random labels); holds when strictly rising.

    >>> measure_orders_by_difficulty([0.0, 0.16, 0.5])
    True
    >>> measure_orders_by_difficulty([0.3, 0.3, 0.3])
    False
    """
    v = _finite(values_easiest_first)
    return v is not None and len(v) >= 2 and all(a < b for a, b in zip(v, v[1:], strict=False))


def combination_beats_single_tricks(
    combined: float, baseline: float, single_tricks: Values, num_classes: int
) -> bool:
    """The assignment (Task 3e): the helpful tricks combined beat the baseline and each alone.

    Test accuracies (fractions) of the combination, the baseline and the network with one trick
    at a time. Holds when the combination is above all of them and at least twice chance.

    >>> combination_beats_single_tricks(0.8046, 0.7323, [0.769, 0.7491, 0.7439], 10)
    True
    >>> combination_beats_single_tricks(0.1, 0.1, [0.1], 10)
    False
    """
    c, b = _finite(combined, unit=True), _finite(baseline, unit=True)
    s = _finite(single_tricks, unit=True)
    if c is None or b is None or s is None:
        return False
    return c[0] > max(b[0], *s) and above_chance(c[0], num_classes)


def accuracy_beats(accuracy: float, others: Values, num_classes: int, margin: float = 0.0) -> bool:
    """The lab report: a network's test accuracy is above each of the others'.

    Test accuracies (fractions): ``accuracy`` of the network the report found better, ``others``
    of those it found worse (e.g. ElexNet's 79% against the Shallow CNN's 55%). Holds when
    ``accuracy`` exceeds every one of ``others`` by more than ``margin`` and is at least twice
    chance: two constant classifiers, or one network that beats a diverged one, fail.

    >>> accuracy_beats(0.79, [0.55, 0.70], 10)
    True
    >>> accuracy_beats(0.1, [0.1], 10)
    False
    """
    a, o = _finite(accuracy, unit=True), _finite(others, unit=True)
    if a is None or o is None or len(a) != 1 or margin < 0:
        return False
    return all(a[0] > x + margin for x in o) and above_chance(a[0], num_classes)
