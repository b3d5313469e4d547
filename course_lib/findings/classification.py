"""Findings about classifiers: chance, and one network (or one combination) beating others."""

from __future__ import annotations

from course_lib.findings._values import Values, finite


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
    v = finite(accuracy, unit=True)
    return v is not None and len(v) == 1 and v[0] >= factor * chance_level(num_classes)


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
    c, b = finite(combined, unit=True), finite(baseline, unit=True)
    s = finite(single_tricks, unit=True)
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
    a, o = finite(accuracy, unit=True), finite(others, unit=True)
    if a is None or o is None or len(a) != 1 or margin < 0:
        return False
    return all(a[0] > x + margin for x in o) and above_chance(a[0], num_classes)
